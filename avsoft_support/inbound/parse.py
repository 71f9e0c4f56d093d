"""Reading one raw mail (RFC 822 bytes) into what the e-mail channel needs.

``parse_mail(raw)`` never raises: a mail is a customer's message, and a parser error must not
lose it. It gives the addresses (lower-cased), the threading headers, the decoded subject, the
whole body as text (the text/plain part, else the HTML part turned into text), the attachments,
the reason a mail was sent by a machine rather than a person (``automatic``), and
``reply_text``: the customer's new text alone (``strip_reply``).

``strip_reply(text)`` cuts in this order:

1. at our marker line ``##- … -##`` (every ticket mail starts with it; ``REPLY_MARKER_RE``),
   quoted or not, together with the client's quote header right above it ("пт, 4 дек. 2026 г.
   в 12:00, Поддержка <…>:", "On … wrote:", an Outlook "От:/Отправлено:/Кому:/Тема:" block);
2. then mail-parser-reply (languages "ru", "en") keeps the latest reply and drops signatures;
3. quoted lines (">") left at the end are dropped.

A customer who answers below the quote (bottom-posting) keeps their text. Whatever it cuts,
it never returns "" for a mail that had text: if nothing would be left, the whole text is
returned (better too much than a lost message).

Standard library only, plus mail-parser-reply (which has no Russian: ``RU_LANGUAGE`` adds it).
"""

import email
import email.policy
import logging
import re
import warnings
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from mailparser_reply import EmailMessage
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 50
# Parts looked at in all: a mail of thousands of parts is read no further than this.
MAX_PARTS = 500
MAX_DEPTH = 20
# mail-parser-reply's patterns are regular expressions over the whole text: past this size the
# text is cut without it (the marker and the quote rules below still apply).
MAX_LIBRARY_CHARS = 200_000

# Zero-width characters that clients put into quotes (iOS Mail starts a quote with U+FEFF).
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"

# Our marker line, e.g. "##- Напишите ответ выше этой строки -##", alone on its line, possibly
# quoted: "> ##- …", "> > ##- …", ">>##- …", or The Bat!'s named quotes "Поддержка AVSoft> ##- …".
REPLY_MARKER_RE = re.compile(
    r"^(?P<prefix>[^\S\n]*(?:[^\s>#]+(?:[^\S\n]+[^\s>#]+){0,3}>)?(?:[^\S\n]*>)*)"
    rf"[^\S\n]*[{_INVISIBLE}]*[^\S\n]*##-[^\n]*?-##[^\S\n]*$",
    re.MULTILINE,
)


# --- Quote headers ---------------------------------------------------------------------------
# Building blocks; the patterns have no anchors (they are used with fullmatch here, and inside
# "^(…)$" by mail-parser-reply), and bounded repeats so that a long line cannot make them slow.
_WD_SHORT = r"(?:пн|вт|ср|чт|пт|сб|вс)"
_WD_LONG = r"(?:понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)"
# "дек.", "декабря", "мая", "сент.", "нояб."
_MONTH = r"(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]{0,5}\.?"
_DATE_WORDS = rf"\d{{1,2}}\s{_MONTH}\s\d{{4}}"
_DATE_NUM = r"\d{1,2}\.\d{1,2}\.\d{2,4}"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
# A name and address, which Gmail wraps onto a second line when long.
_TAIL = r"[^\n]{0,200}(?:\n[^\n]{0,200})?"
_TAIL_AT = (
    r"(?:[^\n]{0,200}@[^\n]{0,200}(?:\n[^\n]{0,200})?|[^\n]{0,200}\n[^\n]{0,200}@[^\n]{0,200})"
)
_WROTE_RU = r"(?:написал(?:\s?\(а\)|а)?|пишет|писал(?:\s?\(а\)|а)?)"

