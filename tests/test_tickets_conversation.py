"""The conversation on a ticket: order, replies with files, reopening, closing, internal notes,
and the history each step writes."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from avsoft_support import tickets
from avsoft_support.models import Attachment, Message, Ticket, TicketStatus
from tests.utils import (
    assert_in_html,
    field_value,
    find_one,
    hrefs,
    links,
    select,
    stored_attachment_files,
    text_of,
)

LIMIT = 300 * 1024


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user(
        "agent", "agent@example.com", "x", first_name="Olga"
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="avsoft_support", codename="change_ticket")
    )
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def ticket(member, make_ticket, support_page):
    return make_ticket(member)


def actions_of(ticket):
    return list(
        ModelLogEntry.objects.filter(object_id=str(ticket.pk))
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def url(ticket, suffix=""):
    return f"/support/{ticket.number}/{suffix}"


def test_the_ticket_page_reads_no_staff_users_row(client, member, staff, ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tickets.add_message(ticket, staff, "An answer.", from_staff=True)
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(ticket))
    assert "Support · Olga" in response.content.decode()
    # Of the staff who wrote, the conversation reads the first name, not their users' rows
    # (password hashes included).
    from_messages = f"FROM {connection.ops.quote_name('avsoft_support_message')}"
    conversation = [q["sql"] for q in queries.captured_queries if from_messages in q["sql"]]
    assert len(conversation) == 1
    assert "first_name" in conversation[0]
    assert "password" not in conversation[0]


def test_conversation_shows_in_order_without_internal_notes(client, member, staff, ticket):
    tickets.add_message(ticket, staff, "First answer from support.", from_staff=True)
    tickets.add_message(
        ticket, staff, "SECRET: customer looks unhappy", from_staff=True, internal=True
    )
    tickets.add_message(ticket, member, "Customer follow-up.")
    tickets.add_message(ticket, staff, "Second answer.", from_staff=True)

    client.force_login(member)
    response = client.get(url(ticket))
    content = response.content.decode()

    messages = select(response, "ol.avs-messages-list > li > article.avs-message-item")
    assert [
        (
            text_of(find_one(message, ".avs-message-author")),
            text_of(find_one(message, ".avs-markdown")),
        )
        for message in messages
    ] == [
        ("You", "It stops at 50%."),
        ("Support · Olga", "First answer from support."),
        ("You", "Customer follow-up."),
        ("Support · Olga", "Second answer."),
    ]
    assert "SECRET" not in content


def test_staff_reply_records_first_response_and_moves_new_to_in_progress(member, staff, ticket):
    first = tickets.add_message(ticket, staff, "Looking into it.", from_staff=True)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.first_response_at == first.created_at
    assert ticket.last_staff_reply_at == first.created_at
    assert ticket.last_activity_at == first.created_at
    assert ticket.has_unseen_reply

    second = tickets.add_message(ticket, staff, "Found it.", from_staff=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at  # only the first counts
    assert ticket.last_staff_reply_at == second.created_at
    assert actions_of(ticket) == [
        "avsoft_support.ticket.create",
        "avsoft_support.ticket.reply",
        "avsoft_support.ticket.status",
        "avsoft_support.ticket.reply",
    ]
    status_entry = ModelLogEntry.objects.get(
        object_id=str(ticket.pk), action="avsoft_support.ticket.status"
    )
    assert status_entry.data == {"old": "new", "new": "in_progress", "reason": "staff_reply"}
    assert status_entry.user == staff


def test_internal_note_changes_nothing_the_customer_sees(
    member, staff, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    before = Ticket.objects.get(pk=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        note = tickets.add_message(
            ticket,
            staff,
            "Internal only",
            [SimpleUploadedFile("trace.txt", b"t")],
            from_staff=True,
            internal=True,
        )
    after = Ticket.objects.get(pk=ticket.pk)
    assert note.is_internal and note.from_staff
    assert note.attachments.count() == 1
    for field in ("status", "last_activity_at", "first_response_at", "last_staff_reply_at"):
        assert getattr(after, field) == getattr(before, field), field
    assert mailoutbox == []
    assert actions_of(ticket)[-1] == "avsoft_support.ticket.note"


def test_only_staff_write_internal_notes(member, ticket):
    with pytest.raises(ValueError):
        tickets.add_message(ticket, member, "note", internal=True)


@pytest.mark.parametrize(
    ("start", "after"),
    [
        (TicketStatus.NEW, TicketStatus.NEW),
        (TicketStatus.IN_PROGRESS, TicketStatus.REPLIED),
        (TicketStatus.WAITING, TicketStatus.REPLIED),
        (TicketStatus.RESOLVED, TicketStatus.REPLIED),
    ],
)
def test_customer_reply_reopens_resolved_and_answers_waiting(member, ticket, start, after):
    Ticket.objects.filter(pk=ticket.pk).update(status=start)
    ticket.refresh_from_db()
    tickets.add_message(ticket, member, "Still broken.")
    ticket.refresh_from_db()
    assert ticket.status == after
    changed = "avsoft_support.ticket.status" in actions_of(ticket)
    assert changed == (start != after)


def test_customer_cannot_reply_to_a_closed_ticket(member, ticket):
    tickets.set_status(ticket, TicketStatus.CLOSED, member)
    with pytest.raises(tickets.TicketClosed):
        tickets.add_message(ticket, member, "one more thing")
    assert ticket.messages.count() == 1


def test_reply_through_the_page_with_a_file(client, member, ticket):
    before = stored_attachment_files()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.RESOLVED)
    client.force_login(member)

    response = client.post(
        url(ticket, "reply/"),
        {"body": "It came back.", "attachments": [SimpleUploadedFile("again.log", b"z" * LIMIT)]},
    )

    assert response.status_code == 302
    assert response["Location"] == url(ticket) + "#conversation-end"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED
    message = ticket.messages.order_by("pk").last()
    assert message.body == "It came back."
    assert message.attachments.get().size == LIMIT
    assert len(stored_attachment_files() - before) == 1
    page = client.get(url(ticket)).content.decode()
    assert "Your reply has been sent and the ticket is open again." in page
    assert "again.log" in page


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [("huge.bin", LIMIT + 1)],
            "“huge.bin” is 300 KB (307,201 bytes); each file may be at most 300 KB (307,200 bytes).",
        ),
        (
            [(f"f{i}.txt", 1) for i in range(6)],
            "You attached 6 files; at most 5 files can be attached to one message.",
        ),
    ],
)
def test_rejected_reply_stores_nothing_and_keeps_the_text(client, member, ticket, files, message):
    before = stored_attachment_files()
    before_activity = Ticket.objects.get(pk=ticket.pk).last_activity_at
    client.force_login(member)
    body = "My <reply> with ```code```"

    response = client.post(
        url(ticket, "reply/"),
        {
            "body": body,
            "attachments": [SimpleUploadedFile(name, b"q" * size) for name, size in files],
        },
    )

    assert response.status_code == 200
    form = find_one(response, "main form.avs-reply-form")
    assert field_value(form, "body") == body  # the typed reply is kept
    # The error, tied to the file field.
    described_by = find_one(form, 'input[name="attachments"]')["aria-describedby"].split()
    assert described_by[:2] == ["id_attachments_helptext", "id_attachments_error_1"]
    errors = [text_of(error) for error in form.select("#id_attachments_error .avs-field-error")]
    assert message in errors[0]
    assert message in text_of(find_one(response, "main .avs-error-summary"))
    assert Message.objects.count() == 1
    assert Attachment.objects.count() == 0
    assert stored_attachment_files() == before
    assert Ticket.objects.get(pk=ticket.pk).last_activity_at == before_activity


def test_empty_reply_is_refused(client, member, ticket):
    client.force_login(member)
    response = client.post(url(ticket, "reply/"), {"body": "   "})
    assert response.status_code == 200
    assert response.context["reply_form"].errors == {"body": ["Write a reply or attach a file."]}
    assert Message.objects.count() == 1


def test_reply_with_only_a_file(client, member, ticket):
    client.force_login(member)
    response = client.post(
        url(ticket, "reply/"), {"body": "", "attachments": [SimpleUploadedFile("x.png", b"png")]}
    )
    assert response.status_code == 302
    assert Attachment.objects.filter(message__ticket=ticket).count() == 1


def test_member_closes_their_ticket(client, member, ticket):
    client.force_login(member)

    # The button on the ticket is a link to a page that asks first; a GET closes nothing.
    page = client.get(url(ticket))
    assert_in_html(
        f'<a class="avs-button avs-button--secondary" href="{url(ticket, "close/")}">'
        "Close ticket</a>",
        find_one(page, "main"),
    )
    confirm = client.get(url(ticket, "close/"))
    assert confirm.status_code == 200
    main = find_one(confirm, "main")
    assert text_of(find_one(main, "h1")) == f"Close ticket {ticket.number}?"
    form = find_one(main, "form")
    assert (form["method"], form["action"]) == ("post", url(ticket, "close/"))
    assert_in_html(
        '<button type="submit" class="avs-button avs-button--primary">Yes, close the ticket</button>',
        form,
    )
    assert (url(ticket), "No, back to the ticket") in links(form)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    response = client.post(url(ticket, "close/"))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.closed_at is not None
    entry = ModelLogEntry.objects.get(
        object_id=str(ticket.pk), action="avsoft_support.ticket.status"
    )
    assert entry.data == {"old": "new", "new": "closed"}
    assert entry.user == member
    response = client.get(url(ticket))
    page = response.content.decode()
    assert "The ticket has been closed." in page
    assert find_one(response, "main").select("form") == []  # no reply form, no close button
    assert url(ticket, "close/") not in hrefs(response)
    assert "This ticket is closed." in page
    assert client.get(url(ticket, "close/"))["Location"] == url(ticket)  # nothing left to ask

    response = client.post(url(ticket, "reply/"), {"body": "hello?"}, follow=True)
    assert "This ticket is closed. Please create a new ticket instead." in response.content.decode()
    assert ticket.messages.count() == 1


def test_status_rules(member, make_member, staff, ticket):
    other = make_member(username="other")
    with pytest.raises(PermissionDenied):
        tickets.set_status(ticket, TicketStatus.RESOLVED, member)  # customers only close
    with pytest.raises(PermissionDenied):
        tickets.set_status(ticket, TicketStatus.CLOSED, other)  # and only their own
    assert tickets.set_status(ticket, TicketStatus.WAITING, staff)
    assert not tickets.set_status(ticket, TicketStatus.WAITING, staff)  # no change, no entry
    assert tickets.set_status(ticket, TicketStatus.CLOSED, staff)
    assert ticket.closed_at is not None
    assert tickets.set_status(ticket, TicketStatus.IN_PROGRESS, staff)
    ticket.refresh_from_db()
    assert ticket.closed_at is None
    assert actions_of(ticket).count("avsoft_support.ticket.status") == 3


def test_unseen_reply_marker(client, member, staff, ticket):
    client.force_login(member)
    assert "New reply" not in client.get("/support/").content.decode()

    tickets.add_message(ticket, staff, "We answered.", from_staff=True)
    assert "New reply" in client.get("/support/").content.decode()

    client.get(url(ticket))
    assert "New reply" not in client.get("/support/").content.decode()
    assert not Ticket.objects.get(pk=ticket.pk).has_unseen_reply


def test_failed_transaction_leaves_no_file(member, ticket, monkeypatch):
    """If saving fails after the files were written, the files go too."""
    before = stored_attachment_files()

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Ticket, "save", boom)
    with pytest.raises(RuntimeError):
        tickets.add_message(ticket, member, "with file", [SimpleUploadedFile("a.txt", b"abc")])
    assert stored_attachment_files() == before
    assert Attachment.objects.count() == 0


def test_deleting_a_ticket_deletes_its_files(
    member, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket(member, files=[("a.txt", b"abc")])
    name = Attachment.objects.get().file.name
    assert name in stored_attachment_files()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.delete()
    assert name not in stored_attachment_files()
