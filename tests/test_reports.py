"""The admin's support reports: who sees them, their numbers, filters, export, chart, queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site

from avsoft_support import reports
from avsoft_support.models import Product, Ticket
from tests.test_admin_triage import menu_labels
from tests.utils import find_one, otp_login, select, text_of

RESPONSE_TIMES = reverse("avsoft_support_reports:response_times")
BACKLOG = reverse("avsoft_support_reports:backlog")
VOLUME = reverse("avsoft_support_reports:volume")
REPORT_URLS = [RESPONSE_TIMES, BACKLOG, VOLUME]
REPORT_LABELS = ["Support response times", "Support backlog by age", "Support ticket volume"]

NOW = timezone.now().replace(microsecond=0)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_percentile_interpolates_like_percentile_cont():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([5], 0.9) == 5
    assert reports.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert reports.percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)


def test_support_staff_see_the_reports(verified_staff_client):
    labels = menu_labels(verified_staff_client.get("/admin/"))
    assert all(label in labels for label in REPORT_LABELS)
    for url in REPORT_URLS:
        assert verified_staff_client.get(url).status_code == 200, url


def test_editors_get_no_report_menu_item_and_403(client, make_staff, site):
    editor = make_staff(username="editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    otp_login(client, editor)
    labels = menu_labels(client.get("/admin/"))
    assert not any(label in labels for label in REPORT_LABELS)
    for url in REPORT_URLS:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url
        assert client.get(url + "?export=csv").status_code in (302, 403), url


@pytest.fixture
def hand_made(make_admin_ticket, make_staff):
    """Current clients: first responses after 1, 2, 3 and 10 hours (targets 4 hours after
    filing: three in time, one late); two closed after 1 and 3 days. Potential clients: one
    answered after 5 hours (late), one not answered and past due, one not answered, not due."""
    analyzer = Product.objects.create(name="Analyzer")
    server = Product.objects.create(name="Server")
    agent = make_staff(username="agent", first_name="Anna", last_name="Agent")
    made = []
    for hours, closed_days in [(1, 1), (2, 3), (3, None), (10, None)]:
        created = NOW - 10 * DAY
        made.append(
            make_admin_ticket(
                client_status="current",
                created_at=created,
                first_response_at=created + hours * HOUR,
                closed_at=created + closed_days * DAY if closed_days else None,
                status="closed" if closed_days else "in_progress",
                product=analyzer,
                product_version="5.2",
                assignee=agent,
            )
        )
    created = NOW - 2 * DAY
    made.append(
        make_admin_ticket(
            client_status="potential",
            created_at=created,
            first_response_at=created + 5 * HOUR,
            product=server,
            product_version="1.0",
            status="waiting",
        )
    )
    made.append(
        make_admin_ticket(
            client_status="potential", created_at=NOW - 40 * DAY, product=server, status="new"
        )
    )
    made.append(
        make_admin_ticket(
            client_status="potential",
            created_at=NOW - HOUR,
            sla_due_at=NOW + 3 * HOUR,
            product=server,
            product_version="1.0",
            status="new",
        )
    )
    return made


def test_response_times_by_client_status(hand_made):
    rows = reports.response_times(Ticket.objects.all(), group_by="client_status", now=NOW)
    current, potential = rows
    assert current == {
        "group": "Current client",
        "tickets": 4,
        "first_response_median": 2.5,
        "first_response_p90": 7.9,  # 3 + 0.7 * (10 - 3)
        "resolution_median": 48.0,
        "resolution_p90": 67.2,  # 24 + 0.9 * (72 - 24)
        "sla_decided": 4,
        "sla_met": 3,
        "sla_compliance": 75.0,
    }
    assert potential["group"] == "Potential client"
    assert potential["tickets"] == 3
    assert potential["first_response_median"] == 5.0
    assert potential["resolution_median"] is None
    # Answered late, and unanswered past due: 0 of 2; the one not due yet does not count.
    assert (potential["sla_met"], potential["sla_decided"], potential["sla_compliance"]) == (
        0,
        2,
        0.0,
    )


def test_response_times_by_product_assignee_and_week(hand_made):
    tickets = Ticket.objects.all()
    by_product = reports.response_times(tickets, group_by="product", now=NOW)
    assert [(row["group"], row["tickets"]) for row in by_product] == [
        ("Analyzer", 4),
        ("Server", 3),
    ]
    by_assignee = reports.response_times(tickets, group_by="assignee", now=NOW)
    assert [(row["group"], row["tickets"], row["sla_compliance"]) for row in by_assignee] == [
        ("Anna Agent", 4, 75.0),
        ("Unassigned", 3, 0.0),
    ]
    by_week = reports.response_times(tickets, group_by="week", now=NOW)
    assert sum(row["tickets"] for row in by_week) == 7
    assert all(len(row["group"]) == 10 for row in by_week)  # ISO dates of Mondays
    assert [row["group"] for row in by_week] == sorted(row["group"] for row in by_week)


def test_backlog_by_age(hand_made):
    rows = reports.backlog_by_age(Ticket.objects.all(), now=NOW)
    assert rows == [
        {
            "group": "Current client",
            "total": 2,
            "under_1": 0,
            "days_1_3": 0,
            "days_3_7": 0,
            "days_7_30": 2,
            "over_30": 0,
        },
        {
            "group": "Potential client",
            "total": 3,
            "under_1": 1,
            "days_1_3": 1,
            "days_3_7": 0,
            "days_7_30": 0,
            "over_30": 1,
        },
    ]


def test_volume_by_product_and_version(hand_made):
    assert reports.volume(Ticket.objects.all()) == [
        {"product": "Analyzer", "version": "5.2", "tickets": 4},
        {"product": "Server", "version": "1.0", "tickets": 2},
        {"product": "Server", "version": "5.2", "tickets": 1},
    ]


def test_the_page_shows_an_svg_chart_and_a_table(verified_staff_client, hand_made):
    response = verified_staff_client.get(RESPONSE_TIMES)
    assert response.status_code == 200
    svg = find_one(response, "svg[role=img]")
    assert svg.get("aria-labelledby")
    assert "First response, median" in text_of(find_one(response, "svg > title"))
    assert len(select(response, "svg rect")) == 2
    table_text = text_of(find_one(response, "table"))
    assert "Current client" in table_text and "75.0" in table_text
    for url in (BACKLOG, VOLUME):
        response = verified_staff_client.get(url)
        assert select(response, "svg[role=img] rect") and select(response, "table"), url
    # The filters' refresh asks for the results alone.
    results = verified_staff_client.get(
        reverse("avsoft_support_reports:response_times_results"), {"group_by": "product"}
    )
    assert results.status_code == 200
    assert "<html" not in results.content.decode()
    assert select(results, "svg[role=img]") and "Analyzer" in text_of(find_one(results, "table"))


def test_filters_date_range_group_by_and_site(verified_staff_client, hand_made, support_page):
    response = verified_staff_client.get(
        RESPONSE_TIMES,
        {
            "created_at_from": (NOW - 3 * DAY).date().isoformat(),
            "created_at_to": NOW.date().isoformat(),
            "group_by": "product",
        },
    )
    table_text = text_of(find_one(response, "table"))
    assert "Server" in table_text and "Analyzer" not in table_text

    # Tickets filed on the site's support page; another site has none.
    Ticket.objects.filter(pk=hand_made[0].pk).update(support_page=support_page)
    site = Site.objects.get(is_default_site=True)
    other_root = Page.get_first_root_node().add_child(title="Other", slug="other")
    other = Site.objects.create(hostname="other.example.com", root_page=other_root)
    response = verified_staff_client.get(VOLUME, {"site": site.pk})
    rows = select(response, "table tbody tr")
    assert len(rows) == 1 and "Analyzer" in text_of(rows[0])
    response = verified_staff_client.get(VOLUME, {"site": other.pk})
    assert not select(response, "table")
    assert "No tickets match these filters." in response.content.decode()


def test_export_csv_has_the_headings_and_rows(verified_staff_client, hand_made):
    response = verified_staff_client.get(RESPONSE_TIMES, {"export": "csv", "group_by": "product"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "support-response-times-" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == [
        "Group",
        "Tickets",
        "First response, median (hours)",
        "First response, 90th percentile (hours)",
        "Resolution, median (hours)",
        "Resolution, 90th percentile (hours)",
        "Answered in time",
        "Answered or overdue",
        "Answered in time (%)",
    ]
    assert lines[1][:3] == ["Analyzer", "4", "2.5"]
    xlsx = verified_staff_client.get(BACKLOG, {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_many(make_admin_ticket, products, count, start):
    statuses = ["current", "claimed", "potential"]
    for index in range(start, start + count):
        created = NOW - (index % 45) * DAY - HOUR
        make_admin_ticket(
            client_status=statuses[index % 3],
            created_at=created,
            first_response_at=created + (index % 7 + 1) * HOUR if index % 4 else None,
            closed_at=created + (index % 5 + 1) * DAY if index % 3 == 0 else None,
            status="closed" if index % 3 == 0 else "new",
            product=products[index % 2],
            product_version=f"5.{index % 4}",
        )


@pytest.mark.parametrize("url", [*REPORT_URLS, RESPONSE_TIMES + "?group_by=week"])
def test_query_counts_do_not_grow_with_tickets(
    verified_staff_client, make_admin_ticket, django_assert_num_queries, url
):
    products = [Product.objects.create(name="Analyzer"), Product.objects.create(name="Server")]
    make_many(make_admin_ticket, products, 5, 0)
    verified_staff_client.get(url)  # warm the site caches
    with_five = count_queries(verified_staff_client, url)
    make_many(make_admin_ticket, products, 45, 5)
    assert Ticket.objects.count() == 50
    # New tickets invalidate the menu's queue counts (queue_cache.py): the next admin page
    # recounts them once, whatever the page. Compare warm pages.
    verified_staff_client.get(url)
    with django_assert_num_queries(with_five):
        verified_staff_client.get(url)
