"""Reading raw replies as customers' mail clients send them (inbound.parse). No database."""

import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from avsoft_support.inbound import parse
from avsoft_support.inbound.parse import (
    REPLY_MARKER_RE,
    IncomingAttachment,
    IncomingMail,
    parse_mail,
    strip_reply,
)

# pytest shows DeprecationWarnings again in tests; mail-parser-reply's is known (see parse).
pytestmark = pytest.mark.filterwarnings(
    "ignore:'count' is passed as positional argument:DeprecationWarning"
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"

# Mixed case and "+"/"=" in the values: they must come through as written (addresses lowered).
SENDER = "Ivan.Petrov@Romashka.example"
REPLY_ADDRESS = "support+t77-0123456789abcdef@support.avsoft.example"
REPLY_MESSAGE_ID = "CAF+r=x_9Zq-0wK@mail.gmail.com"
OUR_MESSAGE_ID = "t77-0123456789abcdef.a1b2c3d4e5f60718@support.avsoft.example"
PLACEHOLDERS = {
    "FROM": SENDER,
    "TO": REPLY_ADDRESS,
    "MESSAGE_ID": REPLY_MESSAGE_ID,
    "IN_REPLY_TO": OUR_MESSAGE_ID,
}


def load_fixture(name, **values):
    """A fixture's raw bytes with its {{PLACEHOLDERS}} replaced (see the fixtures' README)."""
    data = (FIXTURES / name).read_bytes()
    for key, value in {**PLACEHOLDERS, **values}.items():
        data = data.replace(b"{{%s}}" % key.encode(), value.encode())
    return data


# Never in a customer's reply text: our quoted mail and its marker.
OURS = ["Ответ службы поддержки", "Support answer", "##-", "Напишите ответ", "Статус заявки"]


@dataclass
class Reply:
    name: str
    sender_name: str
    subject: str
    new: list  # the customer's sentences, each must be in reply_text
    gone: list = field(default_factory=list)  # quote headers and signatures
    # How the fixture's format is known: "real" (from real mails of that client) or
    # "reconstructed" (from knowledge of the client).
    source: str = "reconstructed"


REPLIES = [
    Reply(
        "gmail_ru.eml",
        "Иван Петров",
        "Re: [#1234] Не формируется отчёт по складу",
        [
            "Добрый день!",
            "После обновления до версии 4.2 отчёт по остаткам на складе открывается пустым.",
            "Журнал ошибок пришлю, как только бухгалтер вернётся с обеда.",
        ],
        ["пт, 4 дек.", "support+", "Иван Петров", "ООО «Ромашка»", "--"],
        "reconstructed (Gmail's Russian quote header as seen in real mails)",
    ),
    Reply(
        "gmail_en.eml",
        "John Smith",
        "Re: [#1235] CSV export is truncated",
        ["The CSV export stops after exactly 65536 rows since yesterday's update."],
        ["On Fri", "wrote:", "support+", "Best regards", "John Smith", "Acme"],
    ),
    Reply(
        "outlook_ru.eml",
        "Сидорова Анна",
        "RE: [#1236] Ошибка лицензии после переустановки",
        [
            "Лицензионный ключ из письма не принимается: программа пишет «ключ уже "
            "активирован на другом компьютере».",
            "Скриншот ошибки ниже.",
        ],
        ["От:", "Отправлено:", "Кому:", "Тема:", "С уважением", "Анна Сидорова", "+7 (495)"],
    ),
    Reply(
        "thunderbird_ru.eml",
        "Дмитрий Соколов",
        "Re: [#1237] Сервер лицензий не отвечает",
        [
            # format=flowed: the soft line breaks are joined again.
            "Сервер лицензий перестал отвечать после установки обновления безопасности Windows "
            "KB5048652, служба запускается и сразу останавливается.",
            "До обновления всё работало два года без сбоев.",
        ],
        ["пишет:", "Дмитрий Соколов", "ИТ-отдел", "-- "],
    ),
    Reply(
        "yandex_ru.eml",
        "Елена Волкова",
        "Re: [#1238] Не печатается форма Т-2",
        [
            "В модуле «Кадры» при печати формы Т-2 пропадает вторая страница, галочку в "
            "настройках включила."
        ],
        ['"Поддержка AVSoft"', "support+", "С уважением", "Елена Волкова", "Северный ветер"],
        "real (Yamail plain-text headers and '04.12.2026, 12:00, \"Name\" <addr>:')",
    ),
    Reply(
        "html_only.eml",
        "Татьяна Морозова",
        "Re: [#1242] Перенос лицензии на новый сервер",
        [
            "Подскажите, можно ли перенести лицензию на новый сервер без переактивации? "
            "Старый сервер списываем в пятницу."
        ],
        ["Кому:", "Тема:", "----", "support+", "Татьяна Морозова", "ИП Морозова", "<div"],
        "real (Yandex web HTML-only base64, '----------------' + 'Кому:/Тема:' lines)",
    ),
    Reply(
        "mailru_ru.eml",
        "Ольга Кузнецова",
        "Re: [#1243] Не приходят уведомления",
        [
            "Уведомления о новых заявках перестали приходить с понедельника, хотя адрес в "
            "настройках указан верно, а в «Спаме» их нет."
        ],
        ["Пятница, 4 декабря", "support+", "Ольга Кузнецова", "Сигма", "\xa0"],
        "real (Mail.ru quote header '<Weekday>, <d month yyyy>, <hh:mm> +03:00 от …:')",
    ),
    Reply(
        "apple_mail_ru.eml",
        "Сергей Николаев",
        "Re: [#1244] Программа не видит ключ защиты",
        [
            "Переустановил драйвер ключа защиты, теперь программа видит ключ, но просит "
            "перезапустить службу лицензий. Это нормально?"
        ],
        ["Отправлено с iPhone", "написал(а)", "support+", "\ufeff"],
    ),
    Reply(
        "koi8r.eml",
        "Пётр Смирнов",
        'Re: [#1239] Ошибка при запуске модуля "Склад"',
        [
            "Здравствуйте, Поддержка.",
            'Обновление 4.2.1 установилось, но при запуске модуля "Склад" выдаёт ошибку '
            "0x80004005.",
            "Перезагрузка компьютера не помогла.",
        ],
        ["Вы писали", "С уважением", "mailto:", "Поддержка AVSoft>"],
        "real (The Bat!'s 'Вы писали …:' and name-prefixed quotes)",
    ),
    Reply(
        "with_attachment.eml",
        "Светлана Орлова",
        "Re: [#1241] Ошибка синхронизации с банком",
        [
            "Прикладываю журнал ошибок и снимок экрана с сообщением об ошибке синхронизации, "
            "выгрузка из банка падает на третьем файле."
        ],
        ["пишет:", "support+"],
    ),
    Reply(
        "no_message_id.eml",
        "Алексей Громов",
        "Re: [#1245] Не выгружаются накладные",
        [
            "Ручной запуск обмена тоже завершается ошибкой «Нет доступа к каталогу выгрузки», "
            "права на папку проверили."
        ],
        ["написал(а)", "support+"],
    ),
]
REPLY_IDS = [reply.name for reply in REPLIES]

# A marker or our quoted sentence in the whole text shows the fixture quotes our mail.
ATTACHMENTS = {
    "with_attachment.eml": [
        (
            "журнал_ошибок_04.12.2026.log",
            "text/plain",
            "f0cde9de4c6542f2756bda9e9577c368e87ead1b2a2f06229d23ca22a8dd06c5",
        ),
        (
            "Снимок экрана от 2026-12-04 12-30-15.png",
            "image/png",
            "d80c8c7fd13a5473e04d85c6890064d2c4039572ec5a5e44468ac5f935bc72fb",
        ),
    ],
    # Outlook's pasted picture: no Content-Disposition, its name only in Content-Type.
    "outlook_ru.eml": [("image001.png", "image/png", None)],
}


@pytest.fixture(params=REPLIES, ids=REPLY_IDS)
def reply(request):
    case = request.param
    return case, parse_mail(load_fixture(case.name))


def test_reply_headers(reply):
    case, mail = reply
    assert isinstance(mail, IncomingMail)
    assert mail.sender == SENDER.lower()
    assert mail.sender_name == case.sender_name
    assert mail.subject == case.subject
    assert REPLY_ADDRESS in mail.recipients
    assert all(address == address.lower() for address in mail.recipients)
    assert len(mail.recipients) == len(set(mail.recipients))
    assert mail.in_reply_to == [OUR_MESSAGE_ID]
    assert mail.references in ([OUR_MESSAGE_ID], [])
    expected_id = "" if case.name == "no_message_id.eml" else REPLY_MESSAGE_ID
    assert mail.message_id == expected_id
    # X-Auto-Response-Suppress (Outlook) asks others not to answer: it is not an auto-reply.
    assert mail.automatic == ""


def test_reply_text_is_the_customers_new_text(reply):
    case, mail = reply
    # The fixture does quote our mail, and the text keeps it all.
    assert "Ответ службы поддержки" in mail.text or "Support answer" in mail.text
    assert REPLY_MARKER_RE.search(mail.text)
    for sentence in case.new:
        assert sentence in mail.reply_text
    for text in OURS + case.gone:
        assert text not in mail.reply_text, text
    assert mail.reply_text == mail.reply_text.strip()


def test_reply_text_is_stable(reply):
    _case, mail = reply
    assert strip_reply(mail.reply_text) == mail.reply_text


def test_crlf_line_endings_read_the_same(reply):
    case, mail = reply
    crlf = parse_mail(load_fixture(case.name).replace(b"\n", b"\r\n"))
    assert crlf.reply_text == mail.reply_text
    assert crlf.subject == mail.subject
    assert crlf.recipients == mail.recipients


def test_attachments(reply):
    case, mail = reply
    expected = ATTACHMENTS.get(case.name, [])
    assert [(a.name, a.content_type) for a in mail.attachments] == [
        (name, kind) for name, kind, _digest in expected
    ]
    for attachment, (_name, _kind, digest) in zip(mail.attachments, expected, strict=True):
        assert isinstance(attachment, IncomingAttachment)
        if digest:
            assert hashlib.sha256(attachment.content).hexdigest() == digest
    for attachment in mail.attachments:
        if attachment.content_type == "image/png":
            assert attachment.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_attached_log_is_decoded_text():
    mail = parse_mail(load_fixture("with_attachment.eml"))
    log = mail.attachments[0].content.decode("utf-8")
    assert "ERROR Синхронизация прервана (код 0x80004005)" in log
    # The files are not the body.
    assert "Синхронизация прервана" not in mail.text


def test_html_only_mail_becomes_readable_text():
    mail = parse_mail(load_fixture("html_only.eml"))
    assert "<" not in mail.text.replace("<support+", "").replace("<https://", "")
    assert "> Ответ службы поддержки: перенос лицензии" in mail.text
    assert "Здравствуйте!\n\nПодскажите" in mail.text


def test_outlook_html_without_its_text_part():
    """Outlook's HTML alone: the "От:" block and our unquoted mail below it are cut."""
    raw = parse_mail(load_fixture("outlook_ru.eml"))
    message = email.message_from_bytes(load_fixture("outlook_ru.eml"), policy=email.policy.default)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    only_html = (
        f"From: Anna <anna@vektor.example>\nTo: {REPLY_ADDRESS}\nSubject: RE\n"
        'MIME-Version: 1.0\nContent-Type: text/html; charset="utf-8"\n'
        "Content-Transfer-Encoding: 8bit\n\n"
    ) + html
    mail = parse_mail(only_html.encode("utf-8"))
    assert "@font-face" not in mail.text and "MsoNormal" not in mail.text
    assert mail.reply_text == raw.reply_text


AUTOMATIC = [
    ("auto_reply_ru.eml", "auto-submitted", "real headers of Exchange's out-of-office"),
    ("bulk.eml", "precedence", "reconstructed"),
    ("mailer_daemon.eml", "mailer-daemon", "real (Postfix's bounce text and report)"),
]


@pytest.mark.parametrize(("name", "reason", "_source"), AUTOMATIC)
def test_automatic_fixtures(name, reason, _source):
    mail = parse_mail(load_fixture(name))
    assert mail.automatic == reason
    assert REPLY_ADDRESS in mail.recipients


def test_bounce_keeps_the_returned_mail():
    mail = parse_mail(load_fixture("mailer_daemon.eml"))
    assert mail.sender == "mailer-daemon@mx.romashka.example"
    assert "could not\nbe delivered" in mail.text
    # The delivery report is no file; the returned mail (ours) is there, whole.
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
    assert f"<{OUR_MESSAGE_ID}>".encode() in mail.attachments[0].content
    assert "Ответ службы поддержки" not in mail.text


def test_out_of_office_text():
    mail = parse_mail(load_fixture("auto_reply_ru.eml"))
    assert mail.subject == "Автоматический ответ: [#1234] Не формируется отчёт по складу"
    assert "Я в отпуске с 1 по 14 декабря 2026 г." in mail.reply_text


# --- automatic: one header at a time ---------------------------------------------------------
def _mail(headers="", content_type="text/plain; charset=utf-8", body="Текст письма.\n"):
    head = f"From: Иван <ivan@example.com>\nTo: {REPLY_ADDRESS}\nSubject: Re\n{headers}"
    return f"{head}MIME-Version: 1.0\nContent-Type: {content_type}\n\n{body}".encode()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("", ""),
        ("Auto-Submitted: no\n", ""),
        ("Auto-Submitted: auto-replied\n", "auto-submitted"),
        ("Auto-Submitted: auto-generated; owner-email=x@example.com\n", "auto-submitted"),
        ("Auto-Submitted: Auto-Notified\n", "auto-submitted"),
        ("X-Autoreply: yes\n", "auto-reply-header"),
        ("X-Autorespond: Out of office\n", "auto-reply-header"),
        ("X-Auto-Response-Suppress: All\n", ""),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply\n", ""),
        ("Precedence: bulk\n", "precedence"),
        ("Precedence: junk\n", "precedence"),
        ("Precedence: list\n", "precedence"),
        ("Precedence: auto_reply\n", "precedence"),
        ("Precedence: first-class\n", ""),
        ("List-Id: <news.example.com>\n", "list"),
        ("List-Unsubscribe: <mailto:leave@example.com>\n", "list"),
        ("Return-Path: <>\n", "mailer-daemon"),
        ("Return-Path: <ivan@example.com>\n", ""),
    ],
)
def test_automatic_reasons(headers, reason):
    assert parse_mail(_mail(headers)).automatic == reason


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com", "Mailer-Daemon"]
)
def test_automatic_mailer_daemon_senders(sender):
    raw = _mail().replace("Иван <ivan@example.com>".encode(), sender.encode())
    assert parse_mail(raw).automatic == "mailer-daemon"


