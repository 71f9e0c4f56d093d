"""Who the customer is: client accounts, their invoice numbers, and the member profile."""

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from ..kept_queries import KeptQuery
from ..validators import email_lines


class ClientStatus(models.TextChoices):
    CURRENT = "current", _("Current client")
    CLAIMED = "claimed", _("Claimed client")
    POTENTIAL = "potential", _("Potential client")

    @classmethod
    def priority_of(cls, status):
        """Lower number is served first: current, then claimed, then potential."""
        return {cls.CURRENT: 1, cls.CLAIMED: 2, cls.POTENTIAL: 3}[status]


def is_invoice_number(value):
    """Whether the text can be an invoice number at all: it has a letter or a digit."""
    return any(char.isalnum() for char in value or "")


def normalize_invoice_number(value):
    """Compare invoice numbers as people mean them: case, spaces and dashes do not count."""
    return re.sub(r"[\s\-–—_/.]+", "", value or "").upper()


class ClientAccount(ClusterableModel):
    """A company known to be a client: staff keep it, or import it from CSV."""

    company = models.CharField(_("company"), max_length=255)
    contact_emails = models.TextField(
        _("contact e-mails"), blank=True, help_text=_("One address per line.")
    )
    active = models.BooleanField(
        pgettext_lazy("client account", "active"),
        default=True,
        help_text=_("Only active accounts make their members current clients."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Company sharing (docs/company-sharing-and-ratings.md): off by default; staff, or the
    # member named below, turn it on. Who is a member: MemberProfile.client_account.
    share_tickets = models.BooleanField(
        _("members see the company's tickets"),
        default=False,
        help_text=_(
            "Every member of this account sees and may follow the tickets of the other members."
        ),
    )
    administrator = models.ForeignKey(
        "MemberProfile",
        verbose_name=_("administrator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "A member of this account who may turn ticket sharing on and off in their "
            "personal section."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client account")
        verbose_name_plural = _("client accounts")
        ordering = ["company"]

    def __str__(self):
        return self.company

    @property
    def contact_email_list(self):
        return email_lines(self.contact_emails)

    @property
    def shares_tickets(self):
        """Whether its members see each other's tickets: sharing on, account active (a
        deactivated account makes nobody a current client, nor a colleague)."""
        return self.share_tickets and self.active

    def is_administered_by(self, user):
        """The member named administrator, while still a member of this account."""
        profile = self.administrator
        return (
            profile is not None
            and profile.user_id == getattr(user, "pk", None)
            and profile.client_account_id == self.pk
        )


class ClientInvoiceNumber(Orderable):
    """An invoice or order number issued to a client account."""

    account = ParentalKey(ClientAccount, on_delete=models.CASCADE, related_name="invoice_numbers")
    number = models.CharField(_("invoice/order number"), max_length=64)
    normalized = models.CharField(max_length=64, unique=True, editable=False)

    class Meta(Orderable.Meta):
        verbose_name = _("invoice/order number")
        verbose_name_plural = _("invoice/order numbers")

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.normalized = normalize_invoice_number(self.number)
        super().save(*args, **kwargs)


def user_display_name(user):
    """How a person is named to others: their full name, else their login."""
    if user is None:
        return ""
    full_name = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


def profile_of(user):
    """The profile loaded with the user (``select_related("support_profile")``), or None when
    the desk has none for them. Without the select_related it costs a query."""
    return getattr(user, "support_profile", None)


def member_display_name(user):
    """A customer's name as the desk shows it: their profile's full name, else the user's."""
    profile = profile_of(user)
    return profile.display_name if profile is not None else user_display_name(user)


class MemberProfileQuerySet(models.QuerySet):
    def for_user(self, user):
        """The member's profile; an unsaved one, named after the user, while the desk has none.

        Reading never creates a row: the profile is saved when the member gives something
        (profile form, invoice number, a ticket).
        """
        # Loaded already on this user instance (an earlier call in the request, or a ticket's
        # author fetched with its profile): the corner box and the page share one read.
        profile_of_user = self.model._meta.get_field("user").remote_field
        if profile_of_user.is_cached(user):
            profile = profile_of_user.get_cached_value(user)
        elif self._is_plain():
            # Asked on most customer pages: the ORM's query compiled once (kept_queries).
            profile = _PROFILE_OF_USER.first(user.pk)
        else:
            profile = self.filter(user_id=user.pk).first()
            if profile is not None:
                profile_of_user.set_cached_value(user, profile)
        if profile is None:
            return self.model(user=user, full_name=user_display_name(user))
        profile.user = user  # the caller's instance: no second query for it
        return profile

    def _is_plain(self):
        """Whether this is the default manager's queryset as it comes: nothing filtered,
        joined, deferred or on another database (what the kept query reads)."""
        query = self.query
        return not (
            self._db
            or query.where
            or query.annotations
            or query.extra
            or query.select_related
            or query.deferred_loading[0]
            or self._prefetch_related_lookups
        )

    def reuse_loaded(self, user, loaded):
        """``loaded`` is ``user`` (another instance of the same row) fetched with its profile,
        e.g. a ticket's author: later ``for_user(user)`` calls take that profile, no query."""
        profile_of_user = self.model._meta.get_field("user").remote_field
        if loaded.pk == user.pk and profile_of_user.is_cached(loaded):
            profile_of_user.set_cached_value(user, profile_of_user.get_cached_value(loaded))


class MemberProfile(models.Model):
    """What the support desk knows about a site user, one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_profile"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    invoice_number = models.CharField(
        _("invoice/order number"),
        max_length=64,
        blank=True,
        help_text=_("The number of an invoice or order you received from us."),
    )
    client_status = models.CharField(
        _("client status"),
        max_length=16,
        choices=ClientStatus.choices,
        default=ClientStatus.POTENTIAL,
        db_index=True,
    )
    client_account = models.ForeignKey(
        ClientAccount,
        verbose_name=_("client account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    automatic_match_blocked = models.BooleanField(
        _("no automatic matching"),
        default=False,
        help_text=_(
            "Set when staff withdraw a verification: the member's number no longer makes them "
            "a current client by itself. Cleared when they give another number or staff verify "
            "them."
        ),
    )
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    # A new address waiting for its confirmation link to be followed.
    pending_email = models.EmailField(_("new e-mail, not yet confirmed"), blank=True)
    # Consent to the processing of personal data, given at registration when the site names
    # a privacy policy page. The version says what was consented to: "page:<id>/rev:<id>",
    # the policy page and its live revision at that moment (see member_data.consent_version).
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_version = models.CharField(
        _("consent version"),
        max_length=100,
        blank=True,
        help_text=_("The privacy policy page and its revision the member consented to."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MemberProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("member profile")
        verbose_name_plural = _("member profiles")
        permissions = [("verify_client", _("Can verify and unverify a member's client status"))]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.full_name or user_display_name(self.user)

    @property
    def priority(self):
        return ClientStatus.priority_of(self.client_status)


# MemberProfileQuerySet.for_user's query. A user has one profile at most: no ORDER BY.
_PROFILE_OF_USER = KeptQuery(
    MemberProfile,
    lambda user_id: MemberProfile.objects.filter(user_id=user_id).order_by()[:1],
    kinds=("id",),
)
