"""Bulk actions on the triage list: assign to me, assign to a colleague, set status, set
criticality, close; and which of all the registered ones (Wagtail's delete too) a user is
offered (``offered_bulk_actions``; the footer's buttons: ``bulk_action_buttons_html``).

Each ticket is changed through the same functions as on the ticket screen, so every change is
logged and the customer is told about status changes (tickets.set_status).
"""

from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.admin.widgets import Button, ButtonWithDropdown, ListingButton
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from .. import tickets, triage
from ..models import Criticality, Ticket, TicketStatus, user_display_name
from ..permissions import ticket_policy
from .columns import kept
from .forms import BulkAssignForm, BulkCriticalityForm, BulkStatusForm


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
    # An action asking one more thing (form_class) passes its form_field to execute_action.
    form_field = None

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "confirm_title": self.confirm_title,
            "confirm_header": self.display_name,
            "action_button_text": self.yes_label,
            "no_action_button_text": _("No, go back"),
            "confirm_form_template": (
                "wagtailadmin/bulk_actions/confirmation/form_with_fields.html"
                if self.form_field
                else "wagtailadmin/bulk_actions/confirmation/form.html"
            ),
        }

    def check_perm(self, ticket):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", ticket
        )

    @classmethod
    def get_queryset(cls, model, object_ids):
        return list(triage.staff_ticket_queryset().filter(pk__in=object_ids))

    def get_execution_context(self):
        context = {**super().get_execution_context(), "user": self.request.user}
        if self.form_field:
            context[self.form_field] = self.cleaned_form.cleaned_data[self.form_field]
        return context


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
    action_priority = 20
    form_class = BulkStatusForm
    form_field = "status"

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


class AssignBulkAction(TicketBulkAction):
    display_name = _("Assign to…")
    action_type = "assign"
    aria_label = _("Assign the selected tickets to a colleague")
    template_name = "avsoft_support/admin/bulk_actions/confirm_assign.html"
    confirm_title = _("Assign tickets")
    yes_label = _("Assign")
    action_priority = 15
    form_class = BulkAssignForm
    form_field = "assignee"

    @classmethod
    def execute_action(cls, objects, user=None, assignee=None, **kwargs):
        changed = sum(1 for ticket in objects if tickets.assign(ticket, assignee, user))
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        assignee = self.cleaned_form.cleaned_data["assignee"]
        if assignee is None:
            return ngettext(
                "%(count)d ticket unassigned.", "%(count)d tickets unassigned.", num_parent_objects
            ) % {"count": num_parent_objects}
        return ngettext(
            "%(count)d ticket assigned to %(name)s.",
            "%(count)d tickets assigned to %(name)s.",
            num_parent_objects,
        ) % {"count": num_parent_objects, "name": user_display_name(assignee)}


class SetCriticalityBulkAction(TicketBulkAction):
    display_name = _("Set criticality")
    action_type = "set_criticality"
    aria_label = _("Set the criticality of the selected tickets")
    template_name = "avsoft_support/admin/bulk_actions/confirm_set_criticality.html"
    confirm_title = _("Set the criticality of tickets")
    yes_label = _("Set criticality")
    action_priority = 25
    form_class = BulkCriticalityForm
    form_field = "criticality"

    @classmethod
    def execute_action(cls, objects, user=None, criticality=None, **kwargs):
        if criticality is None:
            return 0, 0
        changed = sum(1 for ticket in objects if tickets.set_criticality(ticket, criticality, user))
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        label = Criticality(self.cleaned_form.cleaned_data["criticality"]).label
        return ngettext(
            "%(count)d ticket set to '%(criticality)s'.",
            "%(count)d tickets set to '%(criticality)s'.",
            num_parent_objects,
        ) % {"count": num_parent_objects, "criticality": label}


BULK_ACTIONS = [
    AssignToMeBulkAction,
    AssignBulkAction,
    SetStatusBulkAction,
    SetCriticalityBulkAction,
    CloseBulkAction,
]

# The permission each registered ticket bulk action needs to be offered: ours change
# tickets; Wagtail's own delete deletes them. An action not named here needs "change".
OFFERED_WITH = {"delete": "delete"}
SHOWN_AS_BUTTONS = 4  # the rest under "More", as Wagtail's own footer does


def offered_bulk_actions(user):
    """The ticket bulk actions this user may use, in their order (Wagtail's footer offers every
    registered action to everyone, delete included)."""
    meta = Ticket._meta
    policy = ticket_policy()
    return sorted(
        (
            action
            for action in bulk_action_registry.get_bulk_actions_for_model(
                meta.app_label, meta.model_name
            )
            if policy.user_has_permission(user, OFFERED_WITH.get(action.action_type, "change"))
        ),
        key=lambda action: action.action_priority,
    )


def _footer_buttons(actions):
    """Buttons for ``actions``: the first ``SHOWN_AS_BUTTONS``, the rest under "More"."""
    meta = Ticket._meta

    def url(action):
        return reverse(
            "wagtail_bulk_action", args=[meta.app_label, meta.model_name, action.action_type]
        )

    buttons = [
        ListingButton(
            action.display_name,
            url(action),
            attrs={"aria-label": action.aria_label, "data-bulk-action-button": ""},
            priority=action.action_priority,
            classname=" ".join(action.classes | {"bulk-action-btn"}),
        )
        for action in actions[:SHOWN_AS_BUTTONS]
    ]
    more = actions[SHOWN_AS_BUTTONS:]
    if more:
        buttons.append(
            ButtonWithDropdown(
                label=_("More"),
                attrs={"title": _("More bulk actions")},
                classname="button button-secondary button-small",
                buttons=[
                    Button(
                        label=action.display_name,
                        url=url(action),
                        attrs={"aria-label": action.aria_label, "data-bulk-action-button": ""},
                        priority=action.action_priority,
                    )
                    for action in more
                ],
            )
        )
    return buttons


# The footer's buttons as rendered, per language, URL prefix and URLconf, and actions offered.
_BUTTONS_HTML = {}


def bulk_action_buttons_html(user):
    """The footer's buttons through Wagtail's ``buttons.html``, rendered once per language, URL
    prefix and URLconf, and set of actions offered: their labels, links and order change only
    with those. Rendered on every triage page, the template and its six button components
    were about 4 % of its time (issue 12)."""
    actions = offered_bulk_actions(user)
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        tuple(actions),
    )
    return kept(
        _BUTTONS_HTML,
        key,
        lambda: render_to_string(
            "wagtailadmin/shared/buttons.html", {"buttons": _footer_buttons(actions)}
        ),
    )