def test_automatic_read_receipt_is_a_report():
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nВаше письмо прочитано.\n"
        "--b\nContent-Type: message/disposition-notification\n\n"
        "Final-Recipient: rfc822; ivan@example.com\nDisposition: manual-action/MDN-sent-manually;"
        " displayed\n--b--\n"
    )
    mail = parse_mail(
        _mail(
            content_type='multipart/report; report-type=disposition-notification; boundary="b"',
            body=body,
        )
    )
    assert mail.automatic == "report"
    assert mail.attachments == []
    assert mail.text == "Ваше письмо прочитано."


# --- broken and odd mails --------------------------------------------------------------------
def _many_parts(count):
    parts = "".join(
        f"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; "
        f'filename="f{index}.bin"\nContent-Transfer-Encoding: base64\n\nAAEC\n'
        for index in range(count)
    )
    return _mail(
        content_type='multipart/mixed; boundary="b"',
        body="--b\nContent-Type: text/plain; charset=utf-8\n\nМного файлов.\n" + parts + "--b--\n",
    )


def _nested(depth):
    head = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth)
    )
    tail = "".join(f"\n--b{i}--\n" for i in reversed(range(depth)))
    return (
        f"From: a@example.com\nMIME-Version: 1.0\n{head}"
        f"Content-Type: text/plain; charset=utf-8\n\nГлубоко.{tail}"
    ).encode()


