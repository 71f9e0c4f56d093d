"""Tickets, the messages in them and the files attached to those messages."""

import uuid

import swapper
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import connections, models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..conf import app_settings
from .clients import ClientStatus, MemberProfile
from .products import Product

# A site's own base page (WAGTAIL_PAGE_MODEL) is what a ticket's page points at.
swapper.set_app_prefix("wagtailcore", "wagtail")


def _label(choices, value):
    """``value``'s label among ``choices`` (a Choices class), or the value itself."""
    try:
        return choices(value).label
    except ValueError:
        return value


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    # The customer answered: the ticket waits for us again (triage.py puts it in the queue
    # with a next-response target); a staff reply moves it to in progress.
    REPLIED = "replied", _("Customer replied")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")

    @classmethod
    def open_values(cls):
        return [cls.NEW, cls.REPLIED, cls.IN_PROGRESS, cls.WAITING]

    @classmethod
    def our_turn_values(cls):
        """Open and waiting for us, not for the customer: the "needs our action" queue."""
        return [cls.NEW, cls.REPLIED, cls.IN_PROGRESS]

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

    @classmethod
    def short_label(cls, value):
        """One word for a narrow list column (the whole label goes in its tooltip)."""
        return {
            cls.CRITICAL: pgettext_lazy("criticality", "Critical"),
            cls.HIGH: pgettext_lazy("criticality", "High"),
            cls.NORMAL: pgettext_lazy("criticality", "Normal"),
            cls.LOW: pgettext_lazy("criticality", "Low"),
        }.get(value, value)


def format_ticket_number(pk, created_at):
    """The public number: the year the ticket was filed and its primary key, e.g. 2026-00042.

    Derived from the primary key after the insert, so it is unique and needs no lock however
    many tickets are filed at once (the database hands out primary keys); the year makes it
    readable over the phone and tells at a glance how old a ticket is.
    """
    if timezone.is_aware(created_at):
        created_at = timezone.localtime(created_at)
    return f"{created_at.year}-{pk:05d}"


def shared_ticket_rule(member_account, ticket_path=""):
    """The company-sharing rule, as a filter on tickets (or, with ``ticket_path``, on rows that
    point at a ticket): its author is a member of the account ``member_account`` (an
    expression: the account id of the member asking), and that account is active and shares
    its tickets. A member with no account gives NULL, which matches nothing."""
    account = f"{ticket_path}author__support_profile__client_account"
    return models.Q(
        **{
            f"{account}__share_tickets": True,
            f"{account}__active": True,
            f"{account}_id": member_account,
        }
    )


def number_words(number, pk):
    """2026-00042 as the search index holds it: "2026 00042 42 202600042" (found as typed
    with or without the dash, and by the bare primary key)."""
    return " ".join([*number.split("-"), str(pk), number.replace("-", "")])


def no_due_time():
    """``sla_due_at IS NULL`` as an expression: the queue orders by it, then by ``sla_due_at``
    (tickets with nothing due last). Written out rather than ``nulls_last=True`` because SQLite
    cannot read NULLS LAST off an index; this way one index (avs_ticket_triage) serves the
    queue's whole order on both databases."""
    return models.ExpressionWrapper(
        models.Q(sla_due_at__isnull=True), output_field=models.BooleanField()
    )


# The staff queue's order (triage.QUEUE_ORDERING) as index expressions.
QUEUE_INDEX_EXPRESSIONS = (
    models.F("priority"),
    no_due_time(),
    models.F("sla_due_at"),
    models.F("created_at"),
    models.F("id"),
)


