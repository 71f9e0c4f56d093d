"""How the customer rated a resolved ticket: one rating per ticket (ratings.py records it)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .tickets import Ticket


class RatingScore(models.TextChoices):
    GOOD = "good", pgettext_lazy("rating", "Good")
    BAD = "bad", pgettext_lazy("rating", "Bad")


class RatingSource(models.TextChoices):
    EMAIL = "email", _("Link in the e-mail")
    PAGE = "page", _("Ticket page")


class Rating(models.Model):
    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="rating"
    )
    score = models.CharField(_("rating"), max_length=8, choices=RatingScore.choices)
    # Plain text as typed: shown through sanitize.py, never as HTML.
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The assignee when the rating came in: the report credits who resolved the ticket even
    # if it is reassigned later.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee when rated"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("given through"), max_length=8, choices=RatingSource.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"

    @property
    def is_good(self):
        return self.score == RatingScore.GOOD
