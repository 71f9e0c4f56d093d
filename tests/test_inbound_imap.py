"""Replies by e-mail end to end: raw mails from real clients' formats delivered to a real IMAP
server (Dovecot, tests/mailserver.py), fetched by `support_fetch_mail` into the tickets.

What the tickets, the mailbox and the outbox hold afterwards is what is asserted; nothing of
ours is mocked. Forged, foreign, automatic and duplicate mail changes no ticket.
"""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import TestCase

from avsoft_support.inbound.receive import receive_mail
from avsoft_support.inbound.sources import PROCESSED_KEYWORD
from avsoft_support.mail_threads import reply_address, thread_id
from avsoft_support.models import InboundMail, SupportSettings, Ticket
from tests.inbound_utils import REPLY_BASE, new_mail, reply_mail
from tests.testapp.storages import attachment_storage_failing_on
from tests.unit.test_inbound_parse import OURS, REPLIES, load_fixture

pytestmark = pytest.mark.django_db

PERSON_REPLIES = [reply for reply in REPLIES if reply.name != "no_message_id.eml"]


@pytest.fixture
def desk(imap_server, support_settings, monkeypatch):
    """The site's Support settings pointing at the test's Dovecot over IMAPS."""
    support_settings.reply_address = REPLY_BASE
    support_settings.notification_emails = "desk@example.com"
    support_settings.imap_host = imap_server.host
    support_settings.imap_port = imap_server.imaps_port
    support_settings.imap_security = "ssl"
    support_settings.imap_username = imap_server.username
    support_settings.imap_password_variable = "TEST_SUPPORT_IMAP_PASSWORD"
    support_settings.save()
    monkeypatch.setenv("TEST_SUPPORT_IMAP_PASSWORD", imap_server.password)
    monkeypatch.setenv("SSL_CERT_FILE", imap_server.cafile)  # trust the test's own certificate
    return imap_server


@pytest.fixture
def ticket(make_ticket, make_member):
    customer = make_member("ivan", email="ivan.petrov@romashka.example")
    ticket = make_ticket(customer)
    mail.outbox.clear()
    return ticket


def fetch():
    """`manage.py support_fetch_mail` once, with the after-commit mails sent as in production."""
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("support_fetch_mail", stdout=out)
    return out.getvalue()


def deliver(server, raw):
    # imaplib turns bare LF into CRLF on APPEND; send CRLF so the bytes stay as they are.
    return server.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def replies(ticket):
    return list(ticket.messages.public().filter(via_email=True).order_by("pk"))


@pytest.mark.parametrize("case", PERSON_REPLIES, ids=[reply.name for reply in PERSON_REPLIES])
def test_a_reply_from_each_mail_client_reaches_its_ticket(desk, ticket, case):
    raw = load_fixture(
        case.name,
        FROM=ticket.author.email,
        TO=reply_address(ticket, REPLY_BASE),
        IN_REPLY_TO=thread_id(ticket, "example.com")[1:-1],
        MESSAGE_ID=f"{case.name}@client.example",
    )
    uid = deliver(desk, raw)

    fetch()

    [reply] = replies(ticket)
    for sentence in case.new:
        assert sentence in reply.body
    for ours in OURS:
        assert ours not in reply.body
    assert PROCESSED_KEYWORD in desk.flags(uid)
    assert [m.to for m in mail.outbox] == [["desk@example.com"]]


def test_files_in_a_mail_arrive_as_attachments(desk, ticket):
    raw = load_fixture(
        "with_attachment.eml",
        FROM=ticket.author.email,
        TO=reply_address(ticket, REPLY_BASE),
        IN_REPLY_TO=thread_id(ticket, "example.com")[1:-1],
    )
    deliver(desk, raw)
    fetch()
    [reply] = replies(ticket)
    names = sorted(a.original_name for a in reply.attachments.all())
    assert len(names) == 2 and all(name for name in names)
    assert any(name.endswith(".log") for name in names)


