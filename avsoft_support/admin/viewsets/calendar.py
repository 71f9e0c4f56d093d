"""The production calendar in the Support menu: the holidays, days off and working Saturdays
that first-response targets count working time on (``support_seed_calendar`` fills a year)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from ...models import CalendarDay


class CalendarDayViewSet(SnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = _("Calendar")
    menu_name = "support-calendar"
    url_prefix = "support/calendar"
    url_namespace = "avsoft_support_calendar"
    list_display = ["date", Column("kind", label=_("Kind"), accessor="get_kind_display"), "name"]
    list_filter = {"kind": ["exact"], "date": ["year"]}
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["date"]
    copy_view_enabled = False
    panels = [
        HelpPanel(
            _(
                "Monday to Friday are working days and Saturday and Sunday are not, unless a "
                "date here says otherwise. To work on a holiday, mark it a working day rather "
                "than deleting it: the support_seed_calendar command adds the holidays it "
                "knows back for dates that are missing, and never changes a date that is here."
            )
        ),
        FieldPanel("date"),
        FieldPanel("kind"),
        FieldPanel("name"),
    ]