RU_QUOTE_HEADERS = (
    # Gmail: "пт, 4 дек. 2026 г. в 12:00, Поддержка <support@example.com>:"
    rf"{_WD_SHORT},?\s{_DATE_WORDS}\sг\.,?\sв\s{_TIME},?\s{_TAIL}:",
    # Apple Mail / iOS: "4 дек. 2026 г., в 12:00, Поддержка <support@example.com> написал(а):"
    rf"{_DATE_WORDS}\sг\.,?\s(?:в\s)?{_TIME},?\s{_TAIL}\s{_WROTE_RU}:",
    # Mail.ru: "Пятница, 4 декабря 2026, 12:00 +03:00 от Поддержка <support@example.com>:"
    rf"{_WD_LONG},?\s{_DATE_WORDS},?\s{_TIME}(?:\s[+-]\d{{2}}:?\d{{2}})?\sот\s{_TAIL}:",
    # Thunderbird: "04.12.2026 12:00, Поддержка пишет:";
    # Yandex: '04.12.2026, 12:00, "Поддержка" <support@example.com>:'
    rf"{_DATE_NUM},?\s{_TIME},?\s(?:{_TAIL}\s{_WROTE_RU}|{_TAIL_AT}):",
    # The Bat!: "Вы писали 4 декабря 2026 г., 12:00:05:"
    rf"Вы\sписали\s[^\n]{{0,60}}{_TIME}:",
    # Any other client: a date or an address, then "написал(а):" / "пишет:".
    rf"(?:[^\n]{{0,200}}(?:@|{_DATE_NUM}|{_DATE_WORDS})[^\n]{{0,200}}(?:\n[^\n]{{0,200}})?"
    rf"|[^\n]{{0,200}}\n[^\n]{{0,200}}@[^\n]{{0,200}})\s{_WROTE_RU}:",
)
EN_QUOTE_HEADERS = (
    # Gmail, Apple Mail, Thunderbird: "On Fri, Dec 4, 2026 at 12:00 PM Support <…> wrote:"
    rf"On\s{_TAIL}\swrote:",
    # "Support <support@example.com> wrote:"
    rf"{_TAIL_AT}\swrote:",
    # The Bat!: "You wrote 4 December 2026, 12:00:05:"
    rf"You\swrote\s[^\n]{{0,60}}{_TIME}:",
)
_QUOTE_HEADER_RE = re.compile(
    rf"{QUOTED_MATCH_INCLUDE}(?:{'|'.join(RU_QUOTE_HEADERS + EN_QUOTE_HEADERS)})", re.IGNORECASE
)
# A line of Outlook's (and Yandex's, Android's) header block above a quote: "От: …", "*Sent:* …".
_FIELD_RE = re.compile(
    r"[^\S\n]*(?:>[^\S\n]*)*\*?(?:от|от кого|отправлено|дата|кому|копия|тема|вложения|важность"
    r"|from|sent|date|to|cc|subject|attachments|importance)\*?[^\S\n]?:",
    re.IGNORECASE,
)
# Lines that only separate: Outlook's underscores, Yandex's dashes, "-----Original Message-----".
_SEPARATOR_RE = re.compile(
    r"[>\s]*(?:[-_=]{8,}|-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение)"
    r"\s*-{2,})\s*",
    re.IGNORECASE,
)
# A forwarded mail inside the reply: kept as it is (it is what the customer sends us).
_FORWARD_RE = re.compile(
    r"^[>\s]*(?:-{2,}\s*(?:forwarded message|пересылаемое сообщение|пересылаемое письмо"
    r"|начало переадресованного сообщения)\s*-{2,}|begin forwarded message:"
    r"|начало переадресованного сообщения:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)

# Russian for mail-parser-reply, in its own format (see mailparser_reply.constants): the quote
# headers above, Outlook's block, and sign-offs. Sign-offs cut everything below them, so the
# risky ones ("Спасибо") count only alone on their line. "disclaimers" stays empty: the library
# matches them only in Latin text that mentions "mail".
RU_LANGUAGE = {
    "wrote_header": rf"^({QUOTED_MATCH_INCLUDE}(?:{'|'.join(RU_QUOTE_HEADERS)}))$",
    "from_header": (
        r"((?:(?:^|\n|\n"
        + QUOTED_MATCH_INCLUDE
        + r")[* ]*-{2,} ?Исходное сообщение ?-{2,}\n)?(?:(?:^|\n|\n"
        + QUOTED_MATCH_INCLUDE
        + r")[* ]*"
        r"(?:От|От кого|Отправлено|Кому|Тема|Дата|Копия|Вложения|Важность):[ *]*(?:\s{,2}).*)"
        r"{2,}(?:\n.*){,1})"
    ),
    "disclaimers": [],
    "signatures": [
        "С уважением",
        "С наилучшими пожеланиями",
        "С почтением",
        r"(?:Заранее )?(?:Спасибо|Благодарю)[,.!]?[^\S\n]*$",
        r"(?:Всего доброго|Всего хорошего|Хорошего дня)[,.!]?[^\S\n]*$",
        # Mail.ru's HTML signature as text: "Отправлено из Почты Mail ( https://… )"
        r"Отправлено из (?:мобильной )?Почты Mail",
    ],
    # "Отправлено с iPhone", "Отправлено из мобильной Почты Mail.ru", "Отправлено из приложения
    # Яндекс Почта", "Получить Outlook для Android". The library wants the rest of the line
    # after this; the lookahead keeps "Отправлено с ошибкой" a sentence.
    "sent_from": (
        r"(?:Отправлено|Отправлена|Послано) (?:с|со|из)(?= (?:моего |мобильной |мобильного |"
        r"приложения |устройства )?(?:iPhone|iPad|Android|Samsung|Galaxy|HUAWEI|Honor|Xiaomi|"
        r"Redmi|Почты|Яндекс|Yandex|Mail\.ru|Outlook|устройства|телефона|смартфона|планшета)\b)"
        r"|Получить Outlook для"
    ),
}
# setdefault: a later mail-parser-reply that brings its own Russian is used instead of ours.
MAIL_LANGUAGES.setdefault("ru", RU_LANGUAGE)

REPLY_LANGUAGES = ("ru", "en")

# mail-parser-reply 1.36 passes re.MULTILINE as re.sub's positional count (harmless: it only
# bounds a replacement); Python 3.13 warns on every mail. Only that warning is silenced.
warnings.filterwarnings(
    "ignore",
    message="'count' is passed as positional argument",
    category=DeprecationWarning,
    module=r"mailparser_reply\.",
)


# --- Results ---------------------------------------------------------------------------------
@dataclass
class IncomingAttachment:
    name: str  # decoded file name (RFC 2231 / RFC 2047), "" if none
    content_type: str
    content: bytes


@dataclass
class IncomingMail:
    message_id: str = ""  # without <>
    sender: str = ""  # the From address, lower-cased
    sender_name: str = ""
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""  # the whole body as text
    reply_text: str = ""  # the customer's new text (strip_reply)
    attachments: list[IncomingAttachment] = field(default_factory=list)
    automatic: str = ""  # "" for a person's mail, else a reason code (see _automatic)


def parse_mail(raw: bytes) -> IncomingMail:
    """Read a raw mail. Never raises: what cannot be read is left empty."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    mail = IncomingMail()
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # the parser is lenient; this is the last resort
        logger.warning("Unreadable mail (%d bytes)", len(raw), exc_info=True)
        mail.text = raw.decode("utf-8", "replace")
        mail.reply_text = strip_reply(mail.text)
        return mail
    charset = _guess_charset(msg)
    steps = (
        ("message_id", lambda: _first_id(_header(msg, "Message-ID", charset))),
        ("in_reply_to", lambda: _ids(_header(msg, "In-Reply-To", charset))),
        ("references", lambda: _ids(_header(msg, "References", charset))),
        ("subject", lambda: " ".join(_header(msg, "Subject", charset).split())),
        ("recipients", lambda: _recipients(msg, charset)),
        ("text", lambda: _body_text(msg)),
        ("attachments", lambda: _attachments(msg)),
    )
    for name, step in steps:
        try:
            setattr(mail, name, step())
        except Exception:
            logger.warning("Could not read %s of a mail", name, exc_info=True)
    try:
        mail.sender_name, mail.sender = _sender(msg, charset)
    except Exception:
        logger.warning("Could not read the sender of a mail", exc_info=True)
    try:
        mail.automatic = _automatic(msg, mail.sender, charset)
    except Exception:
        logger.warning("Could not tell whether a mail is automatic", exc_info=True)
    try:
        mail.reply_text = strip_reply(mail.text)
    except Exception:
        logger.warning("Could not strip the quote of a mail", exc_info=True)
        mail.reply_text = mail.text.strip()
    return mail


# --- Headers ---------------------------------------------------------------------------------
def _fix_8bit(value, charset):
    """Header text with raw 8-bit bytes (kept as surrogates by the parser) decoded."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    for candidate in ("utf-8", charset):
        if candidate:
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("cp1251", "replace")


def _raw_values(msg, name):
    return [value for key, value in msg.raw_items() if key.lower() == name.lower()]


def _decode_raw(value):
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _headers(msg, name, charset=None):
    """Every value of a header, decoded. Read from the raw values: raw 8-bit text (old clients
    send unencoded Cyrillic) would otherwise come out as U+FFFD."""
    values = []
    for raw in _raw_values(msg, name):
        value = _fix_8bit("".join(str(raw).splitlines()), charset)
        try:
            values.append(str(email.policy.default.header_factory(name, value)))
        except Exception:  # a header the policy cannot parse
            values.append(_decode_raw(value))
    return values


def _header(msg, name, charset=None):
    values = _headers(msg, name, charset)
    return values[0] if values else ""


_ID_RE = re.compile(r"<([^<>\s]+)>")


def _ids(value):
    ids = _ID_RE.findall(value) or [part.strip("<>") for part in value.split()]
    return list(dict.fromkeys(item.strip() for item in ids if item.strip()))


def _first_id(value):
    ids = _ids(value)
    return ids[0] if ids else ""


# Whitespace between two encoded words, which RFC 2047 says to drop; Python's address parser
# keeps it ("«Ромашка »" when a client split the name into two encoded words).
_ADJACENT_WORDS_RE = re.compile(r"(\?=)[ \t]+(?==\?)")


def _addresses(msg, name, charset):
    """(display name, address) pairs of an address header, the address lower-cased."""
    pairs = []
    for raw in _raw_values(msg, name):
        value = _ADJACENT_WORDS_RE.sub(r"\1", "".join(str(raw).splitlines()))
        value = _fix_8bit(value, charset)
        try:
            header = email.policy.default.header_factory(name, value)
            pairs.extend((address.display_name, address.addr_spec) for address in header.addresses)
        except Exception:  # not an address header (Delivered-To), or one the policy cannot read
            pairs.extend(getaddresses([_decode_raw(value)]))
    return [
        (display.strip(), addr.strip().lower())
        for display, addr in pairs
        if addr and addr.strip() not in ("", "<>")
    ]


def _sender(msg, charset):
    pairs = _addresses(msg, "From", charset)
    if not pairs:
        return "", ""
    return pairs[0]


def _recipients(msg, charset):
    found = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        found.extend(addr for _display, addr in _addresses(msg, name, charset) if "@" in addr)
    return list(dict.fromkeys(found))


_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


def _automatic(msg, sender, charset):
    """Why this mail was sent by a machine, or "" for a person's mail. The first that applies:

    "mailer-daemon" (From mailer-daemon@/postmaster@, or Return-Path <>), "report" (a
    multipart/report: a bounce or read receipt), "auto-submitted" (Auto-Submitted other than
    "no"), "auto-reply-header" (X-Autoreply, X-Autorespond), "precedence" (bulk, junk, list,
    auto_reply), "list" (List-Id or List-Unsubscribe).

    Not a sign: X-Auto-Response-Suppress, which Outlook and Exchange put on ordinary mail to ask
    *other* machines not to answer it.
    """
    if sender.partition("@")[0] in ("mailer-daemon", "postmaster"):
        return "mailer-daemon"
    if any(re.fullmatch(r"<\s*>", value.strip()) for value in _headers(msg, "Return-Path")):
        return "mailer-daemon"
    if msg.get_content_type() == "multipart/report":
        return "report"
    auto_submitted = _header(msg, "Auto-Submitted", charset).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted"
    for name in ("X-Autoreply", "X-Autorespond"):
        values = _headers(msg, name, charset)
        if values and values[0].strip().lower() not in ("no", "false", "0"):
            return "auto-reply-header"
    if _header(msg, "Precedence", charset).strip().lower() in _AUTO_PRECEDENCE:
        return "precedence"
    if _headers(msg, "List-Id") or _headers(msg, "List-Unsubscribe"):
        return "list"
    return ""


# --- MIME parts ------------------------------------------------------------------------------
def _guess_charset(msg):
    """The mail's own charset, for raw 8-bit headers (old clients send them unencoded)."""
    for part in _walk(msg):
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        if charset:
            return charset
    return None


def _walk(msg):
    """The parts of a mail, depth first, without entering attached messages; bounded."""
    count = 0
    stack = [(msg, 0)]
    while stack and count < MAX_PARTS:
        part, depth = stack.pop()
        count += 1
        yield part
        if depth < MAX_DEPTH and part.is_multipart() and part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))


