"""How a member's invoice/order number becomes a client status, and how staff change it.

current: the number was verified (it matched an active ClientAccount, or staff confirmed it);
claimed: a number was given but not verified; potential: none was given.
Open tickets take the member's new status and priority, so verifying re-ranks the queue.
After staff withdraw a verification, the member's number no longer matches automatically
(``automatic_match_blocked``) until they give another number or staff verify them again.

Every change is logged on the account and on the member's open tickets, so both histories
show it.
"""

from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from .. import queue_cache
from ..audit import CLIENT_UNVERIFY, CLIENT_VERIFY, log_separately
from ..models import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    SupportSettings,
    Ticket,
    TicketStatus,
    normalize_invoice_number,
)
from ..sla import WorkingCalendar, first_response_due


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


def open_tickets_of(profile):
    return Ticket.objects.filter(author_id=profile.user_id, status__in=TicketStatus.open_values())


def member_log_data(profile):
    user = profile.user
    return {
        "member": profile.display_name,
        "email": user.email,
        "user_id": user.pk,
    }


def match_log_data(profile):
    """The data of an automatic match's log entry (client.verify, marked automatic)."""
    account = profile.client_account
    return {
        **member_log_data(profile),
        "account": account.company,
        "account_id": account.pk,
        "automatic": True,
    }


def _rerank_open_tickets(profile):
    """Open tickets take the member's status and priority. Those still waiting for a first
    answer whose status changes get the new status's target counted from now (the change),
    by the targets of the site each was filed on, as filing did; a promotion never moves a
    due time later than it was. A ticket whose status stays keeps its due time."""
    now = timezone.now()
    status = profile.client_status
    priority = ClientStatus.priority_of(status)
    tickets = open_tickets_of(profile)
    changing = list(
        tickets.filter(first_response_at__isnull=True)
        .exclude(client_status=status)
        .select_related("support_page")
    )
    if tickets.update(client_status=status, priority=priority):
        queue_cache.changed()  # "new by client status" moved without a signal
    if not changing:
        return
    default_site = Site.objects.filter(is_default_site=True).first()
    targets = {}
    calendar = WorkingCalendar()  # one calendar read for all of them
    for ticket in changing:
        page = ticket.support_page
        site = (page.get_site() if page is not None else None) or default_site
        if site not in targets:
            targets[site] = SupportSettings.for_site(site) if site else SupportSettings()
        due = first_response_due(targets[site], status, now, calendar=calendar)
        promoted = priority < ticket.priority
        if promoted and ticket.sla_due_at is not None and (due is None or ticket.sla_due_at < due):
            due = ticket.sla_due_at
        if due != ticket.sla_due_at:
            # A new target: warn and report it overdue again (escalation.py).
            ticket.escalation_warned_at = ticket.escalation_overdue_at = None
        ticket.sla_due_at = ticket.first_response_due_at = due
    Ticket.objects.bulk_update(
        changing,
        ["sla_due_at", "first_response_due_at", "escalation_warned_at", "escalation_overdue_at"],
    )
    queue_cache.changed()  # and "overdue", with the new due times


@transaction.atomic
def apply_invoice_number(profile, number, by=None):
    """Record the number a member gave; a match with an active account verifies it at once.

    Returns the matched account, or None. A match is logged (as ``by``, by default the member)
    on the account and on the member's open tickets.
    """
    number = (number or "").strip()
    if profile.client_status == ClientStatus.CURRENT and profile.client_account_id:
        # Already verified (matched or confirmed by staff): a number given later is recorded,
        # never a reason to demote the client.
        profile.invoice_number = number or profile.invoice_number
        profile.save()
        return None
    if profile.automatic_match_blocked:
        # Staff withdrew the verification of the number on record; another number is a new claim.
        same = normalize_invoice_number(number) == normalize_invoice_number(profile.invoice_number)
        profile.automatic_match_blocked = same
    profile.invoice_number = number
    account = find_account(number) if number and not profile.automatic_match_blocked else None
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
    if account is not None:
        _log_on_account_and_tickets(
            profile, account, CLIENT_VERIFY, by or profile.user, match_log_data(profile)
        )
    return account


def _log_on_account_and_tickets(profile, account, action, by, data):
    if account is not None:
        log_separately(account, action, by, data)
    for ticket in open_tickets_of(profile):
        log_separately(ticket, action, by, data)


@transaction.atomic
def verify(profile, account: ClientAccount, by):
    """Staff confirm that the member is a client of ``account``; their open tickets move up."""
    profile.client_status = ClientStatus.CURRENT
    profile.client_account = account
    profile.verified_by = by
    profile.verified_at = timezone.now()
    profile.automatic_match_blocked = False
    profile.save()
    _rerank_open_tickets(profile)
    data = {**member_log_data(profile), "account": account.company, "account_id": account.pk}
    _log_on_account_and_tickets(profile, account, CLIENT_VERIFY, by, data)


@transaction.atomic
def unverify(profile, by):
    """Reverse a verification: back to claimed (a number was given) or potential.

    The member's number stays on record but no longer matches automatically: otherwise the
    next save or import of the account holding it would undo the staff decision.
    """
    account = profile.client_account
    profile.client_status = (
        ClientStatus.CLAIMED if profile.invoice_number else ClientStatus.POTENTIAL
    )
    profile.client_account = None
    profile.verified_by = None
    profile.verified_at = None
    profile.automatic_match_blocked = True
    profile.save()
    _rerank_open_tickets(profile)
    data = {
        **member_log_data(profile),
        "account": account.company if account else None,
        "account_id": account.pk if account else None,
        "status": profile.client_status,
    }
    _log_on_account_and_tickets(profile, account, CLIENT_UNVERIFY, by, data)


@transaction.atomic
def verify_with_new_account(profile, company, by, *, invoice_number=""):
    """A new client account for the member's company (with the number they gave, when it is
    free), and the member verified as its client: the staff ticket screen's one step for a
    company the desk did not know yet. Returns the account."""
    account = ClientAccount.objects.create(company=company.strip())
    normalized = normalize_invoice_number(invoice_number)
    if normalized and not ClientInvoiceNumber.objects.filter(normalized=normalized).exists():
        ClientInvoiceNumber.objects.create(account=account, number=invoice_number.strip())
    verify(profile, account, by)
    return account


def match_claimed_members(normalized_numbers, by=None):
    """Claimed members whose number is now on an active account become current clients.

    Run after accounts gain numbers (CSV import, the account form), so that a customer who
    gave a number before staff entered it is matched the same way as one who gave it after.
    Members whose verification staff withdrew are left alone. Returns how many were matched.
    """
    normalized_numbers = set(normalized_numbers)
    if not normalized_numbers:
        return 0
    matched = 0
    claimed = (
        MemberProfile.objects.select_related("user")
        .filter(client_status=ClientStatus.CLAIMED, automatic_match_blocked=False)
        .exclude(invoice_number="")
    )
    for profile in claimed:
        if normalize_invoice_number(profile.invoice_number) not in normalized_numbers:
            continue
        if apply_invoice_number(profile, profile.invoice_number, by) is not None:
            matched += 1
    return matched