class TicketQuerySet(models.QuerySet):
    # The member's side of ticket access lives here, and only here: what a customer page,
    # a download or a follow may reach (docs/company-sharing-and-ratings.md).

    def for_member(self, user):
        """The tickets a member filed themselves (their "My tickets", their own data)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(author_id=user.pk)

    def shared_with(self, user):
        """Other members' tickets the member sees through their company: the author and the
        member are both members of one active ClientAccount that shares its tickets.

        Membership is read at each request (MemberProfile.client_account): a member removed
        from the account loses access at once, and so do the tickets of an author who left.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if not self._may_have_colleagues(user):
            return self.none()
        return self.filter(author_id__in=self._colleague_ids(user)).exclude(author_id=user.pk)

    @staticmethod
    def _may_have_colleagues(user):
        """False when the member's profile (read once a request, for the corner box too) names
        no client account: then nothing is shared with them and the company rule is not asked
        (most members; a plain author query instead of a UNION)."""
        return MemberProfile.objects.for_user(user).client_account_id is not None

    @staticmethod
    def _colleague_ids(user):
        """The shared_ticket_rule as a list of authors: the members of the member's account,
        while it is active and shares its tickets. As ``author_id IN (...)`` the database
        reads tickets through the author index instead of scanning them all (issue 12)."""
        account = MemberProfile.objects.filter(user_id=user.pk).values("client_account_id")[:1]
        return MemberProfile.objects.filter(
            client_account_id=models.Subquery(account),
            client_account__active=True,
            client_account__share_tickets=True,
        ).values("user_id")

    def visible_to_member(self, user):
        """Every ticket a customer page may show the member: their own and those shared with
        them. Anything else answers 404."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        # One list of authors (the member, then their colleagues) rather than "author = me OR
        # author IN colleagues": PostgreSQL reads such an OR by scanning every ticket.
        if not self._may_have_colleagues(user):
            return self.filter(author_id=user.pk)
        me = MemberProfile.user.field.related_model._default_manager.filter(pk=user.pk)
        me = me.values("pk")
        return self.filter(author_id__in=me.union(self._colleague_ids(user)))

    def open(self):
        return self.filter(status__in=TicketStatus.open_values())

    def closed(self):
        return self.filter(status__in=TicketStatus.closed_values())

    def member_list(self):
        """What a member's ticket list shows, newest activity first: one query."""
        return self.select_related("product").order_by("-last_activity_at", "-pk").for_display()

    def for_display(self):
        """Without ``search_text``: the words staff find a ticket by, up to 500 KB a ticket
        (search_index.TEXT_LIMIT), which no page shows; a listing of 50 read them all."""
        return self.defer("search_text")

    def member_tab_counts(self, user, company=False):
        """Counts for the member's list in one query: {"all", "open", "closed"} of the tab
        shown (their own tickets, or with ``company`` their colleagues'), and the size of
        each tab, {"mine", "company"}. Called on ``visible_to_member(user)``."""
        own = models.Q(author_id=user.pk)
        tab = ~own if company else own
        return self.aggregate(
            all=models.Count("pk", filter=tab),
            open=models.Count("pk", filter=tab & models.Q(status__in=TicketStatus.open_values())),
            closed=models.Count(
                "pk", filter=tab & models.Q(status__in=TicketStatus.closed_values())
            ),
            mine=models.Count("pk", filter=own),
            company=models.Count("pk", filter=~own),
        )

    def member_counts(self):
        """{"all", "open", "closed"} counts of these tickets in one query."""
        return self.aggregate(
            all=models.Count("pk"),
            open=models.Count("pk", filter=models.Q(status__in=TicketStatus.open_values())),
            closed=models.Count("pk", filter=models.Q(status__in=TicketStatus.closed_values())),
        )


