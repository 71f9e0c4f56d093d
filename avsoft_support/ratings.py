"""Rating a resolution: the signed one-click links in the mail, and recording the rating.

A resolved ticket's mail to its author carries two links (good, bad). They are signed
(``django.core.signing``, salt ``SALT``) and expire after ``AVSOFT_SUPPORT_RATING_LINK_MAX_AGE``
seconds. Opening a link records nothing (mail scanners open links): it shows a page with the
choice made and a button that records it (POST). A ticket has one rating: once recorded, a
link (or the ticket page) says so and changes nothing. See
docs/company-sharing-and-ratings.md.
"""

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from .audit import TICKET_RATE, log_separately
from .conf import app_settings
from .models import Rating, RatingScore, RatingSource, Ticket, TicketStatus

SALT = "avsoft_support.rating"
COMMENT_MAX_LENGTH = 2000


class InvalidLink(Exception):
    """The link was altered, is for nobody any more, or expired (``expired``)."""

    def __init__(self, expired=False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class AlreadyRated(Exception):
    def __init__(self, rating):
        super().__init__(rating.score)
        self.rating = rating


class NotResolved(Exception):
    """The ticket is open again: it is rated once it is resolved."""


def can_be_rated(ticket):
    return ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def rating_token(ticket):
    # The author is in the token: a link of a ticket whose author deleted their account (the
    # ticket then has none) is for nobody.
    return signing.dumps({"t": ticket.pk, "a": ticket.author_id}, salt=SALT)


def rating_links(ticket, site):
    """{"good": url, "bad": url} for the author's mail, or {} without the member-area URLs,
    a site or an author."""
    if site is None or not ticket.author_id:
        return {}
    token = rating_token(ticket)
    try:
        return {
            score: site.root_url
            + reverse("avsoft_support:rate", kwargs={"token": token, "score": score})
            for score in RatingScore.values
        }
    except NoReverseMatch:
        return {}


def ticket_for_token(token):
    """The ticket a link is for (author loaded), or InvalidLink."""
    try:
        data = signing.loads(token, salt=SALT, max_age=app_settings.RATING_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink(expired=True) from None
    except signing.BadSignature:
        raise InvalidLink from None
    if not isinstance(data, dict):
        raise InvalidLink
    ticket = (
        Ticket.objects.select_related("author", "product", "rating")
        .filter(pk=data.get("t"), author_id=data.get("a"))
        .exclude(author=None)
        .first()
    )
    if ticket is None:
        raise InvalidLink
    return ticket


def rating_of(ticket):
    """The ticket's rating, or None (one query unless loaded with select_related)."""
    try:
        return ticket.rating
    except Rating.DoesNotExist:
        return None


def record_rating(ticket, score, comment, by, source):
    """Record the ticket's one rating; AlreadyRated or NotResolved when it cannot be."""
    if score not in RatingScore.values:
        raise ValueError(score)
    if source not in RatingSource.values:
        raise ValueError(source)
    existing = Rating.objects.filter(ticket=ticket).first()
    if existing is not None:
        raise AlreadyRated(existing)
    if not can_be_rated(ticket):
        raise NotResolved(ticket.number)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                ticket=ticket,
                score=score,
                comment=(comment or "").strip()[:COMMENT_MAX_LENGTH],
                rated_by=by,
                agent_id=ticket.assignee_id,
                source=source,
            )
            log_separately(ticket, TICKET_RATE, by, {"score": score, "source": source})
    except IntegrityError:  # two clicks at once: the first one counts
        raise AlreadyRated(Rating.objects.get(ticket=ticket)) from None
    return rating
