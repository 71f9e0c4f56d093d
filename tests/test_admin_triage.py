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


def listing_sql(client, params=None):
    """The SQL of the page's tickets in the listing's order (not its count)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL, params or {}).status_code == 200
    return next(
        query["sql"]
        for query in queries.captured_queries
        if 'FROM "avsoft_support_ticket"' in query["sql"]
        and "ORDER BY" in query["sql"]
        and "LIMIT" in query["sql"]
        and "COUNT(" not in query["sql"]
    )


def assert_read_in_order_off(sql, index):
    """EXPLAIN ``sql`` (a query a page ran): the database can read it off ``index`` in its
    order, with no sort step. A few rows are cheaper to sort than to read through an index, so
    the planner is told to read through the index; the check is that it then needs no sort."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            forced = sql.replace(
                'FROM "avsoft_support_ticket"',
                f'FROM "avsoft_support_ticket" INDEXED BY "{index}"',
                1,
            )
            cursor.execute("EXPLAIN QUERY PLAN " + forced)
        plan = "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())
    assert index in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan.upper(), plan
    assert "Sort Key" not in plan, plan


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


def test_the_queue_client_status_first_then_the_response_due_then_waiting_time(
    verified_staff_client, make_admin_ticket
):
    """Within each client status the overdue and soonest due come first, whatever their
    criticality; tickets with nothing due (answered) after them; then the longest waiting."""
    now = timezone.now()
    potential_overdue = make_admin_ticket(
        client_status="potential",
        criticality=Criticality.CRITICAL,
        created_at=now - timedelta(days=3),
        sla_due_at=now - timedelta(hours=5),
    )
    claimed = make_admin_ticket(
        client_status="claimed", created_at=now - timedelta(days=2), sla_due_at=now
    )
    current_due_later = make_admin_ticket(
        client_status="current",
        criticality=Criticality.CRITICAL,
        created_at=now - timedelta(hours=3),
        sla_due_at=now + timedelta(hours=3),
    )
    current_overdue_low = make_admin_ticket(
        client_status="current",
        criticality=Criticality.LOW,
        created_at=now - timedelta(minutes=5),
        sla_due_at=now - timedelta(minutes=1),
    )
    current_answered = make_admin_ticket(
        client_status="current", status=TicketStatus.IN_PROGRESS, created_at=now - timedelta(days=9)
    )
    Ticket.objects.filter(pk=current_answered.pk).update(sla_due_at=None)
    current_same_due_older = make_admin_ticket(
        client_status="current",
        created_at=now - timedelta(hours=8),
        sla_due_at=now + timedelta(hours=3),
    )

    ids = listed_ids(verified_staff_client.get(LIST_URL))

    assert ids == [
        current_overdue_low.pk,
        current_same_due_older.pk,
        current_due_later.pk,
        current_answered.pk,
        claimed.pk,
        potential_overdue.pk,
    ]


@pytest.mark.parametrize("path", ["/admin/", LIST_URL + "?status=open&assignee=me"])
def test_an_agents_own_open_tickets_are_read_in_order_off_their_index(
    verified_staff_client, support_staff, make_admin_ticket, path
):
    """The dashboard's "your tickets" and the "Mine" view read an agent's first open tickets
    off avs_ticket_mine_queue, without sorting all of that agent's open tickets."""
    for status in ("current", "claimed", "potential"):
        make_admin_ticket(client_status=status, assignee=support_staff)
    with CaptureQueriesContext(connection) as queries:
        assert verified_staff_client.get(path).status_code == 200
    [mine_sql] = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and '"avsoft_support_ticket"."assignee_id" = ' in query["sql"]
        and "ORDER BY" in query["sql"]
        and "LIMIT" in query["sql"]
        and "COUNT(" not in query["sql"]  # the list's count reads the same index
    ]
    assert_read_in_order_off(mine_sql, "avs_ticket_mine_queue")


def test_the_order_is_shown_in_the_help_text_and_saved_views_lead_there(
    verified_staff_client, make_admin_ticket
):
    make_admin_ticket()
    response = verified_staff_client.get(LIST_URL)
    help_text = text_of(find_one(response, ".avs-views__help"))
    assert "current clients first" in help_text
    assert "overdue first" in help_text
    views = {text_of(link): link["href"] for link in select(response, ".avs-views a")}
    assert views == {
        "Needs our action": LIST_URL,
        "Mine": LIST_URL + "?status=open&assignee=me",
        "Unassigned": LIST_URL + "?assignee=unassigned",
        "Waiting for customer": LIST_URL + "?status=waiting",
        "All open": LIST_URL + "?status=open",
    }
    [active] = select(response, '.avs-views a[aria-current="page"]')
    assert text_of(active) == "Needs our action"
    response = verified_staff_client.get(LIST_URL, {"status": "waiting"})
    [active] = select(response, '.avs-views a[aria-current="page"]')
    assert text_of(active) == "Waiting for customer"


