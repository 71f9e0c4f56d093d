"""Client accounts in the Support menu, with the CSV import, the members and their claims."""

from django.db.models import Prefetch
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, UpdatedAtColumn
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from ...models import ClientAccount, MemberProfile
from ...permissions import can_verify
from ..columns import ContactEmailsColumn, InvoiceNumbersColumn, MembersColumn
from ..filters import ClientAccountFilterSet
from ..forms import ClientAccountForm
from ..search import CaseVariantSearchMixin
from ..views import clients as admin_clients


class ClientAccountIndexView(CaseVariantSearchMixin, IndexView):
    # Wagtail's "Add %(model_name)s" leaves the name in the nominative, wrong in Russian
    # («Добавить учётная запись клиента»): our own phrase, translated whole.
    add_item_label = pgettext_lazy("add button", "Add a client account")

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if can_verify(self.request.user):
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
        BooleanColumn("share_tickets", label=_("Shares tickets"), sort_key="share_tickets"),
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
            # Company sharing (docs/company-sharing-and-ratings.md).
            FieldPanel("share_tickets"),
            FieldPanel("administrator"),
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
