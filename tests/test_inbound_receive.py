"""Replies by e-mail into tickets: what the ticket, the staff and the sender see afterwards."""

import io
import re
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from avsoft_support import tickets
from avsoft_support.inbound.receive import receive_mail
from avsoft_support.mail_threads import reply_address
from avsoft_support.models import InboundMail, Message, TicketStatus
from tests.inbound_utils import REPLY_BASE, reply_mail
from tests.testapp.storages import attachment_storage_failing_on
from tests.utils import PASSWORD, stored_attachment_files

pytestmark = pytest.mark.django_db


def receive(raw):
    # Notifications leave after the commit; a test's transaction never commits, so the
    # callbacks run at the end of each call, as they would after a real commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return receive_mail(raw)


@pytest.fixture
def agent(make_staff):
    return make_staff("agent", email="agent@example.com", support_group=True)


@pytest.fixture
def ticket(make_ticket, member, support_settings):
    support_settings.reply_address = REPLY_BASE
    support_settings.notification_emails = "desk@example.com"
    support_settings.save()
    ticket = make_ticket(member)
    mail.outbox.clear()
    return ticket


def public_messages(ticket):
    return list(ticket.messages.public().order_by("pk"))


def test_a_customer_reply_by_mail_joins_the_ticket_without_the_quoted_history(
    ticket, member, agent
):
    tickets.set_status(ticket, TicketStatus.WAITING, agent, notify=False)
    row = receive(reply_mail(ticket, member.email, "Still broken after 5.2.2."))

    assert (row.outcome, row.reason, row.duplicate) == ("added", "", False)
    first, reply = public_messages(ticket)
    assert reply.body == "Still broken after 5.2.2."
    assert (reply.author, reply.from_staff, reply.via_email) == (member, False, True)
    # The whole mail stays with staff, quoted part included.
    assert "must not come back" in reply.inbound_mail.original_text
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED  # the customer answered: back with support
    # Support is told, as for a reply on the page; the customer gets no mail about their own.
    assert [m.to for m in mail.outbox] == [["desk@example.com"]]
    assert "Still broken after 5.2.2." in mail.outbox[0].body


def test_a_reply_reopens_a_resolved_ticket(ticket, member, agent):
    tickets.set_status(ticket, TicketStatus.RESOLVED, agent, notify=False)
    receive(reply_mail(ticket, member.email, "It came back."))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED


def test_the_sender_address_is_compared_without_case(ticket, member):
    row = receive(reply_mail(ticket, member.email.upper(), "Upper-case address."))
    assert row.outcome == "added"


def test_a_reply_to_the_plain_address_finds_its_ticket_by_in_reply_to(ticket, member):
    row = receive(reply_mail(ticket, member.email, "Found by thread.", to=REPLY_BASE))
    assert (row.outcome, row.ticket) == ("added", ticket)


def test_the_same_message_twice_is_added_once(ticket, member):
    raw = reply_mail(ticket, member.email, "Only once, please.")
    first = receive(raw)
    again = receive(raw)
    assert again.duplicate and again.pk == first.pk
    assert [m.body for m in public_messages(ticket)][1:] == ["Only once, please."]
    assert InboundMail.objects.count() == 1
    assert len(mail.outbox) == 1  # one notification to support, not two


def test_a_message_without_message_id_is_recognised_by_its_bytes(ticket, member):
    raw = reply_mail(ticket, member.email, "No id.")
    raw = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"Message-ID"))
    receive(raw)
    assert receive(raw).duplicate
    assert len(public_messages(ticket)) == 2


def test_a_forged_code_changes_nothing_and_answers_nobody(ticket, member):
    genuine = reply_address(ticket, REPLY_BASE)
    # One hex digit changed; and a code made up for the ticket's number.
    local, _at, domain = genuine.partition("@")
    flipped = local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain
    made_up = f"support+t{ticket.pk}-{'0' * 16}@example.com"
    for to in (flipped, made_up):
        row = receive(reply_mail(ticket, member.email, "Forged.", to=to, in_reply_to=False))
        assert (row.outcome, row.reason) == ("refused", "forged_code")
    assert len(public_messages(ticket)) == 1
    assert mail.outbox == []


def test_another_persons_reply_changes_nothing_and_they_are_told_once(ticket, make_member):
    stranger = make_member("stranger", email="stranger@example.com")
    for text in ("Let me in.", "Let me in again."):
        row = receive(reply_mail(ticket, stranger.email, text))
        assert (row.outcome, row.reason) == ("refused", "foreign_sender")
    assert len(public_messages(ticket)) == 1
    # One polite answer an hour, without the ticket's subject.
    [bounce] = mail.outbox
    assert bounce.to == ["stranger@example.com"]
    assert bounce.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ticket.subject not in bounce.subject + bounce.body


def test_an_unknown_sender_gets_no_answer(ticket):
    row = receive(reply_mail(ticket, "spoofed@elsewhere.example", "Hi"))
    assert row.reason == "foreign_sender"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "header, value",
    [
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("X-Autoreply", "yes"),
    ],
)
def test_automatic_replies_are_dropped_silently(ticket, member, header, value):
    row = receive(reply_mail(ticket, member.email, "I am away.", headers={header: value}))
    assert row.outcome == "dropped"
    assert len(public_messages(ticket)) == 1
    assert mail.outbox == []


