"""The ticket screen's one form: the message and the status, assignee and criticality go
together, and no path throws typed work away (each path that used to lose it has a test);
"send and go to the next ticket" and "back to the queue" keep the view it was opened from;
canned replies fill their placeholders as plain text."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from avsoft_support import tickets
from avsoft_support.models import CannedReply, Criticality, Message, Ticket, TicketStatus
from tests.utils import find_one, select, text_of

LIST_URL = reverse("avsoft_support_tickets:list")


def edit_url(ticket, queue=None):
    url = reverse("avsoft_support_tickets:edit", args=[ticket.pk])
    return f"{url}?queue={queue}" if queue is not None else url


@pytest.fixture
def colleague(make_staff):
    return make_staff(username="boris", first_name="Boris", last_name="B", support_group=True)


@pytest.fixture
def ticket(make_admin_ticket):
    return make_admin_ticket(subject="Export stops at 50%", client_status="current")


def screen_data(ticket, **overrides):
    """The one form as the screen sends it, untouched: the controls as loaded."""
    data = {
        "action": "reply",
        "reply-kind": "reply",
        "reply-body": "",
        "controls-status": ticket.status,
        "controls-assignee": ticket.assignee_id or "",
        "controls-criticality": str(ticket.criticality),
        "controls-loaded_status": ticket.status,
        "controls-loaded_assignee": ticket.assignee_id or "",
        "controls-loaded_criticality": str(ticket.criticality),
    }
    data.update(overrides)
    return data


def test_one_form_holds_the_message_and_the_controls(verified_staff_client, ticket):
    response = verified_staff_client.get(edit_url(ticket))
    [form] = select(response, "form#avs-ticket-form")
    names = {field["name"] for field in form.select("[name]")}
    assert {"reply-body", "controls-status", "controls-assignee", "controls-criticality"} <= names
    buttons = [text_of(button) for button in form.select("button[type=submit]")]
    assert buttons[-3:] == [
        "Send",
        "Send and go to the next ticket",
        "Save changes without sending",
    ]
    assert not select(response, "form:not(#avs-ticket-form) select[name='controls-status']")


def test_changing_the_assignee_mid_reply_keeps_the_message_unsent(
    verified_staff_client, ticket, colleague
):
    """Used to lose work: typing a reply, then "Save changes" for the assignee threw it away."""
    response = verified_staff_client.post(
        edit_url(ticket),
        screen_data(
            ticket,
            **{
                "reply-body": "Half-written answer about the export",
                "controls-assignee": colleague.pk,
                "save_only": "1",
            },
        ),
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee_id == colleague.pk
    assert not Message.objects.filter(ticket=ticket, from_staff=True).exists()
    body = find_one(response, "textarea[name='reply-body']")
    assert text_of(body) == "Half-written answer about the export"
    assert "Your message is not sent yet" in text_of(find_one(response, ".messages"))
    selected = find_one(response, "select[name='controls-assignee'] option[selected]")
    assert selected["value"] == str(colleague.pk)


def test_choosing_resolved_then_send_resolves_with_one_mail(
    verified_staff_client, ticket, django_capture_on_commit_callbacks
):
    """Used to lose work: "Resolved" chosen in the side panel, then "Send": status unchanged."""
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            edit_url(ticket),
            screen_data(ticket, **{"reply-body": "Fixed in 5.2.2.", "controls-status": "resolved"}),
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    [reply] = mail.outbox
    assert "Fixed in 5.2.2." in reply.body
    assert "Resolved" in reply.body


def test_send_with_assignee_and_criticality_applies_them_all(
    verified_staff_client, ticket, colleague
):
    verified_staff_client.post(
        edit_url(ticket),
        screen_data(
            ticket,
            **{
                "reply-body": "Looking into it.",
                "controls-assignee": colleague.pk,
                "controls-criticality": str(Criticality.HIGH),
            },
        ),
    )
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.criticality) == (colleague.pk, Criticality.HIGH)
    # Untouched status: the reply's own change (new to in progress) stands.
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_untouched_controls_do_not_undo_a_colleagues_change_meanwhile(
    verified_staff_client, ticket, colleague, make_staff
):
    screen = screen_data(ticket, **{"reply-body": "An answer."})  # the screen as loaded
    tickets.assign(ticket, colleague, colleague)  # Boris takes it meanwhile
    verified_staff_client.post(edit_url(ticket), screen)
    ticket.refresh_from_db()
    assert ticket.assignee_id == colleague.pk


def test_a_failed_send_keeps_the_message_and_the_controls(
    verified_staff_client, ticket, support_settings
):
    too_big = SimpleUploadedFile("big.log", b"x" * (support_settings.attachment_max_size + 1))
    response = verified_staff_client.post(
        edit_url(ticket),
        screen_data(
            ticket,
            **{
                "reply-body": "Long careful answer",
                "reply-files": [too_big],
                "controls-status": "waiting",
            },
        ),
    )
    assert response.status_code == 400
    assert text_of(find_one(response, "textarea[name='reply-body']")) == "Long careful answer"
    selected = find_one(response, "select[name='controls-status'] option[selected]")
    assert selected["value"] == "waiting"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_send_without_a_message_says_so_and_keeps_the_controls(verified_staff_client, ticket):
    response = verified_staff_client.post(
        edit_url(ticket), screen_data(ticket, **{"controls-status": "waiting"})
    )
    assert response.status_code == 400
    assert find_one(response, "select[name='controls-status'] option[selected]")["value"] == (
        "waiting"
    )


def test_bad_controls_are_refused_with_the_message_kept(verified_staff_client, ticket):
    response = verified_staff_client.post(
        edit_url(ticket),
        screen_data(ticket, **{"reply-body": "Kept", "controls-criticality": "99"}),
    )
    assert response.status_code == 400
    assert text_of(find_one(response, "textarea[name='reply-body']")) == "Kept"
    assert not Message.objects.filter(ticket=ticket, from_staff=True).exists()


def test_opened_from_the_queue_the_box_takes_the_focus_and_the_way_back_keeps_the_filters(
    verified_staff_client, ticket
):
    response = verified_staff_client.get(LIST_URL, {"client_status": "current"})
    link = find_one(response, f"#snippet_{ticket.pk}_title").find_parent("a") or find_one(
        response, f"a[href*='/edit/{ticket.pk}/']"
    )
    href = link["href"]
    assert parse_qs(urlsplit(href).query)["queue"] == ["client_status=current"]

    screen = verified_staff_client.get(href)
    assert find_one(screen, "form#avs-ticket-form").has_attr("data-avs-focus")
    back = find_one(screen, "[data-avs-back]")
    assert back["href"] == LIST_URL + "?client_status=current"
    assert find_one(screen, "input[name='queue']")["value"] == "client_status=current"
    # Opened from elsewhere (a mail's link): no focus taken.
    plain = verified_staff_client.get(edit_url(ticket))
    assert not find_one(plain, "form#avs-ticket-form").has_attr("data-avs-focus")


def test_send_and_next_opens_the_next_ticket_of_the_same_view_then_the_queue(
    verified_staff_client, make_admin_ticket
):
    now = timezone.now()
    first = make_admin_ticket(client_status="current", sla_due_at=now - timedelta(hours=1))
    second = make_admin_ticket(client_status="current", sla_due_at=now + timedelta(hours=1))
    make_admin_ticket(client_status="potential", sla_due_at=now - timedelta(days=1))
    queue = "client_status=current"

    response = verified_staff_client.post(
        edit_url(first, queue),
        screen_data(first, **{"reply-body": "Done.", "controls-status": "waiting", "then": "next"}),
    )
    assert response.status_code == 302
    assert response["Location"] == edit_url(second, "client_status%3Dcurrent")
    response = verified_staff_client.post(
        edit_url(second, queue),
        screen_data(second, **{"reply-body": "Done too.", "then": "next", "queue": queue}),
    )
    assert response["Location"] == LIST_URL + "?" + queue
    assert Ticket.objects.get(pk=first.pk).status == TicketStatus.WAITING


def test_canned_reply_placeholders_are_filled_as_plain_text(
    verified_staff_client, ticket, support_staff
):
    canned = CannedReply.objects.create(
        title="Greeting",
        text=(
            "Hello {customer_name}, about {ticket_number} ({product} {version}): "
            "{{ request.user.password }} {% now 'Y' %} {unknown} — {agent_name}"
        ),
    )
    response = verified_staff_client.post(
        edit_url(ticket),
        screen_data(ticket, **{"reply-canned_reply": str(canned.pk), "insert_canned": "1"}),
    )
    body = text_of(find_one(response, "textarea[name='reply-body']"))
    author = ticket.author.support_profile.display_name
    assert body == (
        f"Hello {author}, about {ticket.number} ( 5.2): "
        "{{ request.user.password }} {% now 'Y' %} {unknown} — Sofia Sidorova"
    )


def test_canned_replies_are_grouped_by_category(verified_staff_client, ticket):
    CannedReply.objects.create(title="Ask for the log", text="Please attach support.log.")
    CannedReply.objects.create(title="Licence moved", category="Licences", text="Moved.")
    CannedReply.objects.create(title="Licence renewed", category="Licences", text="Renewed.")
    response = verified_staff_client.get(edit_url(ticket))
    select_field = find_one(response, "select[name='reply-canned_reply']")
    group = find_one(select_field, "optgroup")
    assert group["label"] == "Licences"
    assert [text_of(option) for option in group.select("option")] == [
        "Licence moved",
        "Licence renewed",
    ]
    ungrouped = [text_of(option) for option in select_field.find_all("option", recursive=False)]
    assert ungrouped == ["Choose a canned reply…", "Ask for the log"]
