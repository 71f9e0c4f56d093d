"""Fetch replies by e-mail into tickets: from each site's IMAP mailbox, or from a Maildir."""

import time

from django.core.management.base import BaseCommand, CommandError

from ...inbound.fetch import fetch_maildir_folder, fetch_site_mailboxes


class Command(BaseCommand):
    help = (
        "Fetch new mail from the IMAP mailbox in each site's Support settings (or from a "
        "Maildir folder) and add the replies to their tickets. Run it every minute from cron; "
        "a message is marked processed only once it is saved, so a crash loses nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="Read this Maildir folder instead of IMAP.")
        parser.add_argument("--limit", type=int, help="At most this many messages per mailbox.")
        parser.add_argument(
            "--watch",
            type=float,
            metavar="SECONDS",
            help="Keep running, fetching again every SECONDS (the demo polls its inbox so).",
        )

    def handle(self, *args, maildir=None, limit=None, watch=None, **options):
        self.verbosity = options.get("verbosity", 1)
        if not watch:
            errors = self._fetch_once(maildir, limit)
            if errors:
                raise CommandError("; ".join(errors))
            return
        while True:  # until interrupted; a failed round is reported and tried again
            for error in self._fetch_once(maildir, limit):
                self.stderr.write(error)
            time.sleep(watch)

    def _fetch_once(self, maildir, limit):
        if maildir:
            results = [fetch_maildir_folder(maildir, limit=limit)]
        else:
            results = fetch_site_mailboxes(limit=limit)
            if not results:
                self.stdout.write("No site has an IMAP server in its Support settings.")
        errors = []
        for result in results:
            if result.error:
                errors.append(result.error)
                continue
            report = result.report
            if report.fetched or self.verbosity > 1:
                outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(result.outcomes.items()))
                self.stdout.write(
                    f"{result.source}: {report.fetched} fetched, {report.handled} handled, "
                    f"{report.failed} failed" + (f" ({outcomes})" if outcomes else "")
                )
            errors.extend(f"{result.source}: {error}" for error in report.errors)
        return errors