def test_mailer_daemon_is_dropped(ticket):
    row = receive(reply_mail(ticket, "MAILER-DAEMON@mx.example.com", "Undeliverable"))
    assert row.outcome == "dropped"
    assert mail.outbox == []


def test_a_closed_ticket_takes_no_reply_by_mail(ticket, member):
    tickets.set_status(ticket, TicketStatus.CLOSED, member)
    mail.outbox.clear()
    row = receive(reply_mail(ticket, member.email, "One more thing."))
    assert (row.outcome, row.reason) == ("refused", "ticket_closed")
    assert len(public_messages(ticket)) == 1
    [bounce] = mail.outbox
    assert bounce.to == [member.email]
    assert ticket.number in bounce.body


def test_mail_with_no_ticket_code_is_refused_politely(ticket, member):
    row = receive(
        reply_mail(ticket, member.email, "New problem.", to=REPLY_BASE, in_reply_to=False)
    )
    assert (row.outcome, row.reason, row.ticket) == ("refused", "no_ticket", None)
    [bounce] = mail.outbox
    assert bounce.to == [member.email]


def test_files_within_the_limits_join_and_the_rest_are_listed_to_the_sender(
    ticket, member, support_settings
):
    support_settings.attachments_per_message = 2
    support_settings.save()
    big = b"x" * (support_settings.attachment_max_size + 1)
    files = [
        ("log.txt", b"error at line 7", "text/plain"),
        ("dump.bin", big, "application/octet-stream"),
        ("screen.png", b"\x89PNG fake", "image/png"),
        ("third.txt", b"one too many", "text/plain"),
    ]
    row = receive(reply_mail(ticket, member.email, "Logs attached.", attachments=files))

    reply = public_messages(ticket)[-1]
    assert sorted(a.original_name for a in reply.attachments.all()) == ["log.txt", "screen.png"]
    assert reply.attachments.get(original_name="log.txt").file.read() == b"error at line 7"
    assert [(f["name"], f["reason"]) for f in row.refused_files] == [
        ("dump.bin", "too_large"),
        ("third.txt", "too_many"),
    ]
    notice = next(m for m in mail.outbox if m.to == [member.email])
    assert "dump.bin" in notice.body and "third.txt" in notice.body
    assert ticket.number in notice.subject


def test_a_storage_failure_saves_nothing_and_the_next_try_saves_once(
    ticket, member, tmp_path, settings
):
    raw = reply_mail(
        ticket,
        member.email,
        "With two files.",
        attachments=[("a.txt", b"a", "text/plain"), ("b.txt", b"b", "text/plain")],
    )
    failing = attachment_storage_failing_on(2, location=tmp_path)
    before = stored_attachment_files()
    with failing:
        with pytest.raises(OSError):
            receive(raw)
        # The first file was written, then taken back; no row, no message.
        assert not any(tmp_path.rglob("*.txt"))
    assert InboundMail.objects.count() == 0
    assert len(public_messages(ticket)) == 1

    row = receive(raw)
    assert row.outcome == "added" and not row.duplicate
    assert len(stored_attachment_files() - before) == 2
    assert receive(raw).duplicate


def test_a_staff_reply_by_mail_needs_the_setting(ticket, member, agent, support_settings):
    row = receive(reply_mail(ticket, "agent@example.com", "Try 5.2.3."))
    assert (row.outcome, row.reason) == ("refused", "staff_replies_off")
    assert mail.outbox[0].to == ["agent@example.com"]  # told to answer in the admin
    mail.outbox.clear()

    support_settings.staff_replies_by_email = True
    support_settings.save()
    row = receive(reply_mail(ticket, "agent@example.com", "Try 5.2.3, really."))
    reply = public_messages(ticket)[-1]
    assert (row.outcome, reply.author, reply.from_staff) == ("added", agent, True)
    assert member.email in [address for m in mail.outbox for address in m.to]


def test_an_editor_without_ticket_permissions_is_a_stranger(ticket, make_staff):
    make_staff("editor", email="editor@example.com")
    row = receive(reply_mail(ticket, "editor@example.com", "Hello"))
    assert row.reason == "foreign_sender"


def test_mail_text_is_sanitized_on_the_ticket_page(ticket, member, client, support_page):
    receive(reply_mail(ticket, member.email, '<script>alert(1)</script><img src=x onerror="x()">'))
    client.login(username=member.username, password=PASSWORD)
    page = client.get(f"/support/{ticket.number}/").content.decode()
    assert "<script>alert(1)" not in page
    assert not re.search(r"<img[^>]*onerror", page)


def test_the_staff_screen_shows_the_original_mail(ticket, member, verified_staff_client):
    receive(reply_mail(ticket, member.email, "Short reply."))
    page = verified_staff_client.get(reverse("avsoft_support_tickets:edit", args=[ticket.pk]))
    text = page.content.decode()
    assert "Short reply." in text
    assert "must not come back" in text  # inside the "whole e-mail" disclosure


def test_receive_command_reads_standard_input(ticket, member, monkeypatch):
    raw = reply_mail(ticket, member.email, "Piped by the mail server.")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("support_receive_mail", stdout=out)
    assert out.getvalue().startswith(f"added ticket {ticket.number}")
    assert Message.objects.filter(body="Piped by the mail server.", via_email=True).exists()
