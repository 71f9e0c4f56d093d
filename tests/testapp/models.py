"""A site's own home page, with the base template that carries the corner widget."""

from wagtail.models import Page


class HomePage(Page):
    template = "testapp/home_page.html"
