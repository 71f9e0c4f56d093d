"""Columns of the admin listings: what a cell shows, in words as well as colour.

The triage list's cells are written here in Python (``InlineCell``, ``InlineRowsTable``)
instead of one template per cell and a ``{% component %}`` tag per cell: 50 rows of 11 columns
made 550 template renders, most of the list's time (issue 12, docs/performance.md). They are
plain f-strings over ``_e()``, which escapes every value that is not already HTML, as
``format_html`` does but without its per-argument machinery (about 100 calls a row). The
markup is the one Wagtail's templates gave; columns of the other, short listings keep their
templates.
"""

import html
from contextvars import ContextVar
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import wagtail.admin
from django.contrib.admin.utils import quote
from django.templatetags.l10n import unlocalize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.timesince import MONTHS_DAYS, TIME_CHUNKS, TIME_STRINGS_KEYS, timesince, timeuntil
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from wagtail.admin.templatetags.wagtailadmin_tags import timesince_simple
from wagtail.admin.ui.tables import (
    BaseColumn,
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    Table,
    TitleColumn,
)
from wagtail.admin.widgets.button import Button, ButtonWithDropdown

from ..models import (
    ClientStatus,
    Criticality,
    TicketStatus,
    member_display_name,
    profile_of,
    user_display_name,
)
from ..permissions import can_verify
from ..triage import is_overdue


def _e(value):
    """``conditional_escape``: HTML (``__html__``) as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@lru_cache(maxsize=64)
def _escaped_words(kind, language):
    """value -> its escaped label, per vocabulary and language: a row asked for five labels,
    each a translation and an enum lookup (``language`` keys the cache, unused otherwise)."""
    words = {
        "status": TicketStatus.choices,
        "criticality": Criticality.choices,
        "criticality_short": [(value, Criticality.short_label(value)) for value in Criticality],
        "client_status": ClientStatus.choices,
        "client_status_short": list(CLIENT_STATUS_SHORT.items()),
        "phrase": list(PHRASES.items()),
    }[kind]
    return {value: _e(label) for value, label in words}


class _TableRender(NamedTuple):
    """What every cell of one table asks: the language, the time zone and the moment the
    page is made. Asked once a table (``InlineRowsTable.rows_html``) rather than about ten
    times a row: each is a lookup in Django's thread- and task-local state."""

    language: str
    zone: tzinfo
    now: datetime


_RENDERING = ContextVar("avsoft_support_table_render", default=None)


def _language():
    """The table's language; the active one outside a table."""
    state = _RENDERING.get()
    return state.language if state is not None else get_language()


def _zone():
    state = _RENDERING.get()
    return state.zone if state is not None else timezone.get_current_timezone()


def _now():
    state = _RENDERING.get()
    return state.now if state is not None else timezone.now()


def _word(kind, value):
    """The escaped label of ``value`` in the active language; the value itself if unknown."""
    escaped = _escaped_words(kind, _language()).get(value)
    return escaped if escaped is not None else _e(value)


_TIME_WORDS = {}
_FORMATTED = {}
KEPT = 4096  # entries per store; emptied when full
# As Django's app directories loader names its files (AppConfig.path: not resolved).
WAGTAIL_ADMIN_TEMPLATES = Path(wagtail.admin.__file__).parent / "templates"


def kept(store, key, make):
    """``make()``, made once per ``key`` in a per-process ``store`` of at most ``KEPT``."""
    value = store.get(key)
    if value is None:
        value = make()
        if len(store) >= KEPT:
            store.clear()
        store[key] = value
    return value


