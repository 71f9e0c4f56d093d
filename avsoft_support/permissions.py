"""Who may do what at the support desk: one place for the codenames and the checks.

Ticket permissions go through Wagtail's permission policy for Ticket (registered in
wagtail_hooks.py), so that the admin's own views, our screens and the domain answer alike.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from . import signals
from .conf import app_settings
from .models import ClientAccount, Ticket, user_display_name

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


# The assignees as the triage list's filter offers them, on every page: (pk, name) pairs.
ASSIGNABLE_CACHE_KEY = "avsoft_support:assignable"
# How long they stay in the cache when nothing drops them (``connect`` drops them when a user,
# a group or their permissions change).
ASSIGNABLE_CACHE_SECONDS = 300


def assignable_choices():
    """``assignable_users()`` as (pk, display name), from the cache: the query behind it (the
    users holding the permission directly, through a group, or as superusers) was the slowest
    of a triage page's own."""
    choices = cache.get(ASSIGNABLE_CACHE_KEY)
    if choices is None:
        choices = [(user.pk, user_display_name(user)) for user in assignable_users()]
        cache.set(ASSIGNABLE_CACHE_KEY, choices, ASSIGNABLE_CACHE_SECONDS)
    return choices


def forget_assignable():
    cache.delete(ASSIGNABLE_CACHE_KEY)


def _assignable_changed(sender, update_fields=None, **kwargs):
    # A login's own save (last_login alone) changes nothing in the list.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    signals.drop_now_and_at_commit(forget_assignable)


def connect():
    """Drop the cached assignees when a user or a group is saved or deleted, or someone's
    groups or permissions change (AppConfig.ready())."""
    user_model = get_user_model()
    signals.connect_saved_or_deleted(
        _assignable_changed, (user_model, Group), "avsoft_support_assignable"
    )
    relations = (
        getattr(user_model, "groups", None),
        getattr(user_model, "user_permissions", None),
        Group.permissions,
    )
    for relation in relations:
        if relation is not None:
            m2m_changed.connect(
                _assignable_changed,
                sender=relation.through,
                dispatch_uid=f"avsoft_support_assignable_{relation.through._meta.label}",
            )
