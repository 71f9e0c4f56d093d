"""Ticket e-mails, sent through Django's tasks framework once the transaction commits.

Who gets what:
    new ticket          -> the support addresses (SupportSettings.notification_emails), and
                           the customer a receipt (ticket_received), which for a ticket filed
                           by e-mail lists the details it lacks (missing_details)
    customer reply      -> the support addresses, and the ticket's assignee
    public staff reply  -> the customer, and the ticket's followers (ticket_follower)
    status change       -> the customer (when staff change it), and the followers; a
                           resolved ticket's mail to the customer carries the rating links
    assignment          -> the new assignee (when someone else assigns them)
    first response soon due, and overdue (escalation.py)
                        -> the assignee, or the support addresses when nobody is assigned
    waiting for the customer too long, auto-closed (escalation.py)
                        -> the customer, and the followers
Followers (following.py) are members who follow a ticket they see through their company and
addresses its author copied in; each gets a mail of their own (nobody sees the others'
addresses), never answerable by e-mail and without the rating links, which are the author's.
Internal notes send nothing.

Every ticket mail is threaded (mail_threads.thread_headers): each recipient group gets its own
mail with its own Message-ID, all referring to the ticket's thread. When the site has a reply
address, the mail also carries Reply-To with the ticket's code and, in the templates
(``reply_by_email``), the reply marker line and an invitation to reply; staff are invited only
when the site accepts staff replies by e-mail (``staff_replies_by_email``).

tickets.py calls the functions at the bottom inside its transaction; each schedules
``<task>.enqueue(pk)`` with ``transaction.on_commit``, so a rolled-back ticket never mails
anyone, and a task backend with a worker (or the default immediate one) does the sending.
On Django 5.2, which has no tasks framework, the sender runs directly after the commit.

The mails are plain text and HTML (message bodies through sanitize.py), rendered in the site's
language (``settings.LANGUAGE_CODE``), with a link to the ticket: the customer's points to the
support page, support's and the assignee's to the ticket in the Wagtail admin. They carry no
secrets: no passwords, tokens or internal notes.
"""

import logging
from datetime import datetime
from threading import local

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wagtail.models import Site

from . import following, mail_threads
from .background import task
from .mail import from_email, send_mail
from .models import (
    Message,
    SupportSettings,
    Ticket,
    TicketStatus,
    member_display_name,
    user_display_name,
)
from .models.pages import find_support_page
from .ratings import rating_links, rating_of
from .sanitize import render_markdown

DELETED_USER = gettext_lazy("Deleted user")

logger = logging.getLogger(__name__)


# Helpers -------------------------------------------------------------------------------------


def site_and_page_of(ticket, desk=None):
    """The site and support page a ticket's mails speak for: the page it was filed on while
    live, else the first live support page of that page's site, else the first one anywhere.
    ``desk``: Support settings in hand (with their site), used when they are that site's."""
    page = site = None
    filed_on = ticket.support_page
    if filed_on is not None:
        site = _site_of(filed_on, desk)
        # Only its URLs are used: its own fields stay unread (no query for them).
        page = filed_on.get_specific(deferred=True) if filed_on.live else find_support_page(site)
    # Tickets show on any live support page, so a link elsewhere still leads to it.
    page = page or find_support_page()
    if site is None and page is not None:
        site = page.get_site()
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    return site, page


def bounce_context(ticket=None):
    """What an automatic answer to an incoming mail links to: site_name, support_url (the
    new-ticket form), ticket_url and admin_url; for ``ticket`` when the mail named one."""
    if ticket is None:
        page = find_support_page()
        site = page.get_site() if page is not None else None
        site = site or Site.objects.filter(is_default_site=True).first()
    else:
        site, page = site_and_page_of(ticket)
    return {
        "site_name": _site_name(site),
        "support_url": page.full_route_url("new") if page is not None else "",
        "ticket_url": customer_ticket_url(ticket, page) if ticket is not None else "",
        "admin_url": staff_ticket_url(ticket) if ticket is not None else "",
    }


