"""Mail that failed, sent again: ``send_pending_mail`` (the ``support_send_pending_mail``
command, or ``send_pending_mail_task`` for a site with a task worker and a scheduler).

``mail.send_mail`` keeps a mail the backend refused as a PendingMail row. Each run takes the
rows that are due, one at a time, oldest first, and for each:

1. **claims** it: one conditional UPDATE that sets ``claimed_until`` and counts the attempt,
   and succeeds only while the row is still due and unclaimed. Of two runners (two cron jobs,
   a cron job and a task worker) only one sees its UPDATE change the row; the other moves on.
   On a database with row locks that skip (PostgreSQL: ``select_for_update(skip_locked=True)``)
   the row is chosen and claimed under its lock, so runners never even wait on each other;
   SQLite, which has no row locks, relies on the conditional UPDATE alone (its writes are
   serialised). The claim is committed before the mail is sent: no lock or transaction is
   held while the mail server answers.
2. **sends** it, outside any transaction;
3. **deletes** it once sent, or, when the backend raised again, releases it with the next
   attempt set later (the delay doubles each time, see ``models.outbox.retry_delay``); after
   ``AVSOFT_SUPPORT_MAIL_RETRY_ATTEMPTS`` attempts it gives up: the row stays, marked failed
   (``failed_at``), and an error is logged. ``retry_failed`` puts such rows back in the queue.

A runner that dies between the claim and the delete leaves the row claimed; after
``CLAIM_TIMEOUT`` (an hour) another runner takes it. Only then, when the first one had already
handed the mail to the server, can a mail go out twice: the server's "accepted" and our delete
cannot be one step.

Logs name the mail (its template family), the row and the error's class; never the mail's
text or the error's message, which may quote it.
"""

import logging
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.utils import timezone

from .background import task
from .conf import app_settings
from .models import PendingMail
from .models.outbox import error_name, retry_delay

logger = logging.getLogger(__name__)

# How many due rows a runner on a database without row locks looks at per query.
CANDIDATES = 20


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0  # failed again, to be tried later
    gave_up: int = 0

    @property
    def attempted(self):
        return self.sent + self.retrying + self.gave_up


def _skip_locked():
    return connections[router.db_for_write(PendingMail)].features.has_select_for_update_skip_locked


def _claim_next(due_by, tried):
    """The next mail due by ``due_by`` and not among ``tried`` (the pks this run attempted),
    claimed for this runner; None when none is left."""
    skip_locked = _skip_locked()
    lost = set()  # claimed by another runner under our eyes
    while True:
        now = timezone.now()
        due = (
            PendingMail.objects.due(now, due_by=due_by)
            .exclude(pk__in=tried | lost)
            .order_by("next_attempt_at", "pk")
        )
        if skip_locked:
            with transaction.atomic(using=router.db_for_write(PendingMail)):
                pk = due.select_for_update(skip_locked=True).values_list("pk", flat=True).first()
                if pk is None:
                    return None
                if PendingMail.objects.claim(pk, now, due_by=due_by):
                    return PendingMail.objects.get(pk=pk)
            lost.add(pk)
            continue
        candidates = list(due.values_list("pk", flat=True)[:CANDIDATES])
        if not candidates:
            return None
        for pk in candidates:
            if PendingMail.objects.claim(pk, now, due_by=due_by):
                return PendingMail.objects.get(pk=pk)
            lost.add(pk)


def _failed_again(pending, error):
    now = timezone.now()
    fields = {"last_error": error_name(error), "claimed_until": None}
    if pending.attempts >= app_settings.MAIL_RETRY_ATTEMPTS:
        fields["failed_at"] = now
        logger.error(
            "Gave up on the %s mail (pending mail %s) after %s attempts; the last error: %s",
            pending.name or "unnamed",
            pending.pk,
            pending.attempts,
            fields["last_error"],
        )
    else:
        fields["next_attempt_at"] = now + retry_delay(pending.attempts)
        logger.warning(
            "Could not send the %s mail (pending mail %s, attempt %s): %s; next attempt at %s",
            pending.name or "unnamed",
            pending.pk,
            pending.attempts,
            fields["last_error"],
            fields["next_attempt_at"].isoformat(timespec="seconds"),
        )
    PendingMail.objects.filter(pk=pending.pk).update(**fields)
    return "gave_up" if "failed_at" in fields else "retrying"


def send_one(pending):
    """Send a claimed mail: deleted when sent, released for later (or given up) when not.
    Returns "sent", "retrying" or "gave_up"."""
    try:
        pending.email_message().send()
    except Exception as error:  # whatever the backend raises: try again later
        return _failed_again(pending, error)
    PendingMail.objects.filter(pk=pending.pk).delete()
    logger.info(
        "Sent the %s mail (pending mail %s) at attempt %s",
        pending.name or "unnamed",
        pending.pk,
        pending.attempts,
    )
    return "sent"


def send_pending_mail(*, limit=None, ignore_schedule=False):
    """Send the kept mail that is due now (with ``ignore_schedule``: every waiting one, after
    the mail server is mended, say), at most ``limit`` of them. Returns a Report.

    Each mail is tried at most once per run (due means due when the run started), so a run
    always ends."""
    due_by = "any" if ignore_schedule else timezone.now()
    report = Report()
    tried = set()
    while limit is None or report.attempted < limit:
        pending = _claim_next(due_by, tried)
        if pending is None:
            break
        tried.add(pending.pk)
        outcome = send_one(pending)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def retry_failed():
    """Put every mail the desk gave up on back in the queue, due now, its attempts counted
    afresh; returns how many."""
    return PendingMail.objects.filter(failed_at__isnull=False).update(
        failed_at=None, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
    )


def send_pending_mail_task(limit=None):
    """What the task runs: the due mail; returns how many were sent."""
    return send_pending_mail(limit=limit).sent


if task is not None:
    # For a site with a task worker and a scheduler: enqueue it every few minutes.
    send_pending_mail_task = task(send_pending_mail_task)
