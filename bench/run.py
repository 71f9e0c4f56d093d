"""The benchmark of issue 12: the pages people wait for, at N tickets, against two floors.

Seeds a throwaway test database in the issue's shape (bench/seed.py: 500 customers, one with
200 tickets, 20 staff, 3 messages per ticket) for each N of ``BENCH_N``, each in a process of
its own, and measures every page with the Django test client, all sizes in the same rounds:
median and p95 of ``BENCH_RUNS`` (32) warm requests, each round from another stack depth
(bench/alignment.py), the query count, and the median as a ratio to two floors measured in
the same run:

- *bare*: a view returning 25 of the member's tickets in one query (bench/urls.py);
- *wagtail*: a plain Wagtail page of the same site (its home page).

Filing is measured twice: with its two mails rendered and sent in the request (Django's
immediate task backend, the test settings' default) and with them queued for the worker
(django-tasks-db, as the production profile runs them; bench/settings.py). On Django 5.2
(`make bench-lts`, the peer's Python and Django) through the django-tasks backport, which
the `prod` extra installs; without it, only in the request.

Served as by a real server: the test client, but without the test environment's template
instrumentation (it copies the context for every template rendered, one per listing cell).
Not a test: it prints, and fails only when a page does not answer. Run it with `make bench`
(SQLite in memory, N=2000) or e.g.::

    BENCH_N=10000,100000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/avs_bench make bench
"""

import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.rounds import RUNS, Page, one_round, warm_and_count  # noqa: E402

EXPORT_RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
SIZES = [int(n) for n in os.environ.get("BENCH_N", "2000").split(",") if n.strip()]
LIST = "/admin/support/tickets/"


def requester(client, method, url, data_factory=None):
    ok = (302,) if method == "post" else (200,)  # a filed ticket redirects to itself

    def once():
        if method == "post":
            response = client.post(url, data_factory())
        else:
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        if response.status_code not in ok:
            raise AssertionError((url, response.status_code))
        return response

    return once


