"""Only wiring: viewsets, menu, dashboard panel, bulk actions, log actions."""

from wagtail import hooks

# Staff second factor (django-otp): admin routes, menu hiding, account menu, user reset button.
# The logic lives in avsoft_support/otp.py, views/otp.py and middleware.StaffOTPMiddleware.


@hooks.register("register_admin_urls")
def register_staff_otp_urls():
    from django.urls import include, path

    return [path("two-factor/", include("avsoft_support.urls_admin_otp"))]


@hooks.register("construct_main_menu")
def hide_main_menu_before_second_factor(request, menu_items):
    from avsoft_support.otp import staff_gate_applies

    if staff_gate_applies(request.user):
        menu_items.clear()


@hooks.register("register_account_menu_item")
def staff_otp_account_menu_item(request):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    return {
        "url": reverse("avsoft_support_otp:manage"),
        "label": _("Two-factor authentication"),
        "help_text": _("Replace your authenticator app or get new backup codes."),
    }


@hooks.register("register_user_listing_buttons")
def staff_otp_reset_button(user, request_user):
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from wagtail.admin.widgets import Button

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


@hooks.register("register_log_actions")
def register_staff_otp_log_actions(actions):
    from django.utils.translation import gettext_lazy as _

    from avsoft_support.otp import RESET_ACTION

    actions.register_action(
        RESET_ACTION,
        _("Reset two-factor authentication"),
        _("Two-factor authentication reset"),
    )


# Support menu and triage: the Support menu (tickets, clients, products, canned replies), bulk
# actions, dashboard panel and summary item, log actions, admin CSS. The logic lives in
# viewsets.py, views/admin_*.py, bulk_actions.py, components.py, log_actions.py and triage.py.

def _register_support_admin():
    from wagtail.permissions import register_permission_policy
    from wagtail.snippets.models import register_snippet

    from avsoft_support.bulk_actions import BULK_ACTIONS
    from avsoft_support.models import Ticket
    from avsoft_support.viewsets import SupportViewSetGroup, TicketPermissionPolicy

    # Before the viewsets are registered: they would otherwise make a default policy for Ticket.
    register_permission_policy(Ticket, TicketPermissionPolicy(Ticket))
    register_snippet(SupportViewSetGroup)
    for bulk_action in BULK_ACTIONS:
        hooks.register("register_bulk_action", bulk_action)


_register_support_admin()


@hooks.register("register_log_actions")
def register_support_log_actions(actions):
    from avsoft_support.log_actions import register_log_actions

    register_log_actions(actions)


@hooks.register("construct_homepage_panels")
def add_support_queue_panel(request, panels):
    from avsoft_support.components import SupportQueuePanel
    from avsoft_support.triage import user_can_work_on_tickets

    if user_can_work_on_tickets(request.user):
        panels.append(SupportQueuePanel(request))


@hooks.register("construct_homepage_summary_items")
def add_support_summary_item(request, items):
    from avsoft_support.components import OpenTicketsSummaryItem

    items.append(OpenTicketsSummaryItem(request))


@hooks.register("insert_global_admin_css")
def support_admin_css():
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<link rel="stylesheet" href="{}">', static("avsoft_support/admin.css"))


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def match_members_to_client_account(request, instance):
    """A claimed member whose number was just added to an account becomes a current client."""
    from avsoft_support.models import ClientAccount
    from avsoft_support.triage import match_claimed_members

    if isinstance(instance, ClientAccount):
        numbers = instance.invoice_numbers.values_list("normalized", flat=True)
        if instance.active:
            match_claimed_members(numbers, request.user)
