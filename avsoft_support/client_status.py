"""How a member's invoice/order number becomes a client status, and how staff change it.

current: the number was verified (it matched an active ClientAccount, or staff confirmed it);
claimed: a number was given but not verified; potential: none was given.
Open tickets take the member's new status and priority, so verifying re-ranks the queue.
"""

from django.db import transaction
from django.utils import timezone

from .models import ClientAccount, ClientInvoiceNumber, ClientStatus, Ticket, TicketStatus
from .models.clients import normalize_invoice_number


def find_account(number):
    """The active ClientAccount that issued this number, or None."""
    normalized = normalize_invoice_number(number)
    if not normalized:
        return None
    match = (
        ClientInvoiceNumber.objects.select_related("account")
        .filter(normalized=normalized, account__active=True)
        .first()
    )
    return match.account if match else None


def _rerank_open_tickets(profile):
    from wagtail.models import Site

    from . import sla
    from .models import SupportSettings

    tickets = Ticket.objects.filter(author_id=profile.user_id, status__in=TicketStatus.open_values())
    tickets.update(
        client_status=profile.client_status,
        priority=ClientStatus.priority_of(profile.client_status),
    )
    # Tickets still waiting for a first answer get the due time of the new status.
    waiting = list(tickets.filter(first_response_at__isnull=True).only("pk", "created_at"))
    if waiting:
        site = Site.objects.filter(is_default_site=True).first()
        targets = SupportSettings.for_site(site) if site else SupportSettings()
        for ticket in waiting:
            ticket.sla_due_at = sla.first_response_due(targets, profile.client_status, ticket.created_at)
        Ticket.objects.bulk_update(waiting, ["sla_due_at"])


@transaction.atomic
def apply_invoice_number(profile, number):
    """Record the number a member gave; a match with an active account verifies it at once."""
    number = (number or "").strip()
    if profile.client_status == ClientStatus.CURRENT and profile.client_account_id:
        # Already verified (matched or confirmed by staff): a number given later is recorded,
        # never a reason to demote the client.
        profile.invoice_number = number or profile.invoice_number
        profile.save()
        return
    profile.invoice_number = number
    account = find_account(number) if number else None
    if account is not None:
        profile.client_status = ClientStatus.CURRENT
        profile.client_account = account
        profile.verified_by = None  # verified automatically, by the match
        profile.verified_at = timezone.now()
    elif number:
        profile.client_status = ClientStatus.CLAIMED
        profile.client_account = None
        profile.verified_at = None
    else:
        profile.client_status = ClientStatus.POTENTIAL
        profile.client_account = None
        profile.verified_at = None
    profile.save()
    _rerank_open_tickets(profile)


@transaction.atomic
def verify_member(profile, account: ClientAccount, by):
    """Staff confirm that the member is a client of ``account``."""
    profile.client_status = ClientStatus.CURRENT
    profile.client_account = account
    profile.verified_by = by
    profile.verified_at = timezone.now()
    profile.save()
    _rerank_open_tickets(profile)


@transaction.atomic
def unverify_member(profile, by):
    """Reverse a verification: back to claimed (a number was given) or potential."""
    profile.client_status = ClientStatus.CLAIMED if profile.invoice_number else ClientStatus.POTENTIAL
    profile.client_account = None
    profile.verified_by = None
    profile.verified_at = None
    profile.save()
    _rerank_open_tickets(profile)
