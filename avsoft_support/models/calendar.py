"""The production calendar: dates that are not what their weekday says.

Monday to Friday are working days and Saturday and Sunday are not, unless a row here says
otherwise: a holiday or a day off moved by a government decree (non-working), or a Saturday
made a working day by such a decree (working). One calendar for every site: each site reads it
by its own local dates. ``manage.py support_seed_calendar`` fills a year from the holidays
library; staff correct and complete it in the admin, and the command never overwrites a date
that is already here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        NON_WORKING = "holiday", _("Non-working day (holiday or day off)")
        WORKING = "working", _("Working day (transferred)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.NON_WORKING
    )
    name = models.CharField(
        _("name or note"),
        max_length=200,
        blank=True,
        help_text=_("What the day is, and the decree that moved it, if any."),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}" + (
            f": {self.name}" if self.name else ""
        )
