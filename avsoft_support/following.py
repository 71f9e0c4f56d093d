"""Following a ticket: members who see it follow it, its author copies colleagues in (CC).

A follower gets the ticket's customer-facing mails (notifications.py sends them). Following
gives no access: who may follow is decided by ``Ticket.objects.visible_to_member`` before any
of this is called, and a copied address that belongs to nobody only receives mail.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .audit import TICKET_CC, TICKET_FOLLOW, log_separately
from .conf import app_settings
from .models import TicketFollower


def is_following(ticket, user):
    return TicketFollower.objects.filter(ticket=ticket, user_id=user.pk).exists()


def follow(ticket, user):
    """``user`` (who sees the ticket) follows it; returns whether that is new. The author
    gets the mails anyway and does not follow their own ticket."""
    if user.pk == ticket.author_id:
        return False
    try:
        with transaction.atomic():
            TicketFollower.objects.create(ticket=ticket, user=user, added_by=user)
    except IntegrityError:  # followed already (a second click, another tab)
        return False
    log_separately(ticket, TICKET_FOLLOW, user, {"follow": True})
    return True


def unfollow(ticket, user):
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, user_id=user.pk).delete()
    if deleted:
        log_separately(ticket, TICKET_FOLLOW, user, {"follow": False})
    return bool(deleted)


def copied_addresses(ticket):
    """The addresses the author copied in, oldest first."""
    return list(TicketFollower.objects.filter(ticket=ticket, user__isnull=True).order_by("pk"))


def clean_cc_address(ticket, address):
    """The address as it will be stored, or ValidationError with the reason in words."""
    address = (address or "").strip()
    if not address:
        raise ValidationError(_("Enter an e-mail address."))
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(_("Enter a valid e-mail address.")) from None
    if ticket.author_id and ticket.author.email.lower() == address.lower():
        raise ValidationError(_("You get this ticket's e-mails already."))
    copied = TicketFollower.objects.filter(ticket=ticket, user__isnull=True)
    if copied.filter(email__iexact=address).exists():
        raise ValidationError(_("This address gets the ticket's e-mails already."))
    if copied.count() >= app_settings.MAX_CC_ADDRESSES:
        raise ValidationError(
            _("A ticket can copy in at most %(count)d addresses.")
            % {"count": app_settings.MAX_CC_ADDRESSES}
        )
    return address


def add_cc(ticket, address, by):
    """The author copies ``address`` in; ValidationError when it cannot be."""
    if by is None or by.pk != ticket.author_id:
        raise PermissionDenied("Only the ticket's author copies addresses in.")
    address = clean_cc_address(ticket, address)
    try:
        with transaction.atomic():
            follower = TicketFollower.objects.create(ticket=ticket, email=address, added_by=by)
    except IntegrityError:
        raise ValidationError(_("This address gets the ticket's e-mails already.")) from None
    log_separately(ticket, TICKET_CC, by, {"added": address})
    return follower


def remove_cc(ticket, follower_id, by):
    """The author stops copying an address in; returns whether it was there."""
    if by is None or by.pk != ticket.author_id:
        raise PermissionDenied("Only the ticket's author removes copied addresses.")
    follower = TicketFollower.objects.filter(
        ticket=ticket, pk=follower_id, user__isnull=True
    ).first()
    if follower is None:
        return False
    follower.delete()
    log_separately(ticket, TICKET_CC, by, {"removed": follower.email})
    return True


def mail_addresses(ticket, exclude=()):
    """Where the ticket's customer-facing mails go besides its author: followers who still see
    it and the copied addresses, without ``exclude`` (the author's address)."""
    skip = {address.lower() for address in exclude if address}
    return [
        address
        for address in TicketFollower.objects.filter(ticket=ticket).receiving().addresses()
        if address.lower() not in skip
    ]
