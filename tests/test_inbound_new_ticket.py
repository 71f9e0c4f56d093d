"""New tickets by e-mail (Support settings, "accept new tickets by e-mail"): a mail that names no
ticket, from a confirmed member's address, is filed as the web form files a ticket, and the
receipt asks for the details the filing rules want; anyone else is answered as before."""

import io
import re
import sys
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.models import Site

from avsoft_support import notifications
from avsoft_support.inbound.receive import receive_mail
from avsoft_support.models import (
    InboundMail,
    MemberProfile,
    SupportSettings,
    Ticket,
    TicketStatus,
)
from tests.inbound_utils import REPLY_BASE, new_mail
from tests.test_mail_russian import english_words
from tests.testapp.storages import attachment_storage_failing_on
from tests.utils import PASSWORD, stored_attachment_files

pytestmark = pytest.mark.django_db

MISSING = [
    "the product and its exact version",
    "the operating system version",
    "the steps that led to the problem",
    "the steps to reproduce it in our lab",
]


def receive(raw):
    # The mails leave after the commit, as in production.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return receive_mail(raw)


@pytest.fixture
def desk(support_settings, support_page):
    support_settings.reply_address = REPLY_BASE
    support_settings.notification_emails = "desk@example.com"
    support_settings.new_tickets_by_email = True
    support_settings.save()
    return support_settings


def mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def test_a_confirmed_members_mail_files_a_ticket_and_the_receipt_asks_for_the_details(
    desk, member, support_page
):
    raw = new_mail(
        member.email,
        subject="  Export   stops at 50%  ",
        attachments=[("export.log", b"error at row 7", "text/plain")],
    )
    row = receive(raw)

    assert (row.outcome, row.reason, row.duplicate) == ("filed", "", False)
    ticket = row.ticket
    assert ticket.subject == "Export stops at 50%"
    assert (ticket.author, ticket.status, ticket.support_page_id) == (
        member,
        TicketStatus.NEW,
        support_page.pk,
    )
    # The details only the form asks for are left empty, for the receipt to ask.
    assert (ticket.product, ticket.product_version, ticket.os_version) == (None, "", "")
    assert (ticket.steps_to_problem, ticket.steps_to_reproduce) == ("", "")
    [first] = ticket.messages.all()
    assert first.body == "The export of the yearly report stops at 50%."
    assert (first.author, first.from_staff, first.via_email) == (member, False, True)
    assert row.message == first
    assert "must not become the ticket" in first.inbound_mail.original_text
    [attachment] = first.attachments.all()
    assert (attachment.original_name, attachment.file.read()) == ("export.log", b"error at row 7")

    # Staff get the usual new-ticket mail; the member the receipt.
    [staff_mail] = mails_to("desk@example.com")
    assert ticket.number in staff_mail.subject
    assert "The export of the yearly report stops at 50%." in staff_mail.body
    [receipt] = mails_to(member.email)
    ticket_url = f"http://localhost/support/{ticket.number}/"
    assert ticket.number in receipt.subject
    [(html, _mimetype)] = receipt.alternatives
    for detail in MISSING:
        assert f"- {detail}\n" in receipt.body
        assert f"<li>{detail}</li>" in html
    assert f"Please add them in a reply to this mail or on the ticket page: {ticket_url}" in (
        receipt.body
    )
    assert f'<a href="{ticket_url}">' in html
    # Answerable by e-mail, like every receipt: a reply adds the details to the ticket.
    assert receipt.reply_to[0].startswith("support+t")


def test_the_member_sees_the_ticket_and_its_text_sanitized(desk, member, client):
    row = receive(new_mail(member.email, text='<script>alert(1)</script><img src=x onerror="x()">'))
    client.login(username=member.username, password=PASSWORD)
    page = client.get(f"/support/{row.ticket.number}/").content.decode()
    assert row.ticket.subject in page
    assert "<script>alert(1)" not in page
    assert not re.search(r"<img[^>]*onerror", page)


def test_a_receipt_of_a_ticket_filed_on_the_page_asks_for_nothing(desk, member, make_ticket):
    make_ticket(member)
    # make_ticket runs outside captureOnCommitCallbacks: file again the way receive() does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        make_ticket(member, subject="Second")
    [receipt] = mails_to(member.email)
    assert "support rules ask for" not in receipt.body


