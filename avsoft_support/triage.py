"""The staff queue: its order, what is overdue, and its counters.

The admin listing, the dashboard panel, the menu badge and the bulk actions read the queue
through these, so that "overdue" and "open" mean the same on every screen.
"""

from django.db.models import Count, Q
from django.utils import timezone

from .models import ClientStatus, Ticket, TicketStatus

# Current clients first (priority follows client status), then criticality, then waiting time.
# The index avs_ticket_triage on Ticket serves exactly this order.
TRIAGE_ORDERING = ["priority", "criticality", "created_at"]


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
