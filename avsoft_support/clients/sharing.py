"""Company sharing: whether a client account's members see each other's tickets.

Staff switch it in the account's admin form; the member the account names as its
administrator switches it in their personal section. Who sees what is decided in one place,
``Ticket.objects.visible_to_member`` (models/tickets.py).
"""

from django.core.exceptions import PermissionDenied

from ..audit import CLIENT_SHARING, log_separately
from ..models import ClientAccount, MemberProfile


def administered_account(user):
    """The active account this member administers (select_related), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = (
        MemberProfile.objects.select_related("client_account__administrator")
        .filter(user_id=user.pk, client_account__active=True)
        .first()
    )
    account = profile.client_account if profile is not None else None
    if account is None or not account.is_administered_by(user):
        return None
    return account


def set_sharing(account: ClientAccount, on: bool, by):
    """Switch sharing by the account's administrator; returns whether it changed."""
    if not account.is_administered_by(by):
        raise PermissionDenied("Only the account's administrator switches sharing.")
    on = bool(on)
    if account.share_tickets == on:
        return False
    account.share_tickets = on
    account.save(update_fields=["share_tickets"])
    log_separately(account, CLIENT_SHARING, by, {"share_tickets": on, "by_member": True})
    return True
