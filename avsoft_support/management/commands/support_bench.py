"""Seeds a database with many customers, tickets and messages, for the benchmarks in bench/.

Tickets are created one by one (their number comes from the primary key in save());
messages and attachments rows are bulk-created. Attachment files are small real files.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
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


class Command(BaseCommand):
    help = "Seed customers, tickets and messages for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=20)
        parser.add_argument("--tickets", type=int, default=30, help="per customer")
        parser.add_argument("--messages", type=int, default=6, help="per ticket")

    @transaction.atomic
    def handle(self, *args, customers, tickets, messages, **options):
        site = Site.objects.get(is_default_site=True)
        if not SupportPage.objects.exists():
            site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
        products = [Product.objects.get_or_create(name=f"Bench product {i}")[0] for i in range(5)]
        User = get_user_model()
        staff = User.objects.filter(username="bench-staff").first()
        if staff is None:
            staff = User.objects.create_user("bench-staff", "bench-staff@example.com", "x")
            group = Group.objects.filter(name="Support staff").first()
            if group:
                staff.groups.add(group)
        blob = ContentFile(b"x" * 2048, name="log.txt")
        for c in range(customers):
            user = User.objects.create_user(
                f"bench-{c}-{timezone.now().timestamp()}", f"b{c}@example.com", "x"
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
        self.stdout.write(
            f"Seeded {customers} customers, {customers * tickets} tickets, "
            f"{customers * tickets * messages} messages."
        )