def test_the_database_serves_the_listing_query_from_the_triage_index(
    verified_staff_client, make_admin_ticket
):
    """EXPLAIN the very query the listing runs: the planner can take its order from the index."""
    for status in ("current", "claimed", "potential"):
        make_admin_ticket(client_status=status)
    assert_read_in_order_off(listing_sql(verified_staff_client), "avs_ticket_triage")


@pytest.mark.parametrize(
    "params, index",
    [
        ({"status": "waiting"}, "avs_ticket_queue_waiting"),
        ({"status": "closed", "client_status": "potential"}, "avs_ticket_queue_closed"),
        ({"assignee": "unassigned"}, "avs_ticket_triage_assignee"),
        ({"product": "product"}, "avs_ticket_triage_product"),
        ({"criticality": "1"}, "avs_ticket_triage_criticality"),
        ({"client_status": "potential"}, "avs_ticket_triage"),
    ],
    ids=lambda value: value if isinstance(value, str) else "&".join(value),
)
def test_each_filter_is_read_in_the_queues_order_off_its_index(
    verified_staff_client, make_admin_ticket, params, index
):
    """EXPLAIN the listing query of a saved view or a filter: one index holds it in the
    queue's order, so page 20 reads 50 rows past the first 950 instead of sorting every match
    or reading past other tickets (docs/performance.md)."""
    product = Product.objects.create(name="Indexed")
    for client_status in ("current", "claimed", "potential"):
        for status in (TicketStatus.NEW, TicketStatus.WAITING, TicketStatus.CLOSED):
            make_admin_ticket(
                client_status=client_status, status=status, product=product, criticality=1
            )
    query = {**params, "p": "1"}
    if "product" in query:
        query["product"] = str(product.pk)
    sql = listing_sql(verified_staff_client, query)
    if "client_status" in params:  # asked as the priority: the index is entered there
        assert '"priority" = 3' in sql or '"priority" = %s' in sql
    # SQLite is told which index to read and must then need no sort; PostgreSQL chooses by its
    # statistics among the queue's indexes (on a few rows, the wider one, filtering).
    assert_read_in_order_off(sql, index if connection.vendor == "sqlite" else "avs_ticket_")


@pytest.mark.parametrize("names", [None, ("new", "overdue", "mine")], ids=["all", "badge"])
def test_the_queue_counters_are_read_off_their_index_alone(
    rf, make_admin_ticket, make_staff, names
):
    """The menu badge's and dashboard's counts visit no ticket row (a covering index), so
    recounting after a change stays cheap however many open tickets there are."""
    from avsoft_support.triage import BADGE_COUNTERS, ticket_counts

    assert names is None or names == BADGE_COUNTERS
    make_admin_ticket(client_status="current")
    request = rf.get("/")
    request.user = make_staff()
    executed = []

    def keep(execute, sql, params, many, context):
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        counts = ticket_counts(request, names)
    assert set(counts) == set(names or counts) and counts["new"] == 1
    # The query as sent, with its bound parameters: SQLite cannot use a partial index through
    # a parameter, so the statuses must be in the SQL itself (StatusListedIn).
    [(counts_sql, params)] = executed
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On a table of one row the planner may as well visit it through the other partial
            # index of open tickets (avs_ticket_mine_queue); at 100,000 tickets it reads this
            # one alone. That one is dropped inside the test's transaction, so rolled back.
            cursor.execute('DROP INDEX "avs_ticket_mine_queue"')
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + counts_sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + counts_sql, params)
        plan = "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        assert "Index Only Scan using avs_ticket_counts" in plan, plan
    else:
        assert "COVERING INDEX avs_ticket_counts" in plan, plan


def test_listed_in_writes_only_ticket_statuses_into_the_sql():
    from avsoft_support.models import Ticket as T

    sql = str(T.objects.filter(status__listed_in=["new", "waiting"]).query)
    assert "IN ('new', 'waiting')" in sql
    with pytest.raises(ValueError):
        T.objects.filter(status__listed_in=["new', 'x"]).exists()
    with pytest.raises(ValueError):
        T.objects.filter(status__listed_in=[]).exists()


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
    verified_staff_client.get(LIST_URL)  # the menu's cached counts, refreshed once
    with CaptureQueriesContext(connection) as thirty_rows:
        assert len(listed_ids(verified_staff_client.get(LIST_URL))) == 30

    assert len(thirty_rows) == len(one_row), "\n".join(q["sql"] for q in thirty_rows)


