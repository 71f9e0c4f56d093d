"""Support reports in the admin's Reports menu: response times, the backlog by age, the volume.

Each is a Wagtail ``ReportView`` over tickets (filters: django-filter FilterSets; CSV/XLSX
through Wagtail's own SpreadsheetExportMixin). The rows are aggregates from
``avsoft_support.reports``, shown as a server-rendered SVG bar chart and a table with the same
numbers. Only users who may view or change tickets see the menu items and the pages.
"""

import datetime

import django_filters
from django import forms
from django.urls import include, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.models import Site

from .. import reports
from ..models import Ticket
from ..permissions import can_work_on_tickets

CHART_WIDTH = 560
CHART_LABEL_WIDTH = 200
CHART_BAR_HEIGHT = 20
CHART_GAP = 8


def bar_chart(title, bars, unit=""):
    """Geometry of a horizontal bar chart for reports/bar_chart.html: (label, value) pairs."""
    bars = [(str(label), value) for label, value in bars if value is not None]
    largest = max((value for _label, value in bars), default=0) or 1
    room = CHART_WIDTH - CHART_LABEL_WIDTH - 60
    items = []
    for index, (label, value) in enumerate(bars):
        y = CHART_GAP + index * (CHART_BAR_HEIGHT + CHART_GAP)
        items.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + CHART_BAR_HEIGHT * 0.7,
                "width": max(round(room * value / largest), 1 if value else 0),
                "value_x": CHART_LABEL_WIDTH + max(round(room * value / largest), 0) + 6,
            }
        )
    return {
        "title": title,
        "unit": unit,
        "bars": items,
        "width": CHART_WIDTH,
        "height": CHART_GAP + len(items) * (CHART_BAR_HEIGHT + CHART_GAP),
        "label_x": CHART_LABEL_WIDTH - 8,
        "bar_x": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT,
    }


def filter_site(queryset, name, value):
    """Tickets filed on a support page of that site (under its root page)."""
    if not value:
        return queryset
    return queryset.filter(support_page__path__startswith=value.root_page.path)


class SiteFilterSet(WagtailFilterSet):
    site = django_filters.ModelChoiceFilter(
        label=_("Site"),
        queryset=Site.objects.all(),
        empty_label=_("All"),
        method=lambda queryset, name, value: filter_site(queryset, name, value),
    )

    class Meta:
        model = Ticket
        fields = []


def group_by_filter(choices):
    """The report's "Group by" choice: read by the view, it filters nothing."""
    return django_filters.ChoiceFilter(
        label=_("Group by"),
        choices=choices,
        empty_label=None,
        method=lambda queryset, name, value: queryset,
        widget=forms.RadioSelect,
    )


