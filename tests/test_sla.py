"""First-response due times to the minute, in the site's time zone (Europe/Moscow in tests), in
working time (09:00-18:00 Monday to Friday here: no holiday in these weeks of November 2026).
The production calendar's own cases are in test_sla_working_time.py."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from avsoft_support import sla
from avsoft_support.clients.status import apply_invoice_number, unverify, verify
from avsoft_support.models import (
    ClientAccount,
    ClientStatus,
    MemberProfile,
    SupportSettings,
    Ticket,
)

MOSCOW = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")

WEDNESDAY_AFTERNOON = datetime(2026, 11, 25, 15, 30, tzinfo=MOSCOW)
FRIDAY_EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=MOSCOW)  # 16:00 UTC


def msk(*args):
    return datetime(*args, tzinfo=MOSCOW)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "created", "due"),
    [
        # Claimed clients: one working day, ending when it ends.
        (ClientStatus.CLAIMED, WEDNESDAY_AFTERNOON, msk(2026, 11, 26, 18, 0)),
        (ClientStatus.CLAIMED, FRIDAY_EVENING, msk(2026, 11, 30, 18, 0)),
        # Potential clients: two working days.
        (ClientStatus.POTENTIAL, WEDNESDAY_AFTERNOON, msk(2026, 11, 27, 18, 0)),
        (ClientStatus.POTENTIAL, FRIDAY_EVENING, msk(2026, 12, 1, 18, 0)),
        # Current clients: four working hours.
        (ClientStatus.CURRENT, WEDNESDAY_AFTERNOON, msk(2026, 11, 26, 10, 30)),
        (ClientStatus.CURRENT, FRIDAY_EVENING, msk(2026, 11, 30, 13, 0)),
    ],
    ids=[
        "claimed-wednesday",
        "claimed-friday-evening",
        "potential-wednesday",
        "potential-friday-evening",
        "current-wednesday",
        "current-friday-evening",
    ],
)
def test_first_response_due_with_the_default_targets(status, created, due):
    targets = SupportSettings()  # 4 working hours, 1 and 2 working days, 09:00-18:00
    assert targets.time_zone == "Europe/Moscow"  # the site's TIME_ZONE
    result = sla.first_response_due(targets, status, created.astimezone(UTC))
    assert result == due
    assert sla.first_response_due(targets, status, created) == due


@pytest.mark.django_db
def test_friday_evening_in_utc_is_already_saturday_in_moscow():
    # 22:30 UTC on Friday is 01:30 on Saturday for the desk: the weekend, so Monday counts first.
    created = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
    due = sla.first_response_due(SupportSettings(), ClientStatus.CLAIMED, created)
    assert due == msk(2026, 11, 30, 18, 0)


@pytest.fixture
def clock(monkeypatch):
    """Sets what timezone.now() answers (the moment of a verification)."""

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def waiting_ticket(author, created, status=ClientStatus.CLAIMED):
    return Ticket.objects.create(
        subject="s",
        product_version="1",
        os_version="x",
        author=author,
        client_status=status,
        priority=ClientStatus.priority_of(status),
        created_at=created,
        last_activity_at=created,
        sla_due_at=sla.first_response_due(SupportSettings(), status, created),
    )


@pytest.mark.django_db
def test_verifying_counts_the_new_target_from_the_verification(
    member, site, django_user_model, clock
):
    """Filed Monday 10:00 as a claimed client (due Tuesday 18:00), verified Monday 16:00: four
    working hours from the verification (Tuesday 11:00), not from the filing (Monday 14:00,
    already past when the client was verified)."""
    ticket = waiting_ticket(member, msk(2026, 11, 30, 10, 0))
    assert ticket.sla_due_at == msk(2026, 12, 1, 18, 0)
    clock(msk(2026, 11, 30, 16, 0))
    staff = django_user_model.objects.create_user("staffer")
    verify(MemberProfile.objects.get(user=member), ClientAccount.objects.create(company="A"), staff)
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CURRENT, 1)
    assert ticket.sla_due_at == msk(2026, 12, 1, 11, 0)


@pytest.mark.django_db
def test_a_promotion_never_moves_the_due_time_later(member, site, django_user_model, clock):
    """Verified on Tuesday at 17:00, an hour before the claimed target: four working hours from
    then would be Wednesday 12:00; the ticket keeps Tuesday 18:00."""
    ticket = waiting_ticket(member, msk(2026, 11, 30, 10, 0))
    clock(msk(2026, 12, 1, 17, 0))
    staff = django_user_model.objects.create_user("staffer")
    verify(MemberProfile.objects.get(user=member), ClientAccount.objects.create(company="A"), staff)
    ticket.refresh_from_db()
    assert ticket.client_status == ClientStatus.CURRENT
    assert ticket.sla_due_at == msk(2026, 12, 1, 18, 0)


@pytest.mark.django_db
def test_a_waiting_ticket_filed_on_friday_evening_gets_the_due_time_of_each_new_status(
    member, site, django_user_model, clock
):
    ticket = waiting_ticket(member, FRIDAY_EVENING)
    assert ticket.sla_due_at == msk(2026, 11, 30, 18, 0)
    profile = MemberProfile.objects.get(user=member)
    profile.invoice_number = "INV-1"
    staff = django_user_model.objects.create_user("staffer")

    clock(msk(2026, 11, 28, 11, 0))  # verified on Saturday: hours count from Monday 09:00
    verify(profile, ClientAccount.objects.create(company="Acme"), staff)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == msk(2026, 11, 30, 13, 0)

    clock(msk(2026, 11, 30, 9, 30))  # claimed again on Monday: one working day from now
    unverify(profile, staff)
    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CLAIMED, 2)
    assert ticket.sla_due_at == msk(2026, 12, 1, 18, 0)


@pytest.mark.django_db
def test_a_ticket_whose_status_stays_keeps_its_due_time(member, site, clock):
    """A claimed member giving another number stays claimed: the due time does not move."""
    ticket = waiting_ticket(member, FRIDAY_EVENING)
    profile = MemberProfile.objects.get(user=member)
    apply_invoice_number(profile, "INV-1")
    clock(msk(2026, 12, 2, 12, 0))
    apply_invoice_number(profile, "INV-2")
    ticket.refresh_from_db()
    assert ticket.client_status == ClientStatus.CLAIMED
    assert ticket.sla_due_at == msk(2026, 11, 30, 18, 0)
