"""The Support menu in the Wagtail admin: tickets (the triage list), clients, products and
canned replies, as snippet viewsets grouped under one menu item.

Kept out of wagtail_hooks.py so that tests and sites can import, subclass or re-register them.
"""

import datetime

import django
import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db import connections, models
from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import Menu
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import (
    BooleanColumn,
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    UpdatedAtColumn,
)
from wagtail.admin.widgets import BooleanRadioSelect, Button, HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from .components import SupportMenuItem, ticket_menu_item_class
from .models import (
    CannedReply,
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    Criticality,
    MemberProfile,
    Product,
    TicketStatus,
    normalize_invoice_number,
)
from .models import Ticket as TicketModel
from .triage import TRIAGE_ORDERING, is_overdue, overdue_q, search_q, staff_ticket_queryset
from .validators import email_lines, validate_email_lines

# Tickets ---------------------------------------------------------------------------------------


class TicketPermissionPolicy(ModelPermissionPolicy):
    """Customers file tickets on the site; the admin never creates (or copies) one."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        actions = [action for action in actions if action != "add"]
        if not actions:
            return super().users_with_any_permission([]).none()
        return super().users_with_any_permission(actions)


class PermissionBeforeLookupMixin:
    """The view's own permission check, made before Wagtail's setup() looks the ticket up:
    without it, someone with no ticket permissions could tell existing ids (a redirect) from
    missing ones (404)."""

    def setup(self, request, *args, **kwargs):
        self.request = request
        if self.permission_required is not None and not self.user_has_permission(
            self.permission_required
        ):
            raise PermissionDenied
        if self.any_permission_required is not None and not self.user_has_any_permission(
            self.any_permission_required
        ):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)


class TicketHistoryView(PermissionBeforeLookupMixin, snippet_views.HistoryView):
    pass


class TicketInspectView(PermissionBeforeLookupMixin, snippet_views.InspectView):
    """Every field read-only: times in the site's time zone, "—" for what is not set (Wagtail
    shows raw UTC times and the word "None")."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class TicketDeleteView(PermissionBeforeLookupMixin, snippet_views.DeleteView):
    pass


class TicketUsageView(PermissionBeforeLookupMixin, snippet_views.UsageView):
    pass