def test_only_the_details_the_mail_lacks_are_asked_for(desk, member):
    row = receive(new_mail(member.email))
    Ticket.objects.filter(pk=row.ticket.pk).update(os_version="Windows 11")
    ticket = Ticket.objects.get(pk=row.ticket.pk)
    assert [str(d) for d in notifications.missing_details(ticket, ticket.messages.get())] == [
        MISSING[0],
        MISSING[2],
        MISSING[3],
    ]


def test_the_same_mail_twice_files_one_ticket(desk, member):
    raw = new_mail(member.email)
    first = receive(raw)
    again = receive(raw)
    assert again.duplicate and again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1
    assert len(mails_to(member.email)) == 1 and len(mails_to("desk@example.com")) == 1


def test_a_mail_without_a_subject_gets_a_default_one(desk, member):
    row = receive(new_mail(member.email, subject=""))
    assert row.ticket.subject == "No subject (ticket by e-mail)"


def test_an_unconfirmed_or_inactive_member_opens_no_ticket(desk, make_member):
    unconfirmed = make_member("unconfirmed", email="unconfirmed@example.com")
    MemberProfile.objects.filter(user=unconfirmed).update(email_confirmed_at=None)
    inactive = make_member("inactive", email="inactive@example.com")
    inactive.is_active = False
    inactive.save()
    for user in (unconfirmed, inactive):
        row = receive(new_mail(user.email))
        assert (row.outcome, row.reason, row.ticket) == ("refused", "no_ticket", None)
    assert Ticket.objects.count() == 0
    # Told politely where to open a ticket, as before; staff hear nothing.
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "inactive@example.com",
        "unconfirmed@example.com",
    ]
    assert all("support page" in m.body for m in mail.outbox)


def test_an_address_waiting_for_its_confirmation_is_not_the_members(desk, member):
    MemberProfile.objects.filter(user=member).update(pending_email="new.address@example.com")
    row = receive(new_mail("new.address@example.com"))
    assert (row.outcome, row.reason) == ("refused", "no_ticket")
    assert Ticket.objects.count() == 0


def test_a_stranger_opens_no_ticket_and_gets_no_answer(desk):
    row = receive(new_mail("stranger@elsewhere.example"))
    assert (row.outcome, row.reason) == ("refused", "no_ticket")
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "header, value",
    [("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"), ("X-Autoreply", "yes")],
)
def test_automatic_mail_opens_no_ticket(desk, member, header, value):
    row = receive(new_mail(member.email, "Out of office", headers={header: value}))
    assert row.outcome == "dropped"
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


def test_with_the_setting_off_the_mail_is_refused_politely_as_before(desk, member):
    desk.new_tickets_by_email = False
    desk.save()
    for subject in ("New problem", "New problem again"):
        row = receive(new_mail(member.email, subject))
        assert (row.outcome, row.reason, row.ticket) == ("refused", "no_ticket", None)
    assert Ticket.objects.count() == 0
    [bounce] = mail.outbox  # at most one answer an hour
    assert bounce.to == [member.email]
    assert bounce.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_setting_is_off_by_default(site, member):
    assert SupportSettings.for_site(site).new_tickets_by_email is False
    row = receive(new_mail(member.email))
    assert row.reason == "no_ticket"


def test_files_over_the_limits_are_left_out_and_listed_to_the_sender(desk, member):
    desk.attachments_per_message = 2
    desk.save()
    big = b"x" * (desk.attachment_max_size + 1)
    files = [
        ("log.txt", b"error at line 7", "text/plain"),
        ("dump.bin", big, "application/octet-stream"),
        ("screen.png", b"\x89PNG fake", "image/png"),
        ("third.txt", b"one too many", "text/plain"),
    ]
    row = receive(new_mail(member.email, attachments=files))

    assert row.outcome == "filed"
    first = row.ticket.messages.get()
    assert sorted(a.original_name for a in first.attachments.all()) == ["log.txt", "screen.png"]
    assert [(f["name"], f["reason"]) for f in row.refused_files] == [
        ("dump.bin", "too_large"),
        ("third.txt", "too_many"),
    ]
    notice = next(m for m in mails_to(member.email) if "Not every file" in m.subject)
    assert f"Your mail opened ticket № {row.ticket.number}" in notice.body
    assert "dump.bin" in notice.body and "third.txt" in notice.body
    # The receipt went out as well.
    assert any("We have received your ticket" in m.subject for m in mails_to(member.email))


