"""Where raw mail comes from: an IMAP mailbox, or a Maildir folder (the demo).

Both hand each message's bytes, unchanged, to a callback and mark the message processed only
after the callback returned: a crash or a failing message is tried again on the next run, and
a message that was handled is never handed over twice. Parsing mail and adding it to tickets
are the callback's business. Standard library only: this module imports nothing from the app.
"""

import base64
import contextlib
import imaplib
import logging
import mailbox as mailbox_lib
import os
import re
import ssl
from dataclasses import KW_ONLY, dataclass, field

logger = logging.getLogger("avsoft_support.inbound")

# An IMAP keyword, not \Seen: a person reading the mailbox in a mail client sets \Seen, and
# that must not make us skip the mail (nor must our reading mark it read for them).
PROCESSED_KEYWORD = "AvsoftProcessed"

SECURITY_CHOICES = ("ssl", "starttls", "none")


class MailboxError(Exception):
    """The mailbox could not be reached, secured, logged into, opened or read.

    The message names the host, port, user and the step that failed, never the password.
    """


@dataclass(frozen=True)
class Mailbox:
    """An IMAP mailbox to fetch from: ``Mailbox("imap.example.com", username=..., password=...)``."""

    host: str
    _: KW_ONLY
    port: int = 993
    security: str = "ssl"  # "ssl" (implicit TLS), "starttls" or "none" (plain text)
    username: str
    password: str = field(repr=False)  # never in a repr, a log line or an error
    folder: str = "INBOX"

    def __post_init__(self):
        if self.security not in SECURITY_CHOICES:
            raise ValueError(
                f"security must be one of {', '.join(SECURITY_CHOICES)}, not {self.security!r}"
            )

    @property
    def label(self):
        """Who and where, for log lines and errors."""
        return f"{self.username}@{self.host}:{self.port}"


@dataclass
class FetchReport:
    """What one run did: messages handed over, handled (marked processed) and failed."""

    fetched: int = 0
    handled: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _short(error):
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 200 else text[:199] + "…"


# IMAP: connect, log in, select --------------------------------------------------------------


def _mailbox_error(mailbox, step, error):
    text = f"IMAP {mailbox.host}:{mailbox.port} as {mailbox.username}: {step} failed: {error}"
    if mailbox.password:
        # A server may echo what it was sent; the password never leaves this module.
        text = text.replace(mailbox.password, "********")
    return MailboxError(text)


