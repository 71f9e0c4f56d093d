"""The support page: a mixin with the behaviour and a concrete page, as Wagtail's form builder does.

``SupportPageMixin`` carries the editable texts and the ticket routes (RoutablePageMixin); a site
that has its own base page builds ``class MySupportPage(SupportPageMixin, MyBasePage)``.
The route methods only delegate: the views live in ``avsoft_support/views/tickets.py``.

Routes (names for ``reverse_subpage`` / ``{% routablepageurl %}``):
    ""                       index   intro, filing rules, the member's ticket list
    "new/"                   new     the new-ticket form
    "<number>/"              ticket  one ticket: conversation, reply form, downloads
    "<number>/reply/"        reply   POST a reply
    "<number>/close/"        close   POST: the member closes their ticket
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField
from wagtail.models import Page

from ..csp import customer_csp

TICKET_NUMBER = r"(?P<number>[0-9]{4}-[0-9]{1,12})"


class SupportPageMixin(RoutablePageMixin, models.Model):
    """Editable texts of a support page and its ticket routes."""

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

    # Templates of the routes; a subclass may point them elsewhere.
    ticket_form_template = "avsoft_support/tickets/new.html"
    ticket_detail_template = "avsoft_support/tickets/detail.html"
    ticket_not_found_template = "avsoft_support/tickets/not_found.html"
    ticket_close_template = "avsoft_support/tickets/close.html"
    tickets_per_page = 20

    class Meta:
        abstract = True

    def serve(self, request, view=None, args=None, kwargs=None):
        # Every route of the page is a customer page: it sends our Content-Security-Policy.
        parent_serve = super().serve
        return customer_csp(lambda req: parent_serve(req, view, args, kwargs))(request)

    # Preview: editors see the form and the thank-you text they edit, not only the intro.

    @property
    def preview_modes(self):
        return [
            ("", _("Support page")),
            ("form", _("New ticket form")),
            ("thanks", _("Ticket page with the thank-you text")),
        ]

    def serve_preview(self, request, mode_name):
        from ..views import tickets

        if mode_name == "form":
            return tickets.preview_ticket_form(self, request)
        if mode_name == "thanks":
            return tickets.preview_thanks(self, request)
        return super().serve_preview(request, mode_name)

    # Routes --------------------------------------------------------------------------------

    @path("", name="index")
    def index_route(self, request, *args, **kwargs):
        from ..views import tickets

        return tickets.ticket_index(self, request)

    @path("new/", name="new")
    def new_ticket_route(self, request):
        from ..views import tickets

        return tickets.new_ticket(self, request)

    @re_path(rf"^{TICKET_NUMBER}/$", name="ticket")
    def ticket_route(self, request, number):
        from ..views import tickets

        return tickets.ticket_detail(self, request, number)

    @re_path(rf"^{TICKET_NUMBER}/reply/$", name="reply")
    def reply_route(self, request, number):
        from ..views import tickets

        return tickets.reply(self, request, number)

    @re_path(rf"^{TICKET_NUMBER}/close/$", name="close")
    def close_route(self, request, number):
        from ..views import tickets

        return tickets.close(self, request, number)

    # URLs ------------------------------------------------------------------------------------

    def route_url(self, name, request=None, **kwargs):
        """The page-relative URL of one of its routes, e.g. ``route_url("ticket", number=n)``."""
        return (self.get_url(request) or "") + self.reverse_subpage(name, kwargs=kwargs)

    def full_route_url(self, name, request=None, **kwargs):
        return (self.get_full_url(request) or "") + self.reverse_subpage(name, kwargs=kwargs)

    def ticket_url(self, ticket, request=None):
        return self.route_url("ticket", request, number=ticket.number)


class SupportPage(SupportPageMixin, Page):
    template = "avsoft_support/pages/support_page.html"
    content_panels = Page.content_panels + SupportPageMixin.content_panels_support
    subpage_types = []

    class Meta:
        verbose_name = _("support page")
        verbose_name_plural = _("support pages")


def live_support_pages():
    """Live pages of every support page type (SupportPage or a site's own on the mixin)."""
    from wagtail.models import get_page_models

    page_models = [
        model
        for model in get_page_models()
        if issubclass(model, SupportPageMixin) and not model._meta.abstract
    ]
    if not page_models:
        return Page.objects.none()
    return Page.objects.live().type(*page_models)


def find_support_page(site=None):
    """The first live support page (of ``site`` when given), in tree order, or None.

    Any live support page shows a member all their tickets. Mails link to the page a ticket
    was filed on and fall back to this; the old site's ticket-list address uses this one.
    """
    pages = live_support_pages().order_by("path")
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    page = pages.first()
    return page.specific if page is not None else None
