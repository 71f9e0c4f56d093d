"""From the ticket screen: staff correct subject, product and version (the history keeps the
old values), and create a client account for the customer's company without leaving it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import ModelLogEntry

from avsoft_support.models import ClientAccount, ClientStatus, Product, TicketStatus
from tests.utils import find_one, otp_login, select, text_of


def edit_url(ticket):
    return reverse("avsoft_support_tickets:edit", args=[ticket.pk])


@pytest.fixture
def ticket(make_admin_ticket, make_member):
    author = make_member(
        username="olga",
        full_name="Olga Smirnova",
        company="Vector LLC",
        invoice_number="INV-77",
        client_status="claimed",
    )
    return make_admin_ticket(author=author, client_status="claimed", subject="Export brok")


def test_correcting_subject_product_and_version_is_kept_in_the_history(
    verified_staff_client, ticket
):
    analyzer = Product.objects.create(name="Analyzer")
    response = verified_staff_client.post(
        edit_url(ticket),
        {
            "action": "details",
            "details-subject": "Export broken at 50%",
            "details-product": analyzer.pk,
            "details-product_other": "",
            "details-product_version": "7.1",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.product, ticket.product_version) == (
        "Export broken at 50%",
        analyzer,
        "7.1",
    )
    entry = ModelLogEntry.objects.get(action="avsoft_support.ticket.correct")
    assert entry.data["changes"]["subject"] == ["Export brok", "Export broken at 50%"]
    assert entry.data["changes"]["product_version"] == ["5.2", "7.1"]
    history = verified_staff_client.get(reverse("avsoft_support_tickets:history", args=[ticket.pk]))
    assert "Export brok" in text_of(find_one(history, "main"))


def test_a_correction_without_a_product_is_refused_and_nothing_changes(
    verified_staff_client, ticket
):
    response = verified_staff_client.post(
        edit_url(ticket),
        {
            "action": "details",
            "details-subject": "",
            "details-product": "",
            "details-product_other": "",
            "details-product_version": "7.1",
        },
    )
    assert response.status_code == 400
    assert find_one(response, "details.avs-details[open]")
    ticket.refresh_from_db()
    assert ticket.subject == "Export brok"
    assert not ModelLogEntry.objects.filter(action="avsoft_support.ticket.correct").exists()


def test_create_a_client_account_from_the_ticket(client, ticket, make_staff):
    lead = make_staff(username="lead", support_group=True)
    lead.user_permissions.add(
        Permission.objects.get(codename="add_clientaccount"),
        Permission.objects.get(codename="verify_client"),
    )
    otp_login(client, lead)
    screen = client.get(edit_url(ticket))
    form = find_one(screen, "input[name='action'][value='create_account']").find_parent("form")
    assert find_one(form, "input[name='account-company']")["value"] == "Vector LLC"

    response = client.post(
        edit_url(ticket),
        {
            "action": "create_account",
            "account-company": "Vector LLC",
            "account-invoice_number": "INV-77",
        },
    )
    assert response.status_code == 302
    account = ClientAccount.objects.get(company="Vector LLC")
    assert [n.number for n in account.invoice_numbers.all()] == ["INV-77"]
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CURRENT, 1)
    assert ticket.status == TicketStatus.NEW
    # Now a current client: the screen no longer offers it.
    assert not select(client.get(edit_url(ticket)), "input[name='action'][value='create_account']")


def test_staff_who_may_not_create_accounts_are_not_offered_it(client, ticket, make_staff):
    agent = make_staff(username="agent")
    agent.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    otp_login(client, agent)
    screen = client.get(edit_url(ticket))
    assert screen.status_code == 200
    assert not select(screen, "input[name='action'][value='create_account']")
    response = client.post(
        edit_url(ticket), {"action": "create_account", "account-company": "Vector LLC"}
    )
    assert response.status_code in (302, 403)  # Wagtail's "no permission" answer
    assert not ClientAccount.objects.exists()