def _disposition(part):
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _filename(part):
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if "=?" in name:  # RFC 2047 inside a parameter: not standard, but what many clients send
        name = _decode_raw(name)
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    name = _fix_8bit(str(name), charset)
    # A Windows client may send the full path; keep the name only.
    name = re.split(r"[\\/]", name)[-1]
    return "".join(char for char in name if char.isprintable()).strip()


def _is_attachment(part):
    kind = part.get_content_type()
    if part.get_content_maintype() == "multipart" or kind in _NOT_ATTACHMENTS:
        return False
    if _disposition(part) == "attachment" or _filename(part):
        return True
    # A pasted image without a name (multipart/related) is still the customer's picture.
    return part.get_content_maintype() != "text"


# Machine parts: delivery reports and signatures, not files anyone sent.
_NOT_ATTACHMENTS = {
    "message/delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
    "text/rfc822-headers",
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}


def _decode_text(payload, charset):
    if charset in ("us-ascii", "ascii") and not payload.isascii():
        charset = None  # a client that declares ASCII and sends 8-bit text
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return payload.decode(candidate, "replace" if candidate == charset else "strict")
        except LookupError:
            continue  # an unknown charset name
        except UnicodeDecodeError:
            break
    # Undeclared or unknown 8-bit text: in a Russian desk, most likely Windows' Cyrillic.
    return payload.decode("cp1251", "replace")


