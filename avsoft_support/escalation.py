"""What the desk does by itself as time passes: warnings about first responses, reminders to
customers who do not answer, and the closing of tickets nobody answers any more.

``escalate`` (each site's Support settings say how):

* **Due soon**: an open ticket without a first response whose ``sla_due_at`` is at most
  ``escalation_lead_minutes`` away is mailed once (``ticket_due_soon``) to its assignee, or to
  the support addresses when nobody is assigned. 0 minutes: no warning.
* **Overdue**: once ``sla_due_at`` has passed without a first response, the same people get
  ``ticket_overdue``, once. A ticket overdue before any warning went gets only this one.

``auto_close``:

* **Waiting for the customer**: after ``waiting_reminder_working_days`` working days without
  an answer (counted from the ticket's last activity, as sla.py counts days), the customer gets
  one reminder (``ticket_waiting_reminder``); as many working days later (or after the
  latest staff message, if later) the ticket is resolved and the customer gets the usual
  status mail. 0: neither.
* **Resolved**: after ``auto_close_working_days`` working days without an answer the ticket
  is closed, and the customer is told (``ticket_auto_closed``) that a new ticket is the way
  back: a closed ticket takes no reply. 0: resolved tickets stay resolved.

Each mail goes once. What was sent is stored on the ticket (``escalation_warned_at``,
``escalation_overdue_at``, ``waiting_reminder_at``) and claimed with a conditional UPDATE
before the mail is queued, so two runs at the same moment never both send it. The escalation
marks are cleared when the due time moves (clients/status.py re-ranks a ticket): the new
target gets its own warning. The reminder mark is cleared when the customer replies or the
status changes (tickets.py). Status changes go through ``tickets.set_status`` as the system,
so they are in the ticket's history, as are the warnings and reminders (audit.py).

The tickets are read in a constant number of queries, however many there are; each ticket
acted on costs its own few (the claim or the status change, its log entry, its mail).
Run by ``manage.py support_run_sla`` every few minutes, or the task ``run_sla_task``.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from . import notifications
from .audit import TICKET_ESCALATE, TICKET_REMIND, log_separately
from .background import task
from .models import SupportSettings, Ticket, TicketStatus
from .sla import WorkingCalendar, add_working_time
from .tickets import set_status

DUE_SOON = "due_soon"
OVERDUE = "overdue"
REMINDED = "reminded"
RESOLVED = "resolved"
CLOSED = "closed"


@dataclass
class Action:
    ticket: Ticket
    kind: str  # one of the constants above


class _Desks:
    """Each site's Support settings, and which one a ticket follows: the site of the page it
    was filed on, else the default site's. Three queries, whatever the number of tickets."""

    def __init__(self):
        self.sites = list(Site.objects.select_related("root_page"))
        self.default = next((site.pk for site in self.sites if site.is_default_site), None)
        self.settings = {row.site_id: row for row in SupportSettings.objects.all()}
        self.calendar = WorkingCalendar()  # one calendar for every count of the run

    def all(self):
        """Every site's settings, the defaults standing in for a site without any."""
        return [self.settings.get(site.pk) or SupportSettings() for site in self.sites] or [
            SupportSettings()
        ]

    def of(self, ticket):
        page = ticket.support_page
        site_id = None
        if page is not None:
            holding = [site for site in self.sites if page.path.startswith(site.root_page.path)]
            if holding:
                site_id = max(holding, key=lambda site: len(site.root_page.path)).pk
        site_id = site_id or self.default
        return self.settings.get(site_id) or SupportSettings()

    def after_working_days(self, start, days, desk):
        return add_working_time(start, days=days, support_settings=desk, calendar=self.calendar)


def _claim(ticket, **marks):
    """Set the marks on the ticket if nobody did meanwhile and its due time and status are as
    read; whether this run won (and so sends the mail)."""
    claimed = Ticket.objects.filter(
        pk=ticket.pk,
        sla_due_at=ticket.sla_due_at,
        first_response_at__isnull=True,
        status__in=TicketStatus.open_values(),
        **{f"{name}__isnull": True for name in marks},
    ).update(**marks)
    return claimed == 1


