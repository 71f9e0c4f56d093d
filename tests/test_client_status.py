"""Client status rules that hold whatever page changes them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from avsoft_support import sla
from avsoft_support.clients.status import apply_invoice_number, verify
from avsoft_support.models import (
    ClientAccount,
    ClientStatus,
    MemberProfile,
    SupportSettings,
    Ticket,
)


@pytest.mark.django_db
def test_a_verified_member_giving_an_unknown_number_stays_current(member, site, django_user_model):
    account = ClientAccount.objects.create(company="Acme")
    staff = django_user_model.objects.create_user("staffer")
    profile = MemberProfile.objects.get(user=member)
    verify(profile, account, staff)
    apply_invoice_number(profile, "NOT-ON-FILE")
    profile.refresh_from_db()
    assert profile.client_status == ClientStatus.CURRENT
    assert profile.client_account == account
    assert profile.invoice_number == "NOT-ON-FILE"


@pytest.mark.django_db
def test_verifying_moves_the_first_response_due_time_of_waiting_tickets(
    member, site, django_user_model, monkeypatch
):
    verified_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: verified_at)
    created = verified_at - timedelta(hours=1)
    ticket = Ticket.objects.create(
        subject="s",
        product_version="1",
        os_version="x",
        author=member,
        created_at=created,
        sla_due_at=created + timedelta(days=30),
    )
    verify(
        MemberProfile.objects.get(user=member),
        ClientAccount.objects.create(company="Acme"),
        django_user_model.objects.create_user("staffer"),
    )
    ticket.refresh_from_db()
    assert ticket.priority == 1
    # The current client's target, in working hours, from the verification.
    targets = SupportSettings.for_site(site)
    assert ticket.sla_due_at == sla.first_response_due(targets, ClientStatus.CURRENT, verified_at)
    assert ticket.sla_due_at > verified_at


def test_working_days_count_in_the_site_time_zone():
    # Saturday 01:00 in Moscow is Friday 22:00 UTC: still the weekend for the desk.
    saturday = datetime(2026, 11, 28, 1, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    due = sla.add_working_time(
        saturday.astimezone(ZoneInfo("UTC")),
        days=1,
        support_settings=SupportSettings(time_zone="Europe/Moscow"),
        calendar=sla.WorkingCalendar({}),
    )
    assert timezone.localtime(due).weekday() == 0  # Monday


def test_a_tickets_priority_is_always_its_client_status_rank(make_admin_ticket):
    """The queue ranks by priority and the triage list's client-status filter asks for it
    alone: saving a ticket, whole or some fields, keeps it the client status's rank."""
    ticket = make_admin_ticket(client_status="potential")
    ticket.client_status, ticket.priority = "current", 3
    ticket.save(update_fields=["client_status"])
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == ("current", 1)
    ticket.client_status = "claimed"
    ticket.save()
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == ("claimed", 2)
    created = Ticket.objects.create(
        subject="Made elsewhere", author=ticket.author, client_status="current"
    )
    assert Ticket.objects.get(pk=created.pk).priority == 1
