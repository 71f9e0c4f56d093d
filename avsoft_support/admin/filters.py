"""Filters of the admin listings: tickets (the triage list), client accounts, members."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import BooleanRadioSelect

from ..models import (
    ClientAccount,
    ClientStatus,
    Criticality,
    MemberProfile,
    Product,
    Ticket,
    TicketStatus,
)
from ..permissions import assignable_choices
from ..triage import needs_action_q, open_q, overdue_q


def lean_radio_select(widget_class=forms.RadioSelect):
    """Django's radio buttons, each option written in the widget's template rather than through
    three includes (the filter form is on every page of the triage list). An instance of
    Django's (or Wagtail's) own class: Wagtail styles the field by the widget's class name."""
    widget = widget_class()
    widget.template_name = "avsoft_support/admin/widgets/radio.html"
    return widget


def lean_select():
    """Django's select, its options written in the widget's template (one include an option
    made the assignee list 2 ms of every triage page)."""
    widget = forms.Select()
    widget.template_name = "avsoft_support/admin/widgets/select.html"
    return widget


def assignee_choices():
    """Me, nobody, or any colleague tickets can be assigned to (read when the form is made)."""
    return [
        ("me", _("Me")),
        ("unassigned", _("Unassigned")),
        *((str(pk), name) for pk, name in assignable_choices()),
    ]


class TicketFilterSet(WagtailFilterSet):
    DEFAULT = ""
    OPEN = "open"
    ALL = "all"

    # The default is a choice of its own (an empty value), so that the search box, which sends
    # the whole filter form, can tell it from a status chosen on purpose.
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        choices=[
            (
                DEFAULT,
                _("Needs our action (new, customer replied, in progress); all when searching"),
            ),
            (OPEN, _("All open (also waiting for the customer)")),
            *TicketStatus.choices,
            (ALL, _("All")),
        ],
        empty_label=None,
        initial=DEFAULT,
        widget=lean_radio_select(),
    )
    client_status = django_filters.ChoiceFilter(
        label=_("Client status"),
        choices=ClientStatus.choices,
        empty_label=_("All"),
        method="filter_client_status",
        widget=lean_radio_select(),
    )
    criticality = django_filters.ChoiceFilter(
        label=_("Criticality"),
        choices=Criticality.choices,
        empty_label=_("All"),
        widget=lean_radio_select(),
    )
    product = django_filters.ModelChoiceFilter(
        label=_("Product"),
        queryset=Product.objects.all(),
        empty_label=_("All"),
        widget=lean_select(),
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"),
        method="filter_assignee",
        choices=assignee_choices,
        empty_label=_("Anyone"),
        widget=lean_select(),
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"), field_name="created_at", widget=DateRangePickerWidget
    )
    overdue = django_filters.BooleanFilter(
        label=_("Response overdue"),
        method="filter_overdue",
        widget=lean_radio_select(BooleanRadioSelect),
    )

    class Meta:
        model = Ticket
        fields = []

    # The filters an index of the ticket table keeps in the queue's order with each choice of
    # status (Ticket.Meta.indexes): the client status through the priority leading every
    # queue index, the others through an index led by them.
    KEPT_IN_QUEUE_ORDER = {
        DEFAULT: {"client_status", "assignee", "product", "criticality"},
        OPEN: {"client_status", "assignee"},
    }

    def read_in_queue_order(self):
        """Whether the database reads this view's tickets off one index in the queue's order,
        with nothing to sort: needs our action with any client status, assignee, product or
        criticality; all open with a client status or an assignee; one status, or all, with a
        client status. (Overdue and the dates are not kept in that order.) The form must be
        valid."""
        chosen = {
            name
            for name, value in self.form.cleaned_data.items()
            if name != "status" and value not in (None, "", [], ())
        }
        status = self.form.cleaned_data.get("status") or self.DEFAULT
        return chosen <= self.KEPT_IN_QUEUE_ORDER.get(status, {"client_status"})

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status") and not self.searching:
            queryset = queryset.filter(needs_action_q())
        return queryset

    @property
    def searching(self):
        return bool((self.data.get("q") or "").strip())

    def filter_status(self, queryset, name, value):
        if value == self.OPEN:
            if self.form.cleaned_data.get("overdue") is True:
                # Only tickets waiting for us are overdue (overdue_q), all of them open: asked
                # twice, the statuses led SQLite to sort every overdue ticket (15 ms at
                # 100,000 tickets) instead of reading the queue's index.
                return queryset
            return queryset.filter(open_q())
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_client_status(self, queryset, name, value):
        # Asked as the priority, which is always the client status's rank (Ticket.save, and
        # the two set together by clients.status) and leads every queue index: the database
        # starts at that client status's first ticket and reads the index alone, instead of
        # reading past every current and claimed client's ticket (potential clients, page 20,
        # at 100,000 tickets: 20 ms on SQLite; on PostgreSQL, asked by client status, it
        # sorted every match, 22 ms; by priority 0.24 ms).
        return queryset.filter(priority=ClientStatus.priority_of(value))

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():  # a colleague, one of the choices
            return queryset.filter(assignee_id=int(value))
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value is True:
            return queryset.filter(overdue_q())
        if value is False:
            return queryset.exclude(overdue_q())
        return queryset


class ClientAccountFilterSet(WagtailFilterSet):
    active = django_filters.BooleanFilter(label=_("Active"), widget=BooleanRadioSelect)

    class Meta:
        model = ClientAccount
        fields = []


class MemberFilterSet(WagtailFilterSet):
    client_status = django_filters.ChoiceFilter(
        label=_("Client status"),
        choices=ClientStatus.choices,
        empty_label=_("All"),
        widget=lean_radio_select(),
    )

    class Meta:
        model = MemberProfile
        fields = []
