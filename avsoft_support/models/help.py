"""Help articles: which pages count as one, and how often one answered a customer's question.

Any page type can be a help article, in either of two ways (docs/help-articles.md):

* its class mixes in ``HelpArticleMixin`` (``class HowToPage(HelpArticleMixin, Page)``), or
* its ``app_label.ModelName`` is in ``AVSOFT_SUPPORT_HELP_ARTICLE_PAGE_TYPES`` (a page type the
  site cannot or will not change, e.g. one from another package).

Editors then publish pages of those types; the suggestions on the new-ticket form find them
through Wagtail search (``avsoft_support.help_articles``).
"""

import swapper
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

swapper.set_app_prefix("wagtailcore", "wagtail")


class HelpArticleMixin:
    """Marks a page type as help articles: its live, public pages are suggested to customers
    while they type a new ticket. Index the article's text in the page's ``search_fields``."""


def help_article_page_types():
    """The page types whose pages are help articles: the mixin's and the setting's."""
    types = [HelpArticleMixin]
    for label in app_settings.HELP_ARTICLE_PAGE_TYPES:
        types.append(apps.get_model(label))
    return types


class HelpArticleStat(models.Model):
    """How many customers said a help article answered their question (instead of filing)."""

    page = models.OneToOneField(
        swapper.get_model_name("wagtailcore", "Page"),
        verbose_name=_("help article"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    answered_count = models.PositiveIntegerField(_("answered a question"), default=0)
    last_answered_at = models.DateTimeField(_("last answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("help article statistic")
        verbose_name_plural = _("help article statistics")
        ordering = ["-answered_count"]

    def __str__(self):
        return str(self.page)

    @classmethod
    def count_answered(cls, page):
        """Add one to the page's count, safely when several customers click at once: the
        database adds (F()), and a first click racing another creates the row only once."""
        now = timezone.now()
        increment = {"answered_count": F("answered_count") + 1, "last_answered_at": now}
        if cls.objects.filter(page=page).update(**increment):
            return
        try:
            with transaction.atomic():
                cls.objects.create(page=page, answered_count=1, last_answered_at=now)
        except IntegrityError:  # another request created it meanwhile
            cls.objects.filter(page=page).update(**increment)
