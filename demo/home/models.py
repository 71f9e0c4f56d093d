from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from avsoft_support.models import HelpArticleMixin


class HomePage(Page):
    body = RichTextField(blank=True)
    content_panels = Page.content_panels + [FieldPanel("body")]


class HelpPage(HelpArticleMixin, Page):
    """A help article: suggested to members while they type a new ticket (HelpArticleMixin)."""

    body = RichTextField(blank=True)
    content_panels = Page.content_panels + [FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]
    template = "home/home_page.html"

    class Meta:
        verbose_name = "help article"
