"""What every support page is, as data: the editable texts, the URLs of its routes, and how to
find the live ones. The routes themselves (the customer's ticket pages) and the concrete page
type are in ``avsoft_support/pages.py``, above the forms and the domain they use.
"""

import swapper
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.fields import RichTextField
from wagtail.models import PageViewRestriction, get_page_models

swapper.set_app_prefix("wagtailcore", "wagtail")

TICKET_NUMBER = r"(?P<number>[0-9]{4}-[0-9]{1,12})"


class SupportPageBase(RoutablePageMixin, models.Model):
    """Editable texts of a support page and the URLs of its routes (no behaviour: see
    ``avsoft_support.pages.SupportPageMixin``)."""

    intro = RichTextField(_("introduction"), blank=True)
    filing_rules = RichTextField(_("how to file a ticket"), blank=True)
    thank_you_text = RichTextField(_("thank-you text"), blank=True)

    help_subject = models.CharField(_("help: subject"), max_length=255, blank=True)
    help_product = models.CharField(_("help: product"), max_length=255, blank=True)
    help_product_version = models.CharField(_("help: product version"), max_length=255, blank=True)
    help_os_version = models.CharField(_("help: OS version"), max_length=255, blank=True)
    help_criticality = models.CharField(_("help: criticality"), max_length=255, blank=True)
    help_description = models.CharField(_("help: description"), max_length=255, blank=True)
    help_steps_to_problem = models.CharField(
        _("help: steps that led to the problem"), max_length=255, blank=True
    )
    help_steps_to_reproduce = models.CharField(
        _("help: steps to reproduce"), max_length=255, blank=True
    )
    help_invoice_number = models.CharField(
        _("help: invoice/order number"), max_length=255, blank=True
    )
    help_attachments = models.CharField(_("help: attachments"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def get_view_restrictions(self):
        """Wagtail's privacy check asks this on every request: two queries (the ancestors'
        alias links, then their restrictions). The routing middleware (``routing.py``), which
        loads the page with the restrictions' ids of its entry, leaves them here: none when
        no restriction exists for them."""
        guards = self.__dict__.get("_avsoft_view_guards")
        if guards is None:
            return super().get_view_restrictions()
        if not guards:
            return PageViewRestriction.objects.none()
        return PageViewRestriction.objects.filter(page_id__in=guards)

    # URLs ------------------------------------------------------------------------------------

    def route_url(self, name, request=None, **kwargs):
        """The page-relative URL of one of its routes, e.g. ``route_url("ticket", number=n)``."""
        return self._url_for(request) + self.reverse_subpage(name, kwargs=kwargs)

    def _url_for(self, request):
        """The page's own URL, worked out once per request (kept on the request): a ticket
        page links to eight of its routes, and Wagtail's get_url reverses and reads the site's
        root paths each time."""
        if request is None:
            return self.get_url() or ""
        known = request.__dict__.setdefault("_avsoft_support_page_urls", {})
        if self.pk not in known:
            known[self.pk] = self.get_url(request) or ""
        return known[self.pk]

    def full_route_url(self, name, request=None, **kwargs):
        return (self.get_full_url(request) or "") + self.reverse_subpage(name, kwargs=kwargs)

    def ticket_url(self, ticket, request=None):
        return self.route_url("ticket", request, number=ticket.number)


def live_support_pages():
    """Live pages of every support page type (SupportPage or a site's own on the mixin)."""
    page_models = [
        model
        for model in get_page_models()
        if issubclass(model, SupportPageBase) and not model._meta.abstract
    ]
    Page = swapper.load_model("wagtailcore", "Page")
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
