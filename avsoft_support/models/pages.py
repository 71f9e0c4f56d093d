"""The support page: a mixin with the behaviour and a concrete page, as Wagtail's form builder does."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.fields import RichTextField
from wagtail.models import Page


class SupportPageMixin(models.Model):
    """Editable texts of a support page. The ticket routes live in views/tickets.py."""

    intro = RichTextField(_("introduction"), blank=True)
    filing_rules = RichTextField(_("how to file a ticket"), blank=True)
    thank_you_text = RichTextField(_("thank-you text"), blank=True)

    help_subject = models.CharField(_("help: subject"), max_length=255, blank=True)
    help_product = models.CharField(_("help: product"), max_length=255, blank=True)
    help_product_version = models.CharField(_("help: product version"), max_length=255, blank=True)
    help_os_version = models.CharField(_("help: OS version"), max_length=255, blank=True)
    help_criticality = models.CharField(_("help: criticality"), max_length=255, blank=True)
    help_description = models.CharField(_("help: description"), max_length=255, blank=True)
    help_steps_to_problem = models.CharField(_("help: steps that led to the problem"), max_length=255, blank=True)
    help_steps_to_reproduce = models.CharField(_("help: steps to reproduce"), max_length=255, blank=True)
    help_invoice_number = models.CharField(_("help: invoice/order number"), max_length=255, blank=True)
    help_attachments = models.CharField(_("help: attachments"), max_length=255, blank=True)

    content_panels_support = [
        FieldPanel("intro"),
        FieldPanel("filing_rules"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldPanel("help_subject"),
                FieldPanel("help_product"),
                FieldPanel("help_product_version"),
                FieldPanel("help_os_version"),
                FieldPanel("help_criticality"),
                FieldPanel("help_description"),
                FieldPanel("help_steps_to_problem"),
                FieldPanel("help_steps_to_reproduce"),
                FieldPanel("help_invoice_number"),
                FieldPanel("help_attachments"),
            ],
            heading=_("Help texts beside the ticket form"),
        ),
    ]

    class Meta:
        abstract = True


class SupportPage(RoutablePageMixin, SupportPageMixin, Page):
    template = "avsoft_support/pages/support_page.html"
    content_panels = Page.content_panels + SupportPageMixin.content_panels_support

    class Meta:
        verbose_name = _("support page")
        verbose_name_plural = _("support pages")
