from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from ..validators import email_lines, validate_email_lines


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
    sla_current_hours = models.PositiveSmallIntegerField(
        _("first response for current clients, hours"), default=4
    )
    sla_claimed_working_days = models.PositiveSmallIntegerField(
        _("first response for claimed clients, working days"), default=1
    )
    sla_potential_working_days = models.PositiveSmallIntegerField(
        _("first response for potential clients, working days"), default=2
    )
    notification_emails = models.TextField(
        _("support addresses"),
        blank=True,
        help_text=_("New tickets and customer replies are sent here, one address per line."),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("attachment_max_size"), FieldPanel("attachments_per_message")],
            heading=_("Attachments"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("sla_current_hours"),
                FieldPanel("sla_claimed_working_days"),
                FieldPanel("sla_potential_working_days"),
            ],
            heading=_("First response targets"),
        ),
        FieldPanel("notification_emails"),
    ]

    class Meta:
        verbose_name = _("support settings")

    def clean(self):
        super().clean()
        try:
            validate_email_lines(self.notification_emails)
        except ValidationError as error:
            # A typo here silently loses every new-ticket notification: refuse it.
            raise ValidationError({"notification_emails": error}) from None

    @property
    def notification_email_list(self):
        return email_lines(self.notification_emails)
