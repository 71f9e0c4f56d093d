"""When something under the desk fails (the attachment storage, the database, the mail server)
while a member files a ticket or replies, or staff reply in the admin: what the member, the
staff and the data show afterwards. Every failure is a real one: a storage that raises on its
Nth save, a database trigger that refuses an insert, a mail backend that raises."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import F
from django.urls import reverse

from avsoft_support import tickets
from avsoft_support.models import (
    Attachment,
    MemberProfile,
    Message,
    PendingMail,
    Ticket,
    TicketStatus,
)
from tests.db_faults import MESSAGE as TRIGGER_MESSAGE
from tests.db_faults import failing_inserts
from tests.testapp.mail import failing_mail
from tests.testapp.storages import attachment_storage_failing_on
from tests.utils import (
    field_value,
    find_one,
    stored_attachment_files,
    text_of,
    ticket_form_data,
)

pytestmark = pytest.mark.django_db

NEW = "/support/new/"
STORAGE_ERROR = (
    "Your message was not saved: the attached files could not be stored. Please try again in "
    "a few minutes; choose the files again before sending."
)


def files(*names):
    return [SimpleUploadedFile(name, f"content of {name}".encode()) for name in names]


def ticket_url(ticket, suffix=""):
    return f"/support/{ticket.number}/{suffix}"


def admin_url(ticket):
    return reverse("avsoft_support_tickets:edit", args=[ticket.pk])


def later():
    """As if the first retry delay had passed."""
    PendingMail.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(days=1))


def send_pending():
    out = StringIO()
    call_command("support_send_pending_mail", stdout=out)
    return out.getvalue()


def assert_refused_by_the_database(caplog):
    """The 500 came from the trigger's refusal (a DatabaseError), nothing else."""
    [record] = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert isinstance(record.exc_info[1], DatabaseError)
    assert TRIGGER_MESSAGE in str(record.exc_info[1])


DB_FAULT_TEXT = "Your message was not saved because of a fault on our side."


def counts():
    return (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count())


@pytest.fixture
def member_client(client, member, support_page, support_settings):
    client.force_login(member)
    return client


