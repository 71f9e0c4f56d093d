"""Canned replies: texts support staff insert into a reply instead of typing them again."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel


class CannedReply(models.Model):
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Shown in the list staff pick from.")
    )
    text = models.TextField(
        _("text"),
        help_text=_(
            "Markdown, inserted into the reply as written; staff can edit it before sending."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    panels = [FieldPanel("title"), FieldPanel("text")]

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self):
        return self.title
