"""Canned replies: texts support staff insert into a reply instead of typing them again."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from .clients import member_display_name, user_display_name


class CannedReply(models.Model):
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Shown in the list staff pick from.")
    )
    category = models.CharField(
        _("category"),
        max_length=100,
        blank=True,
        help_text=_("Replies of one category are listed together, for example “Licences”."),
    )
    text = models.TextField(
        _("text"),
        help_text=_(
            "Markdown, inserted into the reply; staff can edit it before sending. "
            "Placeholders: {customer_name}, {ticket_number}, {product}, {version}, {agent_name}."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    panels = [FieldPanel("title"), FieldPanel("category"), FieldPanel("text")]

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["category", "title"]

    def __str__(self):
        return self.title

    PLACEHOLDERS = ("customer_name", "ticket_number", "product", "version", "agent_name")

    def fill(self, ticket, agent):
        """The text with its placeholders ({customer_name}, {ticket_number}, {product},
        {version}, {agent_name}) replaced by plain string substitution: an editor's text is
        never run as template code, and unknown braces stay as typed."""
        values = {
            "customer_name": member_display_name(ticket.author) if ticket.author_id else "",
            "ticket_number": ticket.number or "",
            "product": ticket.product_name or "",
            "version": ticket.product_version or "",
            "agent_name": user_display_name(agent) if agent is not None else "",
        }
        text = self.text
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text
