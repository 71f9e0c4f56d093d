"""Clients in the Wagtail admin: CSV import (preview, per-row errors, atomic confirm),
the members and their claims, and verifying or unverifying a member."""

import csv
import io
import re
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin
from wagtail.permissions import policy_registry

from .. import triage
from ..forms.staff import ClientImportForm, VerifyMemberForm
from ..log_actions import CLIENT_IMPORT
from ..models import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    normalize_invoice_number,
)
from ..viewsets import CaseVariantSearchMixin

BREADCRUMBS_HOME = [{"url": reverse_lazy("wagtailadmin_home"), "label": gettext_lazy("Home")}]


def _clients_breadcrumb():
    return {"url": reverse("avsoft_support_clients:list"), "label": _("Clients")}


def _require_client_permission(user, actions=("add", "change")):
    policy = policy_registry.get_by_type(ClientAccount)
    if not policy.user_has_any_permission(user, list(actions)):
        raise PermissionDenied


def _require_verify_permission(user):
    if not user.has_perm("avsoft_support.verify_client"):
        raise PermissionDenied


# CSV import ------------------------------------------------------------------------------------

COLUMNS = ("company", "invoice_numbers", "contact_emails", "active")
MAX_ROWS = 5000
TRUE_WORDS = {"", "1", "yes", "y", "true", "t", "+", "да", "д", "активен", "активна"}
FALSE_WORDS = {"0", "no", "n", "false", "f", "-", "нет", "н", "неактивен", "неактивна"}


def _split(value, pattern=r"[;,]"):
    return [part.strip() for part in re.split(pattern, value or "") if part.strip()]


@dataclass
class ImportRow:
    line: int
    company: str
    numbers: list = field(default_factory=list)
    emails: list = field(default_factory=list)
    active: bool | None = None  # None: the file has no "active" column
    account: ClientAccount | None = None
    errors: list = field(default_factory=list)

    @property
    def action(self):
        return "update" if self.account else "create"

    @property
    def active_after(self):
        """Whether the account is active once imported (unchanged when the file does not say)."""
        if self.active is not None:
            return self.active
        return self.account.active if self.account else True

    @property
    def action_label(self):
        return _("Update") if self.account else _("Create")


@dataclass
class ImportPreview:
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)

    @property
    def error_rows(self):
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self):
        return bool(self.rows) and not self.file_errors and not self.error_rows

    @property
    def create_count(self):
        return sum(1 for row in self.rows if not row.account)

    @property
    def update_count(self):
        return sum(1 for row in self.rows if row.account)