class ReportFilterSet(SiteFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Ticket
        fields = []


class ResponseTimesFilterSet(ReportFilterSet):
    group_by = group_by_filter(reports.GROUP_BY_CHOICES)

    class Meta:
        model = Ticket
        fields = []


class SupportReportView(ReportView):
    """A report of aggregate rows (dicts) over the filtered tickets, with a chart."""

    model = Ticket
    any_permission_required = ["change", "view"]
    paginate_by = None
    template_name = "avsoft_support/admin/reports/report.html"
    results_template_name = "avsoft_support/admin/reports/results.html"
    filterset_class = ReportFilterSet
    export_name = "support-report"
    # (field, heading) in table and export order.
    fields = []

    # Reports with a "Group by" filter: what it means when none is chosen.
    default_group_by = None

    def get_queryset(self):
        return Ticket.objects.all()

    @cached_property
    def group_by(self):
        if self.filters and self.filters.is_valid():
            return self.filters.form.cleaned_data.get("group_by") or self.default_group_by
        return self.default_group_by

    def get_rows(self, tickets):
        raise NotImplementedError

    def get_chart(self, rows):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.object_list = self.get_rows(self.get_filtered_queryset())
        context = self.get_context_data()
        return self.render_to_response(context)

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["chart"] = self.get_chart(context["object_list"])
        return context

    @cached_property
    def list_export(self):
        return [field for field, _heading in self.fields]

    @cached_property
    def export_headings(self):
        return dict(self.fields)

    @cached_property
    def columns(self):
        return [Column(field, label=heading, accessor=field) for field, heading in self.fields]

    @cached_property
    def no_results_message(self):
        return _("No tickets match these filters.")

    def get_filename(self):
        return f"{self.export_name}-{datetime.date.today():%Y-%m-%d}"


class ResponseTimesReportView(SupportReportView):
    page_title = _("Support response times")
    header_icon = "time"
    index_url_name = "avsoft_support_reports:response_times"
    index_results_url_name = "avsoft_support_reports:response_times_results"
    filterset_class = ResponseTimesFilterSet
    export_name = "support-response-times"
    fields = [
        ("group", _("Group")),
        ("tickets", _("Tickets")),
        ("first_response_median", _("First response, median (hours)")),
        ("first_response_p90", _("First response, 90th percentile (hours)")),
        ("resolution_median", _("Resolution, median (hours)")),
        ("resolution_p90", _("Resolution, 90th percentile (hours)")),
        ("sla_met", _("Answered in time")),
        ("sla_decided", _("Answered or overdue")),
        ("sla_compliance", _("Answered in time (%)")),
    ]

    default_group_by = "client_status"

    def get_rows(self, tickets):
        return reports.response_times(tickets, group_by=self.group_by)

    def get_chart(self, rows):
        return bar_chart(
            _("First response, median (hours)"),
            [(row["group"], row["first_response_median"]) for row in rows],
            unit=pgettext_lazy("hours, abbreviated", "h"),
        )


class BacklogReportView(SupportReportView):
    page_title = _("Support backlog by age")
    header_icon = "history"
    index_url_name = "avsoft_support_reports:backlog"
    index_results_url_name = "avsoft_support_reports:backlog_results"
    filterset_class = SiteFilterSet
    export_name = "support-backlog"
    fields = [
        ("group", _("Client status")),
        *[(name, label) for name, label, _low, _high in reports.AGE_BUCKETS],
        ("total", _("Open tickets")),
    ]

    def get_rows(self, tickets):
        return reports.backlog_by_age(tickets)

    def get_chart(self, rows):
        return bar_chart(
            _("Open tickets by age"),
            [
                (label, sum(row[name] for row in rows))
                for name, label, _low, _high in reports.AGE_BUCKETS
            ],
        )


class VolumeReportView(SupportReportView):
    page_title = _("Support ticket volume")
    header_icon = "comment"
    index_url_name = "avsoft_support_reports:volume"
    index_results_url_name = "avsoft_support_reports:volume_results"
    export_name = "support-volume"
    fields = [
        ("product", _("Product")),
        ("version", _("Version")),
        ("tickets", _("Tickets")),
    ]

    def get_rows(self, tickets):
        return reports.volume(tickets)

    def get_chart(self, rows):
        return bar_chart(
            _("Tickets per product and version"),
            [(f"{row['product']} {row['version']}".strip(), row["tickets"]) for row in rows],
        )


class SatisfactionFilterSet(SiteFilterSet):
    rated_at = django_filters.DateFromToRangeFilter(
        label=_("Rated"), field_name="rating__created_at", widget=DateRangePickerWidget
    )
    group_by = group_by_filter(reports.SATISFACTION_GROUP_BY_CHOICES)

    class Meta:
        model = Ticket
        fields = []


class SatisfactionReportView(SupportReportView):
    """Customers' ratings of resolved tickets (docs/company-sharing-and-ratings.md)."""

    page_title = _("Support satisfaction")
    header_icon = "pick"
    index_url_name = "avsoft_support_reports:satisfaction"
    index_results_url_name = "avsoft_support_reports:satisfaction_results"
    filterset_class = SatisfactionFilterSet
    export_name = "support-satisfaction"
    fields = [
        ("group", _("Group")),
        ("rated", _("Ratings")),
        ("good", pgettext_lazy("ratings", "Good")),
        ("bad", pgettext_lazy("ratings", "Bad")),
        ("satisfaction", _("Satisfaction, percent good")),
    ]

    @cached_property
    def no_results_message(self):
        return _("No ratings match these filters.")

    default_group_by = "agent"

    def get_rows(self, tickets):
        return reports.satisfaction(tickets, group_by=self.group_by)

    def get_chart(self, rows):
        return bar_chart(
            _("Satisfaction, percent good"),
            [(row["group"], row["satisfaction"]) for row in rows],
            unit="%",
        )


REPORTS = [
    ("response-times/", "response_times", ResponseTimesReportView),
    ("backlog/", "backlog", BacklogReportView),
    ("volume/", "volume", VolumeReportView),
    ("satisfaction/", "satisfaction", SatisfactionReportView),
]


def report_urls():
    patterns = []
    for prefix, name, view in REPORTS:
        patterns += [
            path(prefix, view.as_view(), name=name),
            path(f"{prefix}results/", view.as_view(results_only=True), name=f"{name}_results"),
        ]
    return [path("support/reports/", include((patterns, "avsoft_support_reports")))]


class SupportReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_work_on_tickets(request.user)


def report_menu_items():
    """The Reports menu's entries, in order (registered by wagtail_hooks.py)."""
    entries = [
        (_("Support response times"), "response_times", "support-response-times", "time"),
        (_("Support backlog by age"), "backlog", "support-backlog", "history"),
        (_("Support ticket volume"), "volume", "support-volume", "comment"),
        (_("Support satisfaction"), "satisfaction", "support-satisfaction", "pick"),
    ]
    return [
        lambda label=label, url=url, name=name, icon=icon, order=order: SupportReportMenuItem(
            label,
            reverse(f"avsoft_support_reports:{url}"),
            name=name,
            icon_name=icon,
            order=order,
        )
        for order, (label, url, name, icon) in enumerate(entries, start=1500)
    ]