# What the filing rules ask of every ticket and a ticket filed by e-mail may lack, in the
# order of the form.
_DETAILS = (
    (
        lambda ticket: (ticket.product_id or ticket.product_other) and ticket.product_version,
        gettext_lazy("the product and its exact version"),
    ),
    (lambda ticket: ticket.os_version, gettext_lazy("the operating system version")),
    (lambda ticket: ticket.steps_to_problem, gettext_lazy("the steps that led to the problem")),
    (
        lambda ticket: ticket.steps_to_reproduce,
        gettext_lazy("the steps to reproduce it in our lab"),
    ),
)


def missing_details(ticket, first_message):
    """The details the receipt asks for: those a ticket filed by e-mail lacks (the web form
    asks for them all); none for a ticket filed on the page."""
    if first_message is None or not first_message.via_email:
        return []
    return [label for given, label in _DETAILS if not given(ticket)]


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


def invoice_number_url(site):
    """Full URL of the member's page for giving an invoice/order number, or "" without the
    member-area URLs."""
    if site is None:
        return ""
    try:
        path = reverse("avsoft_support:invoice_number")
    except NoReverseMatch:
        return ""
    return site.root_url + path


# The site -> its Support settings relation, to see whether _site_of loaded them already.
_SITE_OF_DESK = SupportSettings._meta.get_field("site")
_DESK_OF_SITE = _SITE_OF_DESK.remote_field


def _site_of(page, desk=None):
    """The page's site, as ``page.get_site()`` finds it, with the site's Support settings:
    ``desk`` when they are that site's and hold it, else from the settings' cache or in one
    query (``_desk`` then reads nothing)."""
    url_parts = page.get_url_parts()
    if url_parts is None:
        return None  # not routable
    site_id = url_parts[0]
    if desk is not None and desk.site_id == site_id and _SITE_OF_DESK.is_cached(desk):
        _DESK_OF_SITE.set_cached_value(desk.site, desk)
        return desk.site
    desk = SupportSettings.for_site_id(site_id)
    if desk is None:  # never saved for this site: _desk makes them as before
        return Site.objects.get(id=site_id)
    return desk.site


def _desk(site):
    if site is None:
        return None
    if _DESK_OF_SITE.is_cached(site) and _DESK_OF_SITE.get_cached_value(site) is not None:
        return _DESK_OF_SITE.get_cached_value(site)
    return SupportSettings.for_site(site)


def _send(name, recipients, context, desk, *, to_staff, answerable=True):
    """One mail to one group of recipients, threaded with the ticket's other mails.
    ``answerable=False``: no Reply-To and no invitation to reply (a closed ticket)."""
    ticket = context["ticket"]
    reply_address = desk.reply_address if desk is not None and answerable else ""
    # A staff member's reply by mail is refused unless the site accepts them: then staff are
    # sent to the admin instead of being asked to reply.
    reply_by_email = bool(reply_address) and (not to_staff or desk.staff_replies_by_email)
    headers = mail_threads.thread_headers(
        ticket, reply_to_base=reply_address, from_address=from_email()
    )
    # RFC 3834: a machine's mail; out-of-office robots do not answer it (those that still
    # do are dropped by inbound.receive).
    headers["Auto-Submitted"] = "auto-generated"
    # In the site's language: the mail is read later, by whoever it goes to.
    sent = send_mail(
        name,
        recipients,
        {**context, "reply_by_email": reply_by_email},
        language=settings.LANGUAGE_CODE,
        headers=headers,
    )
    if sent:
        logger.info("Sent %s mail for ticket %s", name, ticket.number)
    return sent


