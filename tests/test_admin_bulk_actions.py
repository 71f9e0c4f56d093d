"""Bulk actions on the triage list: assign to me, set status, close."""

from django.core import mail
from wagtail.models import ModelLogEntry

from avsoft_support.models import TicketStatus
from tests.utils import otp_login

LIST_URL = "/admin/support/tickets/"


def bulk_url(action, *tickets):
    ids = "&".join(f"id={ticket.pk}" for ticket in tickets)
    return f"/admin/bulk/avsoft_support/ticket/{action}/?{ids}&next={LIST_URL}"


def logged(action):
    return ModelLogEntry.objects.filter(action=action).count()


def test_the_listing_offers_the_three_actions(verified_staff_client, make_admin_ticket):
    make_admin_ticket()
    html = verified_staff_client.get(LIST_URL).content.decode()
    for action in ("assign_to_me", "set_status", "close"):
        assert f"/admin/bulk/avsoft_support/ticket/{action}/" in html


def test_assign_to_me(verified_staff_client, make_admin_ticket, support_staff):
    first, second = make_admin_ticket(), make_admin_ticket()
    response = verified_staff_client.get(bulk_url("assign_to_me", first, second))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Assign these 2 tickets to yourself?" in html
    assert "Assign tickets to me" in html  # the page title
    assert "Yes, assign to me" in html and "No, go back" in html

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
    html = response.content.decode()
    assert 'name="status"' in html
    assert "Set the status of these 2 tickets?" in html

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
    otp_login(client, make_staff(username="editor"))
    response = client.post(bulk_url("close", ticket))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    assert response.status_code in (200, 302, 403)