class TicketFilterSet(WagtailFilterSet):
    DEFAULT = ""
    OPEN = "open"
    ALL = "all"

    # The default is a choice of its own (an empty value), so that the search box, which sends
    # the whole filter form, can tell it from "open" chosen on purpose.
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        choices=[
            (DEFAULT, _("Open tickets; all statuses when searching")),
            (OPEN, _("Open (new, in progress, waiting)")),
            *TicketStatus.choices,
            (ALL, _("All")),
        ],
        empty_label=None,
        initial=DEFAULT,
        widget=forms.RadioSelect,
    )
    client_status = django_filters.ChoiceFilter(
        label=_("Client status"),
        choices=ClientStatus.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    criticality = django_filters.ChoiceFilter(
        label=_("Criticality"),
        choices=Criticality.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    product = django_filters.ModelChoiceFilter(
        label=_("Product"), queryset=Product.objects.all(), empty_label=_("All")
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"),
        method="filter_assignee",
        choices=[("me", _("Me")), ("unassigned", _("Unassigned"))],
        empty_label=_("Anyone"),
        widget=forms.RadioSelect,
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"), field_name="created_at", widget=DateRangePickerWidget
    )
    overdue = django_filters.BooleanFilter(
        label=_("First response overdue"), method="filter_overdue", widget=BooleanRadioSelect
    )

    class Meta:
        model = TicketModel
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status") and not self.searching:
            queryset = queryset.filter(status__in=TicketStatus.open_values())
        return queryset

    @property
    def searching(self):
        return bool((self.data.get("q") or "").strip())

    def filter_status(self, queryset, name, value):
        if value == self.OPEN:
            return queryset.filter(status__in=TicketStatus.open_values())
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value is True:
            return queryset.filter(overdue_q())
        if value is False:
            return queryset.exclude(overdue_q())
        return queryset


def _profile(user):
    try:
        return user.support_profile
    except MemberProfile.DoesNotExist:
        return None


class CustomerColumn(Column):
    """Name and company (the verified account's, else the one the member typed), then e-mail."""

    cell_template_name = "avsoft_support/admin/tables/customer_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        user = instance.author
        profile = _profile(user)
        context["name"] = (profile.full_name if profile else "") or user.get_username()
        if profile and profile.client_account_id:
            context["company"] = profile.client_account.company
        else:
            context["company"] = profile.company if profile else ""
        context["email"] = user.email
        return context


class ClientStatusColumn(Column):
    """The word and a colour: current, claimed or potential client."""

    cell_template_name = "avsoft_support/admin/tables/client_status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        status = self.get_value(instance)
        context["status"] = status
        context["label"] = ClientStatus(status).label if status in ClientStatus.values else status
        return context


class TicketStatusColumn(Column):
    cell_template_name = "avsoft_support/admin/tables/ticket_status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["status"] = instance.status
        context["label"] = instance.get_status_display()
        return context


class ProductColumn(Column):
    def get_value(self, instance):
        name = instance.product.name if instance.product_id else instance.product_other
        version = instance.product_version
        return f"{name} {version}".strip() if name else version


class SLADueColumn(Column):
    """When the first reply is due; "Overdue" in words when it passed without one."""

    cell_template_name = "avsoft_support/admin/tables/sla_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["due"] = instance.sla_due_at
        context["met_at"] = instance.first_response_at
        context["overdue"] = is_overdue(instance)
        return context


class CaseVariantSearchMixin:
    """The listing's search with triage.search_q: the ORM, any database, no index to build."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        vendor = connections[queryset.db].vendor
        return queryset.filter(search_q(self.search_fields or [], self.search_query, vendor))


class TicketIndexView(CaseVariantSearchMixin, IndexView):
    """The triage list: current clients first, then criticality, then the longest waiting."""

    default_ordering = TRIAGE_ORDERING

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="snippet"),
            Column("number", label=_("Number"), sort_key="number", classname="avs-nowrap"),
            self._get_title_column("subject", classname="avs-subject"),
            CustomerColumn("customer", label=_("Customer")),
            ClientStatusColumn("client_status", label=_("Client status"), sort_key="priority"),
            TicketStatusColumn("status", label=_("Status"), sort_key="status"),
            # The due time beside the status: on a laptop screen it must not be the column
            # that scrolls out of view.
            SLADueColumn("sla_due_at", label=_("First response due"), sort_key="sla_due_at"),
            Column("get_criticality_display", label=_("Criticality"), sort_key="criticality"),
            ProductColumn("product", label=_("Product and version")),
            DateColumn("last_activity_at", label=_("Last activity"), sort_key="last_activity_at"),
        ]


class TicketViewSet(SnippetViewSet):
    model = TicketModel
    icon = "comment"
    menu_label = _("Tickets")
    menu_name = "support-tickets"
    url_prefix = "support/tickets"
    url_namespace = "avsoft_support_tickets"
    index_view_class = TicketIndexView
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
        "author__email",
        "author__username",
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

    @cached_property
    def menu_item_class(self):
        return ticket_menu_item_class(super().menu_item_class)

    @property
    def edit_view(self):
        # The ticket screen (conversation, reply, controls) answers at the "edit" URL, so
        # every link to a ticket's admin page (notifications, admin URL finder) lands on it.
        from .views.admin_tickets import TicketView

        return self.construct_view(
            TicketView,
            breadcrumbs_items=self.breadcrumbs_items,
            index_url_name=self.get_url_name("list"),
            edit_url_name=self.get_url_name("edit"),
            history_url_name=self.get_url_name("history"),
            attachment_url_name=self.get_url_name("attachment"),
            header_icon=self.icon,
            model=self.model,
        )

    @property
    def attachment_view(self):
        from .views.admin_tickets import StaffAttachmentDownloadView

        return StaffAttachmentDownloadView.as_view()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("attachment/<int:pk>/", self.attachment_view, name="attachment"),
        ]


# Clients ---------------------------------------------------------------------------------------


class ClientAccountForm(WagtailAdminModelForm):
    """Invoice numbers are unique as people mean them (case, spaces and dashes do not count)."""

    def clean_contact_emails(self):
        value = self.cleaned_data.get("contact_emails", "")
        validate_email_lines(value)
        return "\n".join(email_lines(value))

    def clean(self):
        cleaned_data = super().clean()
        formset = self.formsets.get("invoice_numbers")
        if formset is None or not formset.is_valid():
            return cleaned_data
        seen = {}
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("number"):
                continue
            normalized = normalize_invoice_number(data["number"])
            if not normalized:
                form.add_error("number", _("Enter the number's letters or digits."))
            elif normalized in seen:
                form.add_error("number", _("This number is already in the list above."))
            else:
                seen[normalized] = form
        if seen:
            taken = ClientInvoiceNumber.objects.filter(normalized__in=seen).select_related(
                "account"
            )
            if self.instance.pk:
                taken = taken.exclude(account_id=self.instance.pk)
            for number in taken:
                seen[number.normalized].add_error(
                    "number",
                    _("This number already belongs to %(company)s.")
                    % {"company": number.account.company},
                )
        return cleaned_data


class InvoiceNumbersColumn(Column):
    def get_value(self, instance):
        return ", ".join(number.number for number in instance.invoice_numbers.all())


class ContactEmailsColumn(Column):
    def get_value(self, instance):
        return ", ".join(instance.contact_email_list)


class MembersColumn(Column):
    """The members matched to the account, and who verified each (or "matched automatically")."""

    cell_template_name = "avsoft_support/admin/tables/members_cell.html"

    def get_value(self, instance):
        return list(instance.members.all())

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["members"] = context["raw_value"]
        return context


class ClientAccountIndexView(CaseVariantSearchMixin, IndexView):
    @cached_property
    def header_buttons(self):
        from django.urls import reverse

        buttons = list(super().header_buttons)
        if self.request.user.has_perm("avsoft_support.verify_client"):
            buttons.append(
                HeaderButton(
                    _("Members and claims"),
                    url=reverse("avsoft_support_clients:members"),
                    icon_name="user",
                )
            )
        return buttons

    @cached_property
    def header_more_buttons(self):
        from django.urls import reverse

        buttons = list(super().header_more_buttons)
        if self.user_has_permission("add"):
            buttons.append(
                Button(
                    _("Import from CSV"),
                    url=reverse("avsoft_support_clients:import"),
                    icon_name="upload",
                    priority=10,
                )
            )
        return buttons


class ClientAccountFilterSet(WagtailFilterSet):
    active = django_filters.BooleanFilter(label=_("Active"), widget=BooleanRadioSelect)

    class Meta:
        model = ClientAccount
        fields = []


class ClientAccountViewSet(SnippetViewSet):
    model = ClientAccount
    icon = "group"
    menu_label = _("Clients")
    menu_name = "support-clients"
    url_prefix = "support/clients"
    url_namespace = "avsoft_support_clients"
    index_view_class = ClientAccountIndexView
    filterset_class = ClientAccountFilterSet
    search_fields = ["company", "invoice_numbers__number", "contact_emails"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    ordering = "company"
    list_display = [
        "company",
        InvoiceNumbersColumn("invoice_numbers", label=_("Invoice/order numbers")),
        ContactEmailsColumn("contact_emails", label=_("Contact e-mails")),
        MembersColumn("members", label=_("Members")),
        BooleanColumn("active", label=_("Active"), sort_key="active"),
        UpdatedAtColumn(),
    ]
    list_export = ["company", "contact_emails", "active"]

    edit_handler = ObjectList(
        [
            FieldPanel("company"),
            InlinePanel(
                "invoice_numbers",
                heading=_("Invoice/order numbers"),
                label=_("Invoice/order number"),
                help_text=_(
                    "A member who gives one of these numbers becomes a current client at once."
                ),
            ),
            FieldPanel("contact_emails"),
            FieldPanel("active"),
            FieldPanel("notes"),
        ],
        base_form_class=ClientAccountForm,
    )

    def get_queryset(self, request):
        return ClientAccount.objects.prefetch_related(
            "invoice_numbers",
            Prefetch(
                "members",
                queryset=MemberProfile.objects.select_related("user", "verified_by").order_by(
                    "full_name"
                ),
            ),
        ).distinct()

    def get_urlpatterns(self):
        from .views import admin_clients

        return [
            *super().get_urlpatterns(),
            path("import/", admin_clients.ClientImportView.as_view(), name="import"),
            path("members/", admin_clients.MemberIndexView.as_view(), name="members"),
            path(
                "members/results/",
                admin_clients.MemberIndexView.as_view(results_only=True),
                name="members_results",
            ),
            path("verify/<int:pk>/", admin_clients.VerifyMemberView.as_view(), name="verify"),
            path("unverify/<int:pk>/", admin_clients.UnverifyMemberView.as_view(), name="unverify"),
        ]


# Products and canned replies ---------------------------------------------------------------------


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products")
    menu_name = "support-products"
    url_prefix = "support/products"
    url_namespace = "avsoft_support_products"
    list_display = ["name", BooleanColumn("active", label=_("Active"), sort_key="active")]
    list_filter = ["active"]
    search_fields = ["name"]
    search_backend_name = None
    sort_order_field = "sort_order"
    ordering = ["sort_order", "name"]
    copy_view_enabled = False
    panels = [FieldPanel("name"), FieldPanel("active")]


class CannedReplyViewSet(SnippetViewSet):
    model = CannedReply
    icon = "openquote"
    menu_label = _("Canned replies")
    menu_name = "support-canned-replies"
    url_prefix = "support/canned-replies"
    url_namespace = "avsoft_support_canned_replies"
    list_display = ["title", UpdatedAtColumn()]
    search_fields = ["title", "text"]
    search_backend_name = None
    ordering = "title"


class SupportViewSetGroup(SnippetViewSetGroup):
    """The one "Support" menu item; each entry shows only to users with its permissions."""

    items = (TicketViewSet, ClientAccountViewSet, ProductViewSet, CannedReplyViewSet)
    menu_label = _("Support")
    menu_icon = "clipboard-list"
    menu_name = "support"
    menu_order = 150

    def get_menu_item(self, order=None):
        return SupportMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )
