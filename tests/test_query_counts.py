"""The customer pages run the same number of queries however much data there is."""

from collections import Counter

import django
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from avsoft_support import tickets
from avsoft_support.models import Product, Ticket
from tests.utils import find_one, hrefs, select, text_of


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user(
        "agent", "agent@example.com", "x", first_name="Olga"
    )
    user.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    return django_user_model.objects.get(pk=user.pk)


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def add_messages(ticket, member, staff, count):
    for index in range(count):
        author, from_staff = (staff, True) if index % 2 else (member, False)
        tickets.add_message(
            ticket,
            author,
            f"Message {index}",
            [SimpleUploadedFile(f"file{index}.txt", b"x" * 10)],
            from_staff=from_staff,
        )


def test_ticket_list_with_1_and_60_tickets(
    client, member, staff, make_ticket, support_page, django_assert_num_queries
):
    first = make_ticket(member, subject="Ticket 0")
    tickets.add_message(first, staff, "answer", from_staff=True)
    client.force_login(member)
    client.get("/support/")  # warm the site caches every later request finds warm
    with_one = count_queries(client, "/support/")

    for index in range(1, 60):
        ticket = make_ticket(
            member, subject=f"Ticket {index}", product=None if index % 3 else first.product
        )
        if index % 2:
            tickets.add_message(ticket, staff, "answer", from_staff=True)
    assert Ticket.objects.count() == 60

    with django_assert_num_queries(with_one):
        response = client.get("/support/")
    assert len(select(response, "main tr.avs-ticket-row")) == 20
    with django_assert_num_queries(with_one):
        client.get("/support/?page=3&show=all")
    with django_assert_num_queries(with_one):
        client.get("/support/?show=open")


def test_ticket_page_with_1_and_40_messages_with_files(
    client, member, staff, make_ticket, support_page, django_assert_num_queries
):
    ticket = make_ticket(member, files=[("first.txt", b"1")])
    client.force_login(member)
    path = f"/support/{ticket.number}/"
    client.get(path)
    with_one = count_queries(client, path)

    add_messages(ticket, member, staff, 39)
    assert ticket.messages.count() == 40
    client.get(path)  # the first look after a staff reply clears the "new reply" marker

    with django_assert_num_queries(with_one):
        response = client.get(path)
    messages = select(response, "main article.avs-message-item")
    assert len(messages) == 40
    downloads = [hrefs(find_one(message, ".avs-attachments")) for message in messages]
    assert all(
        len(links) == 1 and links[0].startswith("/account/attachments/") for links in downloads
    ), downloads


def test_a_member_of_no_client_account_is_not_asked_the_company_rule(
    client, member, make_ticket, support_page
):
    """Most members belong to no client account: their list counts and reads their own
    tickets by author, without the company rule's UNION (models/tickets.py)."""
    make_ticket(member)
    client.force_login(member)
    client.get("/support/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/support/")
    assert len(select(response, "main tr.avs-ticket-row")) == 1
    assert not [q["sql"] for q in queries.captured_queries if "UNION" in q["sql"]]


def test_the_authors_ticket_page_reads_profile_and_followers_with_the_ticket(
    client, member, make_ticket, support_page
):
    """The corner box's name comes from the profile fetched with the ticket, and a ticket
    nobody follows costs no follower query: neither table is read on its own."""
    ticket = make_ticket(member)
    client.force_login(member)
    path = f"/support/{ticket.number}/"
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    own_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "avsoft_support_memberprofile"')
        or q["sql"].startswith('SELECT "avsoft_support_ticketfollower"')
    ]
    assert own_reads == []
    name = text_of(find_one(response, ".avs-login-box__name"))
    assert name == member.support_profile.display_name


def test_new_ticket_form_does_not_grow_with_products(
    client, member, support_page, django_assert_num_queries
):
    from avsoft_support.models import Product

    Product.objects.create(name="P0")
    client.force_login(member)
    client.get("/support/new/")
    with_one = count_queries(client, "/support/new/")
    for index in range(1, 30):
        Product.objects.create(name=f"P{index}")
    with django_assert_num_queries(with_one):
        client.get("/support/new/")


@pytest.mark.skipif(django.VERSION < (6, 1), reason="fetch modes arrived in Django 6.1")
def test_no_lazy_loads_in_what_the_pages_show(
    client, member, staff, make_ticket, support_page, monkeypatch
):
    """The real pages render with every queryset of the app's models in FETCH_RAISE: a
    template touching a relation the view did not fetch (one more query per row) raises
    FieldFetchBlocked. Django hands the mode on to the objects fetched with them (a message's
    author, a ticket's product)."""
    from django.core.exceptions import FieldFetchBlocked
    from django.db.models import FETCH_RAISE
    from django.db.models.manager import BaseManager

    ticket = make_ticket(member, files=[("a.txt", b"a")])
    other = make_ticket(member, subject="Licence question", product=None, product_other="Old Tool")
    add_messages(ticket, member, staff, 3)
    client.force_login(member)

    get_queryset = BaseManager.get_queryset

    def raising_queryset(manager):
        queryset = get_queryset(manager)
        if manager.model._meta.app_label == "avsoft_support":
            queryset = queryset.fetch_mode(FETCH_RAISE)
        return queryset

    monkeypatch.setattr(BaseManager, "get_queryset", raising_queryset)
    with pytest.raises(FieldFetchBlocked):  # the switch is on
        Ticket.objects.get(pk=ticket.pk).product  # noqa: B018

    listing = client.get("/support/")
    assert listing.status_code == 200
    rows = [
        [text_of(cell) for cell in row.select("td")[:3]]
        for row in select(listing, "tr.avs-ticket-row")
    ]
    assert sorted(rows) == sorted(
        [
            [ticket.number, "Export stops New reply", "AVSoft Analyzer"],
            [other.number, "Licence question", "Old Tool"],
        ]
    )

    page = client.get(f"/support/{ticket.number}/")
    assert page.status_code == 200
    messages = select(page, "article.avs-message-item")
    assert [text_of(find_one(message, ".avs-message-author")) for message in messages] == [
        "You",
        "You",
        "Support · Olga",
        "You",
    ]
    assert [
        [text_of(link) for link in message.select(".avs-attachments a")] for message in messages
    ] == [["a.txt"], ["file0.txt"], ["file1.txt"], ["file2.txt"]]


# The staff side: flat in the number of tickets (issue 12) --------------------------------

STAFF_LIST = "/admin/support/tickets/"


def staff_queries(client, path):
    client.get(path)  # the first view after a change recounts the queue (queue_cache.py)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return queries


def make_admin_tickets(make_admin_ticket, count, **fields):
    return [
        make_admin_ticket(
            client_status=("current", "claimed", "potential")[n % 3],
            body=f"Принтер сломался, случай {n}",
            **fields,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "path",
    [
        STAFF_LIST,
        f"{STAFF_LIST}?status=open&client_status=current",
        f"{STAFF_LIST}?status=all",
        f"{STAFF_LIST}?q=принтера",
        f"{STAFF_LIST}?p=2",
        "/admin/",
    ],
)
def test_staff_pages_run_the_same_queries_with_5_and_50_tickets(
    verified_staff_client, make_admin_ticket, support_staff, path
):
    make_admin_tickets(make_admin_ticket, 5, assignee=support_staff)
    five = staff_queries(verified_staff_client, path)
    make_admin_tickets(make_admin_ticket, 45, assignee=support_staff)
    fifty = staff_queries(verified_staff_client, path)
    assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)


def test_the_triage_list_renders_no_template_per_row(
    verified_staff_client, make_admin_ticket, support_staff
):
    """Its rows, cells and each row's menu are written in Python (admin/columns.py): 550
    template renders for 50 rows were most of the list's time (issue 12)."""
    make_admin_tickets(make_admin_ticket, 5, assignee=support_staff)
    verified_staff_client.get(STAFF_LIST)
    five = verified_staff_client.get(STAFF_LIST)
    make_admin_tickets(make_admin_ticket, 45, assignee=support_staff)
    verified_staff_client.get(STAFF_LIST)
    fifty = verified_staff_client.get(STAFF_LIST)
    grown = Counter(t.name for t in fifty.templates) - Counter(t.name for t in five.templates)
    assert not grown, grown
    rows = select(fifty, "table.avs-queue-table tbody tr")
    assert len(rows) == 50
    menu = rows[0].select_one("td.avs-subject .w-dropdown")
    toggle = menu.select_one("button.w-dropdown__toggle")
    assert toggle["aria-label"].startswith("More options for")
    edit = menu.select_one(".w-dropdown__content a")
    assert text_of(edit) == "Edit"
    assert edit["href"] == rows[0].select_one("td.avs-subject .title-wrapper a")["href"]


