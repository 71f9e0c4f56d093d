"""Bulk actions on the triage list: assign to me, set status, close."""

from django.core import mail
from wagtail.models import ModelLogEntry

from avsoft_support.models import TicketStatus
from tests.utils import (
    assert_in_html,
    assert_no_tag_in_html,
    assert_tag_in_html,
    find_one,
    otp_login,
    select,
    text_of,
)

LIST_URL = "/admin/support/tickets/"


def bulk_url(action, *tickets):
    ids = "&".join(f"id={ticket.pk}" for ticket in tickets)
    return f"/admin/bulk/avsoft_support/ticket/{action}/?{ids}&next={LIST_URL}"


def logged(action):
    return ModelLogEntry.objects.filter(action=action).count()


def test_the_listing_offers_the_three_actions(verified_staff_client, make_admin_ticket):
    make_admin_ticket()
    response = verified_staff_client.get(LIST_URL)
    buttons = {
        text_of(link): link["href"] for link in select(response, "a[data-bulk-action-button]")
    }
    for label, action in (
        ("Assign to me", "assign_to_me"),
        ("Set status", "set_status"),
        ("Close", "close"),
    ):
        assert buttons[label] == f"/admin/bulk/avsoft_support/ticket/{action}/"


def test_assign_to_me(verified_staff_client, make_admin_ticket, support_staff):
    first, second = make_admin_ticket(), make_admin_ticket()
    response = verified_staff_client.get(bulk_url("assign_to_me", first, second))
    assert response.status_code == 200
    assert text_of(find_one(response, "title")).startswith("Assign tickets to me")
    assert text_of(find_one(response, "main h1")) == "Assign to me"
    main = find_one(response, "main")
    assert "Assign these 2 tickets to yourself?" in text_of(main)
    assert {text_of(link) for link in main.select("ul a")} == {str(first), str(second)}
    form = find_one(main, "form")
    assert_in_html('<button type="submit" class="button">Yes, assign to me</button>', form)
    assert_in_html(f'<a href="{LIST_URL}" class="button button-secondary">No, go back</a>', form)

    response = verified_staff_client.post(bulk_url("assign_to_me", first, second))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == support_staff
    assert logged("avsoft_support.ticket.assign") == 2
    for ticket in (first, second):
        history = verified_staff_client.get(f"/admin/support/tickets/history/{ticket.pk}/")
        assert "Assigned to Sofia Sidorova" in history.content.decode()
    # Again: nothing changes, nothing more is logged.
    verified_staff_client.post(bulk_url("assign_to_me", first, second))
    assert logged("avsoft_support.ticket.assign") == 2


def test_set_status_tells_each_customer(
    verified_staff_client, make_admin_ticket, django_capture_on_commit_callbacks
):
    first, second = make_admin_ticket(), make_admin_ticket(status=TicketStatus.WAITING)
    response = verified_staff_client.get(bulk_url("set_status", first, second))
    form = find_one(response, "main form")
    assert_tag_in_html('<select name="status" id="id_status">', form)
    assert_in_html('<option value="waiting">Waiting for customer</option>', form)
    assert "Set the status of these 2 tickets?" in text_of(response)

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            bulk_url("set_status", first, second), {"status": "waiting"}
        )
    assert response.status_code == 302
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.WAITING
    assert logged("avsoft_support.ticket.status") == 1  # the second was waiting already
    assert [m.to for m in mail.outbox] == [[first.author.email]]


def test_set_status_needs_a_status(verified_staff_client, make_admin_ticket):
    ticket = make_admin_ticket()
    response = verified_staff_client.post(bulk_url("set_status", ticket), {"status": "bogus"})
    assert response.status_code == 200  # the form again, with its error
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_close(verified_staff_client, make_admin_ticket):
    first, second = make_admin_ticket(), make_admin_ticket(status=TicketStatus.IN_PROGRESS)
    response = verified_staff_client.post(bulk_url("close", first, second))
    assert response.status_code == 302
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED
        assert ticket.closed_at is not None
        # Each ticket's own history shows it (Wagtail shows one entry per uuid and action).
        history = verified_staff_client.get(f"/admin/support/tickets/history/{ticket.pk}/")
        assert "Closed" in history.content.decode()
    assert logged("avsoft_support.ticket.status") == 2


def test_users_without_change_permission_cannot_act(client, make_admin_ticket, make_staff):
    ticket = make_admin_ticket()
    before = {
        field.attname: getattr(ticket, field.attname) for field in ticket._meta.concrete_fields
    }
    otp_login(client, make_staff(username="editor"))  # admin access, no ticket permissions

    # The confirmation page names the ticket as one they may not change and asks nothing.
    response = client.get(bulk_url("close", ticket))
    assert response.status_code == 200
    main = find_one(response, "main")
    assert "You may not change these tickets" in text_of(main)
    assert str(ticket) in text_of(main)
    assert main.select("form") == []
    assert_no_tag_in_html("<button>", main)
    assert_in_html(f'<a href="{LIST_URL}" class="button button-secondary">Go back</a>', main)

    # Posting anyway (Wagtail leaves out the objects one may not change, then goes back to the
    # listing) changes nothing, logs nothing and tells no customer.
    for action, data in (
        ("close", {}),
        ("assign_to_me", {}),
        ("set_status", {"status": TicketStatus.WAITING}),
    ):
        response = client.post(bulk_url(action, ticket), data)
        assert (response.status_code, response["Location"]) == (302, LIST_URL), action
    ticket.refresh_from_db()
    after = {
        field.attname: getattr(ticket, field.attname) for field in ticket._meta.concrete_fields
    }
    assert after == before
    assert ticket.status == TicketStatus.NEW and ticket.assignee is None
    assert not ModelLogEntry.objects.exists()
    assert mail.outbox == []