def test_a_storage_failure_files_nothing_and_the_next_try_files_once(
    desk, member, tmp_path, settings
):
    raw = new_mail(
        member.email,
        attachments=[("a.txt", b"a", "text/plain"), ("b.txt", b"b", "text/plain")],
    )
    failing = attachment_storage_failing_on(2, location=tmp_path)
    before = stored_attachment_files()
    with failing, pytest.raises(OSError):
        receive(raw)
    assert not any(tmp_path.rglob("*.txt"))  # the first file was taken back
    assert (Ticket.objects.count(), InboundMail.objects.count(), mail.outbox) == (0, 0, [])

    row = receive(raw)
    assert row.outcome == "filed" and not row.duplicate
    assert len(stored_attachment_files() - before) == 2
    assert receive(raw).duplicate
    assert Ticket.objects.count() == 1


def test_the_staff_screen_shows_the_whole_mail_under_the_first_message(
    desk, member, verified_staff_client
):
    row = receive(new_mail(member.email))
    page = verified_staff_client.get(reverse("avsoft_support_tickets:edit", args=[row.ticket.pk]))
    text = page.content.decode()
    assert "The export of the yearly report stops at 50%." in text
    assert "must not become the ticket" in text  # inside the "whole e-mail" disclosure


def test_a_mail_with_nothing_in_it_opens_no_ticket(desk, member):
    raw = EmailMessage()
    raw["From"] = member.email
    raw["To"] = REPLY_BASE
    raw["Subject"] = "Empty"
    raw["Message-ID"] = make_msgid(domain="customer.example")
    raw.set_content("\n")
    row = receive(bytes(raw))
    assert (row.outcome, row.reason) == ("refused", "empty")
    assert Ticket.objects.count() == 0
    [bounce] = mail.outbox
    assert "no ticket was opened" in bounce.body


def test_the_site_the_mail_was_written_to_decides(desk, member, site, support_page):
    SupportPage = type(support_page)
    second_home = site.root_page.get_parent().add_child(
        instance=type(site.root_page.specific)(title="Second", slug="second")
    )
    second_page = second_home.add_child(instance=SupportPage(title="Help", slug="help"))
    second = Site.objects.create(hostname="second.example", port=80, root_page=second_home)
    second_desk = SupportSettings.for_site(second)
    second_desk.reply_address = "help@second.example"
    second_desk.save()

    # The second site takes no new tickets by e-mail, whatever the first one does.
    row = receive(new_mail(member.email, to="Help <HELP@second.example>"))
    assert (row.outcome, row.reason) == ("refused", "no_ticket")
    second_desk.new_tickets_by_email = True
    second_desk.save()
    row = receive(new_mail(member.email, to="help+anything@second.example"))
    assert (row.outcome, row.ticket.support_page_id) == ("filed", second_page.pk)
    # An address no site names: the site of the first support page.
    row = receive(new_mail(member.email, to="old-helpdesk@example.com"))
    assert (row.outcome, row.ticket.support_page_id) == ("filed", support_page.pk)


def test_receive_command_says_which_ticket_was_filed(desk, member, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(new_mail(member.email))))
    out = io.StringIO()
    call_command("support_receive_mail", stdout=out)
    ticket = Ticket.objects.get()
    assert out.getvalue().strip() == f"filed ticket {ticket.number}"


@override_settings(LANGUAGE_CODE="ru")
def test_the_receipt_asks_for_the_details_in_russian(desk, member):
    MemberProfile.objects.filter(user=member).update(full_name="Иван Петров")
    row = receive(new_mail(member.email, subject="", text="Экспорт останавливается на середине."))
    assert row.ticket.subject == "Без темы (обращение по электронной почте)"
    [receipt] = mails_to(member.email)
    [(html, _mimetype)] = receipt.alternatives
    allowed = {"DOCTYPE", "html", "Test", member.get_username()}  # the site name is data
    for text in (receipt.subject, receipt.body, html):
        assert english_words(text, allowed) == [], text
    assert "- продукт и его точная версия\n" in receipt.body
    assert "<li>шаги для воспроизведения в лаборатории</li>" in html