def test_what_needs_our_action_by_default_and_the_status_filter(
    verified_staff_client, make_admin_ticket
):
    new = make_admin_ticket(status=TicketStatus.NEW)
    replied = make_admin_ticket(status=TicketStatus.REPLIED)
    in_progress = make_admin_ticket(status=TicketStatus.IN_PROGRESS)
    waiting = make_admin_ticket(status=TicketStatus.WAITING)
    closed = make_admin_ticket(status=TicketStatus.CLOSED)
    make_admin_ticket(status=TicketStatus.RESOLVED)

    assert set(listed_ids(verified_staff_client.get(LIST_URL))) == {
        new.pk,
        replied.pk,
        in_progress.pk,
    }
    assert set(listed_ids(verified_staff_client.get(LIST_URL, {"status": "open"}))) == {
        new.pk,
        replied.pk,
        in_progress.pk,
        waiting.pk,
    }
    [row] = listing_rows(verified_staff_client.get(LIST_URL, {"status": "replied"}))
    assert text_of(row["Status"]) == "Customer replied"
    assert listed_ids(verified_staff_client.get(LIST_URL, {"status": "closed"})) == [closed.pk]
    assert len(listed_ids(verified_staff_client.get(LIST_URL, {"status": "all"}))) == 6
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
    colleague = make_staff(username="colleague", support_group=True)
    mine = make_admin_ticket(assignee=support_staff)
    theirs = make_admin_ticket(assignee=colleague)
    nobody = make_admin_ticket()

    assert listed_ids(verified_staff_client.get(LIST_URL, {"assignee": "me"})) == [mine.pk]
    # Any colleague's tickets, by the colleague's name in the filter.
    response = verified_staff_client.get(LIST_URL, {"assignee": str(colleague.pk)})
    assert listed_ids(response) == [theirs.pk]
    options = {
        option["value"]: text_of(option) for option in select(response, "select#id_assignee option")
    }
    assert options[str(colleague.pk)] == "colleague"
    assert options[str(support_staff.pk)] == "Sofia Sidorova"
    # Not a colleague (a member's id): not a choice, so the filter is ignored, no error.
    response = verified_staff_client.get(LIST_URL, {"assignee": str(mine.author_id)})
    assert len(listed_ids(response)) == 3
    assert listed_ids(verified_staff_client.get(LIST_URL, {"assignee": "unassigned"})) == [
        nobody.pk
    ]
    assert set(listed_ids(verified_staff_client.get(LIST_URL, {"assignee": ""}))) == {
        mine.pk,
        theirs.pk,
        nobody.pk,
    }


def assignee_options(client):
    response = client.get(LIST_URL)
    return {
        option["value"]: text_of(option) for option in select(response, "select#id_assignee option")
    }