def _units(d, now, reversed=False):
    """Django's ``timesince(d, now, reversed)`` as units and counts instead of words, e.g.
    ``(("month", 2), ("week", 1))``; ``()`` for "0 minutes". The same steps as
    ``django.utils.timesince.timesince`` (depth 2), which tests/unit/test_time_units.py
    compares at random moments: without its words it asks no translation (``gettext(", ")``),
    half of its time, twice a row (issue 12)."""
    if timezone.is_aware(now) and timezone.is_aware(d):
        now = now.astimezone(d.tzinfo)
    if reversed:
        d, now = now, d
    delta = now - d
    if delta.days * 24 * 60 * 60 + delta.seconds <= 0:
        return ()
    total_months = (now.year - d.year) * 12 + (now.month - d.month)
    if d.day > now.day or (d.day == now.day and d.time() > now.time()):
        total_months -= 1
    years, months = divmod(total_months, 12)
    if years or months:
        year, month = d.year + years, d.month + months
        if month > 12:
            month -= 12
            year += 1
        day = min(MONTHS_DAYS[month - 1], d.day)
        pivot = datetime(year, month, day, d.hour, d.minute, d.second, tzinfo=d.tzinfo)
    else:
        pivot = d
    remaining = (now - pivot).total_seconds()
    partials = [years, months]
    for chunk in TIME_CHUNKS:
        count = int(remaining // chunk)
        partials.append(count)
        remaining -= chunk * count
    units = []
    for name, count in zip(TIME_STRINGS_KEYS, partials, strict=True):
        if count:
            units.append((name, count))
            if len(units) == 2:
                break
        elif units:  # only adjacent units: "1 year, 5 days" is never said
            break
    return tuple(units)


def _time_words(kind, moment, now):
    """The escaped words for ``moment``: "3 hours ago" (``ago``, Wagtail's), "3 hours late"
    (``late``), "in 3 hours" (``until``). ``_units`` counts as Django's timesince does; the
    words are Django's and Wagtail's, made once per units, kind and language: a row asked
    for two, 35 µs each."""
    units = _units(moment, now, reversed=kind == "until")

    def make():
        if kind == "until":
            return _e(_("in %(time)s") % {"time": timeuntil(moment, now)})
        if kind == "late":
            return _e(_("%(time)s late") % {"time": timesince(moment, now)})
        return _e(capfirst(timesince_simple(moment)))

    return kept(_TIME_WORDS, (kind, _language(), units), make)


class InlineCell:
    """A column whose cell is written in Python, without a template."""

    def td(self, content, title=None):
        """The ``<td>`` of Wagtail's cell templates around ``content`` (HTML, or text to
        escape)."""
        open_tag = self.__dict__.get("_td_open")
        if open_tag is None:
            open_tag = f'<td class="{_e(self.classname)}"' if self.classname else "<td"
            self._td_open = open_tag
        title = f' title="{_e(title)}"' if title else ""
        return SafeString(f"{open_tag}{title}>{_e(content)}</td>")


def _attrs_html(attrs):
    # wagtailadmin/shared/attrs.html: False leaves the attribute out, True writes it bare.
    return "".join(
        f" {_e(name)}" if value is True else f' {_e(name)}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class InlineRowsTable(Table):
    """Wagtail's table, its body written in Python: each row's cells come straight from their
    columns' ``render_cell_html`` instead of a ``{% component %}`` tag and an attributes
    template per cell and row. The header and the markup are Wagtail's
    (``tables/table.html``); any column works, inline or with its template."""

    template_name = "avsoft_support/admin/tables/inline_rows_table.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["headers_html"] = self.headers_html(context)
        context["rows_html"] = self.rows_html(context)
        return context

    def headers_html(self, context):
        """The header row's cells. A column whose header is Wagtail's plain one (its label,
        or a link that sorts by it: ``tables/column_header.html``) is written here, the
        request's query string copied once for all of them; any other column (the select-all
        box), and every column when the site has its own copy of that template, renders its
        header as Wagtail does."""
        columns = list(self.columns.values())
        if not _wagtail_column_header(columns):
            return SafeString("".join(_e(column.render_header_html(context)) for column in columns))
        request = context.get("request")
        query = request.GET.copy() if request is not None else None
        if query is not None:
            query.pop("p", None)  # a new order starts at the first page
        cells = []
        for column in columns:
            if not _plain_header(column) or query is None:
                cells.append(_e(column.render_header_html(context)))
                continue
            cells.append(self._header_cell(column, query))
        return SafeString("".join(cells))

    def _header_cell(self, column, query):
        open_tag = f'<th class="{_e(column.classname)}">' if column.classname else "<th>"
        label = _e(column.label)
        if not column.sort_key:
            return f"{open_tag}{label}</th>"
        if self.ordering == column.sort_key:  # ascending now: the link sorts descending
            ordering = "-" + column.sort_key
            title = column.descending_title_text or self.get_descending_title_text(column)
            classname = "icon icon-arrow-up-after teal label"
        else:
            ordering = column.sort_key
            title = column.ascending_title_text or self.get_ascending_title_text(column)
            classname = "icon icon-arrow-down-after label"
            if self.ordering == "-" + column.sort_key:
                classname = "icon icon-arrow-down-after teal label"
        linked = query.copy()
        linked["ordering"] = ordering
        href = _e(f"{self.base_url or ''}?{linked.urlencode()}")
        title = f' title="{_e(title)}"' if title else ""
        return f'{open_tag}<a href="{href}"{title} class="{classname}">{label}</a></th>'

    def rows_html(self, context):
        columns = list(self.columns.values())
        rows = []
        # One language, time zone and "now" for every row (each "2 hours ago" counted from
        # the same moment).
        rendering = _RENDERING.set(
            _TableRender(get_language(), timezone.get_current_timezone(), timezone.now())
        )
        try:
            for row in self.rows:
                instance = row.instance
                context["row"] = row  # as the template's loop gives it to each cell
                cells = "".join(
                    _e(column.render_cell_html(instance, context)) for column in columns
                )
                rows.append(f"<tr{_attrs_html(row.attrs)}>{cells}</tr>")
        finally:
            _RENDERING.reset(rendering)
        context.pop("row", None)
        return SafeString("\n".join(rows))


def _plain_header(column):
    """Whether the column's header is Wagtail's default: its template, context and render."""
    kind = type(column)
    return (
        column.header_template_name == BaseColumn.header_template_name
        and kind.render_header_html is BaseColumn.render_header_html
        and kind.get_header_context_data is BaseColumn.get_header_context_data
    )


def _wagtail_column_header(columns):
    """False when the site has its own ``tables/column_header.html``: then it renders."""
    plain = next((column for column in columns if _plain_header(column)), None)
    if plain is None:
        return False
    origin = plain.header_template.origin.name
    return Path(origin).is_relative_to(WAGTAIL_ADMIN_TEMPLATES)


def _local(value):
    return timezone.localtime(value, _zone()) if timezone.is_aware(value) else value


def _formatted(local, format_name):
    """``date_format(local, format_name)``, escaped, kept per moment, time zone and language:
    the same rows come back on every refresh of the list, and a date format costs 30 µs."""
    key = (
        _language(),
        format_name,
        local.replace(tzinfo=None),
        local.utcoffset(),
        local.tzname(),
    )
    return kept(_FORMATTED, key, lambda: _e(date_format(local, format_name)))


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
    name = _e(name)
    return (
        f'<svg class="icon icon-{name} {_e(classname)}" aria-hidden="true">'
        f'<use href="#icon-{name}"></use></svg>'
    )


def _flatatt(attrs):
    # django.forms.utils.flatatt (Button.base_attrs_string): True bare, False and None left out.
    return "".join(
        f" {_e(name)}" if value is True else f' {_e(name)}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
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
    items = "".join(
        _menu_link(item.url, item.icon_name, item.label, item.classname, item.attrs)
        for item in sorted(button.dropdown_buttons)
    )
    return dropdown_html(
        items, button.attrs, button.label, button.icon_name, button.classname, button.aria_label
    )


def _menu_link(url, icon_name, label, classname="", attrs=None):
    # wagtailadmin/shared/button.html for a link in a dropdown.
    return (
        f'<a href="{_e(url)}" class="{_e(classname)}" {_flatatt(attrs or {})}>'
        f"{_icon_html(icon_name)} {_e(label)}</a>"
    )


def dropdown_html(items, attrs, label="", icon_name=None, classname="", aria_label=None):
    """Wagtail's ``ButtonWithDropdown`` around ``items`` (HTML of its links)."""
    toggle_class = "w-dropdown__toggle"
    if not label:
        toggle_class += " w-dropdown__toggle--icon"
    if classname:
        toggle_class += " " + classname
    aria_label = f' aria-label="{_e(aria_label)}"' if aria_label else ""
    # Wagtail puts the aria-label on the toggle, not the wrapper (base_attrs_string).
    wrapper_attrs = _flatatt({k: v for k, v in attrs.items() if k != "aria-label"})
    toggle_icon = _icon_html(icon_name or "arrow-down", "w-dropdown__toggle-icon")
    return SafeString(
        f'<div data-controller="w-dropdown" class="w-dropdown" {wrapper_attrs}>'
        f'<button type="button" class="{_e(toggle_class)}" data-w-dropdown-target="toggle"'
        f"{aria_label}>{_e(label)} {toggle_icon}</button>"
        '<div data-w-dropdown-target="content" class="w-dropdown__content" hidden>'
        f"{items}</div></div>"
    )


class RowMenu:
    """A row's "more" menu, already written: what ``TicketIndexView.get_list_buttons`` gives
    the title column when no hook adds or changes listing buttons (``row_menu``)."""

    show = True
    priority = 1000

    def __init__(self, html):
        self.html = html

    def render_html(self, parent_context=None):
        return self.html


def row_menu(links, more_options):
    """The "more" menu of a listing row holding ``links`` ((priority, label, url, icon)) as
    Wagtail's ``IndexView.get_list_buttons`` makes it of ``MenuItem`` s (sorted by priority
    and label, the toggle named ``more_options``), without four button objects a row."""
    items = "".join(_menu_link(url, icon, label) for _priority, label, url, icon in sorted(links))
    attrs = {"type": "button", "aria-label": more_options}  # BaseButton's, without a URL
    return RowMenu(
        dropdown_html(items, attrs, icon_name="dots-horizontal", aria_label=more_options)
    )


class CheckboxColumn(BulkActionsCheckboxColumn):
    """Wagtail's bulk-action checkbox (``listing_checkbox_cell.html``) for a snippet listing."""

    def render_cell_html(self, instance, parent_context):
        describedby = self.get_aria_describedby(instance)
        describedby = f' aria-describedby="{_e(describedby)}"' if describedby else ""
        return SafeString(
            '<td class="bulk-action-checkbox-cell"><input type="checkbox" data-object-id="'
            f'{_e(quote(unlocalize(instance.pk)))}" data-bulk-action-checkbox'
            f' class="bulk-action-checkbox" aria-label="{_word("phrase", "select")}"'
            f"{describedby} /></td>"
        )


class TicketTitleColumn(InlineCell, TitleColumn):
    """The subject linked to the ticket screen, and the row's "more" menu: Wagtail's
    ``title_cell.html`` markup."""

    def render_cell_html(self, instance, parent_context):
        context = self.get_cell_context_data(instance, parent_context)
        title = _e(context["value"])
        if title_id := context["title_id"]:
            title = f'<span id="{_e(title_id)}">{title}</span>'
        if context["link_url"]:
            attrs = "".join(
                f' {_e(name)}="{_e(value)}"'
                for name, value in context["link_attrs"].items()
                if value is not False and value is not True
            )
            title = f"<a{attrs}>{title}</a>"
        elif context["label_id"]:
            title = f'<label for="{_e(context["label_id"])}">{title}</label>'
        buttons = [button for button in context.get("buttons", ()) if button.show]
        actions = ""
        if buttons:
            items = "".join(f"<li>{_e(menu_html(b, context))}</li>" for b in buttons)
            actions = f'<ul class="actions">{items}</ul>'
        classname = f"{self.classname} title" if self.classname else "title"
        return SafeString(
            f'<td class="{_e(classname)}"><div class="title-wrapper">{title}</div>{actions}</td>'
        )


class CustomerColumn(InlineCell, Column):
    """Name and company (the verified account's, else the one the member typed), then e-mail."""

    def render_cell_html(self, instance, parent_context):
        user = instance.author
        if user is None:  # the customer deleted their account
            deleted = _word("phrase", "deleted_user")
            return self.td(SafeString(f'<span class="avs-customer__name">{deleted}</span>'))
        profile = profile_of(user)
        if profile and profile.client_account_id:
            company = profile.client_account.company
        else:
            company = profile.company if profile else ""
        email = user.email
        company = f'<span class="avs-customer__company">, {_e(company)}</span>' if company else ""
        hidden_email = f'\n<span class="w-sr-only">, {_e(email)}</span>' if email else ""
        return self.td(
            SafeString(
                f'<span class="avs-customer__name">{_e(member_display_name(user))}</span>'
                f"{company}{hidden_email}"
            ),
            title=email,
        )


# Words of the rows, translated once a language (_escaped_words), not once a row.
PHRASES = {
    "select": gettext_lazy("Select"),  # the bulk-action checkbox's label, as Wagtail's
    "deleted_user": gettext_lazy("Deleted user"),
    "overdue": gettext_lazy("Overdue"),
    "answered": gettext_lazy("Answered"),
}
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
        label = _word("client_status", status)
        short = _escaped_words("client_status_short", _language()).get(status, "")
        # The short word for the eye, the whole label for a screen reader (once, not both).
        return self.td(
            SafeString(
                f'<span class="avs-badge avs-badge--{_e(status)}" title="{label}">'
                f'<span aria-hidden="true">{short}</span>'
                f'<span class="w-sr-only">{label}</span></span>'
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
            SafeString(
                f'<span class="avs-status avs-status--{_e(instance.status)}">'
                f"{_word('status', instance.status)}</span>"
            )
        )


class CriticalityColumn(InlineCell, Column):
    """A coloured badge with a short word (critical, high, normal, low); the whole label as
    its tooltip."""

    def render_cell_html(self, instance, parent_context):
        label = _word("criticality", instance.criticality)
        short = _word("criticality_short", instance.criticality)
        if short == label:
            text = label
        else:  # the short word for the eye, the whole label for a screen reader (once)
            text = f'<span aria-hidden="true">{short}</span><span class="w-sr-only">{label}</span>'
        return self.td(
            SafeString(
                f'<span class="avs-criticality avs-criticality--{_e(instance.criticality)}"'
                f' title="{label}">{text}</span>'
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
        tooltip = _formatted(local, "DATETIME_FORMAT")
        return self.td(
            SafeString(
                '<button type="button" class="w-human-readable-date" data-controller="w-tooltip"'
                f' data-w-tooltip-content-value="{tooltip}"'
                ' data-w-tooltip-placement-value="top"><time class="w-human-readable-date__date"'
                f' datetime="{_e(local.isoformat())}">'
                f"{_time_words('ago', value, _now())}</time></button>"
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
        now = _now()
        if due and is_overdue(instance, now):
            late = _time_words("late", due, now)
            word = _word("phrase", "overdue")
            cell = f'<span class="avs-sla avs-sla--overdue" title="{late}">{word}</span>'
        elif due:
            when = _formatted(_local(due), "SHORT_DATETIME_FORMAT")
            word = _time_words("until", due, now)
            cell = f'<span class="avs-sla__due" title="{when}">{word}</span>'
        elif instance.last_staff_reply_at:
            word = _word("phrase", "answered")
            cell = f'<span class="avs-sla avs-sla--met">{word}</span>'
        else:
            cell = "—"
        return self.td(SafeString(cell))


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