def site_tree():
    from wagtail.models import Page, Site

    from tests.testapp.models import HomePage

    root = Page.get_first_root_node()
    for child in root.get_children():
        child.delete()
    root.refresh_from_db()
    home = root.add_child(instance=HomePage(title="Home", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
    )


def clients(staff, member):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    customer = Client()
    customer.force_login(member)
    device, _ = TOTPDevice.objects.get_or_create(
        user=staff, name="bench", defaults={"confirmed": True}
    )
    staff_client = Client()
    staff_client.force_login(staff)
    session = staff_client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return customer, staff_client


def filing_data(product):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def data():
        return {
            "subject": "Export stops at 50%",
            "product": str(product.pk),
            "product_version": "5.2.1",
            "os_version": "Windows 11",
            "criticality": "3",
            "description": "It stops at 50% when exporting a big file.",
            "steps_to_problem": "Opened a big file.",
            "steps_to_reproduce": "1. Open big.dat 2. Export",
            "invoice_number": "",
            "attachments": SimpleUploadedFile("log.txt", b"x" * 100 * 1024, "text/plain"),
        }

    return data


def prepare_size(n):
    """Seeds up to ``n`` tickets; returns the seconds it took and the pages to measure
    (bench/rounds.py)."""
    from avsoft_support import background
    from avsoft_support.models import Product, SupportPage, Ticket
    from bench.seed import seed_to

    start = time.perf_counter()
    staff, member = seed_to(n)
    seeded = time.perf_counter() - start
    if connection.vendor == "postgresql":
        # The state autovacuum keeps a table in after bulk inserts: statistics, and a
        # visibility map that lets the counters' aggregate read its index alone (13 -> 5 ms
        # at 100,000 tickets; without it every open ticket's row is visited).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    page = SupportPage.objects.get()
    ticket = Ticket.objects.filter(author=member).order_by("-last_activity_at", "-pk").first()
    staff_ticket = Ticket.objects.filter(status="new").order_by("-pk").first() or ticket
    customer, staff_client = clients(staff, member)
    product = Product.objects.order_by("pk").first()
    rows = [
        ("floor: bare view, 25 of the member's tickets", customer, "get", "/bench/bare/"),
        ("floor: Wagtail home page", customer, "get", "/"),
        ("member ticket list, page 1", customer, "get", page.url),
        ("member ticket page (3 messages)", customer, "get", f"{page.url}{ticket.number}/"),
        ("staff list, default order", staff_client, "get", LIST),
        (
            "staff list, open + one client status",
            staff_client,
            "get",
            f"{LIST}?status=open&client_status=current",
        ),
        ('staff search ("Company 5")', staff_client, "get", f"{LIST}?q=Company+5"),
        ("staff list, page 20", staff_client, "get", f"{LIST}?p=20"),
        # Saved views and filters, a few pages in (each has 200+ tickets at 10,000).
        (
            'staff list, "Unassigned" (saved view)',
            staff_client,
            "get",
            f"{LIST}?assignee=unassigned",
        ),
        (
            'staff list, "Waiting for customer", page 5',
            staff_client,
            "get",
            f"{LIST}?status=waiting&p=5",
        ),
        (
            "staff list, potential clients, page 5",
            staff_client,
            "get",
            f"{LIST}?client_status=potential&p=5",
        ),
        (
            "staff list, one product, page 5",
            staff_client,
            "get",
            f"{LIST}?product={product.pk}&p=5",
        ),
        ("staff ticket screen", staff_client, "get", f"{LIST}edit/{staff_ticket.pk}/"),
        ("staff dashboard", staff_client, "get", "/admin/"),
        (
            "CSV export (one customer's 200 tickets)",
            staff_client,
            "get",
            f"{LIST}?status=all&q={member.email}&export=csv",
        ),
        ("submit + 100 KB file", customer, "post", f"{page.url}new/"),
    ]
    if background.task is not None:  # Django 6, or 5.2 with django-tasks (the `prod` extra)
        rows.append(("submit + 100 KB file, mail queued", customer, "post", f"{page.url}new/"))
    pages = [
        Page(
            label,
            requester(client, method, url, filing_data(product) if method == "post" else None),
            EXPORT_RUNS if "export" in url else RUNS,
            {"TASKS": settings.QUEUED_TASKS} if "queued" in label else None,
        )
        for label, client, method, url in rows
    ]
    return seeded, pages


def print_table(n, seeded, results):
    bare = results[0][1]
    wagtail = results[1][1]
    print(f"\n### N = {n:,} tickets ({connection.vendor}; seeding took {seeded:.1f} s)\n")
    print("| page | median ms | p95 ms | queries | × bare | × Wagtail page |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, median, p95, queries in results:
        print(
            f"| {label} | {median:.1f} | {p95:.1f} | {queries} | "
            f"{median / bare:.1f} | {median / wagtail:.2f} |"
        )
    sys.stdout.flush()


def print_growth(all_results):
    if len(all_results) < 2:
        return
    (n0, first), (n1, last) = all_results[0], all_results[-1]
    print(f"\n### Growth from {n0:,} to {n1:,} tickets ({connection.vendor})\n")
    print(
        "Ratio: the time at the larger N over the time at the smaller, both sizes measured in "
        "the same rounds; *as × bare* and *as × Wagtail page*: the same for each page's "
        "multiple of that floor at its own size.\n"
    )
    print(
        f"| page | ms at {n0:,} | ms at {n1:,} | ratio | as × bare | as × Wagtail page | queries |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    bare0, bare1 = first[0][1], last[0][1]
    wagtail0, wagtail1 = first[1][1], last[1][1]
    for (label, m0, _p, q0), (_l, m1, _p1, q1) in zip(first, last, strict=True):
        print(
            f"| {label} | {m0:.1f} | {m1:.1f} | {m1 / m0:.2f} | "
            f"{(m1 / bare1) / (m0 / bare0):.2f} | {(m1 / wagtail1) / (m0 / wagtail0):.2f} "
            f"| {q0} → {q1} |"
        )


def database_version():
    if connection.vendor == "sqlite":
        return "SQLite " + ".".join(map(str, connection.Database.sqlite_version_info))
    with connection._nodb_cursor() as cursor:  # the server's, without the bench's database
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0]


def main():
    """Each size is seeded in a child process of its own (``--serve``, both at once on two
    cores), then every round asks each size in turn for one pass over its pages, the order
    rotating (bench/lockstep.py). The machine's speed drifts within minutes here
    (bench/RESULTS.md); measured this way, it slows every size alike and the growth ratio
    is the pages' own."""
    import statistics

    import wagtail

    from bench import lockstep

    # No setup_test_environment() in the children: its instrumented template rendering
    # copies the context for every template rendered (one per listing cell), which a real
    # server never does.
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"Wagtail {wagtail.__version__}, {database_version()}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{RUNS} warm requests per page (CSV export {EXPORT_RUNS}), every size in each round"
    )
    sizes = sorted(SIZES)
    children = []
    try:
        for n in sizes:
            children.append(lockstep.Child(sys.executable, __file__, {"BENCH_DB_SUFFIX": str(n)}))
        for child, n in zip(children, sizes, strict=True):
            child.send(do="prepare", n=n)
        ready = [child._read() for child in children]
        times = [{} for _ in sizes]
        for round_ in range(RUNS):
            shift = round_ % len(children)
            for i in [*range(shift, len(children)), *range(shift)]:
                for label, ms in children[i].ask(do="round", round=round_)["times"].items():
                    times[i].setdefault(label, []).append(ms)
    finally:
        for child in children:
            child.stop()
    all_results = []
    for n, prepared, measured in zip(sizes, ready, times, strict=True):
        results = []
        for label, queries in prepared["queries"].items():
            values = sorted(measured[label])
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            results.append((label, statistics.median(values), p95, queries))
        print_table(n, prepared["seeded"], results)
        all_results.append((n, results))
    print_growth(all_results)


def serve():
    """``--serve``: driven round by round by bench/compare.py (bench/lockstep.py)."""
    from bench import lockstep

    def setup():
        old_name = connection.creation.create_test_db(verbosity=0)
        site_tree()
        overrides = override_settings(
            ROOT_URLCONF="bench.urls",
            ALLOWED_HOSTS=["*"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        overrides.enable()

        def teardown():
            overrides.disable()
            connection.creation.destroy_test_db(old_name, verbosity=0)

        return teardown

    lockstep.serve(setup, prepare_size, warm_and_count, one_round)


if __name__ == "__main__":
    serve() if "--serve" in sys.argv[1:] else main()