def _send_to_followers(event, context, desk):
    """The ticket's followers' copy of a customer-facing mail (``event`` says which), one mail
    per address."""
    ticket = context["ticket"]
    addresses = following.mail_addresses(ticket, exclude=[_customer_address(ticket)])
    follower_context = {**context, "event": event}
    follower_context.pop("rating_links", None)
    return sum(
        _send(
            "ticket_follower", [address], follower_context, desk, to_staff=False, answerable=False
        )
        for address in addresses
    )


def _rating_context(ticket, site):
    """The rating links for the author's mail of a resolved ticket not yet rated."""
    if ticket.status != TicketStatus.RESOLVED or rating_of(ticket) is not None:
        return {}
    return {"rating_links": rating_links(ticket, site)}


def _site_name(site):
    return (site.site_name if site else "") or getattr(settings, "WAGTAIL_SITE_NAME", "")


def _context(ticket, message=None, *, files=None, desk=None, **extra):
    """The context every ticket mail shares, and the site it speaks for. ``files``: the
    message's attachments, ``desk``: the Support settings, when they are in hand (read from
    the database otherwise)."""
    site, page = site_and_page_of(ticket, desk)
    context = {
        "ticket": ticket,
        # Once the customer deleted their account, the ticket has no author.
        "customer_name": member_display_name(ticket.author) if ticket.author_id else DELETED_USER,
        "site_name": _site_name(site),
        "ticket_url": customer_ticket_url(ticket, page),
        "admin_url": staff_ticket_url(ticket),
        **extra,
    }
    if message is not None:
        context["message"] = message
        context["body_html"] = render_markdown(message.body)
        context["attachments"] = (
            list(files) if files is not None else list(message.attachments.all())
        )
    return context, site


def _support_addresses(desk, site, ticket):
    addresses = desk.notification_email_list if desk is not None else []
    if not addresses:
        # Staff see the same on their dashboard; the log tells whoever runs the site.
        logger.warning(
            "No support address in the Support settings of %s: "
            "no support address was mailed about ticket %s",
            site or "any site",
            ticket.number,
        )
    return addresses


def _assignee_address(ticket, already_mailed=()):
    """The assignee's address, or "" when there is none or it was among ``already_mailed``
    (a support address), so that nobody gets the same mail twice."""
    assignee = ticket.assignee if ticket.assignee_id else None
    if assignee is None or not assignee.is_active or not assignee.email:
        return ""
    if assignee.email.lower() in {address.lower() for address in already_mailed}:
        return ""
    return assignee.email


def _customer_address(ticket):
    """The ticket's author's address; "" once they deleted their account (nobody to mail)."""
    return ticket.author.email if ticket.author_id else ""


# What a ticket's mails show of it, read with it.
_TICKET_RELATED = ("author", "author__support_profile", "assignee", "product", "support_page")


def _ticket(ticket_id):
    return Ticket.objects.select_related(*_TICKET_RELATED).filter(pk=ticket_id).first()


def _message(message_id):
    return (
        Message.objects.select_related(
            "ticket",
            "ticket__author",
            "ticket__author__support_profile",
            "ticket__assignee",
            "ticket__product",
            "ticket__support_page",
            "author",
        )
        .filter(pk=message_id, is_internal=False)
        .first()
    )


# Senders (the tasks) ----------------------------------------------------------------------------


def _ticket_and_first_message(ticket_id):
    """The ticket (as ``_ticket`` reads it) and its first public message, in one query while
    it has one."""
    message = (
        Message.objects.public()
        .filter(ticket_id=ticket_id)
        .select_related("ticket", *(f"ticket__{name}" for name in _TICKET_RELATED))
        .order_by("created_at", "pk")
        .first()
    )
    if message is None:
        return _ticket(ticket_id), None
    return message.ticket, message


