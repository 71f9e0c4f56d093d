"""Mail the desk could not send: kept whole, and sent again later (``outbox.send_pending_mail``).

``mail.send_mail`` stores a mail here when the mail backend raises, exactly as it was rendered:
sender, recipients, reply-to, subject, the plain text and its alternatives (the HTML), and the
extra headers (the Message-ID among them, so a mail sent late still joins its thread). Nothing
else is kept: no template context, no attachments (the desk's mails carry none).

A row is the mail's whole state: how many attempts were made, the class of the last error (never
its text, which may quote the mail), when to try again, whether a runner holds it right now
(``claimed_until``), and ``failed_at`` once the desk gave up on it.
"""

from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

# A runner that claimed a mail holds it this long: past it (the runner died while sending),
# another runner may send it. Longer than any send takes, so a slow send is not doubled.
CLAIM_TIMEOUT = timedelta(hours=1)


def retry_delay(attempts):
    """How long to wait after the ``attempts``-th failed attempt: the first delay, doubled
    after each further failure, at most ``MAIL_RETRY_MAX_DELAY``."""
    first = app_settings.MAIL_RETRY_DELAY
    seconds = min(first * 2 ** max(attempts - 1, 0), max(first, app_settings.MAIL_RETRY_MAX_DELAY))
    return timedelta(seconds=seconds)


class PendingMailQuerySet(models.QuerySet):
    def waiting(self):
        """Not given up on."""
        return self.filter(failed_at__isnull=True)

    def due(self, now, *, due_by=None):
        """Waiting, held by no runner at ``now``, and due by ``due_by`` (default ``now``; the
        string "any" ignores the schedule)."""
        rows = self.waiting().filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        if due_by == "any":
            return rows
        return rows.filter(next_attempt_at__lte=due_by or now)

    def claim(self, pk, now, *, due_by=None):
        """Take the mail ``pk`` for this runner if it is still due: one conditional UPDATE, so
        that of two runners only one gets it (its row count is 1). Counts the attempt."""
        return bool(
            self.due(now, due_by=due_by)
            .filter(pk=pk)
            .update(
                claimed_until=now + CLAIM_TIMEOUT,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
        )


class PendingMail(models.Model):
    name = models.CharField(
        _("mail"), max_length=100, blank=True, help_text=_("The template family it came from.")
    )
    from_email = models.TextField(_("from"))
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("text"))
    # [[content, mimetype], ...]: the HTML part.
    alternatives = models.JSONField(_("alternatives"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up"), null=True, blank=True)

    objects = PendingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("pending mail")
        verbose_name_plural = _("pending mail")
        ordering = ["next_attempt_at", "pk"]
        indexes = [
            models.Index(fields=["failed_at", "next_attempt_at"], name="avs_pendingmail_due")
        ]

    def __str__(self):
        return f"{self.name or 'mail'} #{self.pk}"

    @classmethod
    def keep(cls, message, error, *, name="", now=None):
        """Store ``message`` (an EmailMessage whose first send raised ``error``) to be sent
        again after the first delay."""
        now = now or timezone.now()
        return cls.objects.create(
            name=name[:100],
            from_email=str(message.from_email),
            to=[str(address) for address in message.to],
            cc=[str(address) for address in message.cc],
            bcc=[str(address) for address in message.bcc],
            reply_to=[str(address) for address in message.reply_to],
            subject=str(message.subject),
            body=str(message.body),
            alternatives=[
                [str(content), str(mimetype)]
                for content, mimetype in getattr(message, "alternatives", [])
            ],
            headers={str(key): str(value) for key, value in message.extra_headers.items()},
            created_at=now,
            attempts=1,
            last_error=error_name(error),
            last_attempt_at=now,
            next_attempt_at=now + retry_delay(1),
        )

    def email_message(self):
        """The mail as it was rendered, ready to send."""
        mail = EmailMultiAlternatives(
            self.subject,
            self.body,
            self.from_email,
            list(self.to),
            bcc=list(self.bcc),
            cc=list(self.cc),
            reply_to=list(self.reply_to),
            headers=dict(self.headers),
        )
        for content, mimetype in self.alternatives:
            mail.attach_alternative(content, mimetype)
        return mail

    @property
    def gave_up(self):
        return self.failed_at is not None


def error_name(error):
    """What the log and the row say of an error: its class, never its text."""
    return type(error).__name__[:200]