def _part_text(part):
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        payload = part.get_payload()
        if not isinstance(payload, str):
            return ""
        payload = payload.encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = _decode_text(payload, charset)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if (
        part.get_content_subtype() == "plain"
        and str(part.get_param("format", "")).lower() == "flowed"
    ):
        text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _texts(part, depth=0):
    """The body texts of a part: [(subtype, text)], with "plain" preferred among alternatives."""
    if depth > MAX_DEPTH:
        return []
    if part.is_multipart():
        if part.get_content_maintype() != "multipart":
            return []  # an attached message: its text is not this mail's
        children = [child for child in part.get_payload()[:MAX_PARTS] if isinstance(child, Message)]
        if part.get_content_subtype() == "alternative":
            choices = [_texts(child, depth + 1) for child in children]
            # An empty text/plain beside a full HTML part is no text.
            choices = [c for c in choices if any(text.strip() for _kind, text in c)]
            plain = [c for c in choices if all(kind == "plain" for kind, _text in c)]
            return plain[0] if plain else (choices[-1] if choices else [])
        if part.get_content_subtype() in ("signed", "related"):
            children = children[:1]  # the signed or related body; the rest is not text
        found = []
        for child in children:
            found.extend(_texts(child, depth + 1))
        return found
    if part.get_content_type() in ("text/plain", "text/html") and not _is_attachment(part):
        return [(part.get_content_subtype(), _part_text(part))]
    return []


