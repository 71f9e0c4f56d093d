"""How long the files of closed tickets are kept: each site's ``attachment_retention_days``.

``purge_attachments`` deletes the files (and their rows) of tickets closed more than that many
days ago; 0, the default, keeps them for ever. Only *closed* tickets count (a resolved ticket
may still be reopened), by ``closed_at``. The ticket and its messages stay; each ticket whose
files went gets a log entry saying so. Run by ``manage.py support_purge_attachments`` (daily
from cron) or the task ``purge_attachments_task``.

Which site's setting applies: the site of the support page the ticket was filed on; a ticket
filed on no page (or on a page since deleted) follows the default site.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from .audit import TICKET_FILES_PURGE, log_separately
from .background import task
from .models import Attachment, SupportSettings, Ticket, TicketStatus
from .tickets import delete_attachments


@dataclass
class PurgedTicket:
    ticket: Ticket
    days: int
    files: list = field(default_factory=list)  # (original name, size)


def _site_of(page, sites):
    """The id of the site whose tree holds ``page`` (the deepest root wins), or None."""
    if page is None:
        return None
    holding = [site for site in sites if page.path.startswith(site.root_page.path)]
    return max(holding, key=lambda site: len(site.root_page.path)).pk if holding else None


def _retention_by_site():
    """{site id: days} for the sites that set a retention period, and the default site's id."""
    days = dict(
        SupportSettings.objects.filter(attachment_retention_days__gt=0).values_list(
            "site_id", "attachment_retention_days"
        )
    )
    default = Site.objects.filter(is_default_site=True).values_list("pk", flat=True).first()
    return days, default


def purge_attachments(*, dry_run=False, now=None):
    """Delete the files of tickets closed longer than their site's retention period; with
    ``dry_run`` only say which. Returns a list of PurgedTicket."""
    now = now or timezone.now()
    days_by_site, default_site = _retention_by_site()
    if not days_by_site:
        return []
    # The shortest period is the widest net; each ticket is then held to its own site's.
    oldest_kept = now - timedelta(days=min(days_by_site.values()))
    tickets = list(
        Ticket.objects.filter(
            status=TicketStatus.CLOSED,
            closed_at__lt=oldest_kept,
            messages__attachments__isnull=False,
        )
        .distinct()
        .select_related("support_page")
        .order_by("closed_at", "pk")
    )
    sites = list(Site.objects.select_related("root_page"))
    due = {}
    for ticket in tickets:
        site_id = _site_of(ticket.support_page, sites) or default_site
        days = days_by_site.get(site_id)
        if days and ticket.closed_at < now - timedelta(days=days):
            due[ticket.pk] = PurgedTicket(ticket=ticket, days=days)
    if not due:
        return []
    files = defaultdict(list)
    attachments = Attachment.objects.filter(message__ticket_id__in=due).order_by("pk")
    for ticket_id, name, size in attachments.values_list(
        "message__ticket_id", "original_name", "size"
    ):
        files[ticket_id].append((name, size))
    for ticket_id, purged in due.items():
        purged.files = files[ticket_id]
    if not dry_run:
        with transaction.atomic():
            delete_attachments(attachments)
            for purged in due.values():
                log_separately(
                    purged.ticket,
                    TICKET_FILES_PURGE,
                    None,
                    {"attachments": len(purged.files), "days": purged.days},
                )
    return list(due.values())


def purge_attachments_task():
    """What the task runs: returns how many files were deleted."""
    return sum(len(purged.files) for purged in purge_attachments())


if task is not None:
    # For a site with a task worker and a scheduler: enqueue it once a day.
    purge_attachments_task = task(purge_attachments_task)
