"""Seeds the benchmark database with many customers, tickets and messages (bench/run.py).

A plain function, not a management command: run.py already has Django set up on the test
settings and a throwaway test database, and nothing here may ship in the app's wheel.

Tickets are created one by one (their number comes from the primary key in save());
messages and attachment rows are bulk-created. Attachment files are small real files.
Nobody logs in with a password here (run.py uses force_login): every account gets an unusable
one.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from avsoft_support.models import (
    Attachment,
    ClientStatus,
    Criticality,
    MemberProfile,
    Message,
    Product,
    SupportPage,
    Ticket,
    TicketStatus,
)

STATUSES = [s for s, _ in TicketStatus.choices]
CLIENT_STATUSES = [s for s, _ in ClientStatus.choices]
STAFF_USERNAME = "bench-staff"


def bench_staff():
    """The support desk member whose session loads the triage list (in "Support staff")."""
    User = get_user_model()
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is None:
        staff = User.objects.create_user(STAFF_USERNAME, f"{STAFF_USERNAME}@example.com", None)
        group = Group.objects.filter(name="Support staff").first()
        if group:
            staff.groups.add(group)
    return staff


@transaction.atomic
def seed(customers=20, tickets=30, messages=6):
    """`customers` members with `tickets` tickets each, `messages` messages per ticket."""
    site = Site.objects.get(is_default_site=True)
    if not SupportPage.objects.exists():
        site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    products = [Product.objects.get_or_create(name=f"Bench product {i}")[0] for i in range(5)]
    staff = bench_staff()
    User = get_user_model()
    blob = ContentFile(b"x" * 2048, name="log.txt")
    for c in range(customers):
        user = User.objects.create_user(
            f"bench-{c}-{timezone.now().timestamp()}", f"b{c}@example.com", None
        )
        status = CLIENT_STATUSES[c % 3]
        MemberProfile.objects.create(
            user=user,
            full_name=f"Customer {c}",
            company=f"Company {c % 7}",
            client_status=status,
            email_confirmed_at=timezone.now(),
        )
        for t in range(tickets):
            ticket = Ticket.objects.create(
                subject=f"Problem {t} of customer {c}",
                product=products[t % len(products)],
                product_version="1.0",
                os_version="Linux",
                criticality=Criticality.values[t % 4],
                status=STATUSES[t % len(STATUSES)],
                author=user,
                client_status=status,
                priority=ClientStatus.priority_of(status),
            )
            rows = [
                Message(
                    ticket=ticket,
                    author=staff if m % 2 else user,
                    from_staff=bool(m % 2),
                    is_internal=m % 5 == 4,
                    body=f"Message {m}\n\n```\nlog line {m}\n```",
                )
                for m in range(messages)
            ]
            Message.objects.bulk_create(rows)
            first = Message.objects.filter(ticket=ticket).order_by("pk").first()
            attachment = Attachment(
                message=first,
                original_name="log.txt",
                size=blob.size,
                content_type="text/plain",
                sha256="0" * 64,
            )
            attachment.file.save("log.txt", blob, save=True)
    return staff
