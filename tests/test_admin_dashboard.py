"""The dashboard's support queue panel and summary item, with a fixed query count."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avsoft_support.models import TicketStatus
from tests.utils import otp_login


def test_the_panel_counts_new_tickets_by_client_status_overdue_and_mine(
    verified_staff_client, make_admin_ticket, support_staff
):
    now = timezone.now()
    make_admin_ticket(client_status="current")
    make_admin_ticket(client_status="current", sla_due_at=now - timedelta(minutes=5))
    make_admin_ticket(client_status="claimed")
    make_admin_ticket(
        client_status="potential",
        status=TicketStatus.IN_PROGRESS,
        assignee=support_staff,
        subject="Mine and in progress",
    )
    make_admin_ticket(client_status="potential", status=TicketStatus.CLOSED, assignee=support_staff)

    response = verified_staff_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    panel = html[html.index('id="avsoft-support-queue-section"') :]
    panel = panel[: panel.index("</section>")]
    counts = response.context["request"]._avsoft_support_ticket_counts
    assert (counts["new_current"], counts["new_claimed"], counts["new_potential"]) == (2, 1, 0)
    assert counts["overdue"] == 1 and counts["mine"] == 1 and counts["open"] == 4
    assert "new: Current client" in panel
    assert "?status=new&amp;client_status=current" in panel
    assert "first response overdue" in panel and "?overdue=true" in panel
    assert "Mine and in progress" in panel
    # The summary row.
    assert "4 open tickets" in html


def test_the_dashboard_query_count_does_not_grow_with_tickets(
    verified_staff_client, make_admin_ticket, support_staff
):
    make_admin_ticket(assignee=support_staff)
    verified_staff_client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        verified_staff_client.get("/admin/")
    now = timezone.now()
    for n in range(20):
        make_admin_ticket(
            client_status=("current", "claimed", "potential")[n % 3],
            assignee=support_staff if n % 2 else None,
            sla_due_at=now - timedelta(minutes=1) if n % 4 == 0 else None,
        )
    with CaptureQueriesContext(connection) as many:
        verified_staff_client.get("/admin/")
    assert len(many) == len(few), "\n".join(q["sql"] for q in many)


def test_editors_get_no_panel_no_count_no_badge(client, make_staff, make_admin_ticket):
    make_admin_ticket()
    otp_login(client, make_staff(username="editor"))
    html = client.get("/admin/").content.decode()
    assert "avsoft-support-queue" not in html
    assert "open ticket" not in html
    assert "Tickets (" not in html


def test_the_panel_warns_when_new_tickets_would_mail_nobody(
    verified_staff_client, site, support_page, support_settings
):
    def panel():
        html = verified_staff_client.get("/admin/").content.decode()
        section = html[html.index('id="avsoft-support-queue-section"') :]
        return section[: section.index("</section>")]

    assert "mailed to nobody" not in panel()  # the fixture's settings name two addresses

    support_settings.notification_emails = ""
    support_settings.save()
    html = panel()
    assert "New tickets on Test are mailed to nobody" in html
    assert f'href="/admin/settings/avsoft_support/supportsettings/{site.pk}/"' in html

    support_page.unpublish()  # no support page on the site: nothing to warn about
    assert "mailed to nobody" not in panel()
