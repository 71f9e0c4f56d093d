"""Only wiring: the Support menu, bulk actions, dashboard, log actions, reports, admin CSS and
the staff second factor. What each piece does is in admin/ and otp/."""

from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet

from .admin.bulk_actions import BULK_ACTIONS
from .admin.components import OpenTicketsSummaryItem, SupportQueuePanel
from .admin.help_articles import report_menu_item as help_articles_menu_item
from .admin.help_articles import report_urls as help_articles_urls
from .admin.log_actions import register_log_actions
from .admin.reports import report_menu_items, report_urls
from .admin.viewsets import SupportViewSetGroup
from .clients.status import match_claimed_members
from .models import ClientAccount
from .otp import urls_staff as otp_urls_staff
from .otp.session import staff_gate_applies
from .permissions import can_work_on_tickets

# The Support menu (tickets, clients, products, canned replies) and the triage list's bulk
# actions. The Ticket permission policy is registered in AppConfig.ready(), before this.
register_snippet(SupportViewSetGroup)
for bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)

hooks.register("register_log_actions", register_log_actions)

# Reports menu: response times, backlog by age, volume (shown to those who may view tickets).
hooks.register("register_admin_urls", report_urls)
for report_menu_item in report_menu_items():
    hooks.register("register_reports_menu_item", report_menu_item)

# Reports menu: help articles and how often each answered a customer's question.
hooks.register("register_admin_urls", help_articles_urls)
hooks.register("register_reports_menu_item", help_articles_menu_item)


@hooks.register("construct_homepage_panels")
def add_support_queue_panel(request, panels):
    if can_work_on_tickets(request.user):
        panels.append(SupportQueuePanel(request))


@hooks.register("construct_homepage_summary_items")
def add_support_summary_item(request, items):
    items.append(OpenTicketsSummaryItem(request))


@hooks.register("insert_global_admin_css")
def support_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("avsoft_support/admin.css"))


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def match_members_to_client_account(request, instance):
    """A claimed member whose number was just added to an account becomes a current client."""
    if isinstance(instance, ClientAccount) and instance.active:
        numbers = instance.invoice_numbers.values_list("normalized", flat=True)
        match_claimed_members(numbers, request.user)


# Staff second factor: admin routes, no menu before it, account menu, a superuser's reset button.


@hooks.register("register_admin_urls")
def register_staff_otp_urls():
    return [path("two-factor/", include(otp_urls_staff))]


@hooks.register("construct_main_menu")
def hide_main_menu_before_second_factor(request, menu_items):
    if staff_gate_applies(request.user):
        menu_items.clear()


@hooks.register("register_account_menu_item")
def staff_otp_account_menu_item(request):
    return {
        "url": reverse("avsoft_support_otp:manage"),
        "label": _("Two-factor authentication"),
        "help_text": _("Replace your authenticator app or get new backup codes."),
    }


@hooks.register("register_user_listing_buttons")
def staff_otp_reset_button(user, request_user):
    if not request_user.is_superuser or user.pk == request_user.pk:
        return []
    return [
        Button(
            _("Reset two-factor authentication"),
            reverse("avsoft_support_otp:reset", args=[user.pk]),
            icon_name="key",
            priority=60,
        )
    ]