BROKEN = {
    "empty": b"",
    "garbage": bytes(range(256)) * 4,
    "nul bytes": b"\x00\x00\x00\n\n\x00",
    "text only, no headers": "Просто текст без заголовков".encode(),
    "headers only": b"From: a@example.com\nSubject: hi",
    "no body": b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\n",
    "unknown charset": _mail(content_type="text/plain; charset=x-unknown-cyr", body="")
    + "Текст в cp1251".encode("cp1251"),
    "koi8-r declared": _mail(content_type="text/plain; charset=koi8-r", body="")
    + "Текст в koi8-r".encode("koi8-r"),
    "utf-8 with bad bytes": _mail(body="") + b"\xd0\x9f\xd1\x80\xff\xfe \xd0\xb8\xd0\xb2",
    "windows-1251 declared as utf-8": _mail(body="") + "Привет".encode("cp1251"),
    "windows-1251 declared as us-ascii": _mail(content_type="text/plain; charset=us-ascii", body="")
    + "Привет".encode("cp1251"),
    "8bit header in windows-1251": b"Subject: " + "Привет".encode("cp1251") + b"\n\nx",
    "8bit header in utf-8": b"From: " + "Иван".encode() + b" <a@example.com>\n\nx",
    "bad encoded words": b"From: =?utf-8?B?!!!?= <a@example.com>\nSubject: =?koi8-x?Q?=FF?=\n\nx",
    "malformed addresses": b"From: <<<@@>>>, ,;;\nTo: undisclosed-recipients:;\nCc: @, a@\n\nx",
    "broken Message-ID": b"Message-ID: <<>>\nIn-Reply-To: garbage < >\nReferences: <a@b\n\nx",
    "multipart without a text part": _mail(
        content_type='multipart/mixed; boundary="b"',
        body="--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n",
    ),
    "multipart without boundary": _mail(content_type="multipart/mixed", body="Текст\n"),
    "multipart never closed": _mail(
        content_type='multipart/alternative; boundary="b"',
        body="--b\nContent-Type: text/plain; charset=utf-8\n\nНе закрыто",
    ),
    "broken base64": _mail(
        content_type="text/plain; charset=utf-8", body="0J/RgNC40LLQtdGC!!!*\n"
    ).replace(b"MIME-Version", b"Content-Transfer-Encoding: base64\nMIME-Version"),
    "huge number of parts": _many_parts(1200),
    "deep nesting": _nested(120),
    "html with broken tags": _mail(
        content_type="text/html; charset=utf-8",
        body="<html><body><p>Текст<blockquote><div>цитата<script>x()</p></body",
    ),
}


