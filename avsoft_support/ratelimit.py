"""Brute-force protection: attempt counters per client address and per account, in the cache.

Each limit is ``(attempts, window in seconds)`` from ``AVSOFT_SUPPORT_RATE_LIMITS``. The window
opens at the first counted attempt; once the count reaches the limit, further attempts are refused
until the window closes. Account identifiers only ever reach the cache as a hash.
"""

import hashlib
import ipaddress
import logging
import math
import time

from django.core.cache import caches
from django.utils.translation import ngettext

from .conf import app_settings

logger = logging.getLogger("avsoft_support.security")


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy the site
    # trusts rewrites REMOTE_ADDR (which is where such a proxy setup belongs).
    return request.META.get("REMOTE_ADDR") or "unknown"


def _masked_ip(value):
    """The address's network, for log lines: enough to spot a pattern, not a person."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def normalize_account(value):
    return (value or "").strip().casefold()


class RateLimit:
    """One counter: a named limit applied to one client address or one account."""

    def __init__(self, name, identifier, label):
        self.name = name
        digest = hashlib.sha256(f"{name}\0{identifier}".encode()).hexdigest()
        self.key = f"avsoft_support:ratelimit:{name}:{digest}"
        self.until_key = f"{self.key}:until"
        self.label = label

    @classmethod
    def for_ip(cls, name, request):
        ip = client_ip(request)
        return cls(name, ip, f"address {_masked_ip(ip)}")

    @classmethod
    def for_account(cls, name, identifier):
        digest = hashlib.sha256(normalize_account(identifier).encode()).hexdigest()
        # The label names the account by a short hash, so staff can correlate log lines.
        return cls(name, digest, f"account #{digest[:12]}")

    @property
    def cache(self):
        return caches[app_settings.RATE_LIMIT_CACHE]

    @property
    def limit(self):
        return app_settings.RATE_LIMITS[self.name]

    def retry_after(self):
        """Seconds until an attempt is allowed again; 0 while under the limit."""
        attempts, _window = self.limit
        values = self.cache.get_many([self.key, self.until_key])
        until = values.get(self.until_key)
        if values.get(self.key, 0) < attempts or until is None:
            return 0
        return max(1, math.ceil(until - time.time()))

    def hit(self):
        """Count one attempt; log once when the count reaches the limit."""
        attempts, window = self.limit
        cache, now = self.cache, time.time()
        if cache.add(self.key, 1, timeout=window):
            cache.set(self.until_key, now + window, timeout=window)
            count = 1
        else:
            try:
                count = cache.incr(self.key)
            except ValueError:  # the window closed between add() and incr()
                return self.hit()
            until = cache.get(self.until_key) or now + window
            # Backends without a native incr() re-set the key with the default timeout: keep
            # the window's own end instead.
            cache.touch(self.key, timeout=max(1, math.ceil(until - now)))
        if count == attempts:
            logger.warning(
                "Rate limit %s reached for %s: %d attempts within %d seconds; "
                "further attempts are refused until the window ends.",
                self.name,
                self.label,
                attempts,
                window,
            )
        return count

    def reset(self):
        self.cache.delete_many([self.key, self.until_key])


def limits_for(request, name, account):
    """The pair every limited form uses: ``<name>_ip`` for the client's address and
    ``<name>_account`` for the account (login or e-mail) typed."""
    return (
        RateLimit.for_ip(f"{name}_ip", request),
        RateLimit.for_account(f"{name}_account", account),
    )


def attempt(*limits):
    """Count an attempt against each limit, unless one is exceeded already.

    Returns the seconds to wait (the attempt is refused and not counted), or 0: go ahead.
    """
    seconds = retry_after(*limits)
    if not seconds:
        for limit in limits:
            limit.hit()
    return seconds


def retry_after(*limits):
    """Seconds until all of ``limits`` allow an attempt; 0 when none is exceeded."""
    return max((limit.retry_after() for limit in limits), default=0)


def too_many_attempts_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many attempts. Please try again in %(minutes)d minute.",
        "Too many attempts. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
