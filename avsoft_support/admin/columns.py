"""Columns of the admin listings: what a cell shows, in words as well as colour.

The triage list's columns write their cells here in Python (``InlineCell``) instead of
rendering one template per cell: 50 rows of 11 columns made 550 template renders, most of
the list's time (issue 12, docs/performance.md). The markup is the one the templates gave;
columns of the other, short listings keep their templates.
"""

from django.contrib.admin.utils import quote
from django.templatetags.l10n import unlocalize
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.templatetags.wagtailadmin_tags import timesince_simple
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import Button, ButtonWithDropdown

from ..models import (
    ClientStatus,
    Criticality,
    member_display_name,
    profile_of,
    user_display_name,
)
from ..permissions import can_verify
from ..triage import is_overdue


class InlineCell:
    """A column whose cell is written in Python (``cell_html``), without a template."""

    def td(self, content, title=None):
        classname = format_html(' class="{}"', self.classname) if self.classname else ""
        title = format_html(' title="{}"', title) if title else ""
        return format_html("<td{}{}>{}</td>", classname, title, content)


def _local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


class TextColumn(InlineCell, Column):
    """Wagtail's ``Column`` for a text value (``wagtailadmin/tables/cell.html``'s output)."""

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if value is None:
            return self.td("")
        if isinstance(value, int) and not isinstance(value, bool):
            value = unlocalize(value)
        return self.td(value if str(value).strip() else self.empty_value_display)


def _icon_html(name, classname="icon"):
    # Wagtail's {% icon %} tag (wagtailadmin/shared/icon.html) without a title.
    return format_html(
        '<svg class="icon icon-{} {}" aria-hidden="true"><use href="#icon-{}"></use></svg>',
        name,
        classname,
        name,
    )


def _is_plain_link(button):
    return (
        type(button) is Button
        and button.template_name == Button.template_name
        and button.url
        and button.icon_name
    )


def menu_html(button, parent_context):
    """A row's "more" menu as Wagtail's button_with_dropdown.html and dropdown.html write it,
    when it holds only plain links (edit, inspect, history, delete); anything else (a hook's
    own button) renders through its template."""
    if not (
        type(button) is ButtonWithDropdown
        and button.template_name == ButtonWithDropdown.template_name
        and all(_is_plain_link(item) for item in button.dropdown_buttons)
    ):
        return button.render_html(parent_context)
    items = format_html_join(
        "",
        '<a href="{}" class="{}" {}>{} {}</a>',
        (
            (
                item.url,
                item.classname,
                item.base_attrs_string,
                _icon_html(item.icon_name),
                item.label,
            )
            for item in sorted(button.dropdown_buttons)
        ),
    )
    toggle_class = "w-dropdown__toggle"
    if not button.label:
        toggle_class += " w-dropdown__toggle--icon"
    if button.classname:
        toggle_class += " " + button.classname
    aria_label = button.aria_label
    return format_html(
        '<div data-controller="w-dropdown" class="w-dropdown" {}>'
        '<button type="button" class="{}" data-w-dropdown-target="toggle"{}>{} {}</button>'
        '<div data-w-dropdown-target="content" class="w-dropdown__content" hidden>{}</div>'
        "</div>",
        button.base_attrs_string,
        toggle_class,
        format_html(' aria-label="{}"', aria_label) if aria_label else "",
        button.label,
        _icon_html(button.icon_name or "arrow-down", "w-dropdown__toggle-icon"),
        items,
    )


class CheckboxColumn(BulkActionsCheckboxColumn):
    """Wagtail's bulk-action checkbox (``listing_checkbox_cell.html``) for a snippet listing."""

    def render_cell_html(self, instance, parent_context):
        describedby = self.get_aria_describedby(instance)
        return format_html(
            '<td class="bulk-action-checkbox-cell"><input type="checkbox" data-object-id="{}"'
            ' data-bulk-action-checkbox class="bulk-action-checkbox" aria-label="{}"{} /></td>',
            quote(unlocalize(instance.pk)),
            _("Select"),
            format_html(' aria-describedby="{}"', describedby) if describedby else "",
        )


class TicketTitleColumn(InlineCell, TitleColumn):
    """The subject linked to the ticket screen, and the row's "more" menu: Wagtail's
    ``title_cell.html`` markup; only the menu itself is still a template (Wagtail's
    component)."""

    def render_cell_html(self, instance, parent_context):
        context = self.get_cell_context_data(instance, parent_context)
        value = context["value"]
        title_id = context["title_id"]
        title = format_html('<span id="{}">{}</span>', title_id, value) if title_id else value
        if context["link_url"]:
            attrs = format_html_join(
                "",
                ' {}="{}"',
                (
                    (name, value)
                    for name, value in context["link_attrs"].items()
                    if value is not False and value is not True
                ),
            )
            title = format_html("<a{}>{}</a>", attrs, title)
        elif context["label_id"]:
            title = format_html('<label for="{}">{}</label>', context["label_id"], title)
        buttons = [button for button in context.get("buttons", ()) if button.show]
        actions = ""
        if buttons:
            actions = format_html(
                '<ul class="actions">{}</ul>',
                format_html_join("", "<li>{}</li>", ((menu_html(b, context),) for b in buttons)),
            )
        classname = f"{self.classname} title" if self.classname else "title"
        return format_html(
            '<td class="{}"><div class="title-wrapper">{}</div>{}</td>', classname, title, actions
        )