def test_the_assignee_choices_follow_people_groups_and_permissions(
    verified_staff_client, support_staff, make_staff, django_capture_on_commit_callbacks
):
    """The filter's assignees come from the cache (read once, not on every page) and follow
    every change that decides who they are: joining or leaving the support group, a
    permission given or taken, a new name, a deactivated or deleted account."""
    from django.contrib.auth.models import Group, Permission

    from avsoft_support.permissions import ASSIGNABLE_CACHE_KEY

    assignable = 'SELECT DISTINCT "auth_user"'
    assert str(support_staff.pk) in assignee_options(verified_staff_client)
    with CaptureQueriesContext(connection) as again:
        assignee_options(verified_staff_client)
    assert not [q for q in again if q["sql"].startswith(assignable)]

    with django_capture_on_commit_callbacks(execute=True):
        colleague = make_staff(username="colleague", support_group=True)
    assert assignee_options(verified_staff_client)[str(colleague.pk)] == "colleague"

    colleague.first_name, colleague.last_name = "Pyotr", "Ivanov"
    colleague.save()
    assert assignee_options(verified_staff_client)[str(colleague.pk)] == "Pyotr Ivanov"

    group = Group.objects.get(name="Support staff")
    colleague.groups.remove(group)
    assert str(colleague.pk) not in assignee_options(verified_staff_client)
    change_ticket = Permission.objects.get(
        content_type__app_label="avsoft_support", codename="change_ticket"
    )
    colleague.user_permissions.add(change_ticket)
    assert str(colleague.pk) in assignee_options(verified_staff_client)
    colleague.user_permissions.remove(change_ticket)
    colleague.groups.add(group)
    assert str(colleague.pk) in assignee_options(verified_staff_client)
    group.permissions.remove(change_ticket)  # the whole group loses it
    assert str(colleague.pk) not in assignee_options(verified_staff_client)
    group.permissions.add(change_ticket)
    assert str(colleague.pk) in assignee_options(verified_staff_client)

    colleague.is_active = False
    colleague.save()
    assert str(colleague.pk) not in assignee_options(verified_staff_client)
    colleague.is_active = True
    colleague.save()
    assert str(colleague.pk) in assignee_options(verified_staff_client)
    colleague.delete()
    assert str(colleague.pk) not in assignee_options(verified_staff_client)

    # A login's own save (last_login) keeps the list.
    from django.core.cache import cache

    assert cache.get(ASSIGNABLE_CACHE_KEY) is not None
    support_staff.save(update_fields=["last_login"])
    assert cache.get(ASSIGNABLE_CACHE_KEY) is not None


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
    # Answered: nothing of ours is due any more (tickets.py clears the due time).
    answered_late = make_admin_ticket(first_response_at=now - timedelta(minutes=30))
    Ticket.objects.filter(pk=answered_late.pk).update(sla_due_at=None)
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


def test_a_ticket_waiting_for_the_customer_or_closed_shows_no_countdown(
    verified_staff_client, make_admin_ticket
):
    """A due time left from before (status set to "waiting" without a reply, or the ticket
    closed) does not count down: «до срока: 0 минут» on a ticket that waits for nobody."""
    now = timezone.now()
    waiting = make_admin_ticket(status="waiting", sla_due_at=now - timedelta(hours=2))
    closed = make_admin_ticket(status="closed", sla_due_at=now + timedelta(hours=2))
    ours = make_admin_ticket(sla_due_at=now + timedelta(hours=3))
    response = verified_staff_client.get(LIST_URL, {"status": "all"})
    due_cells = {
        ticket.pk: text_of(find_one(response, f"#snippet_{ticket.pk}_title").find_parent("tr"))
        for ticket in (waiting, closed, ours)
    }
    assert "in 2" in due_cells[ours.pk] or "in 3" in due_cells[ours.pk], due_cells[ours.pk]
    for pk in (waiting.pk, closed.pk):
        assert "in 0" not in due_cells[pk] and "in 1" not in due_cells[pk], due_cells[pk]
        assert "Overdue" not in due_cells[pk]
    screen = verified_staff_client.get(f"{LIST_URL}edit/{closed.pk}/")
    assert "in 1 hour" not in text_of(find_one(screen, "main"))


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
    assert customer["title"] == "olga@example.com"  # one line; the address on hover and read
    assert "olga@example.com" in text_of(find_one(customer, ".w-sr-only"))
    badge = find_one(row["Client status"], ".avs-badge")
    # One word in the narrow column; the whole label in the tooltip and for screen readers.
    assert (badge["class"], badge["title"]) == (
        ["avs-badge", "avs-badge--claimed"],
        "Claimed client",
    )
    # The eye reads the word, a screen reader the whole label, once ("Claimed client", not
    # "Claimed (Claimed client)").
    assert text_of(find_one(badge, '[aria-hidden="true"]')) == "Claimed"
    assert text_of(find_one(badge, ".w-sr-only")) == "Claimed client"
    assert text_of(row["Product and version"]) == "Analyzer 7.1 build 9"
    assert text_of(row["Status"]) == "New"
    assert text_of(row["Criticality"]) == "Normal"
    assert not select(row["Criticality"], ".w-sr-only")  # "Normal" says it all
    assert text_of(row["Assignee"]) == "—"
    assert row["Customer wrote"].find("time") or text_of(row["Customer wrote"])


def test_column_order_puts_what_decides_triage_first(verified_staff_client, make_admin_ticket):
    """Client status, status and the due time before the rest (the browser test measures that
    the default columns fit a 1280 px screen)."""
    make_admin_ticket()
    headers = select(verified_staff_client.get(LIST_URL), "table.listing thead th")
    labels = [text_of(header) for header in headers if text_of(header)]
    assert labels[:10] == [
        "Number",
        "Subject",
        "Customer",
        "Client status",
        "Status",
        "Response due",
        "Criticality",
        "Product and version",
        "Assignee",
        "Customer wrote",
    ]


