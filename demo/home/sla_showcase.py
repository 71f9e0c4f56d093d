"""What `make demo` shows of the service levels: a ticket past its first-response target
(mailed to support by `support_run_sla`), one the customer has not answered since it was
resolved three weeks ago (closed by the same run, the customer told), and a new one due soon.

The past tickets that seed_ticket_history adds for the reports are history: their warnings
count as sent, so the first run mails about the showcase tickets only, not about 300 others.
"""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from avsoft_support.models import ClientStatus, Message, Product, Ticket, TicketStatus
from avsoft_support.models.tickets import format_ticket_number

SHOWCASE = [
    # subject, status, hours since filed, hours from filing to the first-response target,
    # hours since the last activity
    ("Сервер не отвечает после перезагрузки", TicketStatus.NEW, 30, 4, 30),
    ("Ключ лицензии не принимается", TicketStatus.NEW, 3.5, 4, 3.5),
    ("Отчёт открывается с пустыми полями", TicketStatus.RESOLVED, 24 * 25, 4, 24 * 21),
]
# subject: (description, steps to reproduce), as a customer would write them
TEXTS = {
    "Сервер не отвечает после перезагрузки": (
        "После плановой перезагрузки сервер не принимает подключения: клиенты ждут ответа "
        "и через минуту выдают ошибку «Превышено время ожидания». Служба запущена.",
        "1. Перезагрузить сервер.\n2. Подключиться к нему с любого рабочего места.",
    ),
    "Ключ лицензии не принимается": (
        "При вводе ключа лицензии программа пишет «Ключ недействителен», хотя ключ "
        "скопирован из письма о покупке.",
        "1. Открыть «Справка → Лицензия».\n2. Вставить ключ из письма и нажать «Активировать».",
    ),
    "Отчёт открывается с пустыми полями": (
        "Ежемесячный отчёт открывается, но все поля в нём пустые. В прошлом месяце всё работало.",
        "1. Открыть «Отчёты → Ежемесячный».\n2. Выбрать прошлый месяц.",
    ),
}


def mark_history_escalated(tickets):
    """History needs no warnings: mark them sent (a bulk UPDATE, no mail)."""
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(
        escalation_warned_at=F("sla_due_at"), escalation_overdue_at=F("sla_due_at")
    )


def seed_sla_showcase(support_page, member, now=None):
    """The showcase tickets of `member`, once each; returns how many were made."""
    now = now or timezone.now()
    made = 0
    product = Product.objects.filter(name="AVSoft Server").first()
    for subject, status, age, target, idle in SHOWCASE:
        if Ticket.objects.filter(author=member, subject=subject).exists():
            continue
        created = now - timedelta(hours=age)
        answered = status != TicketStatus.NEW
        ticket = Ticket.objects.create(
            subject=subject,
            product=product,
            product_version="8.0",
            os_version="Astra Linux 1.7",
            criticality=1 if status == TicketStatus.NEW else 3,
            status=status,
            author=member,
            client_status=ClientStatus.CURRENT,
            priority=ClientStatus.priority_of(ClientStatus.CURRENT),
            support_page=support_page,
            created_at=created,
            last_activity_at=now - timedelta(hours=idle),
            first_response_at=created + timedelta(hours=2) if answered else None,
            last_staff_reply_at=now - timedelta(hours=idle) if answered else None,
            sla_due_at=created + timedelta(hours=target),
            steps_to_reproduce=TEXTS[subject][1],
        )
        ticket.number = format_ticket_number(ticket.pk, ticket.created_at)
        ticket.save(update_fields=["number"])
        Message.objects.create(
            ticket=ticket, author=member, body=TEXTS[subject][0], created_at=created
        )
        made += 1
    return made
