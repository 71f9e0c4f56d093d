"""What support staff do to tickets and members, each change written to Wagtail's audit log.

The admin views, the bulk actions and the dashboard share these, so that a change made from
the ticket screen, from the listing or from the clients screen is recorded the same way.
Replies and status changes go through ``conversation.py`` (the tickets' own rules); this module
adds assignment, criticality, verification and the queue's counters.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from wagtail.permissions import policy_registry

from . import client_status
from .log_actions import (
    CLIENT_UNVERIFY,
    CLIENT_VERIFY,
    TICKET_ASSIGN,
    TICKET_CRITICALITY,
    log_separately,
)
from .models import ClientStatus, Criticality, Ticket, TicketStatus

# Current clients first (priority follows client status), then criticality, then waiting time.
# The index avs_ticket_triage on Ticket serves exactly this order.
TRIAGE_ORDERING = ["priority", "criticality", "created_at"]


def search_q(fields, term, vendor):
    """``icontains`` over ``fields`` for an admin listing's search box, on any database.

    No search index to build or rebuild. SQLite compares only ASCII letters without regard to
    case, so there the term is also tried lower-cased, upper-cased and capitalised (Cyrillic
    names are typed every way); PostgreSQL's UPPER() handles Unicode by itself.
    """
    term = (term or "").strip()
    variants = {term}
    if vendor == "sqlite":
        variants |= {term.lower(), term.upper(), term.capitalize(), term.title()}
    query = Q()
    for name in fields:
        for variant in variants:
            query |= Q(**{f"{name}__icontains": variant})
    return query


def open_q():
    return Q(status__in=TicketStatus.open_values())


def overdue_q(now=None):
    """Open, no public staff reply yet, and the first-response time has passed."""
    return open_q() & Q(
        first_response_at__isnull=True,
        sla_due_at__isnull=False,
        sla_due_at__lt=now or timezone.now(),
    )


def is_overdue(ticket, now=None):
    return bool(
        ticket.status in TicketStatus.open_values()
        and ticket.first_response_at is None
        and ticket.sla_due_at is not None
        and ticket.sla_due_at < (now or timezone.now())
    )


def staff_ticket_queryset():
    """Tickets with everything a staff listing or screen shows, fetched in the same query."""
    return Ticket.objects.select_related(
        "author",
        "author__support_profile",
        "author__support_profile__client_account",
        "product",
        "assignee",
    )


def ticket_counts(request):
    """The queue's counters for the dashboard and the menu badge: one query, cached per request."""
    cached = getattr(request, "_avsoft_support_ticket_counts", None)
    if cached is not None:
        return cached
    now = timezone.now()
    new = Q(status=TicketStatus.NEW)
    counts = Ticket.objects.filter(open_q()).aggregate(
        open=Count("pk"),
        new=Count("pk", filter=new),
        new_current=Count("pk", filter=new & Q(client_status=ClientStatus.CURRENT)),
        new_claimed=Count("pk", filter=new & Q(client_status=ClientStatus.CLAIMED)),
        new_potential=Count("pk", filter=new & Q(client_status=ClientStatus.POTENTIAL)),
        overdue=Count("pk", filter=overdue_q(now)),
        mine=Count("pk", filter=Q(assignee_id=request.user.pk)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
    request._avsoft_support_ticket_counts = counts
    return counts


def user_can_work_on_tickets(user):
    return policy_registry.get_by_type(Ticket).user_has_any_permission(user, ["change", "view"])


def assignable_users():
    """Active users who may change tickets: the people a ticket can be assigned to."""
    users = policy_registry.get_by_type(Ticket).users_with_permission("change")
    return users.filter(is_active=True).order_by(get_user_model().USERNAME_FIELD)


def user_display_name(user):
    if user is None:
        return ""
    full_name = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


def assign(ticket, assignee, by):
    """Assign (or, with None, unassign) a ticket; returns whether anything changed."""
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return False
    old = ticket.assignee if ticket.assignee_id else None
    with transaction.atomic():
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee"])
        log_separately(
            ticket,
            TICKET_ASSIGN,
            by,
            {
                "old": {"id": old.pk, "name": user_display_name(old)} if old else None,
                "new": {"id": assignee.pk, "name": user_display_name(assignee)}
                if assignee
                else None,
            },
        )
    return True


def set_criticality(ticket, criticality, by):
    criticality = int(criticality)
    if criticality not in Criticality.values or criticality == ticket.criticality:
        return False
    old = ticket.criticality
    with transaction.atomic():
        ticket.criticality = criticality
        ticket.save(update_fields=["criticality"])
        log_separately(ticket, TICKET_CRITICALITY, by, {"old": old, "new": criticality})
    return True


def verify(profile, account, by):
    """Staff confirm that a member is a client of ``account``; their open tickets move up.

    Logged on the account and on each of the member's open tickets, so both histories show it.
    """
    with transaction.atomic():
        client_status.verify_member(profile, account, by)
        data = {
            **client_status.member_log_data(profile),
            "account": account.company,
            "account_id": account.pk,
        }
        log_separately(account, CLIENT_VERIFY, by, data)
        for ticket in client_status.open_tickets_of(profile):
            log_separately(ticket, CLIENT_VERIFY, by, data)


def unverify(profile, by):
    """Reverse a verification: the member is claimed (or potential) again, tickets re-ranked."""
    account = profile.client_account
    with transaction.atomic():
        client_status.unverify_member(profile, by)
        data = {
            **client_status.member_log_data(profile),
            "account": account.company if account else None,
            "account_id": account.pk if account else None,
            "status": profile.client_status,
        }
        if account is not None:
            log_separately(account, CLIENT_UNVERIFY, by, data)
        for ticket in client_status.open_tickets_of(profile):
            log_separately(ticket, CLIENT_UNVERIFY, by, data)


def match_claimed_members(normalized_numbers, by=None):
    """Claimed members whose number is now on an active account become current clients.

    Run after accounts gain numbers (CSV import, the account form), so that a customer who
    gave a number before staff entered it is matched the same way as one who gave it after.
    Members whose verification staff withdrew are left alone. Returns how many were matched.
    """
    from .models import MemberProfile
    from .models.clients import normalize_invoice_number

    normalized_numbers = set(normalized_numbers)
    if not normalized_numbers:
        return 0
    matched = 0
    claimed = (
        MemberProfile.objects.select_related("user")
        .filter(client_status=ClientStatus.CLAIMED, automatic_match_blocked=False)
        .exclude(invoice_number="")
    )
    for profile in claimed:
        if normalize_invoice_number(profile.invoice_number) not in normalized_numbers:
            continue
        if client_status.apply_invoice_number(profile, profile.invoice_number, by) is not None:
            matched += 1
    return matched