@pytest.fixture
def ticket(member, make_ticket, support_page):
    return make_ticket(member)


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """Run a request and then what it left for after the commit (the mails), as a real commit
    would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


# The attachment storage fails on the second file ------------------------------------------


def test_filing_when_the_storage_fails_saves_nothing_and_keeps_what_was_typed(
    member_client, member, product, run_after_commit
):
    before = stored_attachment_files()
    data = ticket_form_data(product, invoice_number="INV-2026-7")
    with attachment_storage_failing_on(2):
        response = run_after_commit(
            member_client.post, NEW, {**data, "attachments": files("a.log", "b.log", "c.log")}
        )

    # The member: the form again, with what they typed and a clear word about what happened.
    assert response.status_code == 200
    form = find_one(response, "main form[data-avs-ticket-form]")
    for name in ("subject", "description", "steps_to_reproduce", "invoice_number"):
        assert field_value(form, name) == data[name]
    assert STORAGE_ERROR in text_of(find_one(response, "main .avs-error-summary"))
    # The data: no ticket, no message, not the first file either, no invoice number taken.
    assert counts() == (0, 0, 0)
    assert stored_attachment_files() == before
    assert MemberProfile.objects.get(user=member).invoice_number == ""
    assert mail.outbox == [] and not PendingMail.objects.exists()

    # Trying again once the storage is back files the ticket.
    response = run_after_commit(
        member_client.post, NEW, {**data, "attachments": files("a.log", "b.log")}
    )
    assert response.status_code == 302
    assert counts() == (1, 1, 2)
    assert len(stored_attachment_files() - before) == 2


def test_a_reply_when_the_storage_fails_saves_nothing_and_keeps_the_text(
    member_client, ticket, run_after_commit
):
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.RESOLVED)
    before, activity = stored_attachment_files(), Ticket.objects.get(pk=ticket.pk).last_activity_at
    with attachment_storage_failing_on(2):
        response = run_after_commit(
            member_client.post,
            ticket_url(ticket, "reply/"),
            {"body": "It came back.", "attachments": files("a.log", "b.log")},
        )

    assert response.status_code == 200
    reply_form = find_one(response, "main form.avs-reply-form")
    assert field_value(reply_form, "body") == "It came back."
    assert STORAGE_ERROR in text_of(find_one(response, "main .avs-error-summary"))
    assert counts() == (1, 1, 0)
    assert stored_attachment_files() == before
    ticket.refresh_from_db()
    assert (ticket.status, ticket.last_activity_at) == (TicketStatus.RESOLVED, activity)
    assert mail.outbox == [] and not PendingMail.objects.exists()


# The database fails after the message row -----------------------------------------------


def test_filing_when_the_database_refuses_the_files_leaves_no_half_ticket(
    member_client, member, product, run_after_commit, caplog
):
    before = stored_attachment_files()
    member_client.raise_request_exception = False
    data = ticket_form_data(product, invoice_number="INV-2026-7")
    with failing_inserts(Attachment):
        response = run_after_commit(
            member_client.post, NEW, {**data, "attachments": files("a.log", "b.log")}
        )

    # The form again, in words, with what was typed; nothing saved.
    assert response.status_code == 200
    assert DB_FAULT_TEXT in response.content.decode()
    assert data["subject"] in response.content.decode()
    assert data["description"] in response.content.decode()
    assert counts() == (0, 0, 0)
    assert stored_attachment_files() == before  # both files were written, both taken back
    assert MemberProfile.objects.get(user=member).invoice_number == ""
    assert mail.outbox == [] and not PendingMail.objects.exists()


def test_a_reply_when_the_database_refuses_the_files_changes_nothing(
    member_client, ticket, run_after_commit, caplog
):
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.WAITING)
    before, activity = stored_attachment_files(), Ticket.objects.get(pk=ticket.pk).last_activity_at
    member_client.raise_request_exception = False
    with failing_inserts(Attachment):
        response = run_after_commit(
            member_client.post,
            ticket_url(ticket, "reply/"),
            {"body": "Here is the log.", "attachments": files("a.log")},
        )

    assert response.status_code == 200
    assert DB_FAULT_TEXT in response.content.decode()
    assert "Here is the log." in response.content.decode()  # the typed reply is kept
    assert counts() == (1, 1, 0)
    assert stored_attachment_files() == before
    ticket.refresh_from_db()
    assert (ticket.status, ticket.last_activity_at) == (TicketStatus.WAITING, activity)
    assert mail.outbox == [] and not PendingMail.objects.exists()


def test_a_staff_reply_when_the_database_refuses_the_files_changes_nothing(
    verified_staff_client, ticket, run_after_commit, caplog
):
    before = stored_attachment_files()
    verified_staff_client.raise_request_exception = False
    with failing_inserts(Attachment):
        response = run_after_commit(
            verified_staff_client.post,
            admin_url(ticket),
            {
                "action": "reply",
                "reply-kind": "reply",
                "reply-body": "Apply this fix.",
                "reply-files": files("fix.txt"),
                **status_change("waiting", ticket),
            },
        )

    assert response.status_code == 500
    assert_refused_by_the_database(caplog)
    assert counts() == (1, 1, 0)
    assert stored_attachment_files() == before
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == (TicketStatus.NEW, None)
    assert mail.outbox == [] and not PendingMail.objects.exists()


# The mail server fails: the ticket is saved, the mail goes later, once ----------------------


def test_filing_when_the_mail_server_fails_saves_the_ticket_and_mails_it_later_once(
    member_client, member, product, run_after_commit
):
    before = stored_attachment_files()
    with failing_mail(always=True) as backend:
        response = run_after_commit(
            member_client.post, NEW, {**ticket_form_data(product), "attachments": files("a.log")}
        )
        assert backend.sends == 2  # support's mail and the member's receipt, both refused
        ticket = Ticket.objects.get()
        # The member: their ticket, with the thank-you text, as on any other day.
        assert response.status_code == 302
        assert response["Location"].endswith(ticket_url(ticket))
        page = member_client.get(response["Location"])
        assert f"Your ticket {ticket.number} has been received" in text_of(page)
        assert counts() == (1, 1, 1)
        assert len(stored_attachment_files() - before) == 1
        assert mail.outbox == []
        assert sorted(PendingMail.objects.values_list("name", flat=True)) == [
            "ticket_created",
            "ticket_received",
        ]

        # The mail server is still down at the next run: both wait longer.
        later()
        assert send_pending() == "0 sent, 2 to be tried again later, 0 given up.\n"
        assert set(PendingMail.objects.values_list("attempts", flat=True)) == {2}
        assert send_pending() == ""  # not due yet

        # Back up: each mail goes out once, however often the command runs.
        backend.always = False
        later()
        assert send_pending() == "2 sent, 0 to be tried again later, 0 given up.\n"
        assert send_pending() == ""
    assert not PendingMail.objects.exists()
    assert sorted(m.to for m in mail.outbox) == [
        [member.email],
        ["support@example.com", "duty@example.com"],
    ]
    for sent in mail.outbox:
        assert ticket.number in sent.subject
        assert sent.extra_headers["Message-ID"]


def test_a_reply_when_the_mail_server_fails_is_saved_and_mailed_later_once(
    member_client, ticket, run_after_commit
):
    with failing_mail(always=True) as backend:
        response = run_after_commit(
            member_client.post, ticket_url(ticket, "reply/"), {"body": "Still broken."}
        )
        assert response.status_code == 302
        page = member_client.get(response["Location"])
        assert "Thank you. Your reply has been sent." in text_of(page)
        assert "Still broken." in text_of(find_one(page, "main"))
        assert ticket.messages.count() == 2
        [pending] = PendingMail.objects.all()
        assert pending.name == "ticket_customer_reply"
        assert mail.outbox == []
        backend.always = False
        later()
        send_pending()
        send_pending()
    [sent] = mail.outbox
    assert sent.to == ["support@example.com", "duty@example.com"]
    assert "Still broken." in sent.body
    assert not PendingMail.objects.exists()


def status_change(status, ticket):
    """The ticket screen's controls as posted with a reply: the status changed, the assignee
    and criticality as the screen showed them."""
    return {
        "controls-status": status,
        "controls-loaded_status": ticket.status,
        "controls-assignee": ticket.assignee_id or "",
        "controls-loaded_assignee": ticket.assignee_id or "",
        "controls-criticality": ticket.criticality,
        "controls-loaded_criticality": ticket.criticality,
    }


def test_a_staff_reply_when_the_mail_server_fails_is_saved_and_mailed_later_once(
    verified_staff_client, ticket, member, run_after_commit
):
    with failing_mail(always=True) as backend:
        response = run_after_commit(
            verified_staff_client.post,
            admin_url(ticket),
            {
                "action": "reply",
                "reply-kind": "reply",
                "reply-body": "Please install 5.2.2.",
                **status_change("waiting", ticket),
            },
        )
        assert response.status_code == 302
        page = verified_staff_client.get(response["Location"])
        assert "Reply sent to the customer." in text_of(page)
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.WAITING and ticket.first_response_at is not None
        assert ticket.messages.filter(from_staff=True).count() == 1
        [pending] = PendingMail.objects.all()
        assert (pending.name, pending.to) == ("ticket_staff_reply", [member.email])
        backend.always = False
        later()
        send_pending()
        send_pending()
    [sent] = mail.outbox
    assert sent.to == [member.email]
    assert "Please install 5.2.2." in sent.body
    assert not PendingMail.objects.exists()


def test_one_refused_mail_of_two_waits_alone(member_client, product, member, run_after_commit):
    # Support's mail is refused, the member's receipt goes out: only the first waits.
    with failing_mail(1):
        run_after_commit(member_client.post, NEW, ticket_form_data(product))
        assert [m.to for m in mail.outbox] == [[member.email]]
        assert PendingMail.objects.get().name == "ticket_created"
        later()
        send_pending()
    assert len(mail.outbox) == 2
    assert not PendingMail.objects.exists()


def test_the_confirmation_of_a_registration_goes_later_when_the_mail_server_fails(client, db):
    with failing_mail(always=True) as backend:
        response = client.post(
            reverse("avsoft_support:register"),
            {
                "username": "anna",
                "email": "anna@example.com",
                "password1": "Correct-Horse-7-Battery",
                "password2": "Correct-Horse-7-Battery",
                "full_name": "Anna Smirnova",
                "company": "",
                "phone": "",
            },
        )
        assert response.status_code == 302
        assert response.url == reverse("avsoft_support:confirm_sent")
        assert PendingMail.objects.get().name == "account_confirm"
        backend.always = False
        later()
        send_pending()
    [sent] = mail.outbox
    assert sent.to == ["anna@example.com"]
    assert "/account/confirm/" in sent.body


def test_tickets_functions_are_not_touched_by_a_failing_mail(member, ticket, run_after_commit):
    # The domain call returns normally: the failure stays in the mail path.
    with failing_mail(always=True):
        message = run_after_commit(tickets.add_message, ticket, member, "From the domain.")
    assert message.pk and PendingMail.objects.get().name == "ticket_customer_reply"


# Changed by someone else since the page was read ------------------------------------------


def test_a_reply_to_a_ticket_closed_meanwhile_is_refused_and_keeps_no_file(
    member, ticket, run_after_commit
):
    # The member's page was read before the ticket was closed (by them, in another tab).
    stale = Ticket.objects.get(pk=ticket.pk)
    tickets.set_status(ticket, TicketStatus.CLOSED, member)
    before = stored_attachment_files()
    with pytest.raises(tickets.TicketClosed):
        run_after_commit(tickets.add_message, stale, member, "One more thing", files("a.log"))
    assert counts() == (1, 1, 0)
    assert stored_attachment_files() == before
    assert mail.outbox == []


def test_a_reply_read_before_a_resolve_still_reopens_the_ticket(member, ticket, make_staff):
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.IN_PROGRESS)
    stale = Ticket.objects.get(pk=ticket.pk)  # the member's page, still "in progress"
    boss = make_staff("boss", superuser=True)
    tickets.set_status(Ticket.objects.get(pk=ticket.pk), TicketStatus.RESOLVED, boss)
    tickets.add_message(stale, member, "It came back.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED
    assert stale.status == TicketStatus.REPLIED
