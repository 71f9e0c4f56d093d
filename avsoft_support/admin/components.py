"""Admin UI pieces: the dashboard panel, the summary item and the menu badge.

The panel and the summary read ``queue_counts(request)``, the badge ``badge_counts(request)``
(three of the counters): ``triage.ticket_counts`` kept in the cache, moved by one as tickets
change and counted again at most every ``QUEUE_COUNTS_CACHE_SECONDS`` (queue_cache.py), so an
admin page costs no count over the open tickets however many there are.
"""

from functools import partial

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.menu import MenuItem, SubmenuMenuItem
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.ui.sidebar import SubMenuItem as SubMenuItemComponent
from wagtail.models import Site

from ..models import ClientStatus, SupportSettings, TicketStatus
from ..models.pages import live_support_pages
from ..permissions import can_work_on_tickets, ticket_policy
from ..queue_cache import counters
from ..triage import (
    BADGE_COUNTERS,
    COUNTERS,
    TRIAGE_ORDERING,
    is_overdue,
    open_q,
    staff_ticket_queryset,
    ticket_counts,
)

TICKETS_INDEX = "avsoft_support_tickets:list"


def queue_counts(request):
    """The queue's counters for this user, from the cache (queue_cache.counters; read once
    per request: the dashboard's panel and summary share it)."""
    counts = getattr(request, "_avsoft_support_queue_counts", None)
    if counts is None:
        counts = counters(COUNTERS, request.user.pk, partial(ticket_counts, request))
        request._avsoft_support_queue_counts = counts
    return counts


def _is_dashboard(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == "wagtailadmin_home"


def badge_counts(request):
    """The menu badge's counters (new, overdue, mine), cached as ``queue_counts``: three of the
    eight, so that the first admin page of a window counts only those."""
    counts = getattr(request, "_avsoft_support_queue_counts", None) or getattr(
        request, "_avsoft_support_badge_counts", None
    )
    if counts is None and _is_dashboard(request):
        return queue_counts(request)  # its panel shows all eight: one count, not two
    if counts is None:
        counts = counters(BADGE_COUNTERS, request.user.pk, partial(ticket_counts, request))
        request._avsoft_support_badge_counts = counts
    return counts


def tickets_url(**params):
    url = reverse(TICKETS_INDEX)
    return f"{url}?{urlencode(params)}" if params else url


def badge_text(counts):
    """ "3 new, 1 overdue, 2 mine" (open tickets assigned to the viewer), or "" when there is
    nothing waiting."""
    parts = []
    if counts["new"]:
        parts.append(
            ngettext("%(count)s new", "%(count)s new", counts["new"]) % {"count": counts["new"]}
        )
    if counts["overdue"]:
        parts.append(
            ngettext("%(count)s overdue", "%(count)s overdue", counts["overdue"])
            % {"count": counts["overdue"]}
        )
    if counts["mine"]:
        parts.append(
            ngettext("%(count)s mine", "%(count)s mine", counts["mine"]) % {"count": counts["mine"]}
        )
    return ", ".join(parts)


def _label_with_badge(label, request):
    if not can_work_on_tickets(request.user):
        return label
    text = badge_text(badge_counts(request))
    if not text:
        return label
    return _("%(label)s (%(counts)s)") % {"label": label, "counts": text}


class TicketsMenuItem(MenuItem):
    """The Tickets menu item with a live count in its label.

    Wagtail caches menu item instances and has no count badge, so the count is put into the
    label each time the sidebar is rendered, per request.
    """

    def is_shown(self, request):
        # As the snippet listing's own check: any of its permissions ("add" never exists).
        return ticket_policy().user_has_any_permission(request.user, ["change", "delete", "view"])

    def render_component(self, request):
        return LinkMenuItemComponent(
            self.name,
            _label_with_badge(self.label, request),
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=self.attrs,
        )


class SupportMenuItem(SubmenuMenuItem):
    """The "Support" group's menu item, with the same count, so it shows while folded."""

    def render_component(self, request):
        return SubMenuItemComponent(
            self.name,
            _label_with_badge(self.label, request),
            self.menu.render_component(request),
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=self.attrs,
        )


def sites_without_support_addresses():
    """Sites with a live support page whose Support settings name no support address: their
    new tickets and customer replies reach nobody by mail. Three queries, however many sites."""
    sites = list(Site.objects.select_related("root_page").order_by("hostname", "port"))
    page_paths = list(live_support_pages().values_list("path", flat=True))
    addressed = {
        row.site_id
        for row in SupportSettings.objects.filter(site__in=sites)
        if row.notification_email_list
    }
    return [
        site
        for site in sites
        if site.pk not in addressed
        and any(path.startswith(site.root_page.path) for path in page_paths)
    ]


class SupportQueuePanel(Component):
    """Dashboard panel: new tickets by client status, overdue ones, and the user's own."""

    name = "avsoft_support_queue"
    # Before Wagtail's own panels (100-300): for support staff the queue comes first.
    order = 50
    template_name = "avsoft_support/admin/panels/queue.html"
    my_tickets_limit = 5

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        request = self.request
        counts = queue_counts(request)
        new_by_status = [
            {
                "status": status.value,
                "label": status.label,
                "count": counts[f"new_{status.value}"],
                "url": tickets_url(status=TicketStatus.NEW, client_status=status.value),
            }
            for status in ClientStatus
        ]
        my_tickets = list(
            staff_ticket_queryset()
            .filter(open_q(), assignee_id=request.user.pk)
            .order_by(*TRIAGE_ORDERING)[: self.my_tickets_limit]
        )
        for ticket in my_tickets:
            ticket.avs_overdue = is_overdue(ticket)
        unaddressed = [
            {
                "site": site,
                "settings_url": reverse(
                    "wagtailsettings:edit", args=["avsoft_support", "supportsettings", site.pk]
                ),
            }
            for site in sites_without_support_addresses()
        ]
        return {
            "request": request,
            "unaddressed_sites": unaddressed,
            "counts": counts,
            "new_by_status": new_by_status,
            "my_tickets": my_tickets,
            "list_url": tickets_url(),
            "new_url": tickets_url(status=TicketStatus.NEW),
            "overdue_url": tickets_url(overdue="true"),
            "mine_url": tickets_url(assignee="me"),
            "unassigned_url": tickets_url(assignee="unassigned"),
            "edit_url_name": "avsoft_support_tickets:edit",
        }


class OpenTicketsSummaryItem(SummaryItem):
    """The "12 open tickets" line in the dashboard's summary row."""

    order = 250
    template_name = "avsoft_support/admin/summary_item.html"

    def get_context_data(self, parent_context):
        return {"count": queue_counts(self.request)["open"], "url": tickets_url()}

    def is_shown(self):
        return can_work_on_tickets(self.request.user)
