"""Mail first-response warnings and overdue notices, remind customers who do not answer, and
resolve or close the tickets nobody answered (avsoft_support.escalation)."""

from django.core.management.base import BaseCommand

from ...escalation import CLOSED, DUE_SOON, OVERDUE, REMINDED, RESOLVED, run_sla

DONE = {
    DUE_SOON: ("warned: first response due soon", "would warn: first response due soon"),
    OVERDUE: ("reported overdue", "would report overdue"),
    REMINDED: ("reminded the customer", "would remind the customer"),
    RESOLVED: ("resolved: no answer from the customer", "would resolve: no answer"),
    CLOSED: ("closed: resolved and not answered", "would close: resolved and not answered"),
}


class Command(BaseCommand):
    help = (
        "Mail the warnings about first responses soon due and overdue, remind customers who "
        "do not answer, and resolve or close the tickets nobody answered, by each site's "
        "Support settings. Each mail goes once. Run it every few minutes from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only list what would be done; send, store and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        actions = run_sla(dry_run=dry_run)
        for action in actions:
            ticket = action.ticket
            self.stdout.write(f"{ticket.number}: {DONE[action.kind][1 if dry_run else 0]}")
        verb = "Would take" if dry_run else "Took"
        summary = f"{verb} {len(actions)} action(s)."
        self.stdout.write(self.style.SUCCESS(summary) if actions and not dry_run else summary)
