"""The staff queue: what needs our action, its order, what is overdue, and its counters.

The admin listing, the dashboard panel, the menu badge and the bulk actions read the queue
through these, so that "needs action", "overdue" and "open" mean the same on every screen.

**Needs our action**: open tickets that wait for us, not for the customer: *new*, *customer
replied* and *in progress* (``TicketStatus.our_turn_values``). **The order** (``QUEUE_ORDERING``):

1. client status (``priority``: current clients, then claimed, then potential);
2. when our next response is due (``sla_due_at``: the first-response target of a new ticket,
   the next-response target after a customer's answer), soonest first, so the overdue come
   first; tickets with nothing due (we answered, the customer has not) come last;
3. the longest waiting (``created_at``), then ``pk`` so that pages never overlap.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ClientStatus, Ticket, TicketStatus
from .models.tickets import no_due_time

# "Nothing due" last, written as an expression that the index avs_ticket_triage holds (SQLite
# cannot read NULLS LAST off an index): the first page is read off the index, not sorted.
QUEUE_ORDERING = ["priority", no_due_time().asc(), "sla_due_at", "created_at", "pk"]
# The same order everywhere a queue is listed (dashboard, the listing's default).
TRIAGE_ORDERING = QUEUE_ORDERING

QUEUE_ORDER_HELP = _(
    "Order: current clients first, then claimed, then potential; within each, the response due "
    "soonest (overdue first), then the longest waiting. Tickets we have answered come last."
)


# The statuses are written into the SQL (models.tickets.StatusListedIn) so that SQLite reads
# the partial indexes of the queue and its counters.
def open_q():
    return Q(status__listed_in=TicketStatus.open_values())


def needs_action_q():
    """Open and waiting for us (new, customer replied, in progress), not for the customer."""
    return Q(status__listed_in=TicketStatus.our_turn_values())


def overdue_q(now=None):
    """Waiting for us, and our response (first or next) was due before ``now``."""
    return needs_action_q() & Q(sla_due_at__isnull=False, sla_due_at__lt=now or timezone.now())


def is_overdue(ticket, now=None):
    return bool(
        ticket.status in TicketStatus.our_turn_values()
        and ticket.sla_due_at is not None
        and ticket.sla_due_at < (now or timezone.now())
    )


def next_in_queue(queryset, ticket):
    """The ticket after ``ticket`` in ``queryset``'s order (a listing's filtered queryset,
    ordered), or None: "send and go to the next ticket". One query: the ids in order, read
    before the ticket changes (a reply can move it out of the queue)."""
    ids = list(queryset.values_list("pk", flat=True)[: NEXT_SCAN_LIMIT + 1])
    if ticket.pk in ids:
        index = ids.index(ticket.pk)
        return ids[index + 1] if index + 1 < len(ids) else None
    # Opened from elsewhere, or beyond the scan: the top of the queue.
    return next((pk for pk in ids if pk != ticket.pk), None)


# How far down a queue "next ticket" looks for the current one (a few pages of the listing).
NEXT_SCAN_LIMIT = 1000


def staff_ticket_queryset():
    """Tickets with everything a staff listing or screen shows, fetched in the same query."""
    return Ticket.objects.select_related(
        "author",
        "author__support_profile",
        "author__support_profile__client_account",
        "product",
        "assignee",
    ).for_display()


# What the menu badge on every admin page shows ("3 new, 1 overdue, 2 mine"); the dashboard
# shows all the counters.
BADGE_COUNTERS = ("new", "overdue", "mine")
COUNTERS = (
    "open",
    "new",
    "new_current",
    "new_claimed",
    "new_potential",
    "overdue",
    "mine",
    "unassigned",
)


def ticket_counts(request, names=None, now=None):
    """The queue's counters for the dashboard and the menu badge: one query, cached per request
    (and across requests by queue_cache.counters, which keeps them current as tickets change:
    queue_cache.counted_in is the same rules in Python). ``names``: only these counters. Each
    is a condition the database tests on every open ticket's index entry, so the badge asks
    for its three, not all eight (at 100,000 tickets and 25,000 open: 2 ms instead of 5 on
    SQLite). ``now``: the moment "overdue" is measured from."""
    cached = getattr(request, "_avsoft_support_ticket_counts", None)
    if cached is not None and cached.keys() >= set(names or COUNTERS):
        return cached
    now = now or timezone.now()
    new = Q(status=TicketStatus.NEW)
    # COUNT(status) (never null), not COUNT(id): the index avs_ticket_counts holds status, so
    # it answers alone on PostgreSQL too (SQLite keeps the row id in every index).
    counters = {
        "open": lambda: Count("status"),
        "new": lambda: Count("status", filter=new),
        "new_current": lambda: Count("status", filter=new & Q(client_status=ClientStatus.CURRENT)),
        "new_claimed": lambda: Count("status", filter=new & Q(client_status=ClientStatus.CLAIMED)),
        "new_potential": lambda: Count(
            "status", filter=new & Q(client_status=ClientStatus.POTENTIAL)
        ),
        "overdue": lambda: Count("status", filter=overdue_q(now)),
        "mine": lambda: Count("status", filter=Q(assignee_id=request.user.pk)),
        "unassigned": lambda: Count("status", filter=Q(assignee__isnull=True)),
    }
    wanted = names or COUNTERS
    counts = Ticket.objects.filter(open_q()).aggregate(
        **{name: counters[name]() for name in wanted}
    )
    request._avsoft_support_ticket_counts = counts
    return counts
