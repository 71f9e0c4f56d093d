"""Who may do what at the support desk: one place for the codenames and the checks.

Ticket permissions go through Wagtail's permission policy for Ticket (registered in
wagtail_hooks.py), so that the admin's own views, our screens and the domain answer alike.
"""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from .conf import app_settings
from .models import ClientAccount, Ticket

VERIFY_CLIENT = "avsoft_support.verify_client"
ACCESS_ADMIN = "wagtailadmin.access_admin"


class TicketPermissionPolicy(ModelPermissionPolicy):
    """Customers file tickets on the site; the admin never creates (or copies) one."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        actions = [action for action in actions if action != "add"]
        if not actions:
            return super().users_with_any_permission([]).none()
        return super().users_with_any_permission(actions)


# Registered as this module is imported (by the hooks, the domain and AppConfig.ready(),
# whichever comes first): before anything asks Wagtail for Ticket's policy, which would make a
# default one. A site may list the app after Wagtail's, whose ready() loads every hooks module.
register_permission_policy(Ticket, TicketPermissionPolicy(Ticket))


def ticket_policy():
    return policy_registry.get_by_type(Ticket)


def client_policy():
    return policy_registry.get_by_type(ClientAccount)


def can_work_on_tickets(user):
    """Sees the queue: may change or at least view tickets."""
    return ticket_policy().user_has_any_permission(user, ["change", "view"])


def can_change_tickets(user):
    """Replies as support and sets any status, assignee or criticality."""
    return bool(
        user and user.is_authenticated and ticket_policy().user_has_permission(user, "change")
    )


def can_verify(user):
    """Confirms or withdraws a member's client status."""
    return bool(user and user.is_authenticated and user.has_perm(VERIFY_CLIENT))


def can_manage_clients(user, actions=("add", "change")):
    return client_policy().user_has_any_permission(user, list(actions))


def is_admin_user(user):
    return bool(user and user.is_authenticated and user.has_perm(ACCESS_ADMIN))


def must_use_second_factor(user):
    """Whether the admin requires this user's second factor: the one rule behind the staff
    gate, the menu hidden before it and the member area's "cannot be turned off".

    Superusers always; other admin users when they hold any of
    ``AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS``. Asked by permission rather than group name, so a
    renamed group, another group given ticket permissions, or a permission given directly
    still counts: whoever can read customers' tickets and client data needs the second factor.
    """
    if not (app_settings.STAFF_OTP_REQUIRED and is_admin_user(user)):
        return False
    # has_perm caches the user's permissions: one query for the whole list.
    return user.is_superuser or any(
        user.has_perm(permission) for permission in app_settings.STAFF_OTP_PERMISSIONS
    )


def assignable_users():
    """Active users who may change tickets: the people a ticket can be assigned to."""
    users = ticket_policy().users_with_permission("change")
    return users.filter(is_active=True).order_by(get_user_model().USERNAME_FIELD)
