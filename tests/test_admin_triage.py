"""The triage list in the admin: order, filters, search, columns and its query count."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from avsoft_support.models import ClientAccount, Criticality, Product, Ticket, TicketStatus
from tests.utils import definitions, find_one, hrefs, select, text_of

LIST_URL = "/admin/support/tickets/"


def listed_ids(response):
    """Ticket primary keys in the order the listing shows them."""
    assert response.status_code == 200
    return [
        int(re.fullmatch(r"snippet_(\d+)_title", title["id"]).group(1))
        for title in select(response, 'tbody [id^="snippet_"][id$="_title"]')
    ]


def listing_rows(response):
    """The listing's rows, each as {column header: its cell}."""
    table = find_one(response, "table.listing")
    headers = [text_of(header) for header in table.select("thead th")]
    return [
        dict(zip(headers, row.find_all("td", recursive=False), strict=True))
        for row in table.select("tbody > tr")
    ]


def sidebar(response):
    props = select(response, "script#wagtail-sidebar-props")
    assert props, "no sidebar on the page"
    return json.loads(props[0].string)


def menu_labels(response):
    """Every label in the main menu, submenus included."""
    labels = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("_type") in ("wagtail.sidebar.SubMenuItem", "wagtail.sidebar.LinkMenuItem"):
                labels.append(node["_args"][0]["label"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(sidebar(response))
    return labels


def test_the_listing_url_names_the_contract_uses():
    assert reverse("avsoft_support_tickets:list") == LIST_URL
    assert reverse("avsoft_support_tickets:edit", args=[7]) == "/admin/support/tickets/edit/7/"


def test_support_menu_groups_tickets_clients_products_and_canned_replies(verified_staff_client):
    labels = menu_labels(verified_staff_client.get("/admin/"))
    assert "Support" in labels
    for label in ("Tickets", "Clients", "Products", "Canned replies"):
        assert label in labels


def test_current_clients_first_then_criticality_then_waiting_time(
    verified_staff_client, make_admin_ticket
):
    now = timezone.now()
    potential_critical_old = make_admin_ticket(
        client_status="potential",
        criticality=Criticality.CRITICAL,
        created_at=now - timedelta(days=3),
    )
    claimed = make_admin_ticket(client_status="claimed", created_at=now - timedelta(days=2))
    current_low_new = make_admin_ticket(
        client_status="current", criticality=Criticality.LOW, created_at=now - timedelta(minutes=5)
    )
    current_high_newer = make_admin_ticket(
        client_status="current", criticality=Criticality.HIGH, created_at=now - timedelta(minutes=1)
    )
    current_high_older = make_admin_ticket(
        client_status="current", criticality=Criticality.HIGH, created_at=now - timedelta(hours=1)
    )

    ids = listed_ids(verified_staff_client.get(LIST_URL))

    assert ids == [
        current_high_older.pk,
        current_high_newer.pk,
        current_low_new.pk,
        claimed.pk,
        potential_critical_old.pk,
    ]


def test_the_default_order_is_the_triage_index(verified_staff_client, make_admin_ticket):
    """With no column chosen, the listing shows the tickets in the order of the triage index;
    the data is made so that each of its fields decides between some two tickets, and neither
    the order they were made in nor its reverse is the triage order."""
    index = next(index for index in Ticket._meta.indexes if index.name == "avs_ticket_triage")
    assert index.fields == ["priority", "criticality", "created_at"]
    now = timezone.now()
    made = [
        make_admin_ticket(
            client_status=client_status,
            criticality=criticality,
            created_at=now - timedelta(minutes=minutes_ago),
        )
        for client_status, criticality, minutes_ago in (
            ("potential", Criticality.CRITICAL, 300),
            ("current", Criticality.LOW, 240),
            ("current", Criticality.HIGH, 1),
            ("claimed", Criticality.NORMAL, 180),
            ("current", Criticality.HIGH, 120),
        )
    ]
    potential_critical, current_low, current_high_new, claimed, current_high_old = made
    in_index_order = sorted(
        Ticket.objects.all(), key=lambda ticket: [getattr(ticket, f) for f in index.fields]
    )
    expected = [current_high_old, current_high_new, current_low, claimed, potential_critical]
    assert [ticket.pk for ticket in in_index_order] == [ticket.pk for ticket in expected]
    made_order = [ticket.pk for ticket in made]

    shown = listed_ids(verified_staff_client.get(LIST_URL))

    assert shown == [ticket.pk for ticket in expected]
    assert shown not in (made_order, made_order[::-1])


def test_the_database_serves_the_listing_query_from_the_triage_index(
    verified_staff_client, make_admin_ticket
):
    """EXPLAIN the very query the listing runs: the planner can take its order from the index."""
    for status in ("current", "claimed", "potential"):
        make_admin_ticket(client_status=status)
    with CaptureQueriesContext(connection) as queries:
        verified_staff_client.get(LIST_URL)
    listing_sql = next(
        query["sql"]
        for query in queries.captured_queries
        if 'FROM "avsoft_support_ticket"' in query["sql"]
        and "ORDER BY" in query["sql"]
        and "LIMIT" in query["sql"]
    )
    # A few rows are cheaper to sort than to read through an index, so the planner is told to
    # read through the index; the check is that it then needs no sort step for the order.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + listing_sql)
        else:
            forced = listing_sql.replace(
                'FROM "avsoft_support_ticket"',
                'FROM "avsoft_support_ticket" INDEXED BY "avs_ticket_triage"',
                1,
            )
            cursor.execute("EXPLAIN QUERY PLAN " + forced)
        plan = "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())
    assert "avs_ticket_triage" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan.upper(), plan
    assert "Sort Key" not in plan, plan


def test_the_listing_query_count_does_not_grow_with_rows(verified_staff_client, make_admin_ticket):
    product = Product.objects.create(name="Analyzer")
    make_admin_ticket(client_status="current", product=product)
    verified_staff_client.get(LIST_URL)  # warm caches (content types, site settings)
    with CaptureQueriesContext(connection) as one_row:
        assert len(listed_ids(verified_staff_client.get(LIST_URL))) == 1

    account = ClientAccount.objects.create(company="ACME")
    for n in range(29):
        ticket = make_admin_ticket(
            client_status=("current", "claimed", "potential")[n % 3], product=product
        )
        if n % 2:
            profile = ticket.author.support_profile
            profile.client_account = account
            profile.save()
            ticket.assignee = ticket.author
            ticket.save()
    with CaptureQueriesContext(connection) as thirty_rows:
        assert len(listed_ids(verified_staff_client.get(LIST_URL))) == 30

    assert len(thirty_rows) == len(one_row), "\n".join(q["sql"] for q in thirty_rows)


def test_open_tickets_by_default_and_the_status_filter(verified_staff_client, make_admin_ticket):
    new = make_admin_ticket(status=TicketStatus.NEW)
    waiting = make_admin_ticket(status=TicketStatus.WAITING)
    closed = make_admin_ticket(status=TicketStatus.CLOSED)

    assert set(listed_ids(verified_staff_client.get(LIST_URL))) == {new.pk, waiting.pk}
    assert listed_ids(verified_staff_client.get(LIST_URL, {"status": "closed"})) == [closed.pk]
    assert set(listed_ids(verified_staff_client.get(LIST_URL, {"status": "all"}))) == {
        new.pk,
        waiting.pk,
        closed.pk,
    }
    assert listed_ids(verified_staff_client.get(LIST_URL, {"status": "waiting"})) == [waiting.pk]


def test_filter_by_client_status(verified_staff_client, make_admin_ticket):
    current = make_admin_ticket(client_status="current")
    make_admin_ticket(client_status="potential")
    make_admin_ticket(client_status="claimed")
    response = verified_staff_client.get(LIST_URL, {"client_status": "current"})
    assert listed_ids(response) == [current.pk]


def test_filter_by_criticality_and_product(verified_staff_client, make_admin_ticket):
    analyzer = Product.objects.create(name="Analyzer")
    critical = make_admin_ticket(criticality=Criticality.CRITICAL, product=analyzer)
    make_admin_ticket(criticality=Criticality.NORMAL, product=analyzer)
    make_admin_ticket(criticality=Criticality.CRITICAL)

    assert listed_ids(
        verified_staff_client.get(LIST_URL, {"criticality": "1", "product": analyzer.pk})
    ) == [critical.pk]


def test_filter_by_assignee_me_unassigned_anyone(
    verified_staff_client, make_admin_ticket, support_staff, make_staff
):
    colleague = make_staff(username="colleague")
    mine = make_admin_ticket(assignee=support_staff)
    theirs = make_admin_ticket(assignee=colleague)
    nobody = make_admin_ticket()

    assert listed_ids(verified_staff_client.get(LIST_URL, {"assignee": "me"})) == [mine.pk]
    assert listed_ids(verified_staff_client.get(LIST_URL, {"assignee": "unassigned"})) == [
        nobody.pk
    ]
    assert set(listed_ids(verified_staff_client.get(LIST_URL, {"assignee": ""}))) == {
        mine.pk,
        theirs.pk,
        nobody.pk,
    }


def test_filter_by_created_date_range(verified_staff_client, make_admin_ticket):
    now = timezone.localtime()
    old = make_admin_ticket(created_at=now - timedelta(days=10))
    recent = make_admin_ticket(created_at=now - timedelta(days=1))
    day = (now - timedelta(days=2)).date().isoformat()

    assert listed_ids(verified_staff_client.get(LIST_URL, {"created_from": day})) == [recent.pk]
    assert listed_ids(verified_staff_client.get(LIST_URL, {"created_to": day})) == [old.pk]


def test_overdue_filter_and_badge(verified_staff_client, make_admin_ticket):
    now = timezone.now()
    overdue = make_admin_ticket(sla_due_at=now - timedelta(hours=1))
    answered_late = make_admin_ticket(
        sla_due_at=now - timedelta(hours=1), first_response_at=now - timedelta(minutes=30)
    )
    on_time = make_admin_ticket(sla_due_at=now + timedelta(hours=3))

    assert listed_ids(verified_staff_client.get(LIST_URL, {"overdue": "true"})) == [overdue.pk]
    assert set(listed_ids(verified_staff_client.get(LIST_URL, {"overdue": "false"}))) == {
        answered_late.pk,
        on_time.pk,
    }
    response = verified_staff_client.get(LIST_URL)
    # One "Overdue" badge, in words (not colour alone), in the overdue ticket's row.
    [badge] = select(response, ".avs-sla--overdue")
    assert "Overdue" in text_of(badge)
    assert badge.find_parent("tr").select_one(f"#snippet_{overdue.pk}_title")


@pytest.mark.parametrize(
    "query",
    [
        "2026-",
        "Printer jams",
        "printer JAMS",
        "Иван",
        "иван",
        "ivan@example.com",
        "Romashka",
        "ACME",
    ],
)
def test_search_by_number_subject_name_email_and_company(
    verified_staff_client, make_admin_ticket, make_member, query
):
    account = ClientAccount.objects.create(company="ACME Holding")
    author = make_member(
        username="ivan", email="ivan@example.com", full_name="Иван Петров", company="Romashka"
    )
    profile = author.support_profile
    ticket = make_admin_ticket(author=author, subject="Printer jams on page 2")
    if query == "ACME":
        profile.client_account = account
        profile.save()
    elif query == "2026-":
        query = ticket.number
    make_admin_ticket(subject="Something else")

    assert listed_ids(verified_staff_client.get(LIST_URL, {"q": query})) == [ticket.pk]


def test_a_search_looks_at_every_status_unless_one_was_chosen(
    verified_staff_client, make_admin_ticket
):
    closed = make_admin_ticket(status=TicketStatus.CLOSED, subject="Licence moved")
    make_admin_ticket(subject="Something else")

    assert closed.pk not in listed_ids(verified_staff_client.get(LIST_URL))
    assert listed_ids(verified_staff_client.get(LIST_URL, {"q": closed.number})) == [closed.pk]
    # The search box sends the whole filter form: the default status comes as an empty value.
    results = reverse("avsoft_support_tickets:list_results")
    response = verified_staff_client.get(results, {"q": closed.number, "status": ""})
    assert listed_ids(response) == [closed.pk]
    # Open tickets chosen on purpose stay so.
    assert (
        listed_ids(verified_staff_client.get(LIST_URL, {"q": closed.number, "status": "open"}))
        == []
    )


def test_columns_show_customer_company_client_status_in_words_product_and_version(
    verified_staff_client, make_admin_ticket, make_member
):
    analyzer = Product.objects.create(name="Analyzer")
    author = make_member(
        username="olga", full_name="Olga Smirnova", company="Vector LLC", client_status="claimed"
    )
    make_admin_ticket(
        author=author,
        client_status="claimed",
        product=analyzer,
        product_version="7.1 build 9",
        subject="Report is empty",
    )
    [row] = listing_rows(verified_staff_client.get(LIST_URL))
    assert text_of(find_one(row["Subject"], '[id^="snippet_"]')) == "Report is empty"
    customer = row["Customer"]
    assert text_of(find_one(customer, ".avs-customer__name")) == "Olga Smirnova"
    assert "Vector LLC" in text_of(find_one(customer, ".avs-customer__company"))
    assert text_of(find_one(customer, ".avs-customer__email")) == "olga@example.com"
    badge = find_one(row["Client status"], ".avs-badge")
    assert (badge["class"], text_of(badge)) == (
        ["avs-badge", "avs-badge--claimed"],
        "Claimed client",
    )
    assert text_of(row["Product and version"]) == "Analyzer 7.1 build 9"
    assert text_of(row["Status"]) == "New"
    assert text_of(row["Criticality"]) == "Normal"


def test_column_order_puts_what_decides_triage_first(verified_staff_client, make_admin_ticket):
    """Client status, status and the due time before the rest: on a laptop screen the table
    scrolls sideways, and what scrolls away must not be the due time."""
    make_admin_ticket()
    headers = select(verified_staff_client.get(LIST_URL), "table.listing thead th")
    labels = [text_of(header) for header in headers if text_of(header)]
    assert labels[:9] == [
        "Number",
        "Subject",
        "Customer",
        "Client status",
        "Status",
        "First response due",
        "Criticality",
        "Product and version",
        "Last activity",
    ]


def test_sorting_by_a_column_and_back(verified_staff_client, make_admin_ticket):
    a = make_admin_ticket(client_status="potential", subject="Alpha")
    b = make_admin_ticket(client_status="current", subject="Beta")
    assert listed_ids(verified_staff_client.get(LIST_URL)) == [b.pk, a.pk]
    assert listed_ids(verified_staff_client.get(LIST_URL, {"ordering": "subject"})) == [a.pk, b.pk]


def test_the_menu_badge_counts_new_overdue_and_mine(
    verified_staff_client, support_staff, make_staff, make_admin_ticket
):
    now = timezone.now()
    make_admin_ticket()
    make_admin_ticket(sla_due_at=now - timedelta(minutes=1))
    make_admin_ticket(status=TicketStatus.IN_PROGRESS)
    labels = menu_labels(verified_staff_client.get("/admin/"))
    assert "Tickets (2 new, 1 overdue)" in labels
    assert "Support (2 new, 1 overdue)" in labels

    # Open tickets assigned to the viewer count as theirs; a colleague's and closed ones do not.
    colleague = make_staff("colleague")
    make_admin_ticket(status=TicketStatus.IN_PROGRESS, assignee=support_staff)
    make_admin_ticket(status=TicketStatus.WAITING, assignee=support_staff)
    make_admin_ticket(status=TicketStatus.IN_PROGRESS, assignee=colleague)
    make_admin_ticket(status=TicketStatus.CLOSED, assignee=support_staff)
    labels = menu_labels(verified_staff_client.get("/admin/"))
    assert "Tickets (2 new, 1 overdue, 2 mine)" in labels


def test_no_add_or_copy_for_tickets(verified_staff_client, client, make_staff, make_admin_ticket):
    from tests.utils import otp_login

    ticket = make_admin_ticket()
    shown = hrefs(verified_staff_client.get(LIST_URL))
    assert f"/admin/support/tickets/inspect/{ticket.pk}/" in shown  # the row's other actions
    assert "/admin/support/tickets/add/" not in shown
    assert f"/admin/support/tickets/copy/{ticket.pk}/" not in shown
    superuser = make_staff(username="root", superuser=True)
    otp_login(client, superuser)
    response = client.get("/admin/support/tickets/add/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.post("/admin/support/tickets/add/", {"subject": "x"}).status_code == 302
    assert Ticket.objects.count() == 1


def test_export_the_filtered_listing_as_csv(verified_staff_client, make_admin_ticket):
    ticket = make_admin_ticket(client_status="current", subject="Exported one")
    make_admin_ticket(status=TicketStatus.CLOSED, subject="Closed one")
    response = verified_staff_client.get(LIST_URL, {"export": "csv"})
    assert response.status_code == 200
    content = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert ticket.number in content and "Exported one" in content
    assert "Closed one" not in content  # the same filter as on screen: open tickets


def test_inspect_shows_a_ticket_read_only(verified_staff_client, make_admin_ticket, support_staff):
    analyzer = Product.objects.create(name="Analyzer")
    ticket = make_admin_ticket(
        subject="Inspect me",
        client_status="current",
        criticality=Criticality.HIGH,
        status=TicketStatus.WAITING,
        product=analyzer,
        product_version="7.1 build 9",
        os_version="Astra Linux 1.7",
        steps_to_reproduce="Open big.dat, then Export.",
        assignee=support_staff,
    )
    response = verified_staff_client.get(
        reverse("avsoft_support_tickets:inspect", args=[ticket.pk])
    )
    assert response.status_code == 200
    main = find_one(response, "main")
    fields = definitions(main)
    assert {
        label: fields[label]
        for label in (
            "Number",
            "Subject",
            "Product",
            "Product version",
            "Operating system version",
            "Criticality",
            "Steps to reproduce",
            "Status",
            "Customer",
            "Assignee",
            "Client status",
        )
    } == {
        "Number": ticket.number,
        "Subject": "Inspect me",
        "Product": "Analyzer",
        "Product version": "7.1 build 9",
        "Operating system version": "Astra Linux 1.7",
        "Criticality": "High: a major function does not work",
        "Steps to reproduce": "Open big.dat, then Export.",
        "Status": "Waiting for customer",
        "Customer": ticket.author.username,
        "Assignee": support_staff.username,
        "Client status": "Current client",
    }
    # Read only: nothing on the page to type into, choose or submit.
    assert main.select("form, input, textarea, select, [contenteditable], [type=submit]") == []


def test_inspect_shows_local_times_and_a_dash_for_what_is_not_set(
    verified_staff_client, make_admin_ticket
):
    from datetime import UTC, datetime

    ticket = make_admin_ticket(subject="Inspect me")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=datetime(2026, 11, 30, 3, 49, tzinfo=UTC))
    response = verified_staff_client.get(
        reverse("avsoft_support_tickets:inspect", args=[ticket.pk])
    )
    fields = definitions(find_one(response, "main"))
    assert fields["Created"] == "Nov. 30, 2026, 6:49 a.m."  # Moscow, the site's time zone
    assert fields["Assignee"] == fields["Closed"] == "—"
    assert not [value for value in fields.values() if "None" in value]
    assert "Priority" not in fields