@pytest.mark.parametrize("raw", BROKEN.values(), ids=BROKEN.keys())
def test_broken_mail_never_raises(raw):
    mail = parse_mail(raw)
    assert isinstance(mail, IncomingMail)
    assert isinstance(mail.text, str) and isinstance(mail.reply_text, str)
    assert len(mail.attachments) <= parse.MAX_ATTACHMENTS
    if mail.text.strip():
        assert mail.reply_text  # a mail with text never loses all of it


def test_broken_mails_keep_what_can_be_read():
    assert parse_mail(b"") == IncomingMail()
    assert parse_mail(BROKEN["unknown charset"]).text == "Текст в cp1251"
    assert parse_mail(BROKEN["koi8-r declared"]).text == "Текст в koi8-r"
    assert parse_mail(BROKEN["utf-8 with bad bytes"]).text.startswith("Пр\ufffd")
    assert parse_mail(BROKEN["windows-1251 declared as utf-8"]).text == "\ufffd" * 6
    assert parse_mail(BROKEN["windows-1251 declared as us-ascii"]).text == "Привет"
    assert parse_mail(BROKEN["8bit header in windows-1251"]).subject == "Привет"
    assert parse_mail(BROKEN["8bit header in utf-8"]).sender_name == "Иван"
    assert parse_mail(BROKEN["no body"]).text == ""
    assert parse_mail(BROKEN["multipart without a text part"]).text == ""
    assert parse_mail(BROKEN["multipart never closed"]).text == "Не закрыто"
    assert parse_mail(BROKEN["deep nesting"]).sender == "a@example.com"
    html = parse_mail(BROKEN["html with broken tags"])
    assert "x()" not in html.text and "Текст" in html.text and "> цитата" in html.text
    malformed = parse_mail(BROKEN["malformed addresses"])
    assert all("@" in address for address in malformed.recipients)