def test_a_search_sorts_its_matches_without_joining_them(
    verified_staff_client, make_admin_ticket, support_staff
):
    """The page's ids are found in order on the ticket table alone; only the page's 50 rows
    are then read with customer, profile, account, product and assignee (admin/pagination.py):
    a search matching thousands of tickets no longer joins every match before sorting."""
    make_admin_tickets(make_admin_ticket, 60, assignee=support_staff)
    verified_staff_client.get(STAFF_LIST, {"q": "customer"})
    with CaptureQueriesContext(connection) as queries:
        response = verified_staff_client.get(STAFF_LIST, {"q": "customer"})
    assert len(select(response, "table.avs-queue-table tbody tr")) == 50
    ticket_reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "avsoft_support_ticket"' in q["sql"] and "COUNT(" not in q["sql"]
    ]
    ordered = [sql for sql in ticket_reads if "ORDER BY" in sql and "LIMIT" in sql]
    joined = [sql for sql in ticket_reads if "JOIN" in sql]
    assert ordered and all("JOIN" not in sql for sql in ordered), ordered
    assert joined and all("ORDER BY" not in sql for sql in joined), joined


def test_the_ticket_screen_runs_the_same_queries_with_5_and_50_tickets(
    verified_staff_client, make_admin_ticket, make_member
):
    author = make_member(username="busy", full_name="Busy Customer")
    first, *_ = make_admin_tickets(make_admin_ticket, 5, author=author)
    path = f"{STAFF_LIST}edit/{first.pk}/"
    five = staff_queries(verified_staff_client, path)
    make_admin_tickets(make_admin_ticket, 45, author=author)
    make_admin_tickets(make_admin_ticket, 45)
    fifty = staff_queries(verified_staff_client, path)
    assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)


def test_no_count_over_all_tickets_on_staff_pages(verified_staff_client, make_admin_ticket):
    """The listing counts through a LIMIT subquery, the badge and dashboard from the cache."""
    make_admin_tickets(make_admin_ticket, 3)
    for path in (STAFF_LIST, f"{STAFF_LIST}?status=all", "/admin/"):
        queries = staff_queries(verified_staff_client, path)
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert all("LIMIT" in sql for sql in counts), counts


@override_settings(AVSOFT_SUPPORT_LISTING_COUNT_LIMIT=10)
def test_the_listing_count_is_capped_and_every_page_stays_reachable(
    verified_staff_client, make_admin_ticket
):
    made = make_admin_tickets(make_admin_ticket, 75)
    response = verified_staff_client.get(STAFF_LIST, {"status": "all"})
    # 10 past the first page of 50: "60+ tickets", not 75.
    assert "60+ tickets" in text_of(select(response, "body")[0])
    last = verified_staff_client.get(STAFF_LIST, {"status": "all", "p": 2})
    shown = [title["id"] for title in select(last, 'tbody [id^="snippet_"][id$="_title"]')]
    assert len(shown) == 25  # page 2 counts further: all 75 are reachable
    assert len(made) == 75


@override_settings(AVSOFT_SUPPORT_LISTING_COUNT_LIMIT=10)
def test_views_an_index_keeps_in_order_are_counted_in_that_order(
    verified_staff_client, make_admin_ticket, support_staff
):
    """A view one index holds in the queue's order (the default view and its filters, one
    status chosen) is counted in that order, off that index (on SQLite that index alone is
    read); a view no index holds in that order (overdue, a product among all statuses), a
    search or a column order is counted unordered. Either way the label counts what the view
    lists."""
    from django.db import connection

    from avsoft_support.models import Product, TicketStatus

    product = Product.objects.create(name="Counted product")
    make_admin_tickets(make_admin_ticket, 70, status=TicketStatus.NEW)
    make_admin_tickets(make_admin_ticket, 5, status=TicketStatus.WAITING)
    make_admin_tickets(make_admin_ticket, 3, status=TicketStatus.CLOSED, product=product)
    make_admin_tickets(make_admin_ticket, 4, status=TicketStatus.NEW, product=product)
    make_admin_tickets(
        make_admin_ticket, 2, status=TicketStatus.WAITING, assignee=support_staff, criticality=1
    )

    def count_sql(params):
        from urllib.parse import urlencode

        path = f"{STAFF_LIST}?{urlencode(params)}" if params else STAFF_LIST
        queries = staff_queries(verified_staff_client, path)
        (query,) = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        response = verified_staff_client.get(path)
        return query["sql"], text_of(select(response, "body")[0])

    def read_off(sql):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql.replace("%", "%%"))
            return " ".join(str(row) for row in cursor.fetchall())

    for params, index, label in (
        ({}, "avs_ticket_triage", "60+ tickets"),
        ({"status": "waiting"}, "avs_ticket_queue_waiting", "7 tickets"),
        ({"client_status": "potential"}, "avs_ticket_triage", "24 tickets"),
        ({"product": str(product.pk)}, "avs_ticket_triage_product", "4 tickets"),
        ({"assignee": "unassigned"}, "avs_ticket_triage_assignee", "60+ tickets"),
        ({"status": "open", "assignee": "me"}, "avs_ticket_mine_queue", "2 tickets"),
    ):
        sql, text = count_sql(params)
        assert "ORDER BY" in sql, params
        assert label in text, (params, label)
        if index and connection.vendor == "sqlite":
            assert index in read_off(sql), (params, read_off(sql))
    for params, label in (
        ({"ordering": "-created_at"}, "60+ tickets"),
        ({"q": "Company"}, None),
        ({"overdue": "false"}, "60+ tickets"),
        ({"status": "all", "product": str(product.pk)}, "7 tickets"),
        ({"status": "waiting", "assignee": "me"}, "2 tickets"),
        ({"status": "open", "criticality": "1"}, "2 tickets"),
    ):
        sql, text = count_sql(params)
        assert "ORDER BY" not in sql, params
        assert label is None or label in text, (params, label)


