"""The dashboard's support queue panel and summary item, with a fixed query count."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from avsoft_support.models import TicketStatus
from tests.utils import find_one, links, otp_login, select, text_of

LIST_URL = "/admin/support/tickets/"


def test_the_panel_counts_new_tickets_by_client_status_overdue_and_mine(
    verified_staff_client, make_admin_ticket, support_staff
):
    now = timezone.now()
    make_admin_ticket(client_status="current")
    make_admin_ticket(client_status="current", sla_due_at=now - timedelta(minutes=5))
    make_admin_ticket(client_status="claimed")
    mine = make_admin_ticket(
        client_status="potential",
        status=TicketStatus.IN_PROGRESS,
        assignee=support_staff,
        subject="Mine and in progress",
    )
    make_admin_ticket(client_status="potential", status=TicketStatus.CLOSED, assignee=support_staff)

    response = verified_staff_client.get("/admin/")
    assert response.status_code == 200
    panel = find_one(response, "#avsoft-support-queue-section")
    counts = response.context["request"]._avsoft_support_ticket_counts
    assert (counts["new_current"], counts["new_claimed"], counts["new_potential"]) == (2, 1, 0)
    assert counts["overdue"] == 1 and counts["mine"] == 1 and counts["open"] == 4
    queue = links(find_one(panel, "ul.avs-queue"))
    assert queue == [
        (f"{LIST_URL}?status=new&client_status=current", "2 new: Current client"),
        (f"{LIST_URL}?status=new&client_status=claimed", "1 new: Claimed client"),
        (f"{LIST_URL}?status=new&client_status=potential", "0 new: Potential client"),
        (f"{LIST_URL}?overdue=true", "1 response overdue"),
        (f"{LIST_URL}?assignee=me", "1 open, assigned to me"),
        (f"{LIST_URL}?assignee=unassigned", "3 open, unassigned"),
    ]
    my_tickets = [links(row.select_one("td")) for row in panel.select("table tbody tr")]
    assert my_tickets == [[(f"{LIST_URL}edit/{mine.pk}/", f"{mine.number} Mine and in progress")]]
    # The summary row.
    assert (LIST_URL, "4 open tickets") in links(response)


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
    # The counters were recounted once after the changes (queue_cache.py); compare warm pages.
    verified_staff_client.get("/admin/")
    with CaptureQueriesContext(connection) as many:
        verified_staff_client.get("/admin/")
    assert len(many) == len(few), "\n".join(q["sql"] for q in many)


def test_editors_get_no_panel_no_count_no_badge(client, make_staff, make_admin_ticket):
    make_admin_ticket()
    otp_login(client, make_staff(username="editor"))
    response = client.get("/admin/")
    html = response.content.decode()
    assert select(response, "#avsoft-support-queue-section") == []
    assert "avsoft-support-queue" not in html
    assert "open ticket" not in html
    assert "Tickets (" not in html


def test_the_panel_warns_when_new_tickets_would_mail_nobody(
    verified_staff_client, site, support_page, support_settings
):
    def warnings():
        panel = find_one(verified_staff_client.get("/admin/"), "#avsoft-support-queue-section")
        return panel.select(".help-warning")

    assert warnings() == []  # the fixture's settings name two addresses

    support_settings.notification_emails = ""
    support_settings.save()
    [warning] = warnings()
    assert text_of(warning).startswith("New tickets on Test are mailed to nobody")
    assert links(warning) == [
        (f"/admin/settings/avsoft_support/supportsettings/{site.pk}/", "Set the support addresses")
    ]

    support_page.unpublish()  # no support page on the site: nothing to warn about
    assert warnings() == []