def imap_utf7(name):
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), as servers list and select it:
    "Входящие" is "&BBIERQQ+BDQETwRJBDgENQ-"."""
    out, pending = [], []

    def flush():
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quote_folder(name):
    """A folder name as an IMAP quoted string: imaplib sends arguments as they are."""
    return '"' + imap_utf7(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(mailbox, ssl_context, timeout):
    context = ssl_context
    if context is None and mailbox.security != "none":
        # Verifies the certificate and the host name; honours SSL_CERT_FILE.
        context = ssl.create_default_context()
    step = "connecting"
    try:
        if mailbox.security == "ssl":
            return imaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=context, timeout=timeout
            )
        imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        if mailbox.security == "starttls":
            step = "STARTTLS"
            try:
                imap.starttls(context)
            except BaseException:
                # A failed handshake leaves imaplib a closed socket: close what is left,
                # keep the handshake's error.
                with contextlib.suppress(OSError):
                    imap.shutdown()
                raise
        return imap
    except (OSError, imaplib.IMAP4.error) as error:
        raise _mailbox_error(mailbox, step, error) from None


def _open(mailbox, imap):
    """Log in and select the folder read-write; MailboxError says which failed."""
    try:
        imap.login(mailbox.username, mailbox.password)
    except (OSError, imaplib.IMAP4.error) as error:
        raise _mailbox_error(mailbox, "login", error) from None
    try:
        status, data = imap.select(quote_folder(mailbox.folder))
    except (OSError, imaplib.IMAP4.error) as error:
        raise _mailbox_error(mailbox, f"opening the folder {mailbox.folder!r}", error) from None
    if status != "OK":
        raise _mailbox_error(mailbox, f"opening the folder {mailbox.folder!r}", _text(data))
    _, permanent = imap.response("PERMANENTFLAGS")
    flags = b" ".join(item for item in permanent if isinstance(item, bytes))
    # No PERMANENTFLAGS means every flag is kept (RFC 3501); one without \* or the keyword
    # means ours would be dropped, and every run would hand every message over again.
    if flags and b"\\*" not in flags and PROCESSED_KEYWORD.encode() not in flags:
        raise _mailbox_error(
            mailbox,
            f"opening the folder {mailbox.folder!r}",
            f"the server does not keep the keyword {PROCESSED_KEYWORD} (PERMANENTFLAGS {_text([flags])})",
        )


def _text(data):
    return " ".join(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in data or ()
        if item is not None
    )


def _command(mailbox, imap, step, *args):
    """One UID command; a broken connection or a BAD answer is a MailboxError."""
    try:
        return imap.uid(*args)
    except (OSError, imaplib.IMAP4.error) as error:
        raise _mailbox_error(mailbox, step, error) from None


def _body(data, uid):
    """The message bytes in a UID FETCH answer; None when the message is gone."""
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            match = re.search(rb"\bUID (\d+)", item[0])
            if match is None or int(match.group(1)) == uid:
                return item[1]
    return None


# IMAP: the run -------------------------------------------------------------------------------


def fetch_imap(mailbox, handle, *, ssl_context=None, limit=None, timeout=30):
    """Hand every message of ``mailbox``'s folder not yet marked processed to ``handle(raw)``,
    oldest first, at most ``limit`` of them; mark those it returned for.

    A handler that raises is logged, counted as failed, and its message is left for the next
    run. Reaching, securing, logging into or reading the mailbox failing raises MailboxError.
    """
    report = FetchReport()
    imap = _connect(mailbox, ssl_context, timeout)
    try:
        _open(mailbox, imap)
        status, data = _command(
            mailbox, imap, "searching", "SEARCH", "UNKEYWORD", PROCESSED_KEYWORD
        )
        if status != "OK":
            raise _mailbox_error(mailbox, "searching", _text(data))
        uids = sorted(int(uid) for uid in b" ".join(data[:1] or [b""]).split())
        if limit is not None:
            uids = uids[:limit]
        for uid in uids:
            _fetch_one(mailbox, imap, uid, handle, report)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    # An empty round every minute is not news: it goes to the debug log.
    logger.log(
        logging.INFO if report.fetched else logging.DEBUG,
        "Fetched %d message(s) from %s/%s: %d handled, %d failed",
        report.fetched,
        mailbox.label,
        mailbox.folder,
        report.handled,
        report.failed,
    )
    return report


def _fetch_one(mailbox, imap, uid, handle, report):
    # PEEK: reading must not set \Seen, which belongs to the people using the mailbox.
    status, data = _command(
        mailbox, imap, f"fetching UID {uid}", "FETCH", str(uid), "(BODY.PEEK[])"
    )
    raw = _body(data, uid) if status == "OK" else None
    if raw is None:  # expunged meanwhile, or the server refused it: nothing to hand over
        logger.warning("Could not fetch UID %d from %s: %s", uid, mailbox.label, _text(data))
        report.failed += 1
        report.errors.append(f"UID {uid}: could not be fetched")
        return
    report.fetched += 1
    try:
        handle(raw)
    except Exception as error:
        # The traceback, never the message: it may hold anything a customer wrote.
        logger.exception(
            "Handling UID %d from %s failed; left for the next run", uid, mailbox.label
        )
        report.failed += 1
        report.errors.append(f"UID {uid}: {_short(error)}")
        return
    status, data = _command(
        mailbox,
        imap,
        f"marking UID {uid}",
        "STORE",
        str(uid),
        "+FLAGS.SILENT",
        f"({PROCESSED_KEYWORD})",
    )
    if status != "OK":
        logger.error(
            "UID %d from %s was handled but could not be marked %s: %s",
            uid,
            mailbox.label,
            PROCESSED_KEYWORD,
            _text(data),
        )
        report.failed += 1
        report.errors.append(f"UID {uid}: handled but not marked, will be handed over again")
        return
    report.handled += 1


# Maildir -------------------------------------------------------------------------------------


def _maildir_pending(path):
    """(mtime, name, subdir) of every message without the S (seen) flag, oldest first."""
    colon = mailbox_lib.Maildir.colon
    pending = []
    for subdir in ("new", "cur"):
        with os.scandir(os.path.join(path, subdir)) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                _, _, info = entry.name.partition(colon)
                flags = info[2:] if info.startswith("2,") else ""
                if "S" in flags:
                    continue
                try:
                    mtime = entry.stat().st_mtime_ns
                except FileNotFoundError:  # taken by another reader meanwhile
                    continue
                pending.append((mtime, entry.name, subdir))
    pending.sort()
    return pending


def _seen_name(name):
    """The file name in cur/ with the S flag added (Maildir flags are sorted, ASCII)."""
    colon = mailbox_lib.Maildir.colon
    unique, _, info = name.partition(colon)
    flags = info[2:] if info.startswith("2,") else ""
    return f"{unique}{colon}2,{''.join(sorted(set(flags + 'S')))}"


def fetch_maildir(path, handle, *, limit=None):
    """Hand every message of the Maildir at ``path`` without the S flag to ``handle(raw)``,
    oldest delivery first, at most ``limit`` of them; move those it returned for to cur/ with
    the S flag. A handler that raises is logged and its file left where it is."""
    # create=True makes new/, cur/ and tmp/ when the folder is new (the demo's first run), but
    # not the missing ones of a folder where someone made only new/ to drop a file in.
    mailbox_lib.Maildir(path, create=True)
    for subdir in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(path, subdir), exist_ok=True)
    report = FetchReport()
    pending = _maildir_pending(path)
    if limit is not None:
        pending = pending[:limit]
    for _, name, subdir in pending:
        source = os.path.join(path, subdir, name)
        try:
            with open(source, "rb") as file:
                raw = file.read()
        except FileNotFoundError:  # taken by another reader meanwhile
            continue
        report.fetched += 1
        try:
            handle(raw)
        except Exception as error:
            logger.exception(
                "Handling %s from the Maildir %s failed; left for the next run", name, path
            )
            report.failed += 1
            report.errors.append(f"{name}: {_short(error)}")
            continue
        try:
            # A rename, as Maildir readers do: atomic, and the bytes stay as delivered.
            os.rename(source, os.path.join(path, "cur", _seen_name(name)))
        except OSError as error:
            logger.error(
                "%s from the Maildir %s was handled but not marked seen: %s", name, path, error
            )
            report.failed += 1
            report.errors.append(f"{name}: handled but not marked, will be handed over again")
            continue
        report.handled += 1
    logger.log(
        logging.INFO if report.fetched else logging.DEBUG,
        "Fetched %d message(s) from the Maildir %s: %d handled, %d failed",
        report.fetched,
        path,
        report.handled,
        report.failed,
    )
    return report
