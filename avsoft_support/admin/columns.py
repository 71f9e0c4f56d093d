"""Columns of the admin listings: what a cell shows, in words as well as colour."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn

from ..models import (
    ClientStatus,
    Criticality,
    member_display_name,
    profile_of,
    user_display_name,
)
from ..permissions import can_verify
from ..triage import is_overdue


class CustomerColumn(Column):
    """Name and company (the verified account's, else the one the member typed), then e-mail."""

    cell_template_name = "avsoft_support/admin/tables/customer_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        user = instance.author
        if user is None:  # the customer deleted their account
            context.update(name=_("Deleted user"), company="", email="")
            return context
        profile = profile_of(user)
        context["name"] = member_display_name(user)
        if profile and profile.client_account_id:
            context["company"] = profile.client_account.company
        else:
            context["company"] = profile.company if profile else ""
        context["email"] = user.email
        return context


CLIENT_STATUS_SHORT = {
    ClientStatus.CURRENT: pgettext_lazy("client status", "Current"),
    ClientStatus.CLAIMED: pgettext_lazy("client status", "Claimed"),
    ClientStatus.POTENTIAL: pgettext_lazy("client status", "Potential"),
}


class ClientStatusColumn(Column):
    """The word and a colour: current, claimed or potential client (of a ticket or a member).
    ``short=True``: one word, the whole label as its tooltip (the dense triage list)."""

    cell_template_name = "avsoft_support/admin/tables/client_status_cell.html"

    def __init__(self, *args, short=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.short = short

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        status = self.get_value(instance)
        context["status"] = status
        context["label"] = ClientStatus(status).label if status in ClientStatus.values else status
        context["short"] = CLIENT_STATUS_SHORT.get(status) if self.short else None
        return context


class TicketStatusColumn(Column):
    cell_template_name = "avsoft_support/admin/tables/ticket_status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["status"] = instance.status
        context["label"] = instance.get_status_display()
        return context


class CriticalityColumn(Column):
    """A coloured badge with a short word (critical, high, normal, low); the whole label as
    its tooltip."""

    cell_template_name = "avsoft_support/admin/tables/criticality_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["criticality"] = instance.criticality
        context["label"] = instance.get_criticality_display()
        context["short"] = Criticality.short_label(instance.criticality)
        return context


class AssigneeColumn(Column):
    def get_value(self, instance):
        return user_display_name(instance.assignee) if instance.assignee_id else "—"


class LastCustomerActivityColumn(DateColumn):
    """When the customer last wrote (filing counts as writing), as "2 hours ago"."""

    def get_value(self, instance):
        return instance.last_customer_reply_at or instance.created_at


class ProductColumn(Column):
    def get_value(self, instance):
        name = instance.product.name if instance.product_id else instance.product_other
        version = instance.product_version
        return f"{name} {version}".strip() if name else version


class SLADueColumn(Column):
    """When our next response is due; "Overdue" in words when it passed; "Answered" when
    nothing of ours is due."""

    cell_template_name = "avsoft_support/admin/tables/sla_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["due"] = instance.sla_due_at
        context["met_at"] = instance.last_staff_reply_at
        context["overdue"] = is_overdue(instance)
        context["compact"] = True
        return context


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


class MemberNameColumn(TitleColumn):
    def get_value(self, instance):
        return instance.display_name

    def get_link_url(self, instance, parent_context):
        return (
            reverse("avsoft_support_tickets:list")
            + "?"
            + urlencode({"q": instance.user.email, "status": "all"})
        )


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
        context["can_verify"] = bool(request and can_verify(request.user))
        return context
