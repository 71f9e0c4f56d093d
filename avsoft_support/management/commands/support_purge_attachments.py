"""Delete the files of tickets closed longer than their site's retention period."""

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from ...retention import purge_attachments


class Command(BaseCommand):
    help = (
        "Delete the attached files of tickets closed more than the number of days each site's "
        "Support settings keep them (attachment_retention_days; 0 keeps them for ever). The "
        "tickets and their messages stay. Run it once a day from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only list the files that would be deleted.",
        )

    def handle(self, *args, dry_run=False, **options):
        purged = purge_attachments(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for item in purged:
            ticket = item.ticket
            self.stdout.write(
                f"{ticket.number} (closed {ticket.closed_at:%Y-%m-%d}, kept {item.days} days): "
                f"{verb.lower()} {len(item.files)} file(s)"
            )
            for name, size in item.files:
                self.stdout.write(f"  {name} ({filesizeformat(size)})")
        count = sum(len(item.files) for item in purged)
        summary = f"{verb} {count} file(s) of {len(purged)} ticket(s)."
        self.stdout.write(self.style.SUCCESS(summary) if count else summary)
