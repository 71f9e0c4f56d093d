"""A site's own pages: the home page with the base template that carries the corner widget, and
a support page of the site's own that changes one step of filing a ticket."""

from django import forms
from django.db import transaction
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from avsoft_support import tickets
from avsoft_support.forms.tickets import TicketForm
from avsoft_support.models import HelpArticleMixin
from avsoft_support.pages import SupportPageMixin


class HomePage(Page):
    template = "testapp/home_page.html"


class ReferenceTicketForm(TicketForm):
    """The ticket form with one more question the reference desk must have answered."""

    contract_reference = forms.CharField(
        label="Contract reference",
        max_length=50,
        help_text="The number of your support contract, e.g. SC-2026-17.",
    )


REFERENCE_NOTE = "Filed on the reference desk"


class ReferenceSupportPage(SupportPageMixin, Page):
    """A support page that asks for a contract reference and leaves staff a note about it;
    every other step (storing the ticket, mails, the thank-you) is the mixin's."""

    template = "avsoft_support/pages/support_page.html"
    content_panels = Page.content_panels + SupportPageMixin.content_panels_support
    subpage_types = []

    def get_ticket_form_class(self):
        return ReferenceTicketForm

    def file_ticket(self, request, form, profile):
        with transaction.atomic():  # the ticket and its note, or neither
            ticket = super().file_ticket(request, form, profile)
            tickets.add_message(
                ticket,
                None,  # written by the desk itself, not by a person
                f"{REFERENCE_NOTE}. Contract: {form.cleaned_data['contract_reference']}",
                from_staff=True,
                internal=True,
            )
        return ticket


class HelpPage(HelpArticleMixin, Page):
    """A help article of the site's own: suggested on the new-ticket form (its body searched)."""

    body = RichTextField(blank=True)
    search_fields = Page.search_fields + [index.SearchField("body")]
