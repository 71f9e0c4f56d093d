"""The one way the support desk renders and sends a mail.

Every mail is a template family under ``avsoft_support/emails/``: ``<name>_subject.txt``,
``<name>_message.txt`` and ``<name>_message.html``, so a site restyles a mail by overriding
its templates. The sender is ``AVSOFT_SUPPORT_FROM_EMAIL``, else ``DEFAULT_FROM_EMAIL``.
``headers`` adds headers such as the Message-ID and References of mail_threads; a "Reply-To"
among them becomes the mail's reply-to list.

A mail the backend refuses (the SMTP server is down, refuses the login, drops the connection)
is not lost: ``send_mail`` keeps it as it was rendered (models.PendingMail), logs a warning
with the error's class (never the mail's text) and returns 0; ``outbox.send_pending_mail``
(the ``support_send_pending_mail`` command, or its task) sends it later. A mail that cannot
even be rendered (a broken template) still raises: trying again would not help.
"""

import logging
from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .conf import app_settings
from .models import PendingMail
from .models.outbox import error_name

logger = logging.getLogger(__name__)

TEMPLATE_PREFIX = "avsoft_support/emails/"


def from_email():
    return app_settings.FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def _reply_to_and_headers(headers):
    # Django writes Reply-To only from its reply_to argument (it drops one given as a header).
    reply_to, rest = [], {}
    for key, value in (headers or {}).items():
        if key.lower() == "reply-to":
            reply_to.extend([value] if isinstance(value, str) else value)
        else:
            rest[key] = value
    return [address for address in reply_to if address], rest


def render_mail(name, recipients, context, *, language=None, headers=None):
    """The mail ``name`` for ``recipients``, rendered in ``language`` (default: the active one),
    with the extra ``headers`` (a dict) when given."""
    prefix = f"{TEMPLATE_PREFIX}{name}"
    with translation.override(language) if language else nullcontext():
        # A subject is one line, whatever the template's line breaks.
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        text = render_to_string(f"{prefix}_message.txt", context)
        html = render_to_string(f"{prefix}_message.html", context)
    reply_to, headers = _reply_to_and_headers(headers)
    mail = EmailMultiAlternatives(
        subject, text, from_email(), list(recipients), headers=headers, reply_to=reply_to
    )
    mail.attach_alternative(html, "text/html")
    return mail


def send_mail(name, recipients, context, *, language=None, headers=None):
    """Render and send; returns how many mails went out: 0 when there is nobody to send to, or
    when the backend failed and the mail was kept to be sent again later."""
    recipients = [address for address in recipients if address]
    if not recipients:
        return 0
    mail = render_mail(name, recipients, context, language=language, headers=headers)
    try:
        return mail.send()
    except Exception as error:  # whatever the backend raises: the mail waits for a retry
        return _keep_for_later(name, mail, error)


def _keep_for_later(name, mail, error):
    try:
        # A savepoint when the caller has a transaction open: a failed insert leaves it usable.
        with transaction.atomic():
            pending = PendingMail.keep(mail, error, name=name)
    except DatabaseError as db_error:
        logger.error(
            "Could not send the %s mail (%s) nor keep it to send later (%s): it is lost",
            name,
            error_name(error),
            error_name(db_error),
        )
        return 0
    logger.warning(
        "Could not send the %s mail (%s): kept as pending mail %s, next attempt at %s",
        name,
        error_name(error),
        pending.pk,
        pending.next_attempt_at.isoformat(timespec="seconds"),
    )
    return 0
