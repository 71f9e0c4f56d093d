"""Bulk actions on the triage list: assign to me, set status, close.

Each ticket is changed through the same functions as on the ticket screen, so every change is
logged and the customer is told about status changes (tickets.set_status).
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from .. import tickets, triage
from ..models import Ticket, TicketStatus
from .forms import BulkStatusForm


def _set_status(ticket, status, user):
    if ticket.status == status:
        return False
    tickets.set_status(ticket, status, user)  # logs each change with a uuid of its own
    return True


class TicketBulkAction(SnippetBulkAction):
    models = [Ticket]
    # Texts of the shared confirmation page; each action's template only asks its question.
    confirm_title = ""
    yes_label = ""
    confirm_form_template = "wagtailadmin/bulk_actions/confirmation/form.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "confirm_title": self.confirm_title,
            "confirm_header": self.display_name,
            "action_button_text": self.yes_label,
            "no_action_button_text": _("No, go back"),
            "confirm_form_template": self.confirm_form_template,
        }

    def check_perm(self, ticket):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", ticket
        )

    @classmethod
    def get_queryset(cls, model, object_ids):
        return list(triage.staff_ticket_queryset().filter(pk__in=object_ids))

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}


class AssignToMeBulkAction(TicketBulkAction):
    display_name = _("Assign to me")
    action_type = "assign_to_me"
    aria_label = _("Assign the selected tickets to me")
    template_name = "avsoft_support/admin/bulk_actions/confirm_assign_to_me.html"
    confirm_title = _("Assign tickets to me")
    yes_label = _("Yes, assign to me")
    action_priority = 10

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        changed = sum(1 for ticket in objects if tickets.assign(ticket, user, user))
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d ticket assigned to you.",
            "%(count)d tickets assigned to you.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


class SetStatusBulkAction(TicketBulkAction):
    display_name = _("Set status")
    action_type = "set_status"
    aria_label = _("Set the status of the selected tickets")
    template_name = "avsoft_support/admin/bulk_actions/confirm_set_status.html"
    confirm_title = _("Set the status of tickets")
    yes_label = _("Set status")
    confirm_form_template = "wagtailadmin/bulk_actions/confirmation/form_with_fields.html"
    action_priority = 20
    form_class = BulkStatusForm

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "status": self.cleaned_form.cleaned_data["status"],
        }

    @classmethod
    def execute_action(cls, objects, user=None, status=None, **kwargs):
        if status is None:
            return 0, 0
        changed = sum(1 for ticket in objects if _set_status(ticket, status, user))
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        label = TicketStatus(self.cleaned_form.cleaned_data["status"]).label
        return ngettext(
            "%(count)d ticket set to '%(status)s'.",
            "%(count)d tickets set to '%(status)s'.",
            num_parent_objects,
        ) % {"count": num_parent_objects, "status": label}


class CloseBulkAction(TicketBulkAction):
    display_name = _("Close")
    action_type = "close"
    aria_label = _("Close the selected tickets")
    template_name = "avsoft_support/admin/bulk_actions/confirm_close.html"
    confirm_title = _("Close tickets")
    yes_label = _("Yes, close")
    action_priority = 30

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        changed = sum(1 for ticket in objects if _set_status(ticket, TicketStatus.CLOSED, user))
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d ticket closed.",
            "%(count)d tickets closed.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


BULK_ACTIONS = [AssignToMeBulkAction, SetStatusBulkAction, CloseBulkAction]