def send_ticket_created(ticket_id):
    in_hand = _in_hand(ticket_id)
    if in_hand is not None:
        ticket, message, files, desk = in_hand
    else:
        ticket, message = _ticket_and_first_message(ticket_id)
        files = desk = None
    if ticket is None:
        return 0
    context, site = _context(ticket, message, files=files, desk=desk)
    desk = _desk(site)
    sent = _send(
        "ticket_created", _support_addresses(desk, site, ticket), context, desk, to_staff=True
    )
    receipt = {
        **context,
        "invoice_url": invoice_number_url(site),
        "missing_details": missing_details(ticket, message),
    }
    sent += _send("ticket_received", [_customer_address(ticket)], receipt, desk, to_staff=False)
    return sent


def send_customer_reply(message_id):
    message = _message(message_id)
    if message is None:
        return 0
    ticket = message.ticket
    context, site = _context(ticket, message)
    desk = _desk(site)
    support = _support_addresses(desk, site, ticket)
    sent = _send("ticket_customer_reply", support, context, desk, to_staff=True)
    assignee = _assignee_address(ticket, already_mailed=support)
    sent += _send("ticket_customer_reply", [assignee], context, desk, to_staff=True)
    return sent


def send_staff_reply(message_id):
    message = _message(message_id)
    if message is None or not message.from_staff:
        return 0
    context, site = _context(message.ticket, message)
    desk = _desk(site)
    sent = _send(
        "ticket_staff_reply",
        [_customer_address(message.ticket)],
        {**context, **_rating_context(message.ticket, site)},
        desk,
        to_staff=False,
    )
    return sent + _send_to_followers("staff_reply", context, desk)


def send_status_changed(ticket_id, old, new):
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    context, site = _context(
        ticket,
        old_status=_status_label(old),
        new_status=_status_label(new),
        new_status_value=new,
    )
    desk = _desk(site)
    customer_context = {**context, **_rating_context(ticket, site)}
    sent = _send(
        "ticket_status", [_customer_address(ticket)], customer_context, desk, to_staff=False
    )
    return sent + _send_to_followers("status", context, desk)


def send_ticket_assigned(ticket_id, assignee_id, by_id=None):
    ticket, first_message = _ticket_and_first_message(ticket_id)
    # Reassigned (or unassigned) before this ran: the mail would send someone to a ticket
    # that is no longer theirs.
    if ticket is None or ticket.assignee_id != assignee_id:
        return 0
    by = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    context, site = _context(
        ticket,
        first_message,
        assignee_name=user_display_name(ticket.assignee),
        assigned_by=user_display_name(by),
    )
    desk = _desk(site)
    return _send("ticket_assigned", [_assignee_address(ticket)], context, desk, to_staff=True)


def _local_time(moment, desk):
    """``moment`` as the desk's wall clock shows it (naive: templates print it as it is)."""
    if moment is None:
        return None
    zone = desk.zone if desk is not None else None
    return timezone.localtime(moment, zone).replace(tzinfo=None)


def _send_escalation(name, ticket_id):
    ticket, first_message = _ticket_and_first_message(ticket_id)
    # Answered (or done) since it was claimed: nobody needs the mail any more.
    if ticket is None or ticket.first_response_at is not None or not ticket.is_open:
        return 0
    context, site = _context(ticket, first_message)
    desk = _desk(site)
    context["due_at"] = _local_time(ticket.sla_due_at, desk)
    assignee = _assignee_address(ticket)
    recipients = [assignee] if assignee else _support_addresses(desk, site, ticket)
    return _send(name, recipients, context, desk, to_staff=True)


def send_ticket_due_soon(ticket_id):
    return _send_escalation("ticket_due_soon", ticket_id)


def send_ticket_overdue(ticket_id):
    return _send_escalation("ticket_overdue", ticket_id)


def send_waiting_reminder(ticket_id, resolve_at=None):
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.status != TicketStatus.WAITING:
        return 0
    context, site = _context(ticket)
    desk = _desk(site)
    if resolve_at is not None:
        resolve_at = _local_time(datetime.fromisoformat(resolve_at), desk)
    context["resolve_at"] = resolve_at
    sent = _send(
        "ticket_waiting_reminder", [_customer_address(ticket)], context, desk, to_staff=False
    )
    return sent + _send_to_followers("waiting_reminder", context, desk)


