"""The queue's counters (menu badge, dashboard) from a short cache instead of a COUNT over all
tickets on every admin page.

Every ticket save or delete (signals.py) moves a generation number, so a change shows on the
next page; the timeout (``QUEUE_COUNTS_CACHE_SECONDS``) catches what no signal reports (a
queryset ``update()``, such as re-ranking a customer's tickets, or the clock making a ticket
overdue). In the shared cache (Redis in production) every worker and server sees one value.
"""

from django.core.cache import cache

from .conf import app_settings

GENERATION_KEY = "avsoft_support:queue:generation"


def generation():
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = 1
        cache.add(GENERATION_KEY, value, None)
    return value


def changed():
    """A ticket changed: every cached counter is stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache (evicted, or never read): start anew
        cache.set(GENERATION_KEY, 2, None)


def cached(name, compute):
    """``compute()``, kept for the current generation under ``name`` (include the user's id
    where the value is personal)."""
    timeout = app_settings.QUEUE_COUNTS_CACHE_SECONDS
    if not timeout:
        return compute()
    key = f"avsoft_support:queue:{generation()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
