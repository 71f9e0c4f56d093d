"""Re-ranking after a verification uses the first-response targets of the site each ticket was
filed on, as filing did (it used to read the default site's for every ticket): its hours, its
working day and its time zone, counted from the verification."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page, Site

from avsoft_support.clients.status import verify
from avsoft_support.models import (
    ClientAccount,
    ClientStatus,
    MemberProfile,
    SupportPage,
    SupportSettings,
    Ticket,
)

MOSCOW = ZoneInfo("Europe/Moscow")
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")  # UTC+5, two hours ahead of Moscow
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=MOSCOW)
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MOSCOW)


@pytest.fixture
def other_site_page(site):
    """A second site whose desk in Yekaterinburg, open 08:00-13:00, promises current clients an
    answer within 1 working hour (the default site keeps its 4 hours, 09:00-18:00 in Moscow)."""
    from tests.testapp.models import HomePage  # not installed with a custom base page

    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other"))
    other = Site.objects.create(hostname="other.example", port=80, root_page=home)
    targets = SupportSettings.for_site(other)
    targets.sla_current_hours = 1
    targets.working_day_start, targets.working_day_end = time(8), time(13)
    targets.time_zone = "Asia/Yekaterinburg"
    targets.save()
    return home.add_child(instance=SupportPage(title="Desk", slug="desk"))


def waiting_ticket(author, page):
    return Ticket.objects.create(
        subject="Export stops",
        product_version="1",
        os_version="x",
        author=author,
        client_status=ClientStatus.CLAIMED,
        priority=ClientStatus.priority_of(ClientStatus.CLAIMED),
        created_at=TUESDAY_NOON,
        last_activity_at=TUESDAY_NOON,
        support_page=page,
    )


@pytest.mark.django_db
def test_verifying_a_member_gives_each_ticket_the_targets_of_its_own_site(
    member, support_page, other_site_page, django_user_model, monkeypatch
):
    on_default = waiting_ticket(member, support_page)
    on_other = waiting_ticket(member, other_site_page)
    unknown_page = waiting_ticket(member, None)  # the page was deleted: the default site's
    staff = django_user_model.objects.create_user("staffer")
    monkeypatch.setattr(timezone, "now", lambda: WEDNESDAY_NOON)  # verified a day after filing

    with CaptureQueriesContext(connection) as queries:
        verify(
            MemberProfile.objects.get(user=member),
            ClientAccount.objects.create(company="A"),
            staff,
        )
    # The calendar is read once for the three tickets.
    assert sum("avsoft_support_calendarday" in query["sql"] for query in queries) == 1

    due = dict(Ticket.objects.values_list("pk", "sla_due_at"))
    assert due[on_default.pk] == datetime(2026, 11, 25, 16, 0, tzinfo=MOSCOW)
    # 12:00 in Moscow is 14:00 in Yekaterinburg, after that desk closes: Thursday 09:00 there.
    assert due[on_other.pk] == datetime(2026, 11, 26, 9, 0, tzinfo=YEKATERINBURG)
    assert due[unknown_page.pk] == datetime(2026, 11, 25, 16, 0, tzinfo=MOSCOW)