def test_criticality_is_a_coloured_badge_with_a_short_word(
    verified_staff_client, make_admin_ticket
):
    make_admin_ticket(criticality=Criticality.CRITICAL)
    [row] = listing_rows(verified_staff_client.get(LIST_URL))
    badge = find_one(row["Criticality"], ".avs-criticality")
    assert badge["class"] == ["avs-criticality", "avs-criticality--1"]
    assert badge["title"] == "Critical: work has stopped"
    assert text_of(badge).startswith("Critical")
    # A screen reader hears the whole label once, not "Critical: Critical: work has stopped".
    assert text_of(find_one(badge, ".w-sr-only")) == "Critical: work has stopped"
    assert text_of(find_one(badge, '[aria-hidden="true"]')) == "Critical"


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


def test_the_rows_escape_what_customers_and_staff_typed(
    verified_staff_client, make_admin_ticket, make_member
):
    """The rows are written in Python (admin/columns.py), not by templates that escape by
    default: every value a person typed still reaches the page as text."""
    evil = '<img src=x onerror="alert(1)">'
    author = make_member(
        username="evil", email="a&b@example.com", full_name=f"Ivan {evil}", company=f"Co {evil}"
    )
    make_admin_ticket(
        author=author,
        subject=f"Subject {evil}",
        product_other=f"Product {evil}",
        product_version=f"1.0 {evil}",
    )
    response = verified_staff_client.get(LIST_URL)
    assert b"<img" not in response.content.split(b"<tbody>", 1)[1]
    [row] = listing_rows(response)
    texts = {header: text_of(cell) for header, cell in row.items()}
    assert f"Subject {evil}" in texts["Subject"]
    assert row["Customer"].select_one(".avs-customer__name").get_text() == f"Ivan {evil}"
    assert row["Customer"].select_one(".avs-customer__company").get_text() == f", Co {evil}"
    assert row["Customer"]["title"] == "a&b@example.com"
    assert texts["Product and version"] == f"Product {evil} 1.0 {evil}"
    toggle = row["Subject"].select_one("button.w-dropdown__toggle")
    assert evil in toggle["aria-label"]


def header_cells(html_or_tag):
    """Each header cell as what a reader and a browser get from it: its class, its words, and
    its link's address, title and class."""
    from bs4 import BeautifulSoup

    soup = (
        BeautifulSoup(html_or_tag, "html.parser") if isinstance(html_or_tag, str) else html_or_tag
    )
    cells = []
    for th in soup.select("th"):
        link = th.find("a")
        cells.append(
            (
                th.get("class"),
                text_of(th),
                link and (link["href"], link.get("title"), link["class"]),
                str(th.find("input")) if th.find("input") else None,
            )
        )
    return cells


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ordering=number",  # ascending: its link sorts descending
        "?ordering=-number",
        "?p=2&status=all&q=%D0%BF%D1%80%D0%B8%D0%BD%D1%82%D0%B5%D1%80&ordering=criticality",
    ],
)
def test_the_header_row_is_wagtails_own(query, verified_staff_client, make_admin_ticket):
    """The header's cells are written in Python (InlineRowsTable.headers_html): the same cells,
    sort links and titles as Wagtail's column_header.html makes for the same request."""
    for n in range(3):
        make_admin_ticket(subject=f"Принтер {n}")
    response = verified_staff_client.get(LIST_URL + query)
    assert response.status_code == 200
    table = response.context["table"]
    context = {"table": table, "request": response.wsgi_request}
    wagtails = "".join(column.render_header_html(context) for column in table.columns.values())
    ours = header_cells(find_one(response, "table.listing thead"))
    assert ours == header_cells(wagtails)
    links = [link for _, _, link, _ in ours if link]
    assert len(links) >= 4  # sortable columns
    assert all("p=" not in href for href, _, _ in links)  # a new order starts at page 1


