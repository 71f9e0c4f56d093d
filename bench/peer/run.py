"""The peer of issue 12's benchmark: django-helpdesk 2.6.1 in the same shape, same method.

Run with the peer's own virtualenv (``make bench-peer``, or ``bench/peer/setup`` and then
``.venv-peer/bin/python bench/peer/run.py``). Seeds an in-memory SQLite test database in the
shape bench/seed.py gives ours — 500 customers (one with 200 tickets), 20 staff, 3 messages
per ticket (the ticket's opening FollowUp by the customer, a staff answer, the customer
again), about a quarter of the tickets open, 5 queues — with bulk inserts, tops it up to each
N of ``BENCH_N`` (default 10000) and measures each page with the Django test client: median
and p95 of ``BENCH_RUNS`` (32) warm requests, every page once per round (each round from
another stack depth, bench/alignment.py), and the queries.

What a page costs is what a browser waits for before it shows the rows: django-helpdesk 2.x
renders its staff ticket list and the customer's "my tickets" list as an HTML shell whose
script then asks a JSON endpoint for the rows; those pages are measured as both requests in
turn (and each part on its own line). Not a test: it prints a markdown table.
"""

import os
import platform
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peer.settings")

import warnings  # noqa: E402

import django  # noqa: E402

django.setup()
# helpdesk's own dashboard/list code passes naive datetimes; not ours to fix, only noise here.
warnings.filterwarnings("ignore", r"DateTimeField .* received a naive datetime")

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.rounds import RUNS, Page, measure_rounds, one_round, warm_and_count  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_N", "10000").split(",") if n.strip()]
CUSTOMERS = 500
BIG_CUSTOMER_TICKETS = 200
STAFF = 20
QUEUES = 5
# What DataTables (3.1.3, shipped with 2.6.1) sends for its first draw: the table's
# data-page-length (the staff user's tickets_per_page, 25 by default), no search, and its
# default order [[0, "asc"]] (column 0, the ticket id: DataTables keeps a default order on a
# column marked orderable: false). Without order[...] the view would sort by "created".
DATATABLES_DRAW = (
    "?draw=1&start=0&length={length}&search%5Bvalue%5D=&search%5Bregex%5D=false{order}"
)
BROWSER_ORDER = "&order%5B0%5D%5Bcolumn%5D=0&order%5B0%5D%5Bdir%5D=asc"
WORDS = (  # noqa: SIM905 - the same words as bench/seed.py
    "export stops printer driver licence update crash report database backup timeout "
    "принтер драйвер ошибка отчёт лицензия обновление сервер база резервная копия зависает "
    "экспорт импорт журнал настройка сеть пароль доступ"
).split()


def _status_for(rng, Ticket):
    """The shares of bench/seed.py: new, replied, in progress, waiting (25 %) are open here,
    20 % resolved, the rest closed."""
    roll = rng.random()
    if roll < 0.25:
        return Ticket.OPEN_STATUS
    if roll < 0.45:
        return Ticket.RESOLVED_STATUS
    return Ticket.CLOSED_STATUS


def people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from helpdesk.models import Queue, UserSettings

    User = get_user_model()
    staff = list(User.objects.filter(username__startswith="bench-staff").order_by("pk"))
    if staff:
        customers = list(User.objects.filter(username__startswith="bench-c").order_by("pk"))
        return staff, customers, list(Queue.objects.order_by("pk"))
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username="bench-staff" if s == 0 else f"bench-staff-{s}",
                email=f"staff{s}@desk.example",
                first_name=f"Agent{s}",
                is_staff=True,
                password=password,
            )
            for s in range(STAFF)
        ]
    )
    User.objects.bulk_create(
        [
            User(
                username=f"bench-c{c}",
                email=f"customer{c}@company{c % 50}.example",
                first_name=f"Customer {c}",
                password=password,
            )
            for c in range(CUSTOMERS)
        ]
    )
    Queue.objects.bulk_create(
        [
            Queue(
                title=f"Bench product {q}",
                slug=f"queue-{q}",
                allow_public_submission=True,
                allow_email_submission=False,
            )
            for q in range(1, QUEUES + 1)
        ]
    )
    staff = list(User.objects.filter(username__startswith="bench-staff").order_by("pk"))
    customers = list(User.objects.filter(username__startswith="bench-c").order_by("pk"))
    # What helpdesk's post_save signal makes for every new user (bulk_create sends none).
    UserSettings.objects.bulk_create([UserSettings(user=user) for user in staff + customers])
    return staff, customers, list(Queue.objects.order_by("pk"))


