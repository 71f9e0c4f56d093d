"""A site with its own base page (Wagtail 8's WAGTAIL_PAGE_MODEL), and its support page built
on the mixin, as the README tells such a site to."""

from django.db import models
from wagtail.models import AbstractPage

from avsoft_support.pages import SupportPageMixin


class BasePage(AbstractPage):
    """The site's own base page: every page of the site has a teaser."""

    teaser = models.CharField(max_length=255, blank=True)


class CustomHomePage(BasePage):
    template = "testapp/home_page.html"


class CustomSupportPage(SupportPageMixin, BasePage):
    template = "avsoft_support/pages/support_page.html"
    content_panels = BasePage.content_panels + SupportPageMixin.content_panels_support
    subpage_types = []