def test_the_badge_follows_a_ticket_change_at_once(verified_staff_client, make_admin_ticket):
    from avsoft_support.models import TicketStatus

    ticket = make_admin_ticket(status=TicketStatus.NEW)
    response = verified_staff_client.get("/admin/")
    assert "1 new" in response.content.decode()
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.save(update_fields=["status"])
    response = verified_staff_client.get("/admin/")
    assert "1 new" not in response.content.decode()


def filing_data(product):
    return {
        "subject": "Export stops",
        "product": str(product.pk),
        "product_version": "5.2.1",
        "os_version": "Windows 11",
        "criticality": "3",
        "description": "It stops at 50%.",
        "steps_to_problem": "Opened a big file.",
        "steps_to_reproduce": "1. Open 2. Export",
        "attachments": SimpleUploadedFile("log.txt", b"x" * 100 * 1024, "text/plain"),
    }


# Filing a ticket with a file, its two mails included (read back as a task worker reads them):
# routing (the support page, found through SupportPageRoutingMiddleware's cache, with
# whether a view restriction guards it: 1; Wagtail's own walk and privacy check would take
# 6), session and user (2), profile
# and products (2), the first-response target's calendar (1), the ticket's INSERT and the
# UPDATE that gives it its number and search text (2), the message, its file and the log
# entry (3), the mails' reads (ticket with its first message, the files: 2), and the
# transaction's BEGIN and COMMIT (2). The site's Support settings come from the cache, for
# the form and the mails alike; the thank-you goes in a signed cookie, not the session, so
# nothing writes the session. Filed in a transaction of its own, the mails read nothing (see
# test_notifications.py).
FILING_QUERIES = 15


def test_filing_a_ticket_with_a_file_runs_few_queries(
    client,
    member,
    make_member,
    make_ticket,
    support_page,
    product,
    mailoutbox,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    client.force_login(member)
    # The first one saves the profile.
    assert client.post("/support/new/", filing_data(product)).status_code == 302

    def file():
        mailoutbox.clear()
        with (
            django_assert_num_queries(FILING_QUERIES),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert client.post("/support/new/", filing_data(product)).status_code == 302
        assert [len(mail.to) for mail in mailoutbox] == [2, 1]  # support, and the receipt

    file()
    # The same with many products, and tickets of the member's and of others.
    Product.objects.bulk_create(Product(name=f"Product {n}", active=True) for n in range(20))
    other = make_member("other")
    for n in range(15):
        make_ticket(member, subject=f"Problem {n}", files=[(f"f{n}.txt", b"x")])
        make_ticket(other, subject=f"Other problem {n}")
    file()
    assert Ticket.objects.filter(author=member).count() == 18


def test_pages_do_not_read_the_search_text(
    member, staff, make_ticket, support_page, verified_staff_client
):
    """Ticket.search_text holds every word of a ticket, up to 500 KB; no page shows it, so
    none reads it (Ticket.objects.for_display): not the member's list or ticket page, not the
    triage list or the ticket screen."""
    ticket = make_ticket(member, subject="Printer stops")
    tickets.add_message(ticket, staff, "answer " * 1000, from_staff=True)
    client = Client()  # the staff client is the test's own
    client.force_login(member)
    pages = [
        (client, "/support/"),
        (client, f"/support/{ticket.number}/"),
        (verified_staff_client, STAFF_LIST),
        (verified_staff_client, f"{STAFF_LIST}edit/{ticket.pk}/"),
    ]
    for page_client, path in pages:
        with CaptureQueriesContext(connection) as queries:
            response = page_client.get(path)
        assert response.status_code == 200, path
        assert "Printer stops" in response.content.decode()
        reads = [q["sql"] for q in queries if "search_text" in q["sql"].split(" FROM ")[0]]
        assert not reads, (path, reads)
