"""The collision notice on the staff ticket screen: a reply posted over a newer one is held
back with the text kept, and who else has the ticket open is shown (issue 10, item 5)."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from avsoft_support import tickets
from avsoft_support.admin import presence
from avsoft_support.models import Message, TicketStatus
from tests.utils import find_one, otp_login, select, text_of


def edit_url(ticket):
    return reverse("avsoft_support_tickets:edit", args=[ticket.pk])


def presence_url(ticket_or_pk):
    pk = getattr(ticket_or_pk, "pk", ticket_or_pk)
    return reverse("avsoft_support_tickets:presence", args=[pk])


@pytest.fixture
def ticket(make_admin_ticket, make_member):
    author = make_member(username="ivan", full_name="Ivan Petrov")
    return make_admin_ticket(author=author, subject="Export stops at 50%")


@pytest.fixture
def second_agent(make_staff):
    return make_staff(username="boris", first_name="Boris", last_name="Belov", support_group=True)


@pytest.fixture
def second_client(second_agent):
    return otp_login(Client(), second_agent)


def seen_id(response):
    """What the reply form says its agent saw (the hidden field)."""
    return find_one(response, "form.avs-reply-form input[name='reply-seen']")["value"]


def reply_data(seen, **overrides):
    data = {
        "action": "reply",
        "reply-kind": "reply",
        "reply-body": "Please send the log file.",
        "reply-seen": seen,
    }
    data.update(overrides)
    return data


# The screen's controls as Boris leaves them: "waiting" chosen; the rest as loaded (a new,
# unassigned ticket of normal criticality).
CONTROLS_WAITING = {
    "controls-status": "waiting",
    "controls-assignee": "",
    "controls-criticality": "3",
    "controls-loaded_status": "new",
    "controls-loaded_assignee": "",
    "controls-loaded_criticality": "3",
}


def test_two_agents_answer_at_once_the_second_reply_is_held_then_sent_on_confirm(
    verified_staff_client, second_client, ticket, django_capture_on_commit_callbacks
):
    # Both open the ticket; each form names the customer's question as the newest message.
    seen_a = seen_id(verified_staff_client.get(edit_url(ticket)))
    seen_b = seen_id(second_client.get(edit_url(ticket)))
    assert seen_a == seen_b == str(Message.objects.get(ticket=ticket).pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            edit_url(ticket), reply_data(seen_a, **{"reply-body": "Sofia's answer."})
        )
    assert response.status_code == 302
    first = Message.objects.get(ticket=ticket, from_staff=True)
    assert len(mail.outbox) == 1

    # Boris sends over Sofia's reply: held, his text and his status change kept.
    with django_capture_on_commit_callbacks(execute=True):
        held = second_client.post(
            edit_url(ticket),
            reply_data(seen_b, **{"reply-body": "Boris's answer.", **CONTROLS_WAITING}),
        )
    assert held.status_code == 409
    assert Message.objects.filter(ticket=ticket, from_staff=True).count() == 1
    assert len(mail.outbox) == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS  # his "then waiting" was not applied
    form = find_one(held, "form.avs-reply-form")
    assert text_of(find_one(form, "textarea[name='reply-body']")) == "Boris's answer."
    assert find_one(form, "select[name='controls-status'] option[selected]")["value"] == ("waiting")
    assert seen_id(held) == str(first.pk)  # now names Sofia's reply
    notice = find_one(form, ".avs-collision[role='alert']")
    time = date_format(timezone.localtime(first.created_at), "H:i")
    assert text_of(notice).startswith(
        f"Sofia Sidorova replied at {time} while you were writing: read it, then send again "
        "or change your reply."
    )
    assert find_one(notice, "a")["href"] == f"#message-{first.pk}"
    marked = find_one(held, f"#message-{first.pk}")
    assert "avs-message--newer" in marked["class"]
    assert text_of(find_one(marked, ".avs-tag--newer")) == "New while you were writing"
    assert [text_of(b) for b in form.select("button[type=submit]:not([name])")] == ["Send anyway"]
    assert find_one(form, "button[name='then'][value='next']")  # still one form, same choices

    # He confirms: the form as re-rendered goes through.
    with django_capture_on_commit_callbacks(execute=True):
        sent = second_client.post(
            edit_url(ticket),
            reply_data(seen_id(held), **{"reply-body": "Boris's answer.", **CONTROLS_WAITING}),
        )
    assert sent.status_code == 302
    assert list(
        Message.objects.filter(ticket=ticket, from_staff=True)
        .order_by("pk")
        .values_list("body", flat=True)
    ) == ["Sofia's answer.", "Boris's answer."]
    assert len(mail.outbox) == 2
    assert [m.to for m in mail.outbox] == [["ivan@example.com"], ["ivan@example.com"]]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_a_customer_reply_meanwhile_holds_the_reply_too(verified_staff_client, ticket):
    seen = seen_id(verified_staff_client.get(edit_url(ticket)))
    tickets.add_message(ticket, ticket.author, "Here is the log.")
    held = verified_staff_client.post(edit_url(ticket), reply_data(seen))
    assert held.status_code == 409
    assert text_of(find_one(held, ".avs-collision")).startswith("Ivan Petrov replied at ")
    assert not Message.objects.filter(ticket=ticket, from_staff=True).exists()


def test_own_messages_notes_and_a_form_without_the_field_do_not_hold_a_reply(
    verified_staff_client, second_agent, support_staff, ticket
):
    seen = seen_id(verified_staff_client.get(edit_url(ticket)))
    # An internal note by someone else, and the agent's own reply from another tab.
    tickets.add_message(ticket, second_agent, "Lab says #123", from_staff=True, internal=True)
    tickets.add_message(ticket, support_staff, "First part.", from_staff=True)
    assert verified_staff_client.post(edit_url(ticket), reply_data(seen)).status_code == 302
    # A form from before this change (no hidden field) is sent as before.
    data = reply_data("")
    del data["reply-seen"]
    tickets.add_message(ticket, ticket.author, "Thanks")
    assert verified_staff_client.post(edit_url(ticket), data).status_code == 302


def test_a_note_is_never_held_but_the_agent_is_told(verified_staff_client, second_client, ticket):
    seen = seen_id(verified_staff_client.get(edit_url(ticket)))
    second_client.post(edit_url(ticket), reply_data(seen, **{"reply-body": "Boris here."}))
    response = verified_staff_client.post(
        edit_url(ticket), reply_data(seen, **{"reply-kind": "note", "reply-body": "Noted."})
    )
    assert response.status_code == 302
    assert Message.objects.get(ticket=ticket, is_internal=True).body == "Noted."
    page = verified_staff_client.get(response["Location"])
    assert "Boris Belov replied at " in page.content.decode()


def test_a_forged_seen_value_is_a_form_error_not_a_server_error(verified_staff_client, ticket):
    response = verified_staff_client.post(edit_url(ticket), reply_data("9" * 40))
    assert response.status_code == 400
    assert not Message.objects.filter(ticket=ticket, from_staff=True).exists()


def test_inserting_a_canned_reply_keeps_what_the_agent_saw(verified_staff_client, ticket):
    from avsoft_support.models import CannedReply

    canned = CannedReply.objects.create(title="Log", text="Attach the log.")
    seen = seen_id(verified_staff_client.get(edit_url(ticket)))
    tickets.add_message(ticket, ticket.author, "More details")
    response = verified_staff_client.post(
        edit_url(ticket),
        reply_data(seen, **{"insert_canned": "1", "reply-canned_reply": str(canned.pk)}),
    )
    assert seen_id(response) == seen
    assert verified_staff_client.post(edit_url(ticket), reply_data(seen)).status_code == 409


# Presence ---------------------------------------------------------------------------------


def test_the_screen_says_who_else_is_viewing_without_javascript(
    verified_staff_client, second_client, ticket
):
    first = verified_staff_client.get(edit_url(ticket))
    region = find_one(first, "[data-avs-presence]")
    assert region["role"] == "status"
    assert region["aria-live"] == "polite"
    assert region["data-url"] == presence_url(ticket)
    assert region["data-interval"] == "25"
    assert text_of(region) == ""  # alone on it

    second = second_client.get(edit_url(ticket))
    assert text_of(find_one(second, "[data-avs-presence]")) == (
        "Sofia Sidorova is also viewing this ticket"
    )
    again = verified_staff_client.get(edit_url(ticket))
    assert text_of(find_one(again, "[data-avs-presence]")) == (
        "Boris Belov is also viewing this ticket"
    )


def test_presence_expires_after_a_minute(verified_staff_client, second_client, ticket, monkeypatch):
    second_client.get(edit_url(ticket))
    now = presence.time.time()
    monkeypatch.setattr(presence.time, "time", lambda: now + presence.PRESENCE_TTL + 1)
    response = verified_staff_client.get(edit_url(ticket))
    assert select(response, "[data-avs-presence] p") == []


def test_the_endpoint_says_who_else_is_viewing_and_whether_a_reply_came(
    verified_staff_client, second_client, ticket
):
    seen = seen_id(verified_staff_client.get(edit_url(ticket)))
    response = verified_staff_client.get(presence_url(ticket), {"seen": seen})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"viewing": [], "newer": False, "notices": []}

    # Boris polls too (he never loaded the page): that counts as viewing.
    assert second_client.get(presence_url(ticket)).json()["viewing"] == ["Sofia Sidorova"]
    tickets.add_message(ticket, ticket.author, "Here is the log.")
    assert verified_staff_client.get(presence_url(ticket), {"seen": seen}).json() == {
        "viewing": ["Boris Belov"],
        "newer": True,
        "notices": [
            "Boris Belov is also viewing this ticket",
            "A new reply arrived while you were on this page: reload to read it.",
        ],
    }
    # Rubbish in ?seen= is no error.
    for rubbish in ("x1", "9" * 40, "-1"):
        answer = verified_staff_client.get(presence_url(ticket), {"seen": rubbish})
        assert answer.json()["newer"] is False


def test_the_endpoint_is_for_ticket_staff_only(client, ticket, make_staff, member):
    url = presence_url(ticket)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]

    client.force_login(member)  # a customer
    assert client.get(url).status_code in (302, 403)

    client.logout()
    editor = make_staff(username="editor")  # admin access, no ticket permissions
    otp_login(client, editor)
    existing = client.get(url)
    missing = client.get(presence_url(ticket.pk + 1000))
    assert existing.status_code in (302, 403)
    assert (existing.status_code, existing.get("Location")) == (
        missing.status_code,
        missing.get("Location"),
    )
    assert presence.touch(ticket.pk, make_staff(username="probe")) == []  # nobody recorded


def test_the_endpoint_for_read_only_staff_and_a_missing_ticket(client, ticket, make_staff):
    viewer = make_staff(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    otp_login(client, viewer)
    assert client.get(presence_url(ticket)).status_code == 200
    assert client.get(presence_url(ticket.pk + 1000)).status_code == 404


def test_the_endpoint_asks_the_same_queries_however_many_viewers_and_messages(
    verified_staff_client, make_staff, ticket
):
    url = presence_url(ticket)
    verified_staff_client.get(url, {"seen": "1"})
    with CaptureQueriesContext(connection) as few:
        verified_staff_client.get(url, {"seen": "1"})
    for n in range(5):
        agent = make_staff(username=f"agent{n}", support_group=True)
        otp_login(Client(), agent).get(url)
        tickets.add_message(ticket, ticket.author, f"message {n}")
    with CaptureQueriesContext(connection) as many:
        response = verified_staff_client.get(url, {"seen": "1"})
    assert len(response.json()["viewing"]) == 5
    assert len(many) == len(few), "\n".join(q["sql"] for q in many)
