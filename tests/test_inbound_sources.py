"""Fetching raw mail: from a real Dovecot over IMAPS and STARTTLS (tests/mailserver.py), and
from a Maildir folder. No mocks: what the server keeps is what the next run sees."""

import base64
import logging
import mailbox
import os
import ssl
from email.header import Header

import pytest

from avsoft_support.inbound.sources import (
    PROCESSED_KEYWORD,
    FetchReport,
    Mailbox,
    MailboxError,
    fetch_imap,
    fetch_maildir,
    imap_utf7,
)

WRONG_PASSWORD = "Not-The-Pa55word"


def plain_message(number):
    return (
        f"From: customer@example.test\r\nTo: support@example.test\r\n"
        f"Subject: Message {number}\r\nMessage-ID: <{number}@example.test>\r\n\r\n"
        f"Body {number}\r\n"
    ).encode()


def cyrillic_8bit():
    """Raw UTF-8 in a header (RFC 6532) and an 8bit body: bytes no 7-bit path would keep."""
    subject = Header("Re: [#12] Принтер не печатает", "utf-8").encode()
    return (
        "From: Иван Петров <ivan@example.test>\r\n"
        "To: support@example.test\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <8bit@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Здравствуйте! Принтер снова не печатает.\r\n"
        "-- \r\n"
        "Иван\r\n"
    ).encode()


def cyrillic_base64():
    body = "Добрый день. Спасибо, всё заработало!\r\n" * 4
    encoded = base64.encodebytes(body.encode("cp1251")).replace(b"\n", b"\r\n")
    subject = Header("Ответ: заявка решена", "koi8-r").encode()
    return (
        b"From: =?utf-8?b?" + base64.b64encode("Ольга".encode()) + b"?= <olga@example.test>\r\n"
        b"To: support@example.test\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Message-ID: <base64@example.test>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=windows-1251\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + encoded
    )


@pytest.fixture
def server(imap_server, monkeypatch):
    """The empty test mailbox, its self-signed certificate trusted the way a site would
    trust its own CA: SSL_CERT_FILE, which ssl.create_default_context() reads."""
    monkeypatch.setenv("SSL_CERT_FILE", imap_server.cafile)
    return imap_server


def keyword_set(server, uid):
    return PROCESSED_KEYWORD in server.flags(uid)


# Connecting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_fetch_hands_over_the_exact_bytes_and_marks_them(server, security):
    sent = [cyrillic_8bit(), cyrillic_base64()]
    uids = [server.append(raw) for raw in sent]
    received = []

    report = fetch_imap(server.mailbox(security), received.append)

    assert report == FetchReport(fetched=2, handled=2, failed=0, errors=[])
    assert received == sent
    for uid in uids:
        # Marked ours, and still unread for the people who use the mailbox (BODY.PEEK).
        assert server.flags(uid) == {PROCESSED_KEYWORD}


def test_plain_imap_without_tls(server):
    # "none" is for a server on the same host; Dovecot lets 127.0.0.1 log in without TLS.
    server.append(plain_message(1))
    received = []
    assert fetch_imap(server.mailbox("none"), received.append).handled == 1
    assert received == [plain_message(1)]