def send_ticket_auto_closed(ticket_id):
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.status != TicketStatus.CLOSED:
        return 0
    context, site = _context(ticket)
    context["support_url"] = bounce_context(ticket)["support_url"]
    desk = _desk(site)
    sent = _send(
        "ticket_auto_closed",
        [_customer_address(ticket)],
        context,
        desk,
        to_staff=False,
        answerable=False,
    )
    return sent + _send_to_followers("auto_closed", context, desk)


def _status_label(value):
    try:
        return TicketStatus(value).label
    except ValueError:
        return value


if task is not None:
    # The tasks keep the senders' names, so a queue worker finds them by module path.
    send_ticket_created = task(send_ticket_created)
    send_customer_reply = task(send_customer_reply)
    send_staff_reply = task(send_staff_reply)
    send_status_changed = task(send_status_changed)
    send_ticket_assigned = task(send_ticket_assigned)
    send_ticket_due_soon = task(send_ticket_due_soon)
    send_ticket_overdue = task(send_ticket_overdue)
    send_waiting_reminder = task(send_waiting_reminder)
    send_ticket_auto_closed = task(send_ticket_auto_closed)

    def _run(sender, *args):
        sender.enqueue(*args)

else:

    def _run(sender, *args):
        sender(*args)


# What the request that filed a ticket has in hand, for its sender when that runs right after
# the commit in the same thread (the default immediate task backend; Django 5.2): the rows it
# has just written, so the sender need not read them back. A task worker reads them instead.
_handed_over = local()


def _after_commit(sender, *args, in_hand=None):
    def run():
        _handed_over.value = in_hand
        try:
            _run(sender, *args)
        finally:
            _handed_over.value = None

    transaction.on_commit(run, robust=True)


def _in_hand(ticket_id):
    """(ticket, its first message, that message's attachments, the Support settings it was
    filed under) handed over for this ticket by the request that filed it, or None."""
    in_hand = getattr(_handed_over, "value", None)
    if in_hand is None or in_hand[0].pk != ticket_id:
        return None
    return in_hand


# What tickets.py calls ------------------------------------------------------------------


def ticket_created(ticket, message=None, attachments=None, support_settings=None):
    """``message`` and its ``attachments``: what the ticket was filed with, and the
    ``support_settings`` it was filed under, when in hand (the mails then do not read them
    back when sent right after the commit)."""
    in_hand = (
        (ticket, message, list(attachments or ()), support_settings)
        if message is not None
        else None
    )
    _after_commit(send_ticket_created, ticket.pk, in_hand=in_hand)


def customer_replied(message):
    _after_commit(send_customer_reply, message.pk)


def staff_replied(message):
    if not message.is_internal:
        _after_commit(send_staff_reply, message.pk)


def status_changed(ticket, old, new):
    _after_commit(send_status_changed, ticket.pk, str(old), str(new))


def ticket_assigned(ticket, assignee, by):
    """Tell ``assignee`` that ``by`` gave them the ticket (tickets.assign decides when)."""
    if assignee is not None:
        _after_commit(send_ticket_assigned, ticket.pk, assignee.pk, by.pk if by else None)


# What escalation.py calls, once it claimed the mail on the ticket ------------------------


def ticket_due_soon(ticket):
    _after_commit(send_ticket_due_soon, ticket.pk)


def ticket_overdue(ticket):
    _after_commit(send_ticket_overdue, ticket.pk)


def waiting_reminder(ticket, resolve_at=None):
    """``resolve_at``: when the ticket will be resolved without an answer (None: not said)."""
    _after_commit(send_waiting_reminder, ticket.pk, resolve_at.isoformat() if resolve_at else None)


def ticket_auto_closed(ticket):
    _after_commit(send_ticket_auto_closed, ticket.pk)
