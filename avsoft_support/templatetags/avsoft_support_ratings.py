"""``{% ticket_rating ticket as rating %}``: a ticket's rating (or None) for the staff screen's
include, which the ticket view does not load (one query)."""

from django import template

from ..ratings import rating_of

register = template.Library()


@register.simple_tag
def ticket_rating(ticket):
    if ticket is None or not ticket.pk:
        return None
    return rating_of(ticket)
