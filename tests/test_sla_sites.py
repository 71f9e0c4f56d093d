"""Re-ranking after a verification uses the first-response targets of the site each ticket was
filed on, as filing did (it used to read the default site's for every ticket)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
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
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MOSCOW)


@pytest.fixture
def other_site_page(site):
    """A second site whose desk promises current clients an answer within 1 hour (the default
    site keeps its 4 hours)."""
    from tests.testapp.models import HomePage  # not installed with a custom base page

    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other"))
    other = Site.objects.create(hostname="other.example", port=80, root_page=home)
    targets = SupportSettings.for_site(other)
    targets.sla_current_hours = 1
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
        created_at=WEDNESDAY_NOON,
        last_activity_at=WEDNESDAY_NOON,
        support_page=page,
    )


@pytest.mark.django_db
def test_verifying_a_member_gives_each_ticket_the_targets_of_its_own_site(
    member, support_page, other_site_page, django_user_model
):
    on_default = waiting_ticket(member, support_page)
    on_other = waiting_ticket(member, other_site_page)
    unknown_page = waiting_ticket(member, None)  # the page was deleted: the default site's
    staff = django_user_model.objects.create_user("staffer")

    verify(MemberProfile.objects.get(user=member), ClientAccount.objects.create(company="A"), staff)

    due = dict(Ticket.objects.values_list("pk", "sla_due_at"))
    assert due[on_default.pk] == WEDNESDAY_NOON + timedelta(hours=4)
    assert due[on_other.pk] == WEDNESDAY_NOON + timedelta(hours=1)
    assert due[unknown_page.pk] == WEDNESDAY_NOON + timedelta(hours=4)
