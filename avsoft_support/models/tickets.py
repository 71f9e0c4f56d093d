"""Tickets, the messages in them and the files attached to those messages."""

import uuid

import swapper
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings
from .clients import ClientStatus
from .products import Product

# A site's own base page (WAGTAIL_PAGE_MODEL) is what a ticket's page points at.
swapper.set_app_prefix("wagtailcore", "wagtail")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")

    @classmethod
    def open_values(cls):
        return [cls.NEW, cls.IN_PROGRESS, cls.WAITING]

    @classmethod
    def closed_values(cls):
        """Done from the customer's point of view: resolved (may still reopen) or closed."""
        return [cls.RESOLVED, cls.CLOSED]


class Criticality(models.IntegerChoices):
    # Lower is more urgent, so ascending order serves the urgent first.
    CRITICAL = 1, _("Critical: work has stopped")
    HIGH = 2, _("High: a major function does not work")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low: a question or a wish")


def format_ticket_number(pk, created_at):
    """The public number: the year the ticket was filed and its primary key, e.g. 2026-00042.

    Derived from the primary key after the insert, so it is unique and needs no lock however
    many tickets are filed at once (the database hands out primary keys); the year makes it
    readable over the phone and tells at a glance how old a ticket is.
    """
    if timezone.is_aware(created_at):
        created_at = timezone.localtime(created_at)
    return f"{created_at.year}-{pk:05d}"


class TicketQuerySet(models.QuerySet):
    def for_member(self, user):
        """The tickets a member filed: the only ones a customer page may ever show them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(author_id=user.pk)

    def open(self):
        return self.filter(status__in=TicketStatus.open_values())

    def closed(self):
        return self.filter(status__in=TicketStatus.closed_values())

    def member_list(self):
        """What a member's ticket list shows, newest activity first: one query."""
        return self.select_related("product").order_by("-last_activity_at", "-pk")

    def member_counts(self):
        """{"all", "open", "closed"} counts of these tickets in one query."""
        return self.aggregate(
            all=models.Count("pk"),
            open=models.Count("pk", filter=models.Q(status__in=TicketStatus.open_values())),
            closed=models.Count("pk", filter=models.Q(status__in=TicketStatus.closed_values())),
        )


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    product_other = models.CharField(_("other product"), max_length=200, blank=True)
    product_version = models.CharField(_("product version"), max_length=100)
    os_version = models.CharField(_("operating system version"), max_length=200)
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.NORMAL
    )
    steps_to_problem = models.TextField(_("steps that led to the problem"), blank=True)
    steps_to_reproduce = models.TextField(_("steps to reproduce"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    # None once the customer deleted their account: the ticket stays as the company's
    # support record, linked to nobody (member_data.delete_member).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="support_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_support_tickets",
    )
    # Snapshot at creation, re-ranked when staff verify or unverify the customer.
    client_status = models.CharField(
        _("client status"),
        max_length=16,
        choices=ClientStatus.choices,
        default=ClientStatus.POTENTIAL,
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=3)
    # The page the ticket was filed on: mails link there and go to that site's support
    # addresses, which matters when several Wagtail sites each have a support page.
    support_page = models.ForeignKey(
        swapper.get_model_name("wagtailcore", "Page"),
        verbose_name=_("filed on page"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    invoice_number = models.CharField(_("invoice/order number given"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first staff response"), null=True, blank=True)
    last_staff_reply_at = models.DateTimeField(_("last staff reply"), null=True, blank=True)
    customer_last_seen_at = models.DateTimeField(_("customer last looked"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # What escalation.py already sent, so that each mail goes once: the warning that the
    # first response is soon due, the notice that it is overdue (both cleared when the due
    # time moves), and the reminder to a customer who has not answered (cleared when the
    # customer replies or the status changes).
    escalation_warned_at = models.DateTimeField(
        _("first response warning sent"), null=True, blank=True, editable=False
    )
    escalation_overdue_at = models.DateTimeField(
        _("overdue notice sent"), null=True, blank=True, editable=False
    )
    waiting_reminder_at = models.DateTimeField(
        _("reminder to the customer sent"), null=True, blank=True, editable=False
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["priority", "criticality", "created_at"]
        indexes = [
            # The staff triage order.
            models.Index(
                fields=["priority", "criticality", "created_at"], name="avs_ticket_triage"
            ),
            # A member's own list, newest activity first.
            models.Index(fields=["author", "-last_activity_at"], name="avs_ticket_author_activity"),
            models.Index(fields=["status"], name="avs_ticket_status"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}" if self.number else self.subject

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and not self.number:
            self.number = format_ticket_number(self.pk, self.created_at)
            type(self)._default_manager.filter(pk=self.pk).update(number=self.number)

    @property
    def product_name(self):
        return self.product.name if self.product_id else self.product_other

    @property
    def is_open(self):
        return self.status in TicketStatus.open_values()

    @property
    def has_unseen_reply(self):
        """Support replied since the customer last looked at the ticket."""
        if self.last_staff_reply_at is None:
            return False
        return (
            self.customer_last_seen_at is None
            or self.last_staff_reply_at > self.customer_last_seen_at
        )


class MessageQuerySet(models.QuerySet):
    def public(self):
        """What the customer may see: everything but internal notes."""
        return self.filter(is_internal=False)

    def conversation(self):
        """In order, with authors and files: two queries however long the conversation."""
        return (
            self.select_related("author")
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        )


class Message(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    from_staff = models.BooleanField(_("from support staff"), default=False)
    is_internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Visible to support staff only.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Came in as a reply by e-mail; InboundMail keeps the whole original for staff.
    via_email = models.BooleanField(_("by e-mail"), default=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="avs_message_ticket")]

    def __str__(self):
        return f"{self.ticket} #{self.pk}"


class AttachmentStorage(Storage):
    """Whatever ``STORAGES[AVSOFT_SUPPORT_ATTACHMENT_STORAGE]`` is, looked up at each use.

    FileField calls its storage callable once, when the model class is made: returning
    ``storages[alias]`` there made a missing alias an import error (so check E001 never got
    to say what to add) and froze the storage for the process. Looking it up in Django's
    ``storages`` on use keeps the import safe and follows ``STORAGES`` changes; it is a
    Storage subclass only because FileField checks that.
    """

    def __getattribute__(self, name):
        if name.startswith("__"):
            return super().__getattribute__(name)
        return getattr(storages[app_settings.ATTACHMENT_STORAGE], name)


_attachment_storage = AttachmentStorage()


def attachment_storage():
    """The private attachments storage (migrations name this callable, so it stays)."""
    return _attachment_storage


def attachment_upload_to(instance, filename):
    # The stored name is random: the original name is kept in the row, never trusted as a path.
    now = timezone.now()
    return f"support/{now:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), storage=attachment_storage, upload_to=attachment_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name