def test_attachments_are_capped():
    mail = parse_mail(_many_parts(1200))
    assert len(mail.attachments) == parse.MAX_ATTACHMENTS == 50
    assert mail.attachments[0] == IncomingAttachment(
        "f0.bin", "application/octet-stream", b"\0\1\2"
    )
    assert mail.text == "Много файлов."


def test_str_input_is_accepted():
    assert parse_mail(_mail().decode()).text == "Текст письма."


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        # Gmail, Outlook: RFC 2047 inside the quotes (not the standard, but what is sent).
        ('attachment; filename="=?UTF-8?B?0L7RgtGH0ZHRgi5sb2c=?="', "отчёт.log"),
        # RFC 2231 in another charset.
        ("attachment; filename*=windows-1251''%EE%F2%F7%B8%F2.log", "отчёт.log"),
        # A Windows path: the name only.
        ('attachment; filename="C:\\\\Users\\\\anna\\\\report.log"', "report.log"),
        ("inline; filename=screenshot.png", "screenshot.png"),
        ("attachment", ""),
    ],
)
def test_attachment_names(disposition, name):
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nФайл.\n"
        f"--b\nContent-Type: application/octet-stream\nContent-Disposition: {disposition}\n"
        "Content-Transfer-Encoding: base64\n\nAAEC\n--b--\n"
    )
    mail = parse_mail(_mail(content_type='multipart/mixed; boundary="b"', body=body))
    assert [a.name for a in mail.attachments] == [name]
    assert mail.text == "Файл."