# What the queue's counters look at (queue_cache.py): a ticket loaded with all of them
# remembers their values, so that saving it moves the cached counters by one instead of
# having every one counted again.
QUEUE_FIELDS = ("status", "client_status", "assignee_id", "sla_due_at")
_QUEUE_ATTNAMES = frozenset(QUEUE_FIELDS)


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
    # Our next response is due: the first-response target on filing, a next-response target
    # when the customer answers, none once staff have replied (tickets.py).
    sla_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    # The first-response target as set on filing (or re-ranking), kept after the reply for
    # the SLA reports; sla_due_at moves on.
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True, editable=False
    )
    last_customer_reply_at = models.DateTimeField(
        _("last customer activity"), null=True, blank=True, editable=False
    )
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

    # The words staff search a ticket by (search_index.py keeps it and its full-text index).
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    objects = TicketQuerySet.as_manager()

    # Not in Wagtail's reference index: it would hold a row per ticket for its product and
    # page and rewrite them on every save (four queries per status change or reply), only to
    # count tickets on a product's "usage" screen (issue 12).
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["priority", "criticality", "created_at"]
        indexes = [
            # The staff queue's order (triage.QUEUE_ORDERING): the first page of "needs our
            # action", of "open" and of everything is read off an index, not sorted.
            models.Index(
                *QUEUE_INDEX_EXPRESSIONS,
                name="avs_ticket_triage",
                condition=models.Q(status__in=TicketStatus.our_turn_values()),
            ),
            models.Index(
                *QUEUE_INDEX_EXPRESSIONS,
                name="avs_ticket_queue_open",
                condition=models.Q(status__in=TicketStatus.open_values()),
            ),
            # All statuses, and one status chosen in the filter: read in the queue's order and
            # filtered as read. (No index led by status: SQLite would pick it for the queues'
            # status lists and then sort every open ticket.)
            models.Index(*QUEUE_INDEX_EXPRESSIONS, name="avs_ticket_queue_all"),
            # The queue's counters (triage.ticket_counts: the menu badge, the dashboard) read
            # off this index alone, without visiting a ticket row: at 100,000 tickets the count
            # after a change takes 5 ms instead of 30 on SQLite. Led by the due time so that no
            # listing picks it for its status or client-status filter and then sorts.
            models.Index(
                fields=["sla_due_at", "status", "client_status", "assignee"],
                name="avs_ticket_counts",
                condition=models.Q(status__in=TicketStatus.open_values()),
            ),
            # An agent's open tickets in the queue's order: the dashboard's "your tickets" and
            # the "Mine" view read their first rows off it, not sorting each of the agent's
            # open tickets (5 ms for 1,250 of them at 100,000 tickets on SQLite).
            models.Index(
                models.F("assignee"),
                *QUEUE_INDEX_EXPRESSIONS,
                name="avs_ticket_mine_queue",
                condition=models.Q(status__in=TicketStatus.open_values()),
            ),
            # An agent's tickets in any other status.
            models.Index(fields=["assignee", "status"], name="avs_ticket_assignee_status"),
            # "Needs our action" with one assignee (the "Unassigned" view, a colleague), one
            # product or one criticality chosen, in the queue's order: read from that value's
            # first ticket, neither sorting every match (a product's, 18 ms at 100,000
            # tickets on SQLite) nor reading past the other values' tickets.
            *(
                models.Index(
                    models.F(field),
                    *QUEUE_INDEX_EXPRESSIONS,
                    name=f"avs_ticket_triage_{field}",
                    condition=models.Q(status__in=TicketStatus.our_turn_values()),
                )
                for field in ("assignee", "product", "criticality")
            ),
            # One status chosen ("Waiting for customer", …), in the queue's order: read off an
            # index of that status's tickets, not off every ticket's, filtering (page 20 of
            # "waiting", 17 ms at 100,000 tickets on SQLite).
            *(
                models.Index(
                    *QUEUE_INDEX_EXPRESSIONS,
                    name=f"avs_ticket_queue_{status}",
                    condition=models.Q(status=status),
                )
                for status in TicketStatus.values
            ),
            # A member's own list, newest activity first.
            models.Index(fields=["author", "-last_activity_at"], name="avs_ticket_author_activity"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}" if self.number else self.subject

    def save(self, *args, **kwargs):
        adding = self._state.adding
        # Read from __dict__: a ticket loaded without its client status (deferred) is not
        # changing it, and must not load it here.
        client_status = self.__dict__.get("client_status")
        if client_status in ClientStatus.values:
            # The priority is the client status's rank, always: the queue orders by it, and
            # the triage list's client-status filter asks for it alone (admin/filters.py).
            self.priority = ClientStatus.priority_of(client_status)
            fields = kwargs.get("update_fields")
            if fields is not None and "client_status" in fields and "priority" not in fields:
                kwargs["update_fields"] = [*fields, "priority"]
        super().save(*args, **kwargs)
        if adding and not self.number:
            self.number = format_ticket_number(self.pk, self.created_at)
            # The number's forms lead the search text (search_index.py), in the same UPDATE.
            self.search_text = f"{number_words(self.number, self.pk)} {self.search_text}".strip()
            self._write_number()

    def _write_number(self):
        """``UPDATE … SET number, search_text WHERE id``, as ``QuerySet.update()`` would run it:
        every ticket filed runs it, and compiling the ORM's update took twice as long as
        running it (issue 12). No signal or default manager is involved either way."""
        meta = type(self)._meta
        connection = connections[self._state.db]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608 - names from the model
                f"{quote(meta.get_field('number').column)} = %s, "
                f"{quote(meta.get_field('search_text').column)} = %s "
                f"WHERE {quote(meta.pk.column)} = %s",
                [self.number, self.search_text, self.pk],
            )

    queue_state_saved = None  # unknown (not loaded with them, or not saved yet)

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        if _QUEUE_ATTNAMES.issubset(field_names):
            instance.queue_state_saved = instance.queue_state()
        return instance

    def queue_state(self):
        return tuple(getattr(self, name) for name in QUEUE_FIELDS)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        refreshed = (
            _QUEUE_ATTNAMES - self.get_deferred_fields()
            if fields is None
            else {self._meta.get_field(name).attname for name in fields} & _QUEUE_ATTNAMES
        )
        if refreshed == _QUEUE_ATTNAMES:
            self.queue_state_saved = self.queue_state()
        elif refreshed:
            # Some of them read again, some as they were: what the row holds is unknown.
            self.queue_state_saved = None

    @property
    def product_name(self):
        return self.product.name if self.product_id else self.product_other

    @property
    def status_label(self):
        """The status in words: get_status_display() without rebuilding (and translating) the
        choices' dict on every call, 0.1 ms each: a list shows 20 or 50 of them."""
        return _label(TicketStatus, self.status)

    @property
    def criticality_label(self):
        """The criticality in words, as status_label."""
        return _label(Criticality, self.criticality)

    # Django's own get_FOO_display() builds the field's choices into a dict on each call,
    # hashing (so translating) every label: the mails and pages show three of them (issue 12).
    # The same answer, from the choices' enum.
    def get_status_display(self):
        return force_str(self.status_label, strings_only=True)

    def get_criticality_display(self):
        return force_str(self.criticality_label, strings_only=True)

    def get_client_status_display(self):
        return force_str(_label(ClientStatus, self.client_status), strings_only=True)

    @property
    def is_open(self):
        return self.status in TicketStatus.open_values()

    @property
    def response_due_at(self):
        """When our response is due, while it is our turn; None once the ticket waits for the
        customer or is resolved or closed (a due time set before does not count down there)."""
        return self.sla_due_at if self.status in TicketStatus.our_turn_values() else None

    @property
    def has_unseen_reply(self):
        """Support replied since the customer last looked at the ticket."""
        if self.last_staff_reply_at is None:
            return False
        return (
            self.customer_last_seen_at is None
            or self.last_staff_reply_at > self.customer_last_seen_at
        )