def test_a_sites_own_column_header_template_is_used(
    settings, tmp_path, verified_staff_client, make_admin_ticket
):
    own = tmp_path / "wagtailadmin" / "tables"
    own.mkdir(parents=True)
    (own / "column_header.html").write_text("<th data-site-header>{{ column.label }}!</th>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    make_admin_ticket(subject="Printer")

    response = verified_staff_client.get(LIST_URL)
    headers = select(response, "table.listing thead th[data-site-header]")
    assert "Subject!" in [text_of(header) for header in headers]


def markup(html):
    """Each element of ``html`` as a browser and a reader get it: its tag, its attributes and
    its words, whitespace aside."""
    from bs4 import BeautifulSoup

    return [
        (
            tag.name,
            sorted((k, v if isinstance(v, str) else " ".join(v)) for k, v in tag.attrs.items()),
            " ".join(tag.get_text(" ").split()),
        )
        for tag in BeautifulSoup(str(html), "html.parser").find_all(True)
    ]


def wagtails_row_menus(response, language="en"):
    """Each row's menu as Wagtail's own get_list_buttons and button templates make it."""
    from django.utils import translation
    from wagtail.snippets.views.snippets import IndexView

    view = response.context["view"]
    context = {"request": response.wsgi_request}
    with translation.override(language):
        return [
            "".join(button.render_html(context) for button in IndexView.get_list_buttons(view, row))
            for row in view.object_list
        ]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("who", ["support staff", "superuser"])
def test_each_rows_menu_is_wagtails_own(
    language, who, client, support_staff, make_staff, make_admin_ticket
):
    """Row menus are written straight from their links (TicketIndexView.get_list_buttons):
    the same links, labels, icons and toggle as Wagtail's buttons give the same user, in
    their language, for a subject with quotes and markup in it."""
    from wagtail.users.models import UserProfile

    from tests.utils import otp_login

    user = support_staff if who == "support staff" else make_staff("admin", superuser=True)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    make_admin_ticket(subject='Printer "big" <b>bold</b> & co')
    make_admin_ticket(subject="Принтер")
    response = otp_login(client, user).get(LIST_URL)

    ours = [cell.select_one(".w-dropdown") for cell in select(response, "td.avs-subject")]
    wagtails = wagtails_row_menus(response, language)
    assert len(ours) == len(wagtails) == 2
    for our_menu, wagtail_menu in zip(ours, wagtails, strict=True):
        assert markup(our_menu) == markup(wagtail_menu)
    links = [text_of(link) for link in ours[0].select(".w-dropdown__content a")]
    assert len(links) == (3 if who == "superuser" else 2)  # Delete is for whoever may


def test_a_hooks_listing_buttons_are_in_each_rows_menu(verified_staff_client, make_admin_ticket):
    """With a register_snippet_listing_buttons or construct_snippet_listing_buttons hook, the
    rows' menus are Wagtail's buttons again, the hook's among them."""
    from wagtail import hooks
    from wagtail.admin.widgets import Button

    make_admin_ticket(subject="Printer")

    def escalate(snippet, user, next_url=None):
        yield Button("Escalate", url=f"/escalate/{snippet.pk}/", icon_name="warning", priority=5)

    def drop_inspect(buttons, snippet, user):
        buttons[:] = [button for button in buttons if button.label != "Inspect"]

    with hooks.register_temporarily("register_snippet_listing_buttons", escalate):
        response = verified_staff_client.get(LIST_URL)
        wagtails = wagtails_row_menus(response)
    [menu] = select(response, "td.avs-subject .w-dropdown")
    assert [text_of(a) for a in menu.select(".w-dropdown__content a")] == [
        "Escalate",
        "Edit",
        "Inspect",
    ]
    assert markup(menu) == markup(wagtails[0])

    with hooks.register_temporarily("construct_snippet_listing_buttons", drop_inspect):
        response = verified_staff_client.get(LIST_URL)
    [menu] = select(response, "td.avs-subject .w-dropdown")
    assert [text_of(a) for a in menu.select(".w-dropdown__content a")] == ["Edit"]


def test_the_rows_speak_each_staff_members_language(
    verified_staff_client, support_staff, make_admin_ticket
):
    """Labels are kept per language (columns._escaped_words): one agent's Russian page must
    not leave Russian words in the next agent's English one, or the other way round."""
    from django.utils import translation
    from wagtail.users.models import UserProfile

    from avsoft_support.admin.columns import CLIENT_STATUS_SHORT

    make_admin_ticket(client_status="current", criticality=Criticality.CRITICAL)
    profile = UserProfile.get_for_user(support_staff)

    def cells(language):
        profile.preferred_language = language
        profile.save()
        [row] = listing_rows(verified_staff_client.get(LIST_URL))
        return row, language

    for language in ("ru", "en", "ru"):
        row, language = cells(language)
        with translation.override(language):
            status = str(TicketStatus.NEW.label)
            critical = str(Criticality.CRITICAL.label)
            critical_short = str(Criticality.short_label(Criticality.CRITICAL))
            current_short = str(CLIENT_STATUS_SHORT["current"])
        by_class = {cell.get("class", [""])[0]: cell for cell in row.values()}
        assert text_of(by_class["avs-col-status"]) == status
        badge = by_class["avs-col-criticality"].select_one(".avs-criticality")
        assert badge["title"] == critical
        assert badge.select_one('[aria-hidden="true"]').get_text() == critical_short
        client = by_class["avs-col-client"].select_one('[aria-hidden="true"]')
        assert client.get_text() == current_short
    assert status != "New"  # the last round was Russian indeed


@pytest.mark.parametrize("language", ["en", "ru"])
def test_time_words_are_djangos_and_wagtails_own(language):
    """The rows' "3 hours ago", "2 days late" and "in 40 minutes" are kept per units and
    counts (columns._time_words): the same words Django's timesince and Wagtail's
    timesince_simple give, in each language, either side of each unit, across months of
    every length and at random moments up to three years away."""
    import random

    from django.utils import translation
    from django.utils.html import escape
    from django.utils.text import capfirst
    from django.utils.timesince import timesince, timeuntil
    from django.utils.translation import gettext as _
    from wagtail.admin.templatetags.wagtailadmin_tags import timesince_simple

    from avsoft_support.admin.columns import _time_words

    minutes = [0, 1, 2, 5, 59, 60, 61, 119, 121, 1439, 1440, 1441, 2 * 1440 + 61, 7 * 1440 - 1]
    minutes += [7 * 1440, 7 * 1440 + 1441, 27 * 1440 + 1439, 28 * 1440, 40 * 1440, 400 * 1440]
    rng = random.Random(5)
    minutes += [rng.randrange(3 * 365 * 1440) for _n in range(300)]
    with translation.override(language):
        for kind in ("ago", "late", "until", "ago"):  # twice: from the cache the second time
            for count in minutes:
                now = timezone.now()
                delta = timedelta(minutes=count, seconds=20)
                moment = now + delta if kind == "until" else now - delta
                if kind == "ago":
                    expected = capfirst(timesince_simple(moment))
                elif kind == "late":
                    expected = _("%(time)s late") % {"time": timesince(moment, now)}
                else:
                    expected = _("in %(time)s") % {"time": timeuntil(moment, now)}
                assert _time_words(kind, moment, now) == escape(expected), (kind, count)
        assert _time_words("late", now - timedelta(hours=3), now) == escape(
            _("%(time)s late") % {"time": timesince(now - timedelta(hours=3), now)}
        )


def test_dates_in_the_rows_are_each_agents_own_time_zone_and_language(
    verified_staff_client, support_staff, make_admin_ticket
):
    """The rows' dates are kept per moment, time zone and language (columns._formatted): a
    page in Moscow time must not leave its dates in the next page in Vladivostok time."""
    from zoneinfo import ZoneInfo

    from django.utils import translation
    from django.utils.formats import date_format
    from wagtail.users.models import UserProfile

    written = timezone.now().replace(second=0, microsecond=0) - timedelta(days=40)
    due = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)
    make_admin_ticket(created_at=written, sla_due_at=due)
    profile = UserProfile.get_for_user(support_staff)
    for zone, language in [
        ("Europe/Moscow", "ru"),
        ("Asia/Vladivostok", "ru"),
        ("Asia/Vladivostok", "en"),
        ("Europe/Moscow", "ru"),
    ]:
        profile.current_time_zone, profile.preferred_language = zone, language
        profile.save()
        [row] = listing_rows(verified_staff_client.get(LIST_URL))
        with translation.override(language):
            local = written.astimezone(ZoneInfo(zone))
            expected = date_format(local, "DATETIME_FORMAT")
            expected_due = date_format(due.astimezone(ZoneInfo(zone)), "SHORT_DATETIME_FORMAT")
        by_class = {cell.get("class", [""])[0]: cell for cell in row.values()}
        wrote, due_cell = by_class["avs-col-activity"], by_class["avs-col-due"]
        assert wrote.select_one("button")["data-w-tooltip-content-value"] == expected, zone
        assert wrote.select_one("time")["datetime"] == local.isoformat()
        assert due_cell.select_one("span")["title"] == expected_due, zone