def test_forged_foreign_automatic_and_repeated_mail_change_nothing(desk, ticket, make_member):
    stranger = make_member("stranger", email="stranger@example.com")
    author = ticket.author.email
    genuine = reply_mail(ticket, author, "The one real reply.", message_id="<real@client>")
    uids = [
        deliver(desk, genuine),
        deliver(desk, genuine),  # the same message delivered twice
        deliver(
            desk,
            reply_mail(
                ticket,
                author,
                "Forged code.",
                to=f"support+t{ticket.pk}-{'0' * 16}@example.com",
                in_reply_to=False,
            ),
        ),
        deliver(desk, reply_mail(ticket, stranger.email, "Let me in.")),
        deliver(
            desk,
            reply_mail(
                ticket, author, "Out of office.", headers={"Auto-Submitted": "auto-replied"}
            ),
        ),
        deliver(desk, load_fixture("mailer_daemon.eml", MESSAGE_ID="bounce@mx.example")),
        deliver(
            desk,
            load_fixture(
                "bulk.eml", TO=reply_address(ticket, REPLY_BASE), MESSAGE_ID="ack@crm.example"
            ),
        ),
    ]

    fetch()

    assert [m.body for m in replies(ticket)] == ["The one real reply."]
    assert all(PROCESSED_KEYWORD in desk.flags(uid) for uid in uids)
    outcomes = sorted(InboundMail.objects.values_list("outcome", "reason"))
    assert outcomes == sorted(
        [
            ("added", ""),
            ("refused", "forged_code"),
            ("refused", "foreign_sender"),
            ("dropped", "automatic:auto-submitted"),
            ("dropped", "automatic:mailer-daemon"),
            ("dropped", "automatic:precedence"),
        ]
    )
    # Support heard of the real reply; the stranger got one polite answer; nobody else.
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "desk@example.com",
        "stranger@example.com",
    ]

    # A second run finds nothing new.
    fetch()
    assert [m.body for m in replies(ticket)] == ["The one real reply."]
    assert len(mail.outbox) == 2


def test_a_crash_before_the_save_leaves_the_mail_for_the_next_run(desk, ticket, tmp_path, settings):
    raw = reply_mail(
        ticket,
        ticket.author.email,
        "Log attached.",
        attachments=[("crash.log", b"trace", "text/plain")],
    )
    uid = deliver(desk, raw)
    failing = attachment_storage_failing_on(1, location=tmp_path)
    with failing, pytest.raises(CommandError):
        fetch()
    assert replies(ticket) == []
    assert InboundMail.objects.count() == 0
    assert PROCESSED_KEYWORD not in desk.flags(uid)

    fetch()
    [reply] = replies(ticket)
    assert reply.body == "Log attached."
    assert [a.original_name for a in reply.attachments.all()] == ["crash.log"]
    assert PROCESSED_KEYWORD in desk.flags(uid)


def test_a_crash_after_the_save_and_before_the_flag_adds_nothing_twice(desk, ticket):
    raw = reply_mail(ticket, ticket.author.email, "Saved, then the process died.")
    uid = deliver(desk, raw)
    # The earlier run saved the message and died before it could flag it on the server.
    with TestCase.captureOnCommitCallbacks(execute=True):
        receive_mail(raw, source="earlier run")
    assert PROCESSED_KEYWORD not in desk.flags(uid)

    fetch()

    assert [m.body for m in replies(ticket)] == ["Saved, then the process died."]
    assert PROCESSED_KEYWORD in desk.flags(uid)
    assert len(mail.outbox) == 1  # support was told once, by the earlier run


def test_a_mailbox_without_its_password_is_reported_not_skipped(desk, monkeypatch):
    monkeypatch.delenv("TEST_SUPPORT_IMAP_PASSWORD")
    with pytest.raises(CommandError, match="TEST_SUPPORT_IMAP_PASSWORD"):
        fetch()


def test_a_new_ticket_by_mail_fetched_twice_files_one_ticket(desk, ticket):
    desk_settings = SupportSettings.objects.get(imap_host=desk.host)
    desk_settings.new_tickets_by_email = True
    desk_settings.save()
    member = ticket.author
    raw = new_mail(member.email, "Licence server is down", message_id="<new@client.example>")
    uids = [deliver(desk, raw), deliver(desk, raw)]  # delivered twice

    fetch()
    fetch()  # and a second run finds nothing new

    [filed] = Ticket.objects.exclude(pk=ticket.pk)
    assert (filed.subject, filed.author) == ("Licence server is down", member)
    assert [m.body for m in filed.messages.all()] == [
        "The export of the yearly report stops at 50%."
    ]
    assert all(PROCESSED_KEYWORD in desk.flags(uid) for uid in uids)
    # One mail to support and one receipt, once.
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "desk@example.com",
        member.email,
    ]
