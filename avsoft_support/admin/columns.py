"""Columns of the admin listings: what a cell shows, in words as well as colour."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from wagtail.admin.ui.tables import Column, TitleColumn

from ..models import ClientStatus, member_display_name, profile_of
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


class ClientStatusColumn(Column):
    """The word and a colour: current, claimed or potential client (of a ticket or a member)."""

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
