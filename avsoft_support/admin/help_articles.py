"""The "Help articles" report (Reports menu): every help article the user may edit, with how
often it answered a customer's question on the new-ticket form ("this answered my question").

A Wagtail ``ReportView`` over pages, like Wagtail's own page reports: editors who may add,
change or publish pages see it, each only the pages they may change; CSV/XLSX export included.
"""

import datetime

from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, LiveStatusTagColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies.pages import PagePermissionPolicy

from ..models import HelpArticleStat, help_article_page_types

PAGE_ACTIONS = ["add", "change", "publish"]


class HelpArticlesReportView(ReportView):
    page_title = _("Help articles")
    header_icon = "help"
    index_url_name = "avsoft_support_help_articles:report"
    index_results_url_name = "avsoft_support_help_articles:report_results"
    any_permission_required = PAGE_ACTIONS
    default_ordering = "-answered_count"
    list_export = ["title", "answered_count", "last_answered_at", "url_path"]
    export_headings = {
        "title": _("Help article"),
        "answered_count": _("Answered a question"),
        "last_answered_at": _("Last answered"),
        "url_path": _("Path"),
    }

    @property
    def permission_policy(self):
        return PagePermissionPolicy()

    @property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Help article"),
                sort_key="title",
                get_url=lambda page: reverse("wagtailadmin_pages:edit", args=[page.pk]),
            ),
            LiveStatusTagColumn(),
            Column("answered_count", label=_("Answered a question"), sort_key="answered_count"),
            DateColumn("last_answered_at", label=_("Last answered"), sort_key="last_answered_at"),
        ]

    def get_queryset(self):
        stats = HelpArticleStat.objects.filter(page=OuterRef("pk"))
        self.queryset = (
            self.permission_policy.instances_user_has_permission_for(self.request.user, "change")
            .type(*help_article_page_types())
            .annotate(
                answered_count=Coalesce(
                    Subquery(stats.values("answered_count")[:1]),
                    Value(0),
                    output_field=IntegerField(),
                ),
                last_answered_at=Subquery(stats.values("last_answered_at")[:1]),
            )
        )
        return super().get_queryset()

    def get_filename(self):
        return f"help-articles-{datetime.date.today():%Y-%m-%d}"


def report_urls():
    view = HelpArticlesReportView
    patterns = [
        path("", view.as_view(), name="report"),
        path("results/", view.as_view(results_only=True), name="report_results"),
    ]
    return [path("support/help-articles/", (patterns, "avsoft_support_help_articles", None))]


class HelpArticlesMenuItem(MenuItem):
    def is_shown(self, request):
        return PagePermissionPolicy().user_has_any_permission(request.user, PAGE_ACTIONS)


def report_menu_item():
    return HelpArticlesMenuItem(
        _("Help articles"),
        reverse("avsoft_support_help_articles:report"),
        name="support-help-articles",
        icon_name="help",
        order=1600,
    )
