"""Mail that came in to the support desk, one row per message: what it became, and why."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .tickets import Message, Ticket


class InboundOutcome(models.TextChoices):
    ADDED = "added", _("added to the ticket")
    FILED = "filed", _("filed as a new ticket")
    REFUSED = "refused", _("refused")
    DROPPED = "dropped", _("dropped as automatic")


class InboundMail(models.Model):
    """Every message the desk read, whatever became of it.

    ``key`` (the Message-ID, or a digest of the raw bytes when there is none) is unique, so the
    same message fetched twice, or a fetch that crashed after the save and before the mailbox
    flag, is recognised and changes nothing the second time.
    """

    key = models.CharField(max_length=64, unique=True)
    header_message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=InboundOutcome.choices)
    # A short code (see inbound.receive): forged_token, foreign_sender, automatic:<reason>...
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )
    message = models.OneToOneField(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_mail",
    )
    # The whole text as it came, quoted history and signature included: the ticket shows the
    # reply without them, staff can read what was cut.
    original_text = models.TextField(_("original text"), blank=True)
    refused_files = models.JSONField(_("refused files"), default=list, blank=True)

    class Meta:
        verbose_name = _("incoming mail")
        verbose_name_plural = _("incoming mail")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.sender}: {self.subject}"