def escalate(now=None, *, dry_run=False):
    """Mail the warnings and overdue notices due at ``now``; returns the Actions (with
    ``dry_run``, those it would take, sending and storing nothing)."""
    now = now or timezone.now()
    desks = _Desks()
    longest_lead = max(desk.escalation_lead_minutes for desk in desks.all())
    tickets = (
        Ticket.objects.open()
        .filter(
            first_response_at__isnull=True,
            escalation_overdue_at__isnull=True,
            sla_due_at__isnull=False,
            sla_due_at__lte=now + timedelta(minutes=longest_lead),
        )
        .select_related("support_page")
        .order_by("sla_due_at", "pk")
    )
    actions = []
    for ticket in tickets:
        if ticket.sla_due_at <= now:
            kind, mark, notify = OVERDUE, "escalation_overdue_at", notifications.ticket_overdue
        else:
            lead = desks.of(ticket).escalation_lead_minutes
            if (
                not lead
                or ticket.escalation_warned_at is not None
                or ticket.sla_due_at > now + timedelta(minutes=lead)
            ):
                continue
            kind, mark, notify = DUE_SOON, "escalation_warned_at", notifications.ticket_due_soon
        if dry_run or _report(ticket, kind, mark, notify, now):
            actions.append(Action(ticket, kind))
    return actions


@transaction.atomic
def _report(ticket, kind, mark, notify, now):
    """Claim the mark, log it and queue the mail (after the commit); whether it was ours."""
    if not _claim(ticket, **{mark: now}):
        return False
    log_separately(
        ticket, TICKET_ESCALATE, None, {"kind": kind, "due": ticket.sla_due_at.isoformat()}
    )
    notify(ticket)
    return True


def _waiting(ticket, desk, desks, now, dry_run):
    """The Action due on a ticket waiting for the customer, taken unless ``dry_run``."""
    days = desk.waiting_reminder_working_days
    if not days:
        return None
    if ticket.waiting_reminder_at is None:
        if desks.after_working_days(ticket.last_activity_at, days, desk) > now:
            return None
        if not dry_run and not _remind(ticket, desks.after_working_days(now, days, desk), now):
            return None
        return Action(ticket, REMINDED)
    since = max(ticket.waiting_reminder_at, ticket.last_activity_at)
    if desks.after_working_days(since, days, desk) > now:
        return None
    if not dry_run and not set_status(
        ticket,
        TicketStatus.RESOLVED,
        None,
        system=True,
        only_from=TicketStatus.WAITING,
        reason="no_answer",
    ):
        return None
    return Action(ticket, RESOLVED)


@transaction.atomic
def _remind(ticket, resolve_at, now):
    claimed = Ticket.objects.filter(
        pk=ticket.pk,
        status=TicketStatus.WAITING,
        waiting_reminder_at__isnull=True,
        last_activity_at=ticket.last_activity_at,
    ).update(waiting_reminder_at=now)
    if not claimed:
        return False
    log_separately(ticket, TICKET_REMIND, None, {"resolve_at": resolve_at.isoformat()})
    notifications.waiting_reminder(ticket, resolve_at)
    return True


def _resolved(ticket, desk, desks, now, dry_run):
    days = desk.auto_close_working_days
    if not days or desks.after_working_days(ticket.last_activity_at, days, desk) > now:
        return None
    if not dry_run:
        if not set_status(
            ticket,
            TicketStatus.CLOSED,
            None,
            notify=False,
            system=True,
            only_from=TicketStatus.RESOLVED,
            reason="auto_close",
        ):
            return None
        notifications.ticket_auto_closed(ticket)
    return Action(ticket, CLOSED)


def auto_close(now=None, *, dry_run=False):
    """Remind, resolve and close the tickets nobody answered by ``now``; returns the Actions
    (with ``dry_run``, those it would take, changing and sending nothing)."""
    now = now or timezone.now()
    desks = _Desks()
    every = desks.all()
    if not any(d.waiting_reminder_working_days or d.auto_close_working_days for d in every):
        return []
    # N working days end no sooner than N-1 days after they start: older tickets only.
    shortest = min(
        [d.waiting_reminder_working_days for d in every if d.waiting_reminder_working_days]
        + [d.auto_close_working_days for d in every if d.auto_close_working_days]
    )
    tickets = (
        Ticket.objects.filter(
            status__in=[TicketStatus.WAITING, TicketStatus.RESOLVED],
            last_activity_at__lte=now - timedelta(days=shortest - 1),
        )
        .select_related("support_page")
        .order_by("last_activity_at", "pk")
    )
    actions = []
    for ticket in tickets:
        handle = _waiting if ticket.status == TicketStatus.WAITING else _resolved
        action = handle(ticket, desks.of(ticket), desks, now, dry_run)
        if action is not None:
            actions.append(action)
    return actions


def run_sla(now=None, *, dry_run=False):
    """Both, at one ``now``: the escalation mails, then the reminders and closings."""
    now = now or timezone.now()
    return escalate(now, dry_run=dry_run) + auto_close(now, dry_run=dry_run)


def run_sla_task():
    """What the task runs: returns how many things were done."""
    return len(run_sla())


if task is not None:
    # For a site with a task worker and a scheduler: enqueue it every few minutes.
    run_sla_task = task(run_sla_task)
