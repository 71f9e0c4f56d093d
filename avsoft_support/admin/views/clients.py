"""Clients in the Wagtail admin: the CSV import (upload, preview, confirm), the members and
their claims, and verifying or unverifying a member. The rules are in clients/."""

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin

from ...clients import status as client_status
from ...clients.csv_import import apply_client_import, preview_client_csv
from ...models import ClientStatus, MemberProfile
from ...permissions import can_manage_clients, can_verify
from ..columns import (
    ClientStatusColumn,
    MemberAccountColumn,
    MemberActionsColumn,
    MemberNameColumn,
)
from ..filters import MemberFilterSet
from ..forms import ClientImportForm, VerifyMemberForm
from ..search import CaseVariantSearchMixin, user_search_fields

BREADCRUMBS_HOME = [{"url": reverse_lazy("wagtailadmin_home"), "label": gettext_lazy("Home")}]


def _clients_breadcrumb():
    return {"url": reverse("avsoft_support_clients:list"), "label": _("Clients")}


def _require_client_permission(user, actions=("add", "change")):
    if not can_manage_clients(user, actions):
        raise PermissionDenied


def _require_verify_permission(user):
    if not can_verify(user):
        raise PermissionDenied


class ClientImportView(WagtailAdminTemplateMixin, TemplateView):
    """Upload a CSV, see every row as it will be saved (or what is wrong with it), confirm."""

    template_name = "avsoft_support/admin/client_import.html"
    header_icon = "upload"
    breadcrumbs_items = BREADCRUMBS_HOME

    def dispatch(self, request, *args, **kwargs):
        _require_client_permission(request.user, ("add",))
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Import clients from CSV")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            _clients_breadcrumb(),
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ClientImportForm()))

    def post(self, request, *args, **kwargs):
        form = ClientImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        content = form.cleaned_data["content"]
        preview = preview_client_csv(content)
        confirming = "confirm" in request.POST and not request.FILES
        if confirming and preview.is_valid:
            created, updated, matched = apply_client_import(preview, request.user)
            messages.success(
                request,
                _(
                    "Import done: %(created)s accounts created, %(updated)s updated, "
                    "%(matched)s members matched."
                )
                % {"created": created, "updated": updated, "matched": matched},
            )
            return HttpResponseRedirect(reverse("avsoft_support_clients:list"))
        if confirming:
            messages.error(request, _("Nothing was imported: the file has errors."))
        confirm_form = ClientImportForm(initial={"content": content})
        return self.render_to_response(
            self.get_context_data(
                form=ClientImportForm(), confirm_form=confirm_form, preview=preview
            ),
            status=200 if preview.is_valid else 400,
        )


# Members ---------------------------------------------------------------------------------------


class MemberIndexView(CaseVariantSearchMixin, BaseListingView):
    """Members with what they claimed: verify a claim, or undo a verification."""

    index_url_name = "avsoft_support_clients:members"
    index_results_url_name = "avsoft_support_clients:members_results"
    filterset_class = MemberFilterSet
    is_searchable = True
    search_fields = [
        "full_name",
        "company",
        "invoice_number",
        *user_search_fields("user"),
        "client_account__company",
    ]
    search_backend_name = None
    paginate_by = 50
    header_icon = "user"
    page_title = gettext_lazy("Members and claims")
    verbose_name_plural = gettext_lazy("members")
    breadcrumbs_items = BREADCRUMBS_HOME

    def dispatch(self, request, *args, **kwargs):
        if not can_verify(request.user):
            _require_client_permission(request.user, ("add", "change", "view"))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        if self.results_only:
            return []
        return [
            *self.breadcrumbs_items,
            _clients_breadcrumb(),
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def columns(self):
        return [
            MemberNameColumn("full_name", label=_("Member")),
            Column("user.email", label=_("E-mail")),
            Column("company", label=_("Company they gave")),
            Column("invoice_number", label=_("Invoice/order number they gave")),
            ClientStatusColumn("client_status", label=_("Client status")),
            MemberAccountColumn("client_account", label=_("Account, verified by")),
            MemberActionsColumn("actions", label=_("Actions")),
        ]

    def get_base_queryset(self):
        return MemberProfile.objects.select_related("user", "client_account", "verified_by")

    def order_queryset(self, queryset):
        # Claims waiting for staff first, then verified members, then the rest.
        return queryset.annotate(
            _claim_order=Case(
                When(client_status=ClientStatus.CLAIMED, then=Value(0)),
                When(client_status=ClientStatus.CURRENT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        ).order_by("_claim_order", "-created_at", "pk")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["can_verify"] = can_verify(self.request.user)
        return context


class _MemberActionView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "user"
    breadcrumbs_items = BREADCRUMBS_HOME

    def dispatch(self, request, *args, **kwargs):
        _require_verify_permission(request.user)
        self.profile = get_object_or_404(
            MemberProfile.objects.select_related("user", "client_account", "verified_by"),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.profile.display_name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            _clients_breadcrumb(),
            {"url": reverse("avsoft_support_clients:members"), "label": _("Members and claims")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_success_url(self):
        return get_valid_next_url_from_request(self.request) or reverse(
            "avsoft_support_clients:members"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["profile"] = self.profile
        context["member"] = self.profile.user
        context["next"] = get_valid_next_url_from_request(self.request)
        return context


class VerifyMemberView(_MemberActionView):
    """Staff confirm a member's claim: linked to the account, open tickets move up."""

    template_name = "avsoft_support/admin/verify_member.html"

    def get_page_title(self):
        return _("Verify a client")

    def get_form(self, data=None):
        profile = self.profile
        guess = profile.client_account
        if guess is None and profile.invoice_number:
            guess = client_status.find_account(profile.invoice_number)
        return VerifyMemberForm(
            data, initial={"account": guess.pk if guess else None}, prefix="verify"
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("The member was not verified. Choose the client account."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        account = form.cleaned_data["account"]
        client_status.verify(self.profile, account, request.user)
        messages.success(
            request,
            _("%(member)s is now a current client of %(account)s.")
            % {"member": self.get_page_subtitle(), "account": account.company},
        )
        return HttpResponseRedirect(self.get_success_url())


class UnverifyMemberView(_MemberActionView):
    """Undo a verification: the member is claimed (or potential) again, tickets re-ranked."""

    template_name = "avsoft_support/admin/unverify_member.html"

    def get_page_title(self):
        return _("Remove a client verification")

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        profile = self.profile
        if profile.client_status != ClientStatus.CURRENT:
            messages.error(request, _("This member is not a verified client."))
            return HttpResponseRedirect(self.get_success_url())
        client_status.unverify(profile, request.user)
        messages.success(
            request,
            _("%(member)s is no longer a verified client.") % {"member": self.get_page_subtitle()},
        )
        return HttpResponseRedirect(self.get_success_url())