def test_pasted_image_and_split_body():
    """Apple Mail splits the text around a pasted picture; both halves are the body."""
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nДо картинки.\n"
        "--b\nContent-Type: image/jpeg; name=IMG_0001.jpeg\nContent-Disposition: inline; "
        "filename=IMG_0001.jpeg\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\nПосле картинки.\n--b--\n"
    )
    mail = parse_mail(_mail(content_type='multipart/mixed; boundary="b"', body=body))
    assert mail.text == "До картинки.\n\nПосле картинки."
    assert [(a.name, a.content_type) for a in mail.attachments] == [("IMG_0001.jpeg", "image/jpeg")]


def test_recipients_from_every_header():
    headers = (
        "Cc: Bob <BOB@example.com>, =?utf-8?B?0JDQvdC90LA=?= <anna@example.com>\n"
        f"Delivered-To: {REPLY_ADDRESS.upper()}\nX-Original-To: {REPLY_ADDRESS}\n"
    )
    mail = parse_mail(_mail(headers))
    assert mail.recipients == [REPLY_ADDRESS, "bob@example.com", "anna@example.com"]


def test_threading_headers():
    headers = (
        "Message-ID:   <abc@example.com>  \nIn-Reply-To: <one@example.com> (comment)\n"
        "References: <zero@example.com>\n <one@example.com>\t<zero@example.com>\n"
    )
    mail = parse_mail(_mail(headers))
    assert mail.message_id == "abc@example.com"
    assert mail.in_reply_to == ["one@example.com"]
    assert mail.references == ["zero@example.com", "one@example.com"]


# --- HTML to text ----------------------------------------------------------------------------
def test_html_to_text():
    html = (
        "<html><head><title>Заголовок</title><style>p {color: red}</style></head><body>"
        "<script>alert(1)</script><p>Первый&nbsp;абзац.</p><p>Второй<br>с переносом.</p>"
        "<ul><li>один</li><li>два</li></ul><pre>  отступ\n    сохранён</pre>"
        '<p>Ссылка: <a href="https://disk.example.com/s/1">скриншот</a></p>'
        "<blockquote>Цитата<blockquote>вложенная</blockquote></blockquote><p>Конец &amp; всё</p>"
        "</body></html>"
    )
    mail = parse_mail(_mail(content_type="text/html; charset=utf-8", body=html))
    assert mail.text == (
        "Первый абзац.\n\nВторой\nс переносом.\n\n- один\n- два\n\n  отступ\n    сохранён\n\n"
        "Ссылка: скриншот <https://disk.example.com/s/1>\n> Цитата\n> > вложенная\n\nКонец & всё"
    )


def test_empty_plain_part_does_not_hide_the_html():
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\n\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>HTML-часть.</p>\n--b--\n"
    )
    mail = parse_mail(_mail(content_type='multipart/alternative; boundary="b"', body=body))
    assert mail.text == "HTML-часть."


def test_plain_text_preferred_to_html():
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nТекстовая часть.\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>HTML-часть.</p>\n--b--\n"
    )
    mail = parse_mail(_mail(content_type='multipart/alternative; boundary="b"', body=body))
    assert mail.text == "Текстовая часть."


# --- strip_reply on plain text ---------------------------------------------------------------
QUOTED_OURS = "> ##- Напишите ответ выше этой строки -##\n>\n> Ответ службы поддержки: да.\n"


@pytest.mark.parametrize(
    "line",
    [
        "##- Напишите ответ выше этой строки -##",
        "##- Please type your reply above this line -##",
        "  ##-Напишите ответ выше этой строки-##  ",
        "> ##- Напишите ответ выше этой строки -##",
        "> > ##- Напишите ответ выше этой строки -##",
        ">>##- Напишите ответ выше этой строки -##",
        "> \ufeff##- Напишите ответ выше этой строки -##",
        "Поддержка AVSoft> ##- Напишите ответ выше этой строки -##",
        "ПA> ##- Напишите ответ выше этой строки -##",
    ],
)
def test_marker_matches(line):
    assert REPLY_MARKER_RE.search(f"Текст\n{line}\nещё")


@pytest.mark.parametrize(
    "line",
    ["см. строку ##- Напишите ответ -## выше", "## Напишите ответ ##", "##- без конца"],
)
def test_marker_does_not_match_other_lines(line):
    assert not REPLY_MARKER_RE.search(line)


QUOTE_HEADERS = [
    # Gmail, Russian, on one line and wrapped.
    "пт, 4 дек. 2026 г. в 12:00, Поддержка AVSoft <support@example.com>:",
    "пт, 4 дек. 2026 г. в 12:00, Поддержка AVSoft <\nsupport+t1-0123456789abcdef@example.com>:",
    "ср, 13 мая 2026 г. в 9:05, support@example.com:",
    # Thunderbird.
    "04.12.2026 12:00, Поддержка AVSoft пишет:",
    # Yandex.
    '04.12.2026, 12:00, "Поддержка AVSoft" <support@example.com>:',
    "04.12.2026 12:00, Поддержка AVSoft <support@example.com> написал(а):",
    # Mail.ru.
    "Пятница, 4 декабря 2026, 12:00 +03:00 от Поддержка AVSoft <support@example.com>:",
    "Четверг, 9 апреля 2026, 17:30 +03:00 от support@example.com:",
    # Apple Mail.
    "4 дек. 2026 г., в 12:00, Поддержка AVSoft <support@example.com> написал(а):",
    # The Bat!
    "Вы писали 4 декабря 2026 г., 12:00:05:",
    # English clients.
    "On Fri, Dec 4, 2026 at 12:00 PM AVSoft Support <support@example.com> wrote:",
    "On 04.12.2026 12:00, AVSoft Support wrote:",
    # Outlook blocks.
    "От: Поддержка AVSoft <support@example.com>\nОтправлено: 4 декабря 2026 г. 12:00\n"
    "Кому: Иван <ivan@example.com>\nТема: [#1234] Отчёт",
    "From: AVSoft Support <support@example.com>\nSent: Friday, December 4, 2026 12:00 PM\n"
    "To: Ivan <ivan@example.com>\nSubject: [#1234] Report",
    "________________________________\nОт: Поддержка AVSoft <support@example.com>\n"
    "Отправлено: 4 декабря 2026 г. 12:00\nКому: Иван\nТема: [#1234] Отчёт",
    "-----Original Message-----\nFrom: AVSoft Support [mailto:support@example.com]\n"
    "Sent: Friday, December 4, 2026 12:00 PM\nTo: Ivan\nSubject: RE: [#1234] Report",
]


@pytest.mark.parametrize("header", QUOTE_HEADERS)
def test_quote_header_above_our_marker(header):
    text = f"Новый текст клиента.\n\n{header}\n\n{QUOTED_OURS}"
    assert strip_reply(text) == "Новый текст клиента."


@pytest.mark.parametrize("header", QUOTE_HEADERS)
def test_quote_header_without_our_marker(header):
    text = f"Новый текст клиента.\n\n{header}\n> Старая переписка.\n>\n> Ещё строка.\n"
    assert strip_reply(text) == "Новый текст клиента."


def test_outlook_block_above_an_unquoted_original():
    text = (
        "Новый текст клиента.\n\nОт: Поддержка AVSoft <support@example.com>\n"
        "Отправлено: 4 декабря 2026 г. 12:00\nКому: Иван\nТема: [#1234] Очень длинная тема,\n"
        "перенесённая на вторую строку\n\n##- Напишите ответ выше этой строки -##\n\n"
        "Ответ службы поддержки: да.\n"
    )
    assert strip_reply(text) == "Новый текст клиента."


