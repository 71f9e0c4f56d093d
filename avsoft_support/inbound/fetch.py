"""Where incoming mail is fetched from: each site's IMAP mailbox (Support settings), or a
Maildir folder (the demo, or a site whose mail server delivers to one).

Every message goes through ``receive.receive_mail``; the source marks it processed only after
that returned, so a crash never loses a message, and the InboundMail key makes a second
reading of the same message change nothing.
"""

import logging
import os
from dataclasses import dataclass, field

from ..background import task
from ..models import SupportSettings
from .receive import receive_mail
from .sources import FetchReport, Mailbox, MailboxError, fetch_imap, fetch_maildir

logger = logging.getLogger("avsoft_support.inbound")


class MailboxNotConfigured(Exception):
    pass


def mailbox_of(support_settings):
    """The IMAP mailbox a site's Support settings name, with the password from the
    environment; MailboxNotConfigured says what is missing."""
    if not support_settings.imap_host:
        raise MailboxNotConfigured("no IMAP server in the Support settings")
    variable = support_settings.imap_password_variable
    password = os.environ.get(variable, "") if variable else ""
    if not password:
        raise MailboxNotConfigured(
            f"the environment variable {variable or '(not named)'} with the IMAP password is "
            "not set"
        )
    return Mailbox(
        host=support_settings.imap_host,
        port=support_settings.imap_port,
        security=support_settings.imap_security,
        username=support_settings.imap_username,
        password=password,
        folder=support_settings.imap_folder or "INBOX",
    )


@dataclass
class Result:
    source: str
    report: FetchReport | None = None
    error: str = ""
    outcomes: dict = field(default_factory=dict)


def _handler(source, outcomes):
    def handle(raw):
        row = receive_mail(raw, source=source)
        label = "duplicate" if row.duplicate else row.outcome
        outcomes[label] = outcomes.get(label, 0) + 1

    return handle


def fetch_site_mailboxes(*, limit=None):
    """Fetch from every site whose Support settings name an IMAP server."""
    results = []
    seen = set()
    for support_settings in SupportSettings.objects.exclude(imap_host="").select_related("site"):
        key = (
            support_settings.imap_host,
            support_settings.imap_port,
            support_settings.imap_username,
            support_settings.imap_folder,
        )
        if key in seen:  # two sites sharing one mailbox read it once
            continue
        seen.add(key)
        source = f"imap:{support_settings.imap_username}@{support_settings.imap_host}"
        result = Result(source=source)
        try:
            mailbox = mailbox_of(support_settings)
            result.report = fetch_imap(mailbox, _handler(source, result.outcomes), limit=limit)
        except (MailboxNotConfigured, MailboxError) as error:
            result.error = f"{support_settings.site}: {error}"
            logger.error("Could not fetch mail for %s", result.error)
        results.append(result)
    return results


def fetch_maildir_folder(path, *, limit=None):
    source = f"maildir:{os.path.basename(os.path.normpath(path))}"
    result = Result(source=source)
    result.report = fetch_maildir(path, _handler(source, result.outcomes), limit=limit)
    return result


def fetch_mail_task(limit=None):
    """What the task runs: every site's mailbox; returns how many messages were handled."""
    results = fetch_site_mailboxes(limit=limit)
    return sum(result.report.handled for result in results if result.report)


if task is not None:
    # For a site with a task worker and a scheduler: enqueue it every minute or so.
    fetch_mail_task = task(fetch_mail_task)