def _body_text(msg):
    parts = _texts(msg)
    texts = [_html_to_text(text) if kind == "html" else text for kind, text in parts]
    return "\n\n".join(text.strip("\n") for text in texts if text.strip())


def _attachments(msg):
    found = []
    for part in _walk(msg):
        if len(found) >= MAX_ATTACHMENTS:
            break
        if not _is_attachment(part):
            continue
        if part.is_multipart():  # an attached message (message/rfc822)
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            try:
                content = inner.as_bytes() if isinstance(inner, Message) else b""
            except Exception:
                content = b""
        else:
            try:
                content = part.get_payload(decode=True) or b""
            except Exception:
                content = b""
        found.append(IncomingAttachment(_filename(part), part.get_content_type(), content))
    return found


def _unflow(text, delsp):
    """Join RFC 3676 (format=flowed) soft line breaks, as Thunderbird sends."""
    out = []
    buffer, buffer_depth = None, 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if buffer is not None and depth == buffer_depth:
            buffer += content
        else:
            if buffer is not None:
                out.append((buffer_depth, buffer))
            buffer, buffer_depth = content, depth
        if not flowed:
            out.append((buffer_depth, buffer))
            buffer = None
    if buffer is not None:
        out.append((buffer_depth, buffer))
    return "\n".join(
        (">" * depth + (" " + content if content else "") if depth else content)
        for depth, content in out
    )