class CustomerColumn(InlineCell, Column):
    """Name and company (the verified account's, else the one the member typed), then e-mail."""

    def render_cell_html(self, instance, parent_context):
        user = instance.author
        if user is None:  # the customer deleted their account
            return self.td(
                format_html('<span class="avs-customer__name">{}</span>', _("Deleted user"))
            )
        profile = profile_of(user)
        if profile and profile.client_account_id:
            company = profile.client_account.company
        else:
            company = profile.company if profile else ""
        email = user.email
        return self.td(
            format_html(
                '<span class="avs-customer__name">{}</span>{}{}',
                member_display_name(user),
                format_html('<span class="avs-customer__company">, {}</span>', company)
                if company
                else "",
                format_html('\n<span class="w-sr-only">, {}</span>', email) if email else "",
            ),
            title=email,
        )


CLIENT_STATUS_SHORT = {
    ClientStatus.CURRENT: pgettext_lazy("client status", "Current"),
    ClientStatus.CLAIMED: pgettext_lazy("client status", "Claimed"),
    ClientStatus.POTENTIAL: pgettext_lazy("client status", "Potential"),
}


class ClientStatusColumn(InlineCell, Column):
    """The word and a colour: current, claimed or potential client (of a ticket or a member).
    ``short=True``: one word, the whole label as its tooltip (the dense triage list)."""

    cell_template_name = "avsoft_support/admin/tables/client_status_cell.html"

    def __init__(self, *args, short=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.short = short

    def render_cell_html(self, instance, parent_context):
        if not self.short:
            return super().render_cell_html(instance, parent_context)
        status = self.get_value(instance)
        label = ClientStatus(status).label if status in ClientStatus.values else status
        # The short word for the eye, the whole label for a screen reader (once, not both).
        return self.td(
            format_html(
                '<span class="avs-badge avs-badge--{}" title="{}"><span aria-hidden="true">{}'
                '</span><span class="w-sr-only">{}</span></span>',
                status,
                label,
                CLIENT_STATUS_SHORT.get(status) or "",
                label,
            )
        )

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        status = self.get_value(instance)
        context["status"] = status
        context["label"] = ClientStatus(status).label if status in ClientStatus.values else status
        return context


class TicketStatusColumn(InlineCell, Column):
    def render_cell_html(self, instance, parent_context):
        return self.td(
            format_html(
                '<span class="avs-status avs-status--{}">{}</span>',
                instance.status,
                instance.status_label,
            )
        )


class CriticalityColumn(InlineCell, Column):
    """A coloured badge with a short word (critical, high, normal, low); the whole label as
    its tooltip."""

    def render_cell_html(self, instance, parent_context):
        label = str(instance.criticality_label)
        short = str(Criticality.short_label(instance.criticality))
        if short == label:
            text = label
        else:  # the short word for the eye, the whole label for a screen reader (once)
            text = format_html(
                '<span aria-hidden="true">{}</span><span class="w-sr-only">{}</span>', short, label
            )
        return self.td(
            format_html(
                '<span class="avs-criticality avs-criticality--{}" title="{}">{}</span>',
                instance.criticality,
                label,
                text,
            )
        )


class AssigneeColumn(TextColumn):
    def get_value(self, instance):
        return user_display_name(instance.assignee) if instance.assignee_id else "—"


class LastCustomerActivityColumn(InlineCell, DateColumn):
    """When the customer last wrote (filing counts as writing), as "2 hours ago": the markup
    of Wagtail's ``human_readable_date`` tag."""

    def get_value(self, instance):
        return instance.last_customer_reply_at or instance.created_at

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if not value:
            return self.td("")
        local = _local(value)
        return self.td(
            format_html(
                '<button type="button" class="w-human-readable-date" data-controller="w-tooltip"'
                ' data-w-tooltip-content-value="{}" data-w-tooltip-placement-value="top">'
                '<time class="w-human-readable-date__date" datetime="{}">{}</time></button>',
                dateformat.format(local, get_format("DATETIME_FORMAT") or "N j, Y, P"),
                dateformat.format(local, "c"),
                capfirst(timesince_simple(value)),
            )
        )


class ProductColumn(TextColumn):
    def get_value(self, instance):
        name = instance.product.name if instance.product_id else instance.product_other
        version = instance.product_version
        return f"{name} {version}".strip() if name else version


class SLADueColumn(InlineCell, Column):
    """When our next response is due; "Overdue" in words when it passed; "Answered" when
    nothing of ours is due: includes/sla.html's one-line form (``compact``)."""

    def render_cell_html(self, instance, parent_context):
        due = instance.response_due_at
        if due and is_overdue(instance):
            cell = format_html(
                '<span class="avs-sla avs-sla--overdue" title="{}">{}</span>',
                _("%(time)s late") % {"time": timesince(due)},
                _("Overdue"),
            )
        elif due:
            cell = format_html(
                '<span class="avs-sla__due" title="{}">{}</span>',
                date_format(_local(due), "SHORT_DATETIME_FORMAT"),
                _("in %(time)s") % {"time": timeuntil(due)},
            )
        elif instance.last_staff_reply_at:
            cell = format_html('<span class="avs-sla avs-sla--met">{}</span>', _("Answered"))
        else:
            cell = "—"
        return self.td(cell)


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
