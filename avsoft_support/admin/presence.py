"""Who has a ticket's staff screen open, and what a reply posted over a newer one should say.

Presence is advisory and kept in the cache, not the database: one key per ticket holding
{user id: (last seen, display name)}. The ticket screen refreshes it when it loads and its
script every PRESENCE_POLL_INTERVAL seconds (25; the presence endpoint); an entry older than ``PRESENCE_TTL`` no longer
counts. Two agents refreshing at the same instant may drop each other's entry until the next
poll: good enough for a notice.
"""

import time

from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import Message, member_display_name, user_display_name

PRESENCE_TTL = 60  # seconds an agent counts as viewing after their last refresh


def _key(ticket_pk):
    return f"avsoft_support:ticket-presence:{ticket_pk}"


def touch(ticket_pk, user):
    """Record that ``user`` is viewing the ticket now; returns the names of the others who are,
    in the order they came. No database query: the names are kept in the cache."""
    now = time.time()
    key = _key(ticket_pk)
    viewers = {
        pk: entry
        for pk, entry in (cache.get(key) or {}).items()
        if now - entry[0] < PRESENCE_TTL and pk != user.pk
    }
    others = [name for _seen, name in sorted(viewers.values())]
    viewers[user.pk] = (now, user_display_name(user))
    cache.set(key, viewers, PRESENCE_TTL)
    return others


def viewing_notices(names):
    return [_("%(name)s is also viewing this ticket") % {"name": name} for name in names]


def newest_public_id(ticket):
    """The id of the ticket's newest public message (what the reply form says it saw)."""
    return (
        Message.objects.filter(ticket=ticket)
        .public()
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def newer_public_messages(ticket, seen, user):
    """Public messages newer than the one with id ``seen``, by anyone but ``user``."""
    return list(
        Message.objects.filter(ticket=ticket, pk__gt=seen)
        .public()
        .exclude(author=user)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def author_name(message, ticket):
    if message.author is None:
        return _("Deleted user")
    if message.author_id == ticket.author_id:
        return member_display_name(message.author)
    return user_display_name(message.author)


def collision_notice(newer, ticket):
    """The notice "<name> replied at 12:04 while you were writing…", for the newest of
    ``newer``."""
    latest = newer[-1]
    return _(
        "%(name)s replied at %(time)s while you were writing: read it, then send again or "
        "change your reply."
    ) % {
        "name": author_name(latest, ticket),
        "time": date_format(timezone.localtime(latest.created_at), "H:i"),
    }