def seed_to(total, batch=5000):
    """Tops the tickets up to ``total``; returns (staff user, the 200-ticket customer, queues)."""
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone
    from helpdesk.models import FollowUp, Ticket

    with transaction.atomic():
        staff, customers, queues = people()
        big, others = customers[0], customers[1:]
        have = Ticket.objects.count()
        rng = random.Random(have)
        next_pk = (Ticket.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        now = timezone.now()
        while have < total:
            count = min(batch, total - have)
            tickets, followups = [], []
            for i in range(count):
                pk = next_pk + i
                user = (
                    big if have + i < BIG_CUSTOMER_TICKETS else others[rng.randrange(len(others))]
                )
                created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                status = _status_for(rng, Ticket)
                bodies = [
                    f"{' '.join(rng.choice(WORDS) for _ in range(12))} unique{pk}",
                    f"Staff answer {' '.join(rng.choice(WORDS) for _ in range(8))}",
                    f"Customer again {' '.join(rng.choice(WORDS) for _ in range(6))}",
                ]
                tickets.append(
                    Ticket(
                        pk=pk,
                        title=f"{rng.choice(WORDS)} {rng.choice(WORDS)} #{pk}",
                        queue=queues[pk % len(queues)],
                        created=created,
                        modified=created + timedelta(hours=2),
                        submitter_email=user.email,
                        assigned_to=staff[pk % STAFF] if pk % 3 else None,
                        status=status,
                        description=bodies[0],
                        priority=1 + pk % 5,
                        secret_key=f"{pk:08x}-0000-4000-8000-{pk:012x}",
                    )
                )
                for m, body in enumerate(bodies):
                    followups.append(
                        FollowUp(
                            ticket_id=pk,
                            date=created + timedelta(hours=m),
                            title="Ticket Opened" if m == 0 else "Comment",
                            comment=body,
                            public=True,
                            user=staff[pk % STAFF] if m == 1 else user,
                        )
                    )
            Ticket.objects.bulk_create(tickets, batch_size=1000)
            FollowUp.objects.bulk_create(followups, batch_size=1000)
            have += count
            next_pk += count
    return staff[0], big, queues


def requester(client, method, url, data_factory=None):
    ok = (302,) if method == "post" else (200,)

    def once():
        response = client.post(url, data_factory()) if method == "post" else client.get(url)
        if response.status_code not in ok:
            raise AssertionError((url, response.status_code))
        return response

    return once


def both(*parts):
    """A page whose rows come from a second request: the shell, then the JSON."""

    def once():
        for part in parts:
            part()

    return once


def datatables_url(staff_client, list_url, length=None, order=BROWSER_ORDER):
    """The JSON request the list page's script makes, read from the page as a browser does."""
    html = staff_client.get(list_url).content.decode()
    match = re.search(r"(/helpdesk/datatables_ticket_list/[A-Za-z0-9+/=]*)", html)
    page_length = re.search(r"data-page-length='(\d+)'", html)
    if not match or not page_length:
        raise AssertionError(f"no datatables URL or page length in {list_url}")
    return match.group(1) + DATATABLES_DRAW.format(
        length=length or page_length.group(1), order=order
    )


def filing_data(queue, email):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def data():
        return {
            "queue": str(queue.pk),
            "title": "Export stops at 50%",
            "body": "It stops at 50% when exporting a big file.\n\n1. Open big.dat 2. Export",
            "priority": "3",
            "due_date": "",
            "submitter_email": email,
            "attachment": SimpleUploadedFile("log.txt", b"x" * 100 * 1024, "text/plain"),
        }

    return data


def measure_size(n):
    seeded, pages = prepare_size(n)
    return seeded, measure_rounds(pages)


def prepare_size(n):
    """Seeds up to ``n`` tickets; returns the seconds it took and the pages (bench/rounds.py)."""
    from helpdesk.models import Ticket

    start = time.perf_counter()
    staff, member, queues = seed_to(n)
    seeded = time.perf_counter() - start
    staff_client, customer = Client(), Client()
    staff_client.force_login(staff)
    customer.force_login(member)

    list_url = "/helpdesk/tickets/"
    filtered_url = f"{list_url}?status=1&status=2&queue={queues[0].pk}"
    list_html = requester(staff_client, "get", list_url)
    list_json = requester(staff_client, "get", datatables_url(staff_client, list_url))
    list_json_50 = requester(staff_client, "get", datatables_url(staff_client, list_url, 50))
    list_json_created = requester(
        staff_client, "get", datatables_url(staff_client, list_url, order="")
    )
    filtered_html = requester(staff_client, "get", filtered_url)
    filtered_json = requester(staff_client, "get", datatables_url(staff_client, filtered_url))
    my_html = requester(customer, "get", "/helpdesk/tickets/my-tickets/")
    my_json = requester(customer, "get", "/helpdesk/api/user_tickets/?page=1")
    ticket = Ticket.objects.filter(submitter_email=member.email).order_by("-created").first()
    public_url = (
        f"/helpdesk/view/?ticket={ticket.ticket_for_url}&email={quote(member.email)}"
        f"&key={ticket.secret_key}"
    )
    pages = [
        (
            "floor: bare view, the desk's 25 latest tickets",
            requester(customer, "get", "/bench/bare/"),
        ),
        ("member ticket list (my tickets: page + JSON page 1)", both(my_html, my_json)),
        ("  … its HTML page (/tickets/my-tickets/)", my_html),
        ("  … its JSON (/api/user_tickets/?page=1)", my_json),
        ("member ticket page (public view, 3 follow-ups)", requester(customer, "get", public_url)),
        ("staff list, default (open; page + JSON, 25 rows)", both(list_html, list_json)),
        ("  … its HTML page (/tickets/)", list_html),
        ("  … its JSON (datatables_ticket_list, 25 rows)", list_json),
        ("  … its JSON with 50 rows", list_json_50),
        ("  … its JSON in the view's own default order (created)", list_json_created),
        ("staff list, open + one queue (page + JSON)", both(filtered_html, filtered_json)),
        (
            "staff ticket page (3 follow-ups)",
            requester(staff_client, "get", f"/helpdesk/tickets/{ticket.pk}/"),
        ),
        ("staff dashboard", requester(staff_client, "get", "/helpdesk/dashboard/")),
        (
            "submit + 100 KB file (customer)",
            requester(
                customer,
                "post",
                "/helpdesk/tickets/submit/",
                filing_data(queues[0], member.email),
            ),
        ),
    ]
    return seeded, [Page(label, once) for label, once in pages]


def print_table(n, seeded, results):
    print(f"\n### Peer N = {n:,} tickets (sqlite; seeding took {seeded:.1f} s)\n")
    bare = results[0][1]
    print("| page | median ms | p95 ms | queries | × bare |")
    print("|---|---:|---:|---:|---:|")
    for label, median, p95, queries in results:
        print(f"| {label} | {median:.1f} | {p95:.1f} | {queries} | {median / bare:.1f} |")
    sys.stdout.flush()


def main():
    from importlib.metadata import version

    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"django-helpdesk {version('django-helpdesk')}, SQLite "
        f"{'.'.join(map(str, connection.Database.sqlite_version_info))} (in memory); "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{RUNS} warm requests per page"
    )
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        for n in sorted(SIZES):
            seeded, results = measure_size(n)
            print_table(n, seeded, results)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def serve():
    """``--serve``: driven round by round by bench/compare.py (bench/lockstep.py)."""
    from bench import lockstep

    def setup():
        old_name = connection.creation.create_test_db(verbosity=0)
        return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)

    lockstep.serve(setup, prepare_size, warm_and_count, one_round)


if __name__ == "__main__":
    serve() if "--serve" in sys.argv[1:] else main()