def parse_client_csv(text):
    """Read and check every row against the file and the database; nothing is saved."""
    preview = ImportPreview()
    text = (text or "").lstrip("\ufeff")
    if not text.strip():
        preview.file_errors.append(_("The file is empty."))
        return preview
    header_line = text.splitlines()[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (csv.Error, StopIteration):
        preview.file_errors.append(_("The first line must name the columns."))
        return preview
    unknown = [name for name in header if name and name not in COLUMNS]
    if "company" not in header:
        preview.file_errors.append(_("The first line must name the columns; 'company' is missing."))
    if unknown:
        preview.file_errors.append(
            _("Unknown columns: %(names)s. Expected: %(expected)s.")
            % {"names": ", ".join(unknown), "expected": ", ".join(COLUMNS)}
        )
    if preview.file_errors:
        return preview

    raw_rows = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(raw_rows) >= MAX_ROWS:
                preview.file_errors.append(
                    _("At most %(count)s rows can be imported at once.") % {"count": MAX_ROWS}
                )
                return preview
            record = dict(zip(header, values, strict=False))
            raw_rows.append((reader.line_num, record, len(values) > len(header)))
    except csv.Error as error:
        preview.file_errors.append(
            _("Line %(line)s cannot be read: %(error)s") % {"line": reader.line_num, "error": error}
        )
        return preview

    existing_accounts = {
        account.company.strip().casefold(): account
        for account in ClientAccount.objects.only("pk", "company", "contact_emails", "active")
    }
    companies_seen = {}
    numbers_seen = {}
    all_normalized = set()

    for line, record, too_many in raw_rows:
        company = (record.get("company") or "").strip()
        row = ImportRow(line=line, company=company)
        if too_many:
            row.errors.append(_("More cells than columns: quote cells that contain the separator."))
        if not company:
            row.errors.append(_("The company is empty."))
        else:
            key = company.casefold()
            if key in companies_seen:
                row.errors.append(
                    _("The same company is on line %(line)s.") % {"line": companies_seen[key]}
                )
            else:
                companies_seen[key] = line
            row.account = existing_accounts.get(key)

        for number in _split(record.get("invoice_numbers")):
            normalized = normalize_invoice_number(number)
            if not normalized:
                row.errors.append(_("'%(number)s' has no letters or digits.") % {"number": number})
                continue
            if normalized in numbers_seen and numbers_seen[normalized] != line:
                row.errors.append(
                    _("Number %(number)s is also on line %(line)s.")
                    % {"number": number, "line": numbers_seen[normalized]}
                )
                continue
            if normalized in numbers_seen:
                continue  # the same number twice in one row: keep one
            numbers_seen[normalized] = line
            all_normalized.add(normalized)
            row.numbers.append(number)

        for email in _split(record.get("contact_emails"), r"[;,\s]+"):
            try:
                validate_email(email)
            except forms.ValidationError:
                row.errors.append(_("'%(email)s' is not an e-mail address.") % {"email": email})
            else:
                if email not in row.emails:
                    row.emails.append(email)

        if "active" in header:
            active = (record.get("active") or "").strip().casefold()
            if active in TRUE_WORDS:
                row.active = True
            elif active in FALSE_WORDS:
                row.active = False
            else:
                row.errors.append(
                    _("active must be yes or no, not '%(value)s'.")
                    % {"value": record.get("active")}
                )
        preview.rows.append(row)

    if not preview.rows:
        preview.file_errors.append(_("The file has no rows under the column names."))
        return preview

    owners = {
        number.normalized: number.account
        for number in ClientInvoiceNumber.objects.filter(
            normalized__in=all_normalized
        ).select_related("account")
    }
    for row in preview.rows:
        for number in row.numbers:
            owner = owners.get(normalize_invoice_number(number))
            if owner is not None and (row.account is None or owner.pk != row.account.pk):
                row.errors.append(
                    _("Number %(number)s already belongs to %(company)s.")
                    % {"number": number, "company": owner.company}
                )
    return preview


@transaction.atomic
def apply_client_import(preview, user):
    """Save a valid preview: all rows or, on any error, none. Returns (created, updated, matched)."""
    created = updated = 0
    imported_numbers = set()
    for row in preview.rows:
        account = row.account
        if account is None:
            account = ClientAccount.objects.create(
                company=row.company, contact_emails="\n".join(row.emails), active=row.active_after
            )
            created += 1
            existing = set()
        else:
            account = ClientAccount.objects.select_for_update().get(pk=account.pk)
            emails = account.contact_email_list
            emails += [email for email in row.emails if email not in emails]
            account.contact_emails = "\n".join(emails)
            if row.active is not None:
                account.active = row.active
            account.save()
            updated += 1
            existing = set(account.invoice_numbers.values_list("normalized", flat=True))
        order = len(existing)
        for number in row.numbers:
            normalized = normalize_invoice_number(number)
            imported_numbers.add(normalized)
            if normalized in existing:
                continue
            ClientInvoiceNumber.objects.create(account=account, number=number, sort_order=order)
            existing.add(normalized)
            order += 1
        triage.log_separately(
            account, CLIENT_IMPORT, user, {"created": row.account is None, "line": row.line}
        )
    matched = triage.match_claimed_members(imported_numbers, user)
    return created, updated, matched


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
        preview = parse_client_csv(content)
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


class MemberFilterSet(WagtailFilterSet):
    client_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Client status"),
        choices=ClientStatus.choices,
        empty_label=gettext_lazy("All"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = MemberProfile
        fields = []


class MemberNameColumn(TitleColumn):
    def get_value(self, instance):
        return instance.full_name or instance.user.get_username()

    def get_link_url(self, instance, parent_context):
        return (
            reverse("avsoft_support_tickets:list")
            + "?"
            + urlencode({"q": instance.user.email, "status": "all"})
        )


class MemberStatusColumn(Column):
    cell_template_name = "avsoft_support/admin/tables/client_status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["status"] = instance.client_status
        context["label"] = instance.get_client_status_display()
        return context


class MemberAccountColumn(Column):
    cell_template_name = "avsoft_support/admin/tables/member_account_cell.html"


class MemberActionsColumn(Column):
    cell_template_name = "avsoft_support/admin/tables/member_actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        next_url = reverse("avsoft_support_clients:members")
        if request is not None:
            query = request.GET.copy()
            query.pop("_w_filter_fragment", None)
            if query:
                next_url += "?" + query.urlencode()
        context["next"] = next_url
        context["can_verify"] = bool(
            request and request.user.has_perm("avsoft_support.verify_client")
        )
        return context


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
        "user__email",
        "user__username",
        "client_account__company",
    ]
    search_backend_name = None
    paginate_by = 50
    header_icon = "user"
    page_title = gettext_lazy("Members and claims")
    verbose_name_plural = gettext_lazy("members")
    breadcrumbs_items = BREADCRUMBS_HOME

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("avsoft_support.verify_client"):
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
            MemberStatusColumn("client_status", label=_("Client status")),
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
        context["can_verify"] = self.request.user.has_perm("avsoft_support.verify_client")
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
        return self.profile.full_name or self.profile.user.get_username()

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
            from ..client_status import find_account

            guess = find_account(profile.invoice_number)
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
        triage.verify(self.profile, account, request.user)
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
        triage.unverify(profile, request.user)
        messages.success(
            request,
            _("%(member)s is no longer a verified client.") % {"member": self.get_page_subtitle()},
        )
        return HttpResponseRedirect(self.get_success_url())