# --- HTML to text ----------------------------------------------------------------------------
class _HTMLText(HTMLParser):
    _BLOCKS = {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr",
        "ul",
    }  # fmt: skip
    _PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "ul", "ol"}
    _SKIP = {"script", "style", "title", "template", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []  # (quote depth, text, preformatted)
        self.current = []
        self.current_depth = 0
        self.depth = 0
        self.skip = 0
        self.pre = 0
        self.lists = []
        self.links = []

    def _end_line(self, force=False):
        if self.current or force:
            text = "".join(self.current)
            self.lines.append((self.current_depth if self.current else self.depth, text, self.pre))
        self.current = []

    def _gap(self):
        self._end_line()
        if self.lines and self.lines[-1][1].strip():
            self.lines.append((self.depth, "", False))

    def _add(self, text):
        if not self.current:
            self.current_depth = self.depth
        self.current.append(text)

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skip += 1
            return
        if tag == "body":
            self.skip = 0
        attrs = dict(attrs)
        if tag == "br":
            self._end_line(force=True)
        elif tag == "p" and "msonormal" in (attrs.get("class") or "").lower():
            self._end_line()  # Outlook writes every line as a paragraph without margins
        elif tag in self._PARAGRAPHS:
            self._gap()
        elif tag in self._BLOCKS:
            self._end_line()
        if tag == "blockquote":
            self.depth += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li":
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                self._add(f"{self.lists[-1][1]}. ")
            else:
                self._add("- ")
        elif tag in ("td", "th") and self.current:
            self._add(" ")
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.current)))

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.current[start:]).strip()
            if href.startswith(("http://", "https://")) and label and href.rstrip("/") not in label:
                self._add(f" <{href}>")
        if tag == "p" and not self.pre:
            self._end_line()
        elif tag in self._PARAGRAPHS:
            self._gap()
        elif tag in self._BLOCKS:
            self._end_line()
        if tag == "blockquote":
            self._end_line()
            self.depth = max(0, self.depth - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            lines = data.replace("\r\n", "\n").split("\n")
            for index, line in enumerate(lines):
                if index:
                    self._end_line(force=True)
                if line:
                    self._add(line)
            return
        text = re.sub(r"[ \t\r\n\f\v]+", " ", data)
        if text == " " and not self.current:
            return  # the spaces between tags
        self._add(text)

    def text(self):
        self._end_line()
        out = []
        for depth, text, pre in self.lines:
            text = text.replace("\xa0", " ").replace("\ufeff", "")
            text = text.rstrip() if pre else re.sub(r" {2,}", " ", text).strip()
            line = ("> " * depth + text).rstrip()
            if not text and out and out[-1] == line:
                continue  # one blank line is enough
            out.append(line)
        return "\n".join(out).strip("\n")


def _html_to_text(html):
    """Readable text of an HTML mail: lines kept, quotes as "> ", no scripts or styles."""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; keep whatever was read
        logger.warning("Could not read the HTML of a mail", exc_info=True)
    return parser.text()


# --- Reply stripping -------------------------------------------------------------------------
def _is_quoted(line, quote=">"):
    return line.lstrip(" \t" + _INVISIBLE).startswith(quote)


def _is_blank(line):
    return not line.strip(" \t\xa0" + _INVISIBLE + ">")


def _quote_header_lines(lines):
    """How many of the last lines are a quote header ("… wrote:", an "От:/Тема:" block)."""
    last = lines[-1].strip()
    if _QUOTE_HEADER_RE.fullmatch(last):
        return 1
    if len(lines) >= 2 and _QUOTE_HEADER_RE.fullmatch(lines[-2].strip() + "\n" + last):
        return 2
    index, extra = len(lines) - 1, 0
    if not _FIELD_RE.match(lines[index]) and index and _FIELD_RE.match(lines[index - 1]):
        index, extra = index - 1, 1  # a long "Тема:" wrapped onto a second line
    count = 0
    while index >= 0 and _FIELD_RE.match(lines[index]):
        count, index = count + 1, index - 1
    return count + extra if count >= 2 else 0


def _drop_trailing(lines, at_quote, quote=">"):
    """Drop the end of a reply that is not the customer's: blank and quoted lines, separators,
    and, right above a quote (``at_quote``), the client's quote header."""
    lines = list(lines)
    while lines:
        if _is_quoted(lines[-1], quote) or _SEPARATOR_RE.fullmatch(lines[-1]):
            lines.pop()
            at_quote = True
        elif _is_blank(lines[-1]):
            lines.pop()
        elif at_quote and (count := _quote_header_lines(lines)):
            del lines[-count:]
        else:
            break
    return lines


def _drop_leading_quote(lines):
    """Bottom-posting without our marker: a quote (and its header) above the customer's text."""
    index = 0
    while index < len(lines) and _is_blank(lines[index]):
        index += 1
    end = index
    while end < len(lines) and (_is_quoted(lines[end]) or _is_blank(lines[end])):
        end += 1
    if end == index or end == len(lines):
        return lines
    head = lines[:index]
    head = _drop_trailing(head, True) if head else head
    return head + lines[end:]


def _restore_lines(original, body):
    """mail-parser-reply strips every line; take the customer's lines back as written (a log or
    code keeps its indentation), as long as they are the same lines in the same order."""
    source = original.split("\n")
    out, index = [], 0
    for line in body.split("\n"):
        while index < len(source) and source[index].strip() != line:
            if source[index].strip() and not _SEPARATOR_RE.fullmatch(source[index]):
                return body  # not a plain cut: keep the library's text
            index += 1
        if index == len(source):
            return body
        out.append(source[index].rstrip())
        index += 1
    return "\n".join(out)


def _latest_reply(text):
    """mail-parser-reply's latest reply without signatures, or the text if it finds none."""
    if not text.strip() or len(text) > MAX_LIBRARY_CHARS:
        return text
    message = EmailMessage(
        text=text,
        languages=list(REPLY_LANGUAGES),
        # A customer's "- step one" list is not a signature.
        keep_hyphen_lists=True,
    ).read()
    if not message.replies:
        return text
    return _restore_lines(text, message.replies[0].body)


def _clean(lines, at_quote):
    """The customer's own text of these lines: quotes, quote headers, signatures dropped."""
    lines = _drop_trailing(lines, at_quote)
    text = "\n".join(lines)
    forward = _FORWARD_RE.search(text)
    if forward:  # a forwarded mail is content: only the text above it is stripped
        own = _clean(text[: forward.start()].split("\n"), False)
        rest = "\n".join(_drop_trailing(text[forward.start() :].split("\n"), False))
        return f"{own}\n\n{rest.strip()}".strip()
    lines = _latest_reply(text).split("\n")
    lines = _drop_leading_quote(_drop_trailing(lines, False))
    return "\n".join(lines).strip("\n").rstrip()


def _is_greeting(text):
    # "Здравствуйте, Поддержка." above a quote, with the answer below it (The Bat! and
    # other bottom-posters).
    return len(text) <= 80 and "\n" not in text


_GENERIC_HEADER_RE = re.compile(r"(@|\b\d{1,2}:\d{2}\b).*:\s*$")


def _without_generic_quote_header(lines):
    """Right above our quoted marker, a line ending in ":" with an address or a time in it is
    the client's quote header, whatever its language or format ("Fri, 04 Dec 2026 22:12:05
    +0300, support@example.com:"): only a quote header stands there."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if end and _GENERIC_HEADER_RE.search(lines[end - 1]):
        return lines[: end - 1]
    return lines


def strip_reply(text: str) -> str:
    """The customer's new text of a reply: see the module's docstring. Never "" for a text
    that has something in it."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    whole = text.strip()
    if not whole:
        return ""
    lines = text.split("\n")
    marker = REPLY_MARKER_RE.search(text)
    if marker is None:
        return _clean(lines, False) or whole
    index = text.count("\n", 0, marker.start())
    prefix = marker.group("prefix").strip(" \t" + _INVISIBLE)
    reply = _clean(lines[:index], True)
    if prefix and reply:
        # Known clients' headers are gone; one of a client nobody listed may be left.
        reply = "\n".join(_without_generic_quote_header(reply.split("\n"))).strip()
    if prefix and (not reply or _is_greeting(reply)):
        # The marker is quoted: lines below it that are not quoted are the customer's.
        quote = prefix[: prefix.index(">") + 1]
        below = [line for line in lines[index + 1 :] if not _is_quoted(line, quote)]
        below_text = _clean(below, False)
        if below_text:
            reply = f"{reply}\n\n{below_text}".strip()
    return reply or whole
