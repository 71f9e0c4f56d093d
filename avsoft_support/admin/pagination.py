"""The ticket listing's paginator: counts only as far as it needs to.

Wagtail's paginator counts every matching row on every page view (a COUNT over the whole
table for "all tickets"); at 100,000 tickets that count is most of the page's time. This one
counts at most ``LISTING_COUNT_LIMIT`` rows past the requested page (``COUNT`` over a
``LIMIT`` subquery, served by the index) and then says "1,000+ tickets"; every page stays
reachable, the last one shown being the limit's.
"""

from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin.paginator import WagtailPaginator

from ..conf import app_settings


class CappedPaginator(WagtailPaginator):
    requested = 1

    def get_page(self, number):
        # The page asked for sets how far to count, so it is known before the count is made.
        try:
            self.requested = max(1, int(number))
        except (TypeError, ValueError):
            self.requested = 1
        return super().get_page(number)

    def page(self, number):
        """The page's tickets in two steps: their ids in the listing's order (the order needs no
        joined row), then those rows with everything the cells show. A search matching
        thousands of tickets otherwise joins customer, profile, account, product and assignee
        to every match before sorting them (7 ms of 2,000 matches at 100,000 tickets)."""
        page = super().page(number)
        rows = page.object_list
        if hasattr(rows, "query") and rows.query.select_related:
            ids = list(rows.values_list("pk", flat=True))
            by_id = {row.pk: row for row in self._rows(ids)}
            page.object_list = [by_id[pk] for pk in ids if pk in by_id]
        return page

    def _rows(self, ids):
        """The rows with these ids, with what the listing's queryset fetches along. Its filters
        are not asked again: a search's index subquery (PostgreSQL) would run a third time."""
        source = self.object_list
        if source.query.annotations:  # computed per row: keep the queryset as it is
            return source.order_by().filter(pk__in=ids)
        rows = source.model._default_manager.using(source.db).filter(pk__in=ids).order_by()
        rows.query.select_related = source.query.select_related
        rows.query.deferred_loading = source.query.deferred_loading
        if hasattr(source, "_fetch_mode"):  # Django 6.1: FETCH_PEERS, as the listing asked
            rows = rows.fetch_mode(source._fetch_mode)
        return rows.prefetch_related(*source._prefetch_related_lookups)

    @cached_property
    def limit(self):
        return app_settings.LISTING_COUNT_LIMIT + self.requested * self.per_page

    # Set by a listing whose order an index holds together with its filter (TicketIndexView's
    # default view): counted in that order, the database reads that index alone.
    count_in_order = False

    @cached_property
    def _counted(self):
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return super().count
        if not self.count_in_order:
            # Unordered: an order that no index serves with the listing's filter would sort
            # every match before the limit.
            object_list = object_list.order_by()
        return object_list[: self.limit + 1].count()

    @cached_property
    def count(self):
        return min(self._counted, self.limit)

    @cached_property
    def is_capped(self):
        return self._counted > self.limit

    @cached_property
    def items_count_label(self):
        if not self.is_capped:
            return super().items_count_label
        return _("%(count)s+ %(items)s") % {
            "count": number_format(self.count, force_grouping=True),
            "items": self.verbose_name_plural,
        }
