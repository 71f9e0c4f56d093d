"""Seeds the benchmark database in the shape of issue 12 (bench/run.py).

500 customers, one of them with 200 tickets, 20 staff, 3 messages per ticket (customer, staff,
customer); ``seed_to(n)`` tops the tickets up to ``n`` (`make bench` and `make bench-compare`
seed each size in new processes: a process that had measured a smaller size answered slower
at the larger, bench/compare.py). Bulk inserts, no signals: primary keys are handed out here
(so numbers and search texts are known before the insert), and search_index builds the
search text the way the signals would.

A plain function, not a management command: nothing here may ship in the app's wheel.
Nobody logs in with a password (run.py uses force_login): every account gets an unusable one.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from wagtail.models import Site

from avsoft_support import search_index
from avsoft_support.models import (
    ClientStatus,
    MemberProfile,
    Message,
    Product,
    SupportPage,
    Ticket,
    TicketStatus,
)
from avsoft_support.models.tickets import format_ticket_number

CUSTOMERS = 500
BIG_CUSTOMER_TICKETS = 200
STAFF = 20
STAFF_USERNAME = "bench-staff"
BIG_USERNAME = "bench-big"
WORDS = (  # noqa: SIM905
    "export stops printer driver licence update crash report database backup timeout "
    "принтер драйвер ошибка отчёт лицензия обновление сервер база резервная копия зависает "
    "экспорт импорт журнал настройка сеть пароль доступ"
).split()


def _status_for(i, rng):
    """Most old tickets are done; about a quarter are open (a real desk's backlog)."""
    roll = rng.random()
    if roll < 0.08:
        return TicketStatus.NEW
    if roll < 0.12 and hasattr(TicketStatus, "REPLIED"):
        return TicketStatus.REPLIED
    if roll < 0.18:
        return TicketStatus.IN_PROGRESS
    if roll < 0.25:
        return TicketStatus.WAITING
    if roll < 0.45:
        return TicketStatus.RESOLVED
    return TicketStatus.CLOSED


def people():
    """The customers (with profiles) and the staff, made once."""
    User = get_user_model()
    existing = list(
        MemberProfile.objects.filter(user__username__startswith="bench-c").select_related("user")
    )
    staff = list(User.objects.filter(username__startswith="bench-staff").order_by("pk"))
    if existing and staff:
        big = MemberProfile.objects.select_related("user").get(user__username=BIG_USERNAME)
        return big, [p for p in existing if p.pk != big.pk], staff
    password = make_password(None)
    group = Group.objects.filter(name="Support staff").first()
    staff_users = [
        User(
            username=STAFF_USERNAME if s == 0 else f"{STAFF_USERNAME}-{s}",
            email=f"staff{s}@desk.example",
            first_name=f"Agent{s}",
            password=password,
        )
        for s in range(STAFF)
    ]
    User.objects.bulk_create(staff_users)
    staff = list(User.objects.filter(username__startswith=STAFF_USERNAME).order_by("pk"))
    if group:
        group.user_set.add(*staff)
    customers = [
        User(
            username=BIG_USERNAME if c == 0 else f"bench-c{c}",
            email=f"customer{c}@company{c % 50}.example",
            password=password,
        )
        for c in range(CUSTOMERS)
    ]
    User.objects.bulk_create(customers)
    users = list(User.objects.filter(username__in=[u.username for u in customers]).order_by("pk"))
    statuses = [ClientStatus.CURRENT, ClientStatus.CLAIMED, ClientStatus.POTENTIAL]
    now = timezone.now()
    MemberProfile.objects.bulk_create(
        [
            MemberProfile(
                user=user,
                full_name=f"Customer {c} Иванов",
                company=f"Company {c % 50}",
                client_status=statuses[c % 3],
                email_confirmed_at=now,
            )
            for c, user in enumerate(users)
        ]
    )
    profiles = list(MemberProfile.objects.filter(user__in=users).select_related("user"))
    big = next(p for p in profiles if p.user.username == BIG_USERNAME)
    return big, [p for p in profiles if p.pk != big.pk], staff


@transaction.atomic
def seed_to(total, batch=5000):
    """Tops the tickets up to ``total``. Returns (staff user, the 200-ticket member)."""
    site = Site.objects.get(is_default_site=True)
    if not SupportPage.objects.exists():
        site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    products = [Product.objects.get_or_create(name=f"Bench product {i}")[0] for i in range(5)]
    big, others, staff = people()
    have = Ticket.objects.count()
    rng = random.Random(have)
    next_pk = (Ticket.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    next_message_pk = (Message.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    now = timezone.now()
    while have < total:
        count = min(batch, total - have)
        tickets, messages = [], []
        for i in range(count):
            pk = next_pk + i
            profile = big if have + i < BIG_CUSTOMER_TICKETS else others[rng.randrange(len(others))]
            user = profile.user
            created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            status = _status_for(pk, rng)
            open_ = status in TicketStatus.open_values()
            answered = status != TicketStatus.NEW
            ticket = Ticket(
                pk=pk,
                number=format_ticket_number(pk, created),
                subject=f"{rng.choice(WORDS)} {rng.choice(WORDS)} #{pk}",
                product=products[pk % len(products)],
                product_version=f"5.{pk % 9}",
                os_version="Windows 11",
                criticality=1 + pk % 4,
                status=status,
                author=user,
                assignee=staff[pk % STAFF] if answered and pk % 3 else None,
                client_status=profile.client_status,
                priority=ClientStatus.priority_of(profile.client_status),
                invoice_number=f"INV-{pk:06d}" if pk % 10 == 0 else "",
                created_at=created,
                last_activity_at=created + timedelta(hours=2),
                first_response_at=created + timedelta(hours=1) if answered else None,
                last_staff_reply_at=created + timedelta(hours=1) if answered else None,
                sla_due_at=created + timedelta(hours=4)
                if status in (TicketStatus.NEW, getattr(TicketStatus, "REPLIED", "replied"))
                else None,
                closed_at=created + timedelta(days=1) if not open_ else None,
            )
            bodies = [
                f"{' '.join(rng.choice(WORDS) for _ in range(12))} unique{pk}",
                f"Staff answer {' '.join(rng.choice(WORDS) for _ in range(8))}",
                f"Customer again {' '.join(rng.choice(WORDS) for _ in range(6))}",
            ]
            ticket.search_text = search_index.ticket_text(
                search_index.ticket_head(ticket, user, profile), bodies
            )
            tickets.append(ticket)
            for m, body in enumerate(bodies):
                messages.append(
                    Message(
                        pk=next_message_pk,
                        ticket_id=pk,
                        author=staff[pk % STAFF] if m == 1 else user,
                        from_staff=m == 1,
                        body=body,
                        created_at=created + timedelta(hours=m),
                    )
                )
                next_message_pk += 1
        Ticket.objects.bulk_create(tickets, batch_size=1000)
        Message.objects.bulk_create(messages, batch_size=1000)
        have += count
        next_pk += count
    # Primary keys were given by hand: PostgreSQL's sequences must move past them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, Message]):
            cursor.execute(sql)
    return staff[0], big.user
