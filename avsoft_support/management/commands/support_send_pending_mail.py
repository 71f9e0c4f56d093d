"""Send again the mail the mail server refused (kept as pending mail when it failed)."""

from django.core.management.base import BaseCommand

from ... import outbox


class Command(BaseCommand):
    help = (
        "Send the mail that could not be sent when it was written and is due for another "
        "attempt. Run it every few minutes from cron; two runs at once never send one mail "
        "twice. A mail is given up after AVSOFT_SUPPORT_MAIL_RETRY_ATTEMPTS attempts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="At most this many mails.")
        parser.add_argument(
            "--now",
            action="store_true",
            help="Try every waiting mail now, whenever its next attempt was due.",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="Put the mail that was given up on back in the queue first (with --now: "
            "send it now).",
        )

    def handle(self, *args, limit=None, now=False, retry_failed=False, **options):
        if retry_failed:
            count = outbox.retry_failed()
            self.stdout.write(f"{count} given-up mail(s) back in the queue.")
        report = outbox.send_pending_mail(limit=limit, ignore_schedule=now)
        if report.attempted or options.get("verbosity", 1) > 1:
            self.stdout.write(
                f"{report.sent} sent, {report.retrying} to be tried again later, "
                f"{report.gave_up} given up."
            )
