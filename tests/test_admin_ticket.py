"""The ticket in the admin: one screen with the conversation, reply, controls and customer."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from avsoft_support import tickets
from avsoft_support.models import (
    Attachment,
    CannedReply,
    ClientAccount,
    ClientStatus,
    Criticality,
    Message,
    TicketStatus,
)
from tests.utils import (
    assert_in_html,
    assert_no_tag_in_html,
    assert_tag_in_html,
    definitions,
    find_one,
    hrefs,
    links,
    otp_login,
    select,
    text_of,
)


def edit_url(ticket):
    return reverse("avsoft_support_tickets:edit", args=[ticket.pk])


def history_url(ticket):
    return reverse("avsoft_support_tickets:history", args=[ticket.pk])


def actions_logged(ticket):
    return list(
        ModelLogEntry.objects.filter(
            content_type__model="ticket", object_id=str(ticket.pk)
        ).values_list("action", flat=True)
    )


@pytest.fixture
def ticket(make_admin_ticket, make_member):
    author = make_member(
        username="ivan",
        full_name="Ivan Petrov",
        company="Romashka",
        invoice_number="INV-7",
        client_status="claimed",
        phone="+7 900 000-00-00",
    )
    return make_admin_ticket(
        author=author,
        client_status="claimed",
        subject="Export stops at 50%",
        body="It stops.\n\n```\nERROR 42 at export.c:17\n```",
    )


def unquoted(text):
    """The text without quotation marks (a catalogue may turn ' into curly quotes)."""
    return re.sub("[\u2018\u2019\u201c\u201d'\"]", "", text)


def reply_data(status=None, **overrides):
    """A post of the ticket screen's one form; ``status``: the status chosen in its controls
    (the ticket was new, unassigned and of normal criticality when the screen loaded)."""
    data = {
        "action": "reply",
        "reply-kind": "reply",
        "reply-body": "Please send the log file.",
    }
    if status is not None:
        data.update(
            {
                "controls-status": status,
                "controls-assignee": "",
                "controls-criticality": str(Criticality.NORMAL),
                "controls-loaded_status": "new",
                "controls-loaded_assignee": "",
                "controls-loaded_criticality": str(Criticality.NORMAL),
            }
        )
    data.update(overrides)
    return data


def test_the_screen_shows_conversation_notes_distinct_and_the_customer(
    verified_staff_client, ticket, support_staff
):
    note = Message.objects.create(
        ticket=ticket,
        author=support_staff,
        body="Looks like #123",
        from_staff=True,
        is_internal=True,
    )
    response = verified_staff_client.get(edit_url(ticket))
    assert response.status_code == 200
    main = find_one(response, "main")
    assert text_of(find_one(main, "#avs-ticket-title")) == f"{ticket.number} Export stops at 50%"
    question, shown_note = main.select("ol.avs-conversation > li")
    # Markdown went through sanitize.py: the log is a code block.
    assert text_of(find_one(question, ".avs-message__body pre > code")) == (
        "ERROR 42 at export.c:17"
    )
    # The note says what it is in words, not only by its colour.
    assert shown_note["id"] == f"message-{note.pk}"
    assert "avs-message--internal" in shown_note["class"]
    assert text_of(find_one(shown_note, ".avs-tag")) == "Internal note: staff only"
    # The customer, their claim and the verify action.
    customer = find_one(main, "section[aria-labelledby='avs-customer-heading']")
    facts = definitions(customer)
    assert {
        label: facts[label]
        for label in (
            "Name",
            "E-mail",
            "Phone",
            "Company they gave",
            "Invoice/order number they gave",
            "Client status now",
        )
    } == {
        "Name": "Ivan Petrov",
        "E-mail": "ivan@example.com",
        "Phone": "+7 900 000-00-00",
        "Company they gave": "Romashka",
        "Invoice/order number they gave": "INV-7",
        "Client status now": "Claimed client",
    }
    assert ("mailto:ivan@example.com", "ivan@example.com") in links(customer)
    verify = find_one(customer, "form[action*='/verify/']")
    assert verify["action"] == reverse(
        "avsoft_support_clients:verify", args=[ticket.author.support_profile.pk]
    )
    assert_in_html(
        '<button type="submit" class="button">Verify as a current client</button>', verify
    )
    # The controls and the reply form.
    for name in ("controls-status", "controls-assignee", "controls-criticality"):
        assert_tag_in_html(f'<select name="{name}">', main)
    assert_tag_in_html('<textarea name="reply-body">', main)
    assert_tag_in_html('<input type="file" name="reply-files">', main)
    assert (history_url(ticket), "Full history") in links(main)


def test_a_public_reply_meets_the_sla_is_logged_and_mails_the_customer(
    verified_staff_client, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(edit_url(ticket), reply_data())
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, from_staff=True)
    assert response["Location"] == f"{edit_url(ticket)}#message-{message.pk}"
    assert not message.is_internal
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert "avsoft_support.ticket.reply" in actions_logged(ticket)
    assert [m.to for m in mail.outbox] == [["ivan@example.com"]]


def test_an_internal_note_is_not_a_response_and_notifies_nobody(
    verified_staff_client, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            edit_url(ticket), reply_data(**{"reply-kind": "note", "reply-body": "Known bug #123"})
        )
    assert response.status_code == 302
    note = Message.objects.get(ticket=ticket, from_staff=True)
    assert note.is_internal
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == TicketStatus.NEW
    assert "avsoft_support.ticket.note" in actions_logged(ticket)
    assert mail.outbox == []


def test_reply_with_files_and_then_a_status(verified_staff_client, ticket):
    files = [SimpleUploadedFile("fix.txt", b"apply this"), SimpleUploadedFile("a.log", b"log")]
    response = verified_staff_client.post(
        edit_url(ticket), reply_data("waiting", **{"reply-files": files})
    )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, from_staff=True)
    assert sorted(a.original_name for a in message.attachments.all()) == ["a.log", "fix.txt"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert (
        actions_logged(ticket).count("avsoft_support.ticket.status") == 2
    )  # new→in progress→waiting


def test_a_reply_with_a_status_sends_the_customer_one_mail_that_states_it(
    verified_staff_client, ticket, support_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified_staff_client.post(edit_url(ticket), reply_data("resolved"))
    [reply] = mail.outbox
    assert reply.to == [ticket.author.email]
    assert reply.subject.startswith("Support replied to your ticket")
    assert "Please send the log file." in reply.body
    assert "Status of the ticket: “Resolved”." in reply.body
    assert "reply on the ticket page and the ticket opens again" in reply.body
    assert "Status of the ticket: “Resolved”." in reply.alternatives[0][0]

    # An internal note says nothing to the customer: a status set with it gets its own mail.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verified_staff_client.post(
            edit_url(ticket),
            reply_data(
                "in_progress",
                **{
                    "reply-kind": "note",
                    "reply-body": "Check the build",
                    "controls-loaded_status": "resolved",
                },
            ),
        )
    [status_mail] = mail.outbox
    assert "Check the build" not in status_mail.body
    assert "changed from “Resolved” to “In progress”" in status_mail.body


def test_reply_then_status_shows_both_status_changes_in_the_history(verified_staff_client, ticket):
    # One request, two changes: the reply moves the new ticket to in progress, then the
    # chosen status follows. Wagtail's history keeps one entry per (request uuid, action).
    response = verified_staff_client.post(edit_url(ticket), reply_data("waiting"))
    assert response.status_code == 302
    html = unquoted(text_of(verified_staff_client.get(history_url(ticket))))
    assert "Status changed from New to In progress" in html
    assert "Status changed from In progress to Waiting for customer" in html
    assert "Support replied" in html


def test_files_over_the_limit_are_refused_and_nothing_is_stored(
    verified_staff_client, ticket, support_settings
):
    support_settings.attachment_max_size = 10
    support_settings.attachments_per_message = 2
    support_settings.save()

    too_big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = verified_staff_client.post(
        edit_url(ticket), reply_data(**{"reply-files": [too_big]})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“big.bin” is 11 bytes; each file may be at most 10 bytes." in html
    # What was typed is kept.
    assert "Please send the log file." in response.content.decode()

    three = [SimpleUploadedFile(f"{n}.txt", b"1") for n in range(3)]
    response = verified_staff_client.post(edit_url(ticket), reply_data(**{"reply-files": three}))
    assert response.status_code == 400
    assert (
        "You attached 3 files; at most 2 files can be attached to one message."
        in response.content.decode()
    )
    assert not Message.objects.filter(ticket=ticket, from_staff=True).exists()
    assert Attachment.objects.count() == 0


def test_an_empty_message_is_refused_with_an_error_linked_to_the_field(
    verified_staff_client, ticket
):
    response = verified_staff_client.post(edit_url(ticket), reply_data(**{"reply-body": ""}))
    assert response.status_code == 400
    summary = find_one(response, "main .avs-reply-form [role=alert]")
    assert "#id_reply-body" in hrefs(summary)
    assert_tag_in_html('<textarea name="reply-body" id="id_reply-body">', response)
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_canned_reply_is_inserted_by_the_server_without_javascript(verified_staff_client, ticket):
    canned = CannedReply.objects.create(title="Ask for logs", text="Please attach `support.log`.")
    response = verified_staff_client.get(edit_url(ticket))
    assert "Ask for logs" in [
        text_of(option) for option in select(response, 'select[name="reply-canned_reply"] option')
    ]
    # The texts for the small script.
    texts = find_one(response, 'script#avs-canned-replies[type="application/json"]')
    assert json.loads(texts.string) == {str(canned.pk): "Please attach `support.log`."}
    assert_tag_in_html('<script src="/static/avsoft_support/admin.js" defer>', response)

    response = verified_staff_client.post(
        edit_url(ticket),
        reply_data(
            **{"reply-body": "Hello,", "reply-canned_reply": canned.pk, "insert_canned": "1"}
        ),
    )
    assert response.status_code == 200
    body = response.context["reply_form"].initial["body"]
    assert body == "Hello,\n\nPlease attach `support.log`."
    assert Message.objects.filter(ticket=ticket).count() == 1  # nothing sent


def test_controls_change_status_assignee_criticality_each_logged_and_in_history(
    verified_staff_client, ticket, support_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            edit_url(ticket),
            {
                "action": "controls",
                "controls-status": "waiting",
                "controls-assignee": support_staff.pk,
                "controls-criticality": str(Criticality.HIGH),
            },
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.assignee == support_staff
    assert ticket.criticality == Criticality.HIGH
    logged = actions_logged(ticket)
    for action in ("status", "assign", "criticality"):
        assert f"avsoft_support.ticket.{action}" in logged
    assert [m.to for m in mail.outbox] == [["ivan@example.com"]]  # the status change

    html = unquoted(text_of(verified_staff_client.get(history_url(ticket))))
    assert "Status changed from New to Waiting for customer" in html
    assert "Assigned to Sofia Sidorova" in html
    assert "Criticality changed from Normal to High: a major function does not work" in html
    # The screen itself lists the recent history too.
    recent = select(verified_staff_client.get(edit_url(ticket)), "ol.avs-history > li > span")
    assert "Assigned to Sofia Sidorova" in [text_of(entry) for entry in recent]

    # Unassign.
    verified_staff_client.post(
        edit_url(ticket),
        {
            "action": "controls",
            "controls-status": "waiting",
            "controls-assignee": "",
            "controls-criticality": str(Criticality.HIGH),
        },
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert (
        "Unassigned from Sofia Sidorova"
        in verified_staff_client.get(history_url(ticket)).content.decode()
    )


def test_nothing_changed_logs_nothing(verified_staff_client, ticket):
    before = len(actions_logged(ticket))
    verified_staff_client.post(
        edit_url(ticket),
        {
            "action": "controls",
            "controls-status": "new",
            "controls-assignee": "",
            "controls-criticality": str(ticket.criticality),
        },
    )
    assert len(actions_logged(ticket)) == before


def test_verify_and_unverify_from_the_ticket_rerank_and_log(
    verified_staff_client, ticket, support_staff
):
    account = ClientAccount.objects.create(company="Romashka LLC")
    response = verified_staff_client.post(
        reverse("avsoft_support_clients:verify", args=[ticket.author.support_profile.pk]),
        {"verify-account": account.pk, "next": edit_url(ticket)},
    )
    assert response.status_code == 302 and response["Location"] == edit_url(ticket)
    ticket.refresh_from_db()
    profile = ticket.author.support_profile
    profile.refresh_from_db()
    assert profile.client_status == ClientStatus.CURRENT
    assert profile.client_account == account and profile.verified_by == support_staff
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CURRENT, 1)
    assert "avsoft_support.client.verify" in actions_logged(ticket)
    html = verified_staff_client.get(edit_url(ticket)).content.decode()
    assert "Ivan Petrov verified as a client of Romashka LLC" in html
    assert "verified by Sofia Sidorova" in html
    assert "Unverify this client" in html

    verified_staff_client.post(
        reverse("avsoft_support_clients:unverify", args=[profile.pk]), {"next": edit_url(ticket)}
    )
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CLAIMED, 2)
    assert "avsoft_support.client.unverify" in actions_logged(ticket)
    assert "Verification of Ivan Petrov as a client of Romashka LLC withdrawn" in (
        verified_staff_client.get(history_url(ticket)).content.decode()
    )


def test_the_verify_form_suggests_the_account_by_company(verified_staff_client, ticket):
    account = ClientAccount.objects.create(company="romashka")
    response = verified_staff_client.get(edit_url(ticket))
    assert response.context["verify_form"].initial["account"] == account.pk


def test_staff_download_attachments_with_safe_headers(verified_staff_client, ticket, support_staff):
    message = tickets.add_message(
        ticket,
        ticket.author,
        "See attached",
        [
            SimpleUploadedFile(
                "report <1>.html", b"<script>alert(1)</script>", content_type="text/html"
            )
        ],
    )
    attachment = message.attachments.get()
    url = reverse("avsoft_support_tickets:attachment", args=[attachment.pk])
    shown = links(find_one(verified_staff_client.get(edit_url(ticket)), "main .avs-attachments"))
    assert shown == [(url, "report <1>.html")]

    response = verified_staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "report" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"

    assert (
        verified_staff_client.get(
            reverse("avsoft_support_tickets:attachment", args=[attachment.pk + 100])
        ).status_code
        == 404
    )


def test_attachments_are_not_for_editors_or_customers(client, ticket, make_staff):
    message = tickets.add_message(
        ticket, ticket.author, "file", [SimpleUploadedFile("a.txt", b"secret")]
    )
    url = reverse("avsoft_support_tickets:attachment", args=[message.attachments.get().pk])
    editor = make_staff(username="editor")
    otp_login(client, editor)
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert b"secret" not in b"".join(getattr(response, "streaming_content", [response.content]))

    client.logout()
    client.force_login(ticket.author)  # a customer: no admin access at all
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_read_only_staff_see_the_ticket_but_cannot_change_it(client, ticket, make_staff):
    viewer = make_staff(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    otp_login(client, viewer)
    response = client.get(edit_url(ticket))
    assert response.status_code == 200
    main = find_one(response, "main")
    assert text_of(find_one(main, "#avs-ticket-title")).endswith("Export stops at 50%")
    assert main.select("form") == []
    assert_no_tag_in_html('<textarea name="reply-body">', main)
    assert_no_tag_in_html('<select name="controls-status">', main)
    response = client.post(edit_url(ticket), reply_data())
    assert response.status_code in (302, 403)
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_the_screen_query_count_does_not_grow_with_the_conversation(
    verified_staff_client, ticket, support_staff
):
    verified_staff_client.get(edit_url(ticket))
    with CaptureQueriesContext(connection) as short:
        verified_staff_client.get(edit_url(ticket))
    for n in range(8):
        tickets.add_message(
            ticket,
            support_staff if n % 2 else ticket.author,
            f"message {n}",
            [SimpleUploadedFile(f"{n}.txt", b"x")],
            from_staff=bool(n % 2),
            internal=n == 3,
        )
    # Warmed again as before the short one: the menu's cached counts were refreshed by the
    # status changes (once per request at most, whatever the length of the conversation).
    verified_staff_client.get(edit_url(ticket))
    with CaptureQueriesContext(connection) as long:
        response = verified_staff_client.get(edit_url(ticket))
    assert len(select(response, "ol.avs-conversation > li.avs-message")) == 9
    assert len(long) == len(short), "\n".join(q["sql"] for q in long)


def test_overdue_ticket_says_so(verified_staff_client, make_admin_ticket):
    late = make_admin_ticket(sla_due_at=timezone.now() - timedelta(hours=2))
    response = verified_staff_client.get(edit_url(late))
    badge = find_one(response, ".avs-ticket__tags .avs-sla--overdue")
    assert text_of(badge) == "Response overdue"  # in words, not by colour alone


def test_without_ticket_permissions_existing_and_missing_tickets_answer_alike(
    client, ticket, make_staff
):
    editor = make_staff(username="editor")  # admin access, no ticket permissions
    otp_login(client, editor)
    for name in ("edit", "history", "history_results", "inspect", "usage", "delete"):
        for method in (client.get, client.post):
            existing = method(reverse(f"avsoft_support_tickets:{name}", args=[ticket.pk]))
            missing = method(reverse(f"avsoft_support_tickets:{name}", args=[ticket.pk + 1000]))
            assert (existing.status_code, existing.get("Location")) == (302, "/admin/"), name
            assert (missing.status_code, missing.get("Location")) == (302, "/admin/"), name
    assert Message.objects.filter(ticket=ticket).count() == 1
