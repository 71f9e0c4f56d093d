import hashlib
from datetime import time
from zoneinfo import ZoneInfo

import swapper
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from ..validators import (
    default_time_zone,
    email_lines,
    validate_email_lines,
    validate_time_zone,
)

# A site's own base page (WAGTAIL_PAGE_MODEL) is what the policy page is.
swapper.set_app_prefix("wagtailcore", "wagtail")


@register_setting(icon="help")
class SupportSettings(BaseSiteSetting):
    attachment_max_size = models.PositiveIntegerField(
        _("largest attachment, in bytes"),
        default=300 * 1024,
        # 0 would refuse every file on the server while the browser check reads it as "no limit".
        validators=[MinValueValidator(1)],
        help_text=_("Each file may be at most this size; 307200 bytes is 300 KB."),
    )
    attachments_per_message = models.PositiveSmallIntegerField(
        _("files per message"), default=5, validators=[MinValueValidator(1)]
    )
    # First-response targets, in working time (avsoft_support.sla says how it is counted).
    sla_current_hours = models.PositiveSmallIntegerField(
        _("first response for current clients, working hours"),
        default=4,
        help_text=_(
            "Counted only within the working day, on working days: 4 hours from 16:00 on "
            "Friday, with a 09:00-18:00 day, is 11:00 on Monday."
        ),
    )
    sla_claimed_working_days = models.PositiveSmallIntegerField(
        _("first response for claimed clients, working days"),
        default=1,
        help_text=_(
            "Counted from the day after the ticket is filed; due when the last of these "
            "working days ends: 1 day from any time on Wednesday is 18:00 on Thursday."
        ),
    )
    sla_potential_working_days = models.PositiveSmallIntegerField(
        _("first response for potential clients, working days"),
        default=2,
        help_text=_("Counted like the days for claimed clients."),
    )
    # Next-response targets: counted the same way from the customer's answer (sla.py).
    sla_next_current_hours = models.PositiveSmallIntegerField(
        _("next response for current clients, working hours"),
        default=4,
        help_text=_("Counted from the customer's answer, like the first response."),
    )
    sla_next_claimed_working_days = models.PositiveSmallIntegerField(
        _("next response for claimed clients, working days"),
        default=1,
        help_text=_("Counted from the customer's answer, like the first response."),
    )
    sla_next_potential_working_days = models.PositiveSmallIntegerField(
        _("next response for potential clients, working days"),
        default=2,
        help_text=_("Counted from the customer's answer, like the first response."),
    )
    escalation_lead_minutes = models.PositiveIntegerField(
        _("warn before the first response is due, minutes"),
        default=60,
        help_text=_(
            "The assignee (or the support addresses, when nobody is assigned) is mailed this "
            "long before an unanswered ticket's first response is due, and again once it is "
            "overdue. 0: no warning, only the overdue notice."
        ),
    )
    auto_close_working_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after, working days"),
        default=5,
        help_text=_(
            "A resolved ticket the customer does not answer for this many working days is "
            "closed. 0: resolved tickets stay resolved."
        ),
    )
    waiting_reminder_working_days = models.PositiveSmallIntegerField(
        _("remind a customer who does not answer after, working days"),
        default=3,
        help_text=_(
            "A ticket waiting for the customer gets one reminder after this many working days "
            "without an answer, and is resolved after as many more. 0: no reminder."
        ),
    )
    working_day_start = models.TimeField(_("working day starts"), default=time(9, 0))
    working_day_end = models.TimeField(_("working day ends"), default=time(18, 0))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_(
            "The support desk's working hours and dates are in this time zone, for example "
            "Europe/Moscow."
        ),
    )
    notification_emails = models.TextField(
        _("support addresses"),
        blank=True,
        help_text=_("New tickets and customer replies are sent here, one address per line."),
    )
    # The e-mail channel. The password is never stored here: only the name of the
    # environment variable that holds it, so the admin never shows it back.
    reply_address = models.EmailField(
        _("address for replies by e-mail"),
        blank=True,
        help_text=_(
            "Mails about a ticket ask for replies to this address with the ticket's code "
            "added after a plus (support+code@example.com); the mailbox below must receive "
            "that mail. Empty: customers answer on the support page only."
        ),
    )
    staff_replies_by_email = models.BooleanField(
        _("accept staff replies by e-mail"),
        default=False,
        help_text=_(
            "A reply from a support staff member's address is sent to the customer. Off: "
            "staff answer in the admin, behind the second factor."
        ),
    )
    # Off by default: a mail carries none of the details the regulations ask for (product,
    # versions, steps), so a desk turns it on knowingly; the receipt asks for them.
    new_tickets_by_email = models.BooleanField(
        _("accept new tickets by e-mail"),
        default=False,
        help_text=_(
            "A mail to the address for replies that answers no ticket opens a new ticket when "
            "it comes from the confirmed address of an active user; the receipt asks for the "
            "product, versions and steps the form would have asked for. Off: such mail gets a "
            "polite answer pointing to the support page."
        ),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP connection"),
        max_length=10,
        choices=[("ssl", _("TLS (port 993)")), ("starttls", _("STARTTLS (port 143)"))],
        default="ssl",
    )
    imap_username = models.CharField(_("IMAP login"), max_length=255, blank=True)
    imap_password_variable = models.CharField(
        _("environment variable with the IMAP password"),
        max_length=100,
        blank=True,
        default="AVSOFT_SUPPORT_IMAP_PASSWORD",
        help_text=_("The password itself is never stored in the database."),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    privacy_policy_page = models.ForeignKey(
        swapper.get_model_name("wagtailcore", "Page"),
        verbose_name=_("privacy policy page"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "When set and published, registration asks for consent to the processing of "
            "personal data under this page, and records which revision was consented to."
        ),
    )
    attachment_retention_days = models.PositiveIntegerField(
        _("keep attachments of closed tickets, days"),
        default=0,
        help_text=_(
            "Files attached to tickets closed longer than this are deleted by the "
            "support_purge_attachments command. 0 keeps them for ever."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("attachment_max_size"),
                FieldPanel("attachments_per_message"),
                FieldPanel("attachment_retention_days"),
            ],
            heading=_("Attachments"),
        ),
        MultiFieldPanel(
            [
                HelpPanel(
                    _(
                        "Targets count working time only: the working day below, on working "
                        "days (Monday to Friday, corrected by the production calendar in "
                        "Support, Calendar)."
                    )
                ),
                FieldPanel("sla_current_hours"),
                FieldPanel("sla_claimed_working_days"),
                FieldPanel("sla_potential_working_days"),
                FieldPanel("sla_next_current_hours"),
                FieldPanel("sla_next_claimed_working_days"),
                FieldPanel("sla_next_potential_working_days"),
                FieldPanel("working_day_start"),
                FieldPanel("working_day_end"),
                FieldPanel("time_zone"),
                FieldPanel("escalation_lead_minutes"),
            ],
            heading=_("First response targets"),
        ),
        MultiFieldPanel(
            [
                HelpPanel(
                    _(
                        "Sent and applied by the support_run_sla command (run it every few "
                        "minutes from cron or a task scheduler)."
                    )
                ),
                FieldPanel("waiting_reminder_working_days"),
                FieldPanel("auto_close_working_days"),
            ],
            heading=_("Tickets without an answer"),
        ),
        FieldPanel("notification_emails"),
        FieldPanel("privacy_policy_page"),
        MultiFieldPanel(
            [
                HelpPanel(
                    _(
                        "Replies are fetched by the support_fetch_mail command (run it every "
                        "minute from cron or a task scheduler) or piped in by the mail server "
                        "with support_receive_mail."
                    )
                ),
                FieldPanel("reply_address"),
                FieldPanel("staff_replies_by_email"),
                FieldPanel("new_tickets_by_email"),
                FieldPanel("imap_host"),
                FieldPanel("imap_port"),
                FieldPanel("imap_security"),
                FieldPanel("imap_username"),
                FieldPanel("imap_password_variable"),
                FieldPanel("imap_folder"),
            ],
            heading=_("Replies by e-mail"),
        ),
    ]

    class Meta:
        verbose_name = _("support settings")

    @classmethod
    def for_site(cls, site):
        """Wagtail's get-or-create, read through the cache: every customer page and every
        filing reads these. A save or delete of the settings or of their site drops the site's
        entry (``forget``, from signals.py); a change no signal reports (a queryset
        ``update``) lasts until the entry expires."""
        if site is None:
            return super().for_site(site)  # Wagtail's DoesNotExist
        key = cls.cache_key(site.pk)
        instance = cache.get(key)
        if instance is None:
            instance = super().for_site(site)
            instance.site = site  # kept with the entry: for_site_id hands it to the mails
            cache.set(key, instance, SETTINGS_CACHE_SECONDS)
        else:
            instance.site = site  # the caller's, not the copy kept with the entry
        return instance

    @classmethod
    def for_site_id(cls, site_id):
        """The settings of the site with this id, their ``site`` loaded, or None when they were
        never saved for it; through the same cache as ``for_site``."""
        key = cls.cache_key(site_id)
        instance = cache.get(key)
        if instance is None:
            instance = cls.base_queryset().select_related("site").filter(site_id=site_id).first()
            if instance is not None:
                cache.set(key, instance, SETTINGS_CACHE_SECONDS)
        return instance

    @classmethod
    def cache_key(cls, site_id):
        return f"avsoft_support:settings:{_FIELDS_DIGEST}:{site_id}"

    @classmethod
    def forget(cls, site_id):
        cache.delete(cls.cache_key(site_id))

    def clean(self):
        super().clean()
        try:
            validate_email_lines(self.notification_emails)
        except ValidationError as error:
            # A typo here silently loses every new-ticket notification: refuse it.
            raise ValidationError({"notification_emails": error}) from None
        start, end = self.working_day_start, self.working_day_end
        if start is not None and end is not None and end <= start:
            # No working time at all would leave every ticket without a due time.
            raise ValidationError(
                {"working_day_end": _("The working day must end after it starts.")}
            )

    @property
    def zone(self):
        """The desk's time zone (ZoneInfo); the site's TIME_ZONE if the name stored is unknown."""
        try:
            validate_time_zone(self.time_zone)
        except ValidationError:
            return ZoneInfo(default_time_zone())
        return ZoneInfo(self.time_zone)

    @property
    def notification_email_list(self):
        return email_lines(self.notification_emails)


# How long a site's settings stay in the cache when nothing drops them.
SETTINGS_CACHE_SECONDS = 300
# The fields in the key: a release that adds one never reads an instance kept without it.
_FIELDS_DIGEST = hashlib.sha256(
    " ".join(field.attname for field in SupportSettings._meta.concrete_fields).encode()
).hexdigest()[:12]
