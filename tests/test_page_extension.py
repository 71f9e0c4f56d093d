"""A site's own support page type changes one step of filing a ticket and keeps the rest.

``tests.testapp.models.ReferenceSupportPage`` (on ``SupportPageMixin``) overrides two steps only:
``get_ticket_form_class`` (the ticket form with a required "contract reference") and
``file_ticket`` (files the ticket as usual, then leaves staff an internal note). Everything else
(storing the ticket, the redirect with the thank-you text, the mail to support) is the mixin's,
and the app's own SupportPage on the same site is untouched.
"""

import pytest
from django.utils.html import escape
from wagtail.log_actions import registry as log_registry

from avsoft_support.audit import TICKET_NOTE
from avsoft_support.models import Message, Ticket
from tests.utils import ticket_form_data

# tests.testapp is imported in the tests only: the custom-base-page run (tests.settings_custompage)
# leaves the app out, and still collects this module.
REFERENCE_NOTE = "Filed on the reference desk"
PAGE = "/reference-desk/"
NEW = PAGE + "new/"
SUPPORT = ["support@example.com", "duty@example.com"]


@pytest.fixture
def reference_page(site):
    from tests.testapp.models import ReferenceSupportPage

    return site.root_page.add_child(
        instance=ReferenceSupportPage(
            title="Reference desk",
            slug="reference-desk",
            intro="<p>The desk for reference customers.</p>",
        )
    )


@pytest.fixture
def member_client(client, member, reference_page, support_settings, product):
    client.force_login(member)
    return client


def file_on_the_reference_desk(client, product, capture, **overrides):
    data = ticket_form_data(product, **overrides)
    with capture(execute=True):
        return client.post(NEW, data)


def test_the_form_asks_for_the_contract_reference(member_client):
    from tests.testapp.models import ReferenceTicketForm

    response = member_client.get(NEW)

    assert response.status_code == 200
    form = response.context["form"]
    assert isinstance(form, ReferenceTicketForm)
    assert form.fields["contract_reference"].required
    # The rest of the form is the app's own.
    assert '<label for="id_subject">' in response.content.decode()


def test_the_form_page_shows_the_extra_field(member_client):
    content = member_client.get(NEW).content.decode()
    assert '<label for="id_contract_reference">' in content
    assert 'name="contract_reference"' in content
    assert "The number of your support contract, e.g. SC-2026-17." in content


def test_without_the_reference_the_ticket_is_refused_and_nothing_stored(
    member_client, product, django_capture_on_commit_callbacks, mailoutbox
):
    response = file_on_the_reference_desk(
        member_client, product, django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"contract_reference": ["This field is required."]}
    content = response.content.decode()
    assert "Please correct the following:" in content
    assert escape("Contract reference: This field is required.") in content
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0
    assert mailoutbox == []


def test_with_the_reference_the_ticket_is_filed_and_staff_get_the_note(
    member_client, member, product, reference_page, django_capture_on_commit_callbacks, mailoutbox
):
    response = file_on_the_reference_desk(
        member_client, product, django_capture_on_commit_callbacks, contract_reference="SC-2026-17"
    )

    # The mixin's steps: the ticket is stored as from any support page...
    ticket = Ticket.objects.get()
    assert (ticket.author, ticket.subject, ticket.product) == (
        member,
        "Export to PDF stops at 50%",
        product,
    )
    assert ticket.support_page.pk == reference_page.pk
    assert ticket.status == "new"
    # ...the overridden step ran: one internal note after the customer's description.
    description, note = ticket.messages.order_by("created_at", "pk")
    assert (description.author, description.from_staff, description.is_internal) == (
        member,
        False,
        False,
    )
    assert description.body.startswith("The export stops.")
    assert note.body == f"{REFERENCE_NOTE}. Contract: SC-2026-17"
    assert (note.author, note.from_staff, note.is_internal) == (None, True, True)
    assert [entry.action for entry in log_registry.get_logs_for_instance(ticket)].count(
        TICKET_NOTE
    ) == 1
    # The note changed nothing the customer sees.
    assert ticket.first_response_at is None and ticket.last_staff_reply_at is None

    # The mixin's answer: the ticket's page on this desk, with the thank-you text once.
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}{ticket.number}/"
    page = member_client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert "Thank you. Your ticket" in content
    assert "The export stops." in content
    assert REFERENCE_NOTE not in content and "SC-2026-17" not in content
    assert "Thank you. Your ticket" not in member_client.get(response["Location"]).content.decode()

    # The mixin's mail: support is told of the new ticket, and not of the note; the
    # customer's receipt does not show the note either.
    mail, receipt = mailoutbox
    assert REFERENCE_NOTE not in receipt.body
    assert mail.to == SUPPORT
    assert mail.subject == f"New ticket {ticket.number}: Export to PDF stops at 50%"
    assert REFERENCE_NOTE not in mail.body
    [(html, _mimetype)] = mail.alternatives
    assert REFERENCE_NOTE not in html


def test_the_apps_own_support_page_is_untouched(
    member_client, product, support_page, django_capture_on_commit_callbacks, mailoutbox
):
    content = member_client.get("/support/new/").content.decode()
    assert "contract_reference" not in content

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post("/support/new/", ticket_form_data(product))

    ticket = Ticket.objects.get()
    assert response["Location"] == f"/support/{ticket.number}/"
    assert ticket.support_page.pk == support_page.pk
    assert [(m.from_staff, m.is_internal) for m in ticket.messages.all()] == [(False, False)]
    assert len(mailoutbox) == 2  # support's notice and the customer's receipt


def test_the_reference_desk_lists_the_members_tickets_like_any_support_page(
    member_client, member, make_ticket
):
    ticket = make_ticket(member, subject="Filed elsewhere")

    content = member_client.get(PAGE).content.decode()

    assert "Filed elsewhere" in content
    assert f'href="{PAGE}{ticket.number}/"' in content
