"""Every mail the portal sends reads in Russian: subject, plain text and HTML carry no English
word besides product names, URLs and e-mail addresses."""

import re
from datetime import datetime
from html import unescape

import pytest
from django.template.loader import get_template

from avsoft_support import notifications
from avsoft_support.mail import render_mail
from avsoft_support.models import MemberProfile, TicketStatus

FAMILIES = [
    "account_confirm",
    "account_email_change",
    "account_password_reset",
    "ticket_created",
    "ticket_customer_reply",
    "ticket_staff_reply",
    "ticket_status",
    "ticket_received",
    "ticket_assigned",
    "ticket_due_soon",
    "ticket_overdue",
    "ticket_waiting_reminder",
    "ticket_auto_closed",
    "ticket_follower",
    "inbound_refused",
    "inbound_files_refused",
]
URL = re.compile(r"https?://\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text, allowed):
    text = unescape(re.sub(r"<[^>]+>", " ", text))
    text = EMAIL.sub(" ", URL.sub(" ", text))
    return sorted({word for word in LATIN_WORD.findall(text) if word not in allowed})


@pytest.fixture
def russian_ticket(make_member, make_ticket):
    member = make_member()
    MemberProfile.objects.filter(user=member).update(full_name="Иван Петров")
    member.refresh_from_db()
    ticket = make_ticket(
        member,
        subject="Экспорт отчёта останавливается на 50 %",
        os_version="Астра Линукс 1.7",
        description="Экспорт останавливается на середине.",
        steps_to_problem="Открыл большой файл.",
        steps_to_reproduce="1. Откройте файл\n2. Запустите экспорт",
        invoice_number="СЧ-17",
        files=[("журнал.txt", b"log")],
    )
    return ticket


def contexts(ticket):
    message = ticket.messages.first()
    context, _site = notifications._context(ticket, message)
    context["site_name"] = "Техподдержка АВСофт"
    account = {
        "site_name": "Техподдержка АВСофт",
        "user": ticket.author,
        "link": "http://testserver/account/confirm/abc/",
        "days": 21,
        "protocol": "http",
        "domain": "testserver",
        "uid": "MQ",
        "token": "abc-123",
    }
    status = {
        **context,
        "old_status": TicketStatus.NEW.label,
        "new_status": TicketStatus.WAITING.label,
        "new_status_value": TicketStatus.WAITING,
    }
    refused = [
        {"name": "дамп.bin", "size": 500_000, "reason": "too_large"},
        {"name": "журнал-2.txt", "size": 1_000, "reason": "too_many"},
    ]
    bounce = {
        **notifications.bounce_context(ticket),
        "site_name": "Техподдержка АВСофт",
        "ticket": ticket,
        "subject": "Re: обращение",
        "refused": refused,
        "max_size": 307_200,
        "max_files": 5,
    }
    return {
        "account_confirm": account,
        "account_email_change": account,
        "account_password_reset": account,
        "ticket_created": context,
        "ticket_customer_reply": context,
        "ticket_staff_reply": context,
        "ticket_status": status,
        "ticket_received": {**context, "invoice_url": "http://testserver/account/profile/"},
        "ticket_assigned": {
            **context,
            "assigned_by": "Ольга Смирнова",
            "assignee_name": "Анна Иванова",
        },
        "ticket_due_soon": {**context, "due_at": datetime(2026, 12, 2, 13, 30)},
        "ticket_overdue": {**context, "due_at": datetime(2026, 12, 2, 13, 30)},
        "ticket_waiting_reminder": {**context, "resolve_at": datetime(2026, 12, 14, 18, 0)},
        "ticket_auto_closed": {**context, "support_url": "http://testserver/support/new/"},
        "ticket_follower": {**context, "event": "staff_reply"},
        "inbound_refused": bounce,
        "inbound_files_refused": bounce,
    }


# Each refusal's own sentences, and mails that ask for a reply by e-mail (with the marker).
VARIANTS = [(name, {}) for name in FAMILIES]
VARIANTS += [
    ("inbound_refused", {"reason": reason})
    for reason in ("no_ticket", "foreign_sender", "staff_replies_off", "ticket_closed", "empty")
]
VARIANTS += [
    ("ticket_follower", {"event": event}) for event in ("status", "waiting_reminder", "auto_closed")
]
# A closed ticket takes no reply: its mail never invites one.
NOT_ANSWERABLE = {"ticket_auto_closed", "ticket_follower"}
VARIANTS += [
    (name, {"reply_by_email": True})
    for name in FAMILIES
    if name.startswith("ticket_") and name not in NOT_ANSWERABLE
]
VARIANTS += [
    ("ticket_received", {"client_status": status}) for status in ("current", "claimed", "potential")
]


def test_every_mail_family_is_covered():
    from pathlib import Path

    folder = Path(
        get_template("avsoft_support/emails/ticket_created_subject.txt").origin.name
    ).parent
    families = {p.name.removesuffix("_subject.txt") for p in folder.glob("*_subject.txt")}
    assert families == set(FAMILIES)


@pytest.mark.parametrize("name, variant", VARIANTS)
def test_the_mail_reads_in_russian(name, variant, russian_ticket):
    variant = dict(variant)
    if "client_status" in variant:
        russian_ticket.client_status = variant.pop("client_status")
    context = {**contexts(russian_ticket)[name], **variant}
    # Data, not wording: the product's name, the login and the file's extension.
    data = (
        f"{russian_ticket.product_name} {russian_ticket.author.get_username()} журнал.txt дамп.bin"
    )
    allowed = set(LATIN_WORD.findall(data)) | {"DOCTYPE", "html"}

    mail = render_mail(name, ["member@example.com"], context, language="ru")

    [(html, _mimetype)] = mail.alternatives
    for part, text in (("subject", mail.subject), ("text", mail.body), ("html", html)):
        assert re.search("[а-яё]", text, re.IGNORECASE), (part, text)
        assert english_words(text, allowed) == [], (part, text)
    if context.get("reply_by_email"):
        assert "##- Напишите ответ выше этой строки -##" in mail.body
    if name.startswith("ticket_"):
        # A ticket number such as 2026-00017 reads as a date without its «№».
        assert f"№ {russian_ticket.number}" in mail.subject
        assert f"<title>Обращение № {russian_ticket.number}</title>" in html


def test_the_check_catches_english(russian_ticket):
    assert english_words("<p>Ответ: Support replied</p>", set()) == ["Support", "replied"]
    assert english_words("См. http://example.com/a и ivan@example.com", set()) == []
