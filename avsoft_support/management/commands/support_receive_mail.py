"""One raw message on standard input into its ticket: for a mail server that pipes mail.

Postfix, for example: an alias ``support: "|/path/to/manage.py support_receive_mail"``.
Exit status 75 (EX_TEMPFAIL) when the message could not be saved, so the mail server keeps
it and tries again; 0 once it is recorded, whatever became of it (refusals are answered by
mail, not by a bounce from the mail server).
"""

import logging
import sys

from django.core.management.base import BaseCommand

from ...inbound.receive import receive_mail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one e-mail message (RFC 822) from standard input and add it to its ticket."

    def add_arguments(self, parser):
        parser.add_argument("--source", default="stdin", help="Recorded as where it came from.")

    def handle(self, *args, source="stdin", **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(EX_TEMPFAIL)
        try:
            row = receive_mail(raw, source=source)
        except Exception as error:  # the mail server retries; the log has the traceback
            logging.getLogger("avsoft_support.inbound").exception("Could not save a message")
            self.stderr.write(f"Could not save the message: {type(error).__name__}")
            raise SystemExit(EX_TEMPFAIL) from error
        state = "duplicate" if row.duplicate else row.outcome
        reason = f" ({row.reason})" if row.reason else ""
        ticket = f" ticket {row.ticket.number}" if row.ticket_id else ""
        self.stdout.write(f"{state}{reason}{ticket}")
