"""The admin listings' search: tickets through their full-text index (search_index.py); the
small listings (clients, members) by ``icontains`` through the ORM, no index to build."""

from django.db import connections
from django.db.models import Q

from ..auth import user_field_names
from ..search_index import search_tickets


def user_search_fields(prefix):
    """A user's login and e-mail, as search fields through ``prefix`` (``author``, ``user``):
    the site's user model may have no ``username``."""
    return [f"{prefix}__{name}" for name in dict.fromkeys(user_field_names()) if name]


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


class CaseVariantSearchMixin:
    """A listing view's search through ``search_q``."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        vendor = connections[queryset.db].vendor
        return queryset.filter(search_q(self.search_fields or [], self.search_query, vendor))


class TicketIndexSearchMixin:
    """The ticket listing's search through the full-text index (search_index.py): numbers,
    e-mails, names, companies, the invoice number and the words of the conversation, any
    case, Russian word forms; the listing's order and filters stay."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return search_tickets(queryset, self.search_query)
