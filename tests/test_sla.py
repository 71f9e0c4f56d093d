"""First-response due times to the minute, in the site's time zone (Europe/Moscow in tests)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from avsoft_support import sla
from avsoft_support.clients.status import unverify, verify
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


@pytest.mark.parametrize(
    ("status", "created", "due"),
    [
        # Claimed clients: one working day.
        (ClientStatus.CLAIMED, WEDNESDAY_AFTERNOON, datetime(2026, 11, 26, 15, 30, tzinfo=MOSCOW)),
        (ClientStatus.CLAIMED, FRIDAY_EVENING, datetime(2026, 11, 30, 19, 0, tzinfo=MOSCOW)),
        # Potential clients: two working days.
        (
            ClientStatus.POTENTIAL,
            WEDNESDAY_AFTERNOON,
            datetime(2026, 11, 27, 15, 30, tzinfo=MOSCOW),
        ),
        (ClientStatus.POTENTIAL, FRIDAY_EVENING, datetime(2026, 12, 1, 19, 0, tzinfo=MOSCOW)),
        # Current clients: plain hours, weekend or not.
        (ClientStatus.CURRENT, FRIDAY_EVENING, datetime(2026, 11, 27, 23, 0, tzinfo=MOSCOW)),
    ],
    ids=[
        "claimed-wednesday",
        "claimed-friday-evening",
        "potential-wednesday",
        "potential-friday-evening",
        "current-friday-evening",
    ],
)
def test_first_response_due_with_the_default_targets(status, created, due):
    targets = SupportSettings()  # 4 hours, 1 and 2 working days
    result = sla.first_response_due(targets, status, created.astimezone(UTC))
    assert result == due
    assert sla.first_response_due(targets, status, created) == due


def test_friday_evening_in_utc_is_already_saturday_in_moscow():
    # 22:30 UTC on Friday is 01:30 on Saturday for the desk: the weekend, so Monday counts first.
    created = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
    due = sla.first_response_due(SupportSettings(), ClientStatus.CLAIMED, created)
    assert due == datetime(2026, 11, 30, 1, 30, tzinfo=MOSCOW)


@pytest.mark.django_db
def test_a_waiting_ticket_filed_on_friday_evening_gets_the_due_time_of_each_new_status(
    member, site, django_user_model
):
    ticket = Ticket.objects.create(
        subject="s",
        product_version="1",
        os_version="x",
        author=member,
        client_status=ClientStatus.CLAIMED,
        priority=ClientStatus.priority_of(ClientStatus.CLAIMED),
        created_at=FRIDAY_EVENING,
        last_activity_at=FRIDAY_EVENING,
        sla_due_at=datetime(2026, 11, 30, 19, 0, tzinfo=MOSCOW),
    )
    profile = MemberProfile.objects.get(user=member)
    profile.invoice_number = "INV-1"
    staff = django_user_model.objects.create_user("staffer")

    verify(profile, ClientAccount.objects.create(company="Acme"), staff)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == datetime(2026, 11, 27, 23, 0, tzinfo=MOSCOW)

    unverify(profile, staff)  # claimed again: one working day after Friday is Monday
    ticket.refresh_from_db()
    assert ticket.sla_due_at == datetime(2026, 11, 30, 19, 0, tzinfo=MOSCOW)