class StatusListedIn(models.Lookup):
    """``status__listed_in=[...]``: ``status IN ('new', 'replied', …)`` with the statuses
    written into the SQL rather than bound as parameters.

    SQLite uses a partial index (the queue's, the counters') only when it sees that the query's
    condition implies the index's, and it cannot see through bound parameters: with them, the
    counters' aggregate read every open ticket's row (34 ms at 100,000 tickets instead of 4).
    Only the fixed TicketStatus values can be written in, so nothing typed reaches the SQL.
    """

    lookup_name = "listed_in"

    def get_prep_lookup(self):
        values = list(self.rhs)
        if not values or any(value not in TicketStatus.values for value in values):
            raise ValueError(f"listed_in takes ticket statuses, not {values!r}")
        return values

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        listed = ", ".join(f"'{value}'" for value in self.rhs)
        return f"{lhs} IN ({listed})", params


Ticket._meta.get_field("status").register_lookup(StatusListedIn)


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

    def for_customer(self):
        """The public messages as a customer page shows them, in order with their files: two
        queries however long the conversation. Of each author only the first name
        (``author_first_name``: "Support · Olga"), not the whole user row: reading and building
        staff users nobody sees was a quarter of the messages' time, and put their password
        hashes in the page's context."""
        return (
            self.public()
            .annotate(author_first_name=models.F("author__first_name"))
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