def test_the_badge_recounts_three_counters_and_the_dashboard_all(
    verified_staff_client, make_admin_ticket
):
    """A list page counts only what its menu badge shows; a ticket filed or changed then moves
    the cached counters by one, with no count; the dashboard counts only what it lacks."""
    make_admin_ticket(client_status="current")

    def counting_queries(path):
        with CaptureQueriesContext(connection) as queries:
            assert verified_staff_client.get(path).status_code == 200
        return [q["sql"] for q in queries if 'COUNT("avsoft_support_ticket"."status")' in q["sql"]]

    [badge] = counting_queries(LIST_URL)
    assert badge.count("COUNT(") == 3
    assert counting_queries(LIST_URL) == []  # cached
    make_admin_ticket(client_status="claimed")
    assert counting_queries(LIST_URL) == []  # moved by one, not counted again
    assert "Tickets (2 new)" in menu_labels(verified_staff_client.get(LIST_URL))
    dashboard = counting_queries("/admin/")
    assert [sql.count("COUNT(") for sql in dashboard] == [5]  # the panel's other five
    assert counting_queries("/admin/") == []
    response = verified_staff_client.get("/admin/")
    counts = response.context["request"]._avsoft_support_queue_counts
    assert (counts["new"], counts["new_current"], counts["new_claimed"], counts["open"]) == (
        2,
        1,
        1,
        2,
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"client_status": "potential"},
        {"client_status": "current", "status": "open"},
        {"client_status": "claimed", "status": "all"},
        {"client_status": "potential", "status": "waiting"},
        {"status": "waiting"},
        {"status": "closed"},
        {"assignee": "unassigned"},
        {"assignee": "me", "status": "open"},
        {"product": "first"},
        {"product": "first", "status": "all"},
        {"criticality": "1"},
        {"overdue": "true"},
        {"overdue": "true", "status": "open"},
        {"overdue": "true", "status": "all"},
        {"overdue": "true", "status": "new"},
        {"overdue": "false", "status": "open"},
    ],
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()) or "default",
)
def test_each_view_lists_exactly_its_tickets_in_the_queues_order(
    verified_staff_client, make_admin_ticket, support_staff, params
):
    """Whatever index a view is read from (Ticket.Meta.indexes; the client status asked for
    as its priority, overdue with all open statuses asked once), it lists the
    tickets its filters describe, in the queue's order, compared with the same rule in
    Python over every ticket."""
    from avsoft_support.models import ClientStatus, Product

    now = timezone.now()
    first, second = Product.objects.create(name="First"), Product.objects.create(name="Second")
    statuses = list(TicketStatus)
    for n in range(36):
        status = statuses[(n // 3) % len(statuses)]
        make_admin_ticket(
            client_status=("current", "claimed", "potential")[n % 3],
            status=status,
            product=(first, second)[n % 2],
            criticality=1 + n % 4,
            assignee=support_staff if n % 5 == 0 else None,
            # Half an hour off the hour: no due time falls on the moment the page is made.
            sla_due_at=now + timedelta(hours=(n % 7) - 3, minutes=30) if n % 6 else None,
            created_at=now - timedelta(hours=n, minutes=30),
        )
    tickets = list(Ticket.objects.all())
    assert {ticket.priority for ticket in tickets} == {1, 2, 3}
    assert all(t.priority == ClientStatus.priority_of(t.client_status) for t in tickets)

    our_turn = set(TicketStatus.our_turn_values())
    status = params.get("status", "")

    def listed(ticket):
        if status == "open":
            ok = ticket.status in TicketStatus.open_values()
        elif status == "all":
            ok = True
        elif status:
            ok = ticket.status == status
        else:
            ok = ticket.status in our_turn
        overdue = (
            ticket.status in our_turn
            and ticket.sla_due_at is not None
            and (ticket.sla_due_at < now)
        )
        return (
            ok
            and params.get("client_status", ticket.client_status) == ticket.client_status
            and params.get("criticality", str(ticket.criticality)) == str(ticket.criticality)
            and (
                "product" not in params
                or ticket.product_id == (first if params["product"] == "first" else second).pk
            )
            and (
                "assignee" not in params
                or ticket.assignee_id
                == (None if params["assignee"] == "unassigned" else support_staff.pk)
            )
            and {"true": overdue, "false": not overdue}.get(params.get("overdue"), True)
        )

    def queue_key(ticket):
        due = ticket.sla_due_at
        return (ticket.priority, due is None, due or now, ticket.created_at, ticket.pk)

    expected = [t.pk for t in sorted(filter(listed, tickets), key=queue_key)]
    query = dict(params)
    if "product" in query:
        query["product"] = str((first if query["product"] == "first" else second).pk)
    assert expected, "each view lists some tickets"
    assert listed_ids(verified_staff_client.get(LIST_URL, query)) == expected