def test_a_given_ssl_context_and_a_host_name(imap_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    imap_server.append(plain_message(1))
    context = ssl.create_default_context(cafile=imap_server.cafile)
    # "localhost" is checked against the certificate's DNS name, 127.0.0.1 against its IP.
    mailbox = imap_server.mailbox("ssl", host="localhost")
    report = fetch_imap(mailbox, lambda raw: None, ssl_context=context)
    assert report.handled == 1


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_untrusted_certificate_is_refused(imap_server, monkeypatch, security):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    imap_server.append(plain_message(1))
    received = []

    with pytest.raises(MailboxError) as raised:
        fetch_imap(imap_server.mailbox(security), received.append)

    text = str(raised.value)
    assert "certificate verify failed" in text
    assert f"{imap_server.host}:{imap_server.mailbox(security).port}" in text
    assert received == []


def test_a_wrong_password_says_login_failed_and_never_the_password(server, caplog):
    mailbox = server.mailbox("ssl", password=WRONG_PASSWORD)

    with caplog.at_level(logging.DEBUG), pytest.raises(MailboxError) as raised:
        fetch_imap(mailbox, lambda raw: None)

    text = str(raised.value)
    assert "login failed" in text
    assert server.username in text and str(server.imaps_port) in text
    assert WRONG_PASSWORD not in text and WRONG_PASSWORD not in caplog.text
    assert WRONG_PASSWORD not in repr(mailbox)


def test_a_missing_folder(server):
    with pytest.raises(MailboxError, match="opening the folder 'Nowhere' failed"):
        fetch_imap(server.mailbox("ssl", folder="Nowhere"), lambda raw: None)


def test_another_folder_with_a_russian_name(server):
    assert imap_utf7("Входящие") == "&BBIERQQ+BDQETwRJBDgENQ-"
    assert imap_utf7("R&D") == "R&-D"
    server.create_folder("Поддержка")
    server.append(plain_message(1))
    server.append(plain_message(2), folder="Поддержка")
    received = []

    report = fetch_imap(server.mailbox("ssl", folder="Поддержка"), received.append)

    assert report.handled == 1 and received == [plain_message(2)]
    assert not keyword_set(server, server.uids()[0])  # the INBOX was not read


def test_mailbox_repr_and_security():
    mailbox = Mailbox("imap.example.test", username="u", password="Hidden-Secret-1")
    assert "Hidden-Secret-1" not in repr(mailbox) and "imap.example.test" in repr(mailbox)
    assert (mailbox.port, mailbox.security, mailbox.folder) == (993, "ssl", "INBOX")
    with pytest.raises(ValueError, match="security"):
        Mailbox("imap.example.test", username="u", password="p", security="tls")


# What is handed over, and when again -----------------------------------------------------------


def test_handled_mail_is_not_handed_over_again(server):
    for number in (1, 2):
        server.append(plain_message(number))
    fetch_imap(server.mailbox(), lambda raw: None)
    received = []

    report = fetch_imap(server.mailbox(), received.append)

    assert received == [] and report == FetchReport()
    server.append(plain_message(3))
    assert fetch_imap(server.mailbox(), received.append).handled == 1
    assert received == [plain_message(3)]


def test_a_failing_message_is_left_for_the_next_run(server, caplog):
    uids = [server.append(plain_message(number)) for number in (1, 2, 3)]

    def handle(raw):
        if raw == plain_message(2):
            raise ValueError("cannot read this one")

    with caplog.at_level(logging.INFO, logger="avsoft_support.inbound"):
        report = fetch_imap(server.mailbox(), handle)

    assert (report.fetched, report.handled, report.failed) == (3, 2, 1)
    assert report.errors == [f"UID {uids[1]}: ValueError: cannot read this one"]
    assert [keyword_set(server, uid) for uid in uids] == [True, False, True]
    failure = next(record for record in caplog.records if record.levelno == logging.ERROR)
    assert failure.name == "avsoft_support.inbound" and failure.exc_info
    # The log names the message, never its body or the password.
    assert "Body 2" not in caplog.text and server.password not in caplog.text

    received = []
    again = fetch_imap(server.mailbox(), received.append)
    assert received == [plain_message(2)] and again.handled == 1
    assert all(keyword_set(server, uid) for uid in uids)


def test_mail_a_person_has_read_is_still_fetched(server):
    read_uid = server.append(plain_message(1))
    assert server.read(read_uid) == plain_message(1)  # a mail client opening it
    server.append(plain_message(2), flags="\\Seen")  # filed as read by a client
    assert "\\Seen" in server.flags(read_uid)
    received = []

    fetch_imap(server.mailbox(), received.append)

    assert received == [plain_message(1), plain_message(2)]
    assert server.flags(read_uid) == {"\\Seen", PROCESSED_KEYWORD}


def test_limit(server):
    uids = [server.append(plain_message(number)) for number in range(1, 6)]
    received = []

    report = fetch_imap(server.mailbox(), received.append, limit=2)

    assert report.fetched == 2 and received == [plain_message(1), plain_message(2)]
    assert [keyword_set(server, uid) for uid in uids] == [True, True, False, False, False]
    fetch_imap(server.mailbox(), received.append)
    assert received == [plain_message(number) for number in range(1, 6)]


# Maildir --------------------------------------------------------------------------------------


def deliver(path, name, raw, mtime, subdir="new"):
    """Deliver as an MDA does: write in tmp/, rename into new/ (or cur/ for a client's)."""
    for sub in ("tmp", "new", "cur"):
        os.makedirs(path / sub, exist_ok=True)
    (path / "tmp" / name).write_bytes(raw)
    os.utime(path / "tmp" / name, (mtime, mtime))
    os.rename(path / "tmp" / name, path / subdir / name)


def test_maildir_hands_each_message_over_once_in_delivery_order(tmp_path):
    first = cyrillic_8bit()
    second = b"From: a@example.test\nSubject: bare LF line ends\n\nkept as they are\n"
    deliver(tmp_path, "1700000200.M2P1.host", first, 1_700_000_100)
    deliver(tmp_path, "1700000100.M1P1.host", second, 1_700_000_200)
    received = []

    report = fetch_maildir(str(tmp_path), received.append)

    assert report == FetchReport(fetched=2, handled=2)
    assert received == [first, second]  # by delivery time, not by name
    assert os.listdir(tmp_path / "new") == []
    assert sorted(os.listdir(tmp_path / "cur")) == [
        "1700000100.M1P1.host:2,S",
        "1700000200.M2P1.host:2,S",
    ]
    assert (tmp_path / "cur" / "1700000200.M2P1.host:2,S").read_bytes() == first
    box = mailbox.Maildir(str(tmp_path), create=False)
    assert [message.get_flags() for message in box] == ["S", "S"]

    assert fetch_maildir(str(tmp_path), received.append) == FetchReport()
    assert len(received) == 2


def test_maildir_unread_mail_in_cur_is_handed_over(tmp_path):
    # A mail client moved it to cur/ and flagged it, but nobody read it.
    deliver(tmp_path, "1700000000.M1P1.host:2,F", plain_message(1), 1_700_000_000, "cur")
    deliver(tmp_path, "1700000001.M1P1.host:2,RS", plain_message(2), 1_700_000_001, "cur")
    received = []

    assert fetch_maildir(str(tmp_path), received.append).handled == 1

    assert received == [plain_message(1)]
    assert sorted(os.listdir(tmp_path / "cur")) == [
        "1700000000.M1P1.host:2,FS",
        "1700000001.M1P1.host:2,RS",
    ]


def test_maildir_a_failing_message_stays_in_new(tmp_path, caplog):
    for number in (1, 2, 3):
        deliver(tmp_path, f"17000000{number}.M1P1.host", plain_message(number), number)

    def handle(raw):
        if raw == plain_message(2):
            raise ValueError("cannot read this one")

    with caplog.at_level(logging.ERROR, logger="avsoft_support.inbound"):
        report = fetch_maildir(str(tmp_path), handle)

    assert (report.fetched, report.handled, report.failed) == (3, 2, 1)
    assert report.errors == ["170000002.M1P1.host: ValueError: cannot read this one"]
    assert os.listdir(tmp_path / "new") == ["170000002.M1P1.host"]
    assert "Body 2" not in caplog.text
    received = []
    assert fetch_maildir(str(tmp_path), received.append).handled == 1
    assert received == [plain_message(2)]


def test_maildir_limit_and_a_new_folder(tmp_path):
    folder = tmp_path / "Maildir"
    assert fetch_maildir(str(folder), lambda raw: None) == FetchReport()
    assert sorted(os.listdir(folder)) == ["cur", "new", "tmp"]
    for number in (1, 2, 3):
        deliver(folder, f"17000000{number}.M1P1.host", plain_message(number), number)
    received = []

    assert fetch_maildir(str(folder), received.append, limit=2).handled == 2

    assert received == [plain_message(1), plain_message(2)]
    assert os.listdir(folder / "new") == ["170000003.M1P1.host"]
