"""The queue's counters (menu badge, dashboard) from the cache instead of a COUNT over the open
tickets on every admin page.

Each counter is one cache entry of the current *window*, which begins when the counters are
first asked for and lasts ``QUEUE_COUNTS_CACHE_SECONDS`` (30). A counter is counted once in
its window, when someone first asks, "as of" the window's start (the moment "overdue" is
measured from); after that a ticket saved or deleted through the ORM moves the counters it
enters or leaves by one (``ticket_moved``, from signals.py), so a busy desk does not recount
after every change. A change no signal reports (a queryset ``update()``, a row changed under a
ticket object loaded earlier) and the clock making tickets overdue show in the next window at
the latest. ``changed()`` ends the window for what is known to have moved in bulk (a
customer's tickets re-ranked). In the shared cache (Redis in production) every worker and
server sees one window and one value, and moves it with one atomic increment.
"""

from contextlib import suppress
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone

from .conf import app_settings
from .models import ClientStatus, TicketStatus

GENERATION_KEY = "avsoft_support:queue:generation"

# The counters and what a ticket must be to count in each; triage.ticket_counts counts the
# same in SQL (a test compares the two after random changes). "mine" is per assignee.
_OPEN = frozenset(TicketStatus.open_values())
_OUR_TURN = frozenset(TicketStatus.our_turn_values())
_NEW_BY_CLIENT_STATUS = {status.value: f"new_{status.value}" for status in ClientStatus}


def counted_in(state, as_of):
    """The counters a ticket in ``state`` (``Ticket.queue_state()``) counts in, as of
    ``as_of``: names, and ``mine:<assignee id>``."""
    if state is None:
        return set()
    status, client_status, assignee_id, sla_due_at = state
    if status not in _OPEN:
        return set()
    names = {"open", "unassigned" if assignee_id is None else f"mine:{assignee_id}"}
    if status == TicketStatus.NEW:
        names.add("new")
        if client_status in _NEW_BY_CLIENT_STATUS:
            names.add(_NEW_BY_CLIENT_STATUS[client_status])
    if status in _OUR_TURN and sla_due_at is not None and sla_due_at < as_of:
        names.add("overdue")
    return names


def generation():
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = 1
        cache.add(GENERATION_KEY, value, None)
    return value


def changed():
    """Tickets changed in a way no signal reported: the current counts are dropped."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache (evicted, or never read): start anew
        cache.set(GENERATION_KEY, 2, None)


def _since_key():
    return f"avsoft_support:queue:{generation()}:since"


def window(begin=True):
    """The current window: the start of its cache keys, and its start as a datetime (the
    moment "overdue" is measured from). When there is none: begins one, or None if not
    ``begin``."""
    key = _since_key()
    start = cache.get(key)
    if start is None:
        if not begin:
            return None
        start = round(timezone.now().timestamp(), 6)
        if not cache.add(key, start, app_settings.QUEUE_COUNTS_CACHE_SECONDS):
            start = cache.get(key, start)  # another process began it a moment earlier
    return f"{key}:{start}:", datetime.fromtimestamp(start, tz=UTC)


def counters(names, user_id, count):
    """The counters ``names`` for the user ``user_id`` ("mine" is theirs), from the cache;
    those not counted in this window yet come from ``count(missing_names, as_of)`` (a dict)."""
    seconds = app_settings.QUEUE_COUNTS_CACHE_SECONDS
    if not seconds:
        return count(list(names), timezone.now())
    prefix, as_of = window()
    keys = {name: prefix + (f"mine:{user_id}" if name == "mine" else name) for name in names}
    found = cache.get_many(keys.values())
    values = {name: found[key] for name, key in keys.items() if key in found}
    missing = [name for name in names if name not in values]
    if missing:
        fresh = count(missing, as_of)
        # Kept past the window's end, so that no increment meets an expired key within it.
        cache.set_many({keys[name]: fresh[name] for name in missing}, 2 * seconds)
        values.update(fresh)
    return values


def ticket_moved(before, after):
    """A ticket went from the state ``before`` to ``after`` (either None: filed, deleted): the
    counters it left go down by one, those it entered up by one. Counters not counted in this
    window are left to their first count."""
    if not app_settings.QUEUE_COUNTS_CACHE_SECONDS:
        return
    current = window(begin=False)
    if current is None:  # no window: nothing counted to move
        return
    prefix, as_of = current
    left, entered = counted_in(before, as_of), counted_in(after, as_of)
    if left == entered:
        return
    for name, delta in [*((n, -1) for n in left - entered), *((n, 1) for n in entered - left)]:
        with suppress(ValueError):  # not counted in this window: left to its first count
            cache.incr(prefix + name, delta)
