"""Tickets in the Support menu: the triage list and the ticket screen, as a snippet viewset
(bulk actions, history and inspect come with it)."""

import django
from django.db import models
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet

from ...models import Ticket
from ...triage import TRIAGE_ORDERING, staff_ticket_queryset
from ..components import TicketsMenuItem
from ..filters import TicketFilterSet
from ..search import user_search_fields
from ..views.tickets import (
    StaffAttachmentDownloadView,
    TicketDeleteView,
    TicketHistoryView,
    TicketIndexView,
    TicketInspectView,
    TicketPresenceView,
    TicketUsageView,
    TicketView,
)


class TicketViewSet(SnippetViewSet):
    model = Ticket
    icon = "comment"
    menu_label = _("Tickets")
    menu_name = "support-tickets"
    url_prefix = "support/tickets"
    url_namespace = "avsoft_support_tickets"
    index_view_class = TicketIndexView
    # The saved views and the queue order's help text above the table.
    index_results_template_name = "avsoft_support/admin/tickets/index_results.html"
    # Its bulk actions footer offers only what the user may do (delete only to those who may).
    index_template_name = "avsoft_support/admin/tickets/index.html"
    history_view_class = TicketHistoryView
    inspect_view_class = TicketInspectView
    delete_view_class = TicketDeleteView
    usage_view_class = TicketUsageView
    filterset_class = TicketFilterSet
    ordering = TRIAGE_ORDERING
    list_per_page = 50
    search_fields = [
        "number",
        "subject",
        *user_search_fields("author"),
        "author__support_profile__full_name",
        "author__support_profile__company",
        "author__support_profile__client_account__company",
    ]
    search_backend_name = None
    copy_view_enabled = False
    # Registers the "view" permission too: read-only staff see the ticket screen.
    inspect_view_enabled = True
    inspect_view_fields_exclude = ["id", "priority"]  # priority shows as the client status
    list_export = [
        "number",
        "subject",
        "status",
        "client_status",
        "criticality",
        "product_name",
        "product_version",
        "created_at",
        "last_activity_at",
        "sla_due_at",
        "first_response_at",
    ]
    export_headings = {"product_name": _("product")}

    def get_queryset(self, request):
        queryset = staff_ticket_queryset()
        if django.VERSION >= (6, 1):
            # Anything a column forgot to select_related is then loaded once for the whole
            # page, not once per row.
            queryset = queryset.fetch_mode(models.FETCH_PEERS)
        return queryset

    menu_item_class = TicketsMenuItem

    @property
    def edit_view(self):
        # The ticket screen (conversation, reply, controls) answers at the "edit" URL, so
        # every link to a ticket's admin page (notifications, admin URL finder) lands on it.
        return self.construct_view(
            TicketView,
            breadcrumbs_items=self.breadcrumbs_items,
            index_url_name=self.get_url_name("list"),
            edit_url_name=self.get_url_name("edit"),
            history_url_name=self.get_url_name("history"),
            attachment_url_name=self.get_url_name("attachment"),
            presence_url_name=self.get_url_name("presence"),
            header_icon=self.icon,
            model=self.model,
        )

    @property
    def attachment_view(self):
        return StaffAttachmentDownloadView.as_view()

    @property
    def presence_view(self):
        return TicketPresenceView.as_view()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("attachment/<int:pk>/", self.attachment_view, name="attachment"),
            path("presence/<int:pk>/", self.presence_view, name="presence"),
        ]