@pytest.mark.parametrize(
    "signature",
    [
        "С уважением,\nИван Петров\nООО «Ромашка»",
        "С уважением, Иван",
        "С наилучшими пожеланиями,\nИван",
        "Спасибо,\nИван",
        "Заранее спасибо!\nИван",
        "--\nИван",
        "-- \nИван Петров\n+7 900 000-00-00",
        "Отправлено с iPhone",
        "Отправлено с моего iPhone",
        "Отправлено из мобильной Почты Mail.ru",
        "Отправлено из приложения Яндекс Почта",
        "Отправлено из мобильной Яндекс.Почты",
        "Sent from my iPhone",
        "Best regards,\nJohn",
        "Получить Outlook для Android",
    ],
)
def test_signatures_are_dropped(signature):
    assert strip_reply(f"Первая строка.\nВторая строка.\n\n{signature}") == (
        "Первая строка.\nВторая строка."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Добрый день.\nСпасибо, но ошибка осталась.\nВот лог.",
        "Письмо\nОтправлено с ошибкой в адресе, простите.",
        "Шаги:\n- открыть отчёт\n- нажать «Сформировать»",
        "При запуске программа пишет:\nОшибка 42",
        "В 12:00 программа пишет:\nнет связи",
        "Тема: не приходят отчёты\nСрочно.",
        "Ответ ниже.\n\nПривет ! ##- это не маркер -## здесь",
    ],
)
def test_customer_text_that_looks_like_quoting_is_kept(text):
    assert strip_reply(text) == text


def test_no_marker_keeps_the_whole_text():
    text = "Первая строка.\n\nВторая строка,\nи третья."
    assert strip_reply(text) == text


def test_only_quoted_text_is_kept_rather_than_lost():
    text = "> Ответ службы поддержки: да.\n> Вторая строка.\n"
    assert strip_reply(text) == text.strip()
    only_ours = f"пт, 4 дек. 2026 г. в 12:00, Поддержка <support@example.com>:\n{QUOTED_OURS}"
    assert strip_reply(only_ours) == only_ours.strip()


def test_empty_text():
    assert strip_reply("") == ""
    assert strip_reply(" \n\n \n") == ""


def test_answer_below_the_quote():
    text = (
        f"04.12.2026 12:00, Поддержка AVSoft пишет:\n{QUOTED_OURS}\nМой ответ внизу.\n\n-- \nИван"
    )
    assert strip_reply(text) == "Мой ответ внизу."


def test_answers_between_quoted_lines():
    text = (
        "Здравствуйте.\n\n"
        "> ##- Напишите ответ выше этой строки -##\n> Версия программы?\n4.2.1\n"
        "> Операционная система?\nWindows 11\n"
    )
    assert strip_reply(text) == "Здравствуйте.\n\n4.2.1\nWindows 11"


def test_a_signature_below_the_quote_is_not_taken_for_an_answer():
    # An answer above the quote: a company footer added below everything stays out.
    text = f"Ответ наверху, подробный,\nна двух строках.\n\n{QUOTED_OURS}\nООО «Ромашка»"
    assert strip_reply(text) == "Ответ наверху, подробный,\nна двух строках."


def test_indentation_of_logs_is_kept():
    text = (
        'Трассировка:\n  File "app.py", line 12, in run\n      main()\nValueError: x\n\n'
        f"С уважением,\nИван\n\n{QUOTED_OURS}"
    )
    assert strip_reply(text) == (
        'Трассировка:\n  File "app.py", line 12, in run\n      main()\nValueError: x'
    )


def test_forwarded_mail_is_kept():
    text = (
        "Пересылаю письмо банка.\n\n-------- Пересылаемое сообщение --------\n"
        "От: bank@example.com\nТема: Ошибка выгрузки\n\nФайл не принят: неверный формат."
    )
    assert strip_reply(text) == text


def test_crlf_text():
    assert strip_reply("Ответ.\r\n\r\n" + QUOTED_OURS.replace("\n", "\r\n")) == "Ответ."


def test_russian_is_registered_with_mail_parser_reply():
    from mailparser_reply.constants import MAIL_LANGUAGES

    assert MAIL_LANGUAGES["ru"] is parse.RU_LANGUAGE
    assert set(parse.RU_LANGUAGE) >= {"wrote_header", "from_header", "disclaimers", "signatures"}


@pytest.mark.parametrize(
    "header",
    [
        "Fri, 04 Dec 2026 22:12:05 +0300, support@demo.example:",
        "4 December 2026 12:00 Поддержка:",
        "support@example.com wrote at some point:",
    ],
)
def test_any_line_with_an_address_or_time_right_above_our_quoted_marker_is_a_quote_header(header):
    text = f"Still broken.\n\n{header}\n> ##- Please type your reply above this line -##\n> Ours."
    assert strip_reply(text) == "Still broken."


def test_a_customer_line_ending_in_a_colon_above_the_marker_stays():
    text = "Here are the details:\n> ##- Please type your reply above this line -##\n> Ours."
    assert strip_reply(text) == "Here are the details:"
