"""Ticket e-mails, sent through Django's tasks framework once the transaction commits.

Who gets what:
    new ticket          -> the support addresses (SupportSettings.notification_emails)
    customer reply      -> the support addresses
    public staff reply  -> the customer
    status change       -> the customer (when staff change it)
Internal notes send nothing.

tickets.py calls the four functions at the bottom inside its transaction; each schedules
``<task>.enqueue(pk)`` with ``transaction.on_commit``, so a rolled-back ticket never mails
anyone, and a task backend with a worker (or the default immediate one) does the sending.
On Django 5.2, which has no tasks framework, the sender runs directly after the commit.

The mails are plain text and HTML (message bodies through sanitize.py), rendered in the site's
language (``settings.LANGUAGE_CODE``), with a link to the ticket: the customer's points to the
support page, support's to the ticket in the Wagtail admin. They carry no secrets: no
passwords, tokens or internal notes.
"""

import logging

from django import VERSION as DJANGO_VERSION
from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from wagtail.models import Site

from .mail import send_mail
from .models import Message, SupportSettings, Ticket, TicketStatus, member_display_name
from .models.pages import find_support_page
from .sanitize import render_markdown

logger = logging.getLogger(__name__)


# Helpers -------------------------------------------------------------------------------------


def _site_and_page(ticket):
    """The site and support page a ticket's mails speak for: the page it was filed on while
    live, else the first live support page of that page's site, else the first one anywhere."""
    page = site = None
    filed_on = ticket.support_page
    if filed_on is not None:
        site = filed_on.get_site()
        page = filed_on.specific if filed_on.live else find_support_page(site)
    # Tickets show on any live support page, so a link elsewhere still leads to it.
    page = page or find_support_page()
    if site is None and page is not None:
        site = page.get_site()
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    return site, page


def customer_ticket_url(ticket, page=None):
    """Full URL of the ticket on the support page, or "" when there is no live support page."""
    page = page if page is not None else find_support_page()
    if page is None:
        return ""
    return page.full_route_url("ticket", number=ticket.number)


def staff_ticket_url(ticket):
    """Full URL of the ticket in the Wagtail admin, or "" before the staff views exist."""
    try:
        path = reverse("avsoft_support_tickets:edit", args=[ticket.pk])
    except NoReverseMatch:
        return ""
    base = (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")
    return base + path


def _send(name, recipients, context):
    # In the site's language: the mail is read later, by whoever it goes to.
    sent = send_mail(name, recipients, context, language=settings.LANGUAGE_CODE)
    if sent:
        logger.info("Sent %s mail for ticket %s", name, context["ticket"].number)
    return sent


def _context(ticket, message=None, **extra):
    site, page = _site_and_page(ticket)
    context = {
        "ticket": ticket,
        "customer_name": member_display_name(ticket.author),
        "site_name": (site.site_name if site else "") or getattr(settings, "WAGTAIL_SITE_NAME", ""),
        "ticket_url": customer_ticket_url(ticket, page),
        "admin_url": staff_ticket_url(ticket),
        **extra,
    }
    if message is not None:
        context["message"] = message
        context["body_html"] = render_markdown(message.body)
        context["attachments"] = list(message.attachments.all())
    return context, site


def _support_addresses(site, ticket):
    addresses = SupportSettings.for_site(site).notification_email_list if site is not None else []
    if not addresses:
        # Staff see the same on their dashboard; the log tells whoever runs the site.
        logger.warning(
            "No support address in the Support settings of %s: nobody was mailed about ticket %s",
            site or "any site",
            ticket.number,
        )
    return addresses


def _ticket(ticket_id):
    return (
        Ticket.objects.select_related(
            "author", "author__support_profile", "product", "support_page"
        )
        .filter(pk=ticket_id)
        .first()
    )


def _message(message_id):
    return (
        Message.objects.select_related(
            "ticket",
            "ticket__author",
            "ticket__author__support_profile",
            "ticket__product",
            "ticket__support_page",
            "author",
        )
        .filter(pk=message_id, is_internal=False)
        .first()
    )


# Senders (the tasks) ----------------------------------------------------------------------------


def send_ticket_created(ticket_id):
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    first = ticket.messages.public().order_by("created_at", "pk").first()
    context, site = _context(ticket, first)
    return _send("ticket_created", _support_addresses(site, ticket), context)


def send_customer_reply(message_id):
    message = _message(message_id)
    if message is None:
        return 0
    context, site = _context(message.ticket, message)
    return _send("ticket_customer_reply", _support_addresses(site, message.ticket), context)


def send_staff_reply(message_id):
    message = _message(message_id)
    if message is None or not message.from_staff:
        return 0
    context, _site = _context(message.ticket, message)
    return _send("ticket_staff_reply", [message.ticket.author.email], context)


def send_status_changed(ticket_id, old, new):
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    context, _site = _context(
        ticket,
        old_status=_status_label(old),
        new_status=_status_label(new),
        new_status_value=new,
    )
    return _send("ticket_status", [ticket.author.email], context)


def _status_label(value):
    try:
        return TicketStatus(value).label
    except ValueError:
        return value


if DJANGO_VERSION >= (6, 0):
    from django.tasks import task

    # The tasks keep the senders' names, so a queue worker finds them by module path.
    send_ticket_created = task(send_ticket_created)
    send_customer_reply = task(send_customer_reply)
    send_staff_reply = task(send_staff_reply)
    send_status_changed = task(send_status_changed)

    def _after_commit(sender, *args):
        transaction.on_commit(lambda: sender.enqueue(*args), robust=True)

else:

    def _after_commit(sender, *args):
        transaction.on_commit(lambda: sender(*args), robust=True)


# What tickets.py calls ------------------------------------------------------------------


def ticket_created(ticket):
    _after_commit(send_ticket_created, ticket.pk)


def customer_replied(message):
    _after_commit(send_customer_reply, message.pk)


def staff_replied(message):
    if not message.is_internal:
        _after_commit(send_staff_reply, message.pk)


def status_changed(ticket, old, new):
    _after_commit(send_status_changed, ticket.pk, str(old), str(new))
