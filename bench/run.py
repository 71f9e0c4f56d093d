"""Benchmarks of the pages people wait for: a member's ticket list, a ticket page, the staff
triage list. Not tests: they print timings and query counts and always exit 0 unless a page
fails. Run with `make bench` (SQLite in memory) or `DATABASE_URL=... make bench`.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def measure(client, url):
    client.get(url)  # warm caches and templates
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), max(times), len(queries)


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


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from avsoft_support.models import SupportPage, Ticket
        from bench.seed import seed

        site_tree()
        customers, tickets, messages = 20, 60, 10
        start = time.perf_counter()
        staff = seed(customers=customers, tickets=tickets, messages=messages)
        print(f"seeding took {time.perf_counter() - start:.1f} s on {connection.vendor}")

        member = Ticket.objects.order_by("pk").first().author
        page = SupportPage.objects.get()
        ticket = Ticket.objects.filter(author=member).order_by("pk").first()
        customer = Client()
        customer.force_login(member)

        device = TOTPDevice.objects.create(user=staff, name="bench", confirmed=True)
        staff_client = Client()
        staff_client.force_login(staff)
        session = staff_client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        rows = [
            ("member ticket list (60 tickets, page 1)", customer, page.url),
            (f"ticket page ({messages} messages)", customer, page.url + ticket.number + "/"),
            (
                f"staff triage list ({customers * tickets} tickets)",
                staff_client,
                "/admin/support/tickets/",
            ),
        ]
        print(f"\n{'page':<48} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for label, client, url in rows:
            median, worst, queries = measure(client, url)
            print(f"{label:<48} {median:>10.1f} {worst:>8.1f} {queries:>8}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
