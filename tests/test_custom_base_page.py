"""A site with its own base page (Wagtail 8's WAGTAIL_PAGE_MODEL) and its own support page on
SupportPageMixin. Every test here also runs with tests.settings_custompage (``make test``), so
each one works with whichever page model and support page type are active."""

import pytest
import swapper
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from avsoft_support.checks import check_support_page_model
from avsoft_support.models import Ticket
from avsoft_support.pages import SupportPageMixin
from tests.utils import otp_login, ticket_form_data

pytestmark = pytest.mark.custom_base_page

NEW = "/support/new/"
SUBJECT = "Export to PDF stops at 50%"


def active_page_models():
    return swapper.load_model("wagtailcore", "Page"), swapper.load_model(
        "avsoft_support", "SupportPage"
    )


def test_the_support_page_is_the_active_type_on_the_active_base_page(support_page):
    base_page, support_page_model = active_page_models()
    assert type(support_page) is support_page_model
    assert isinstance(support_page, base_page)
    assert isinstance(support_page, SupportPageMixin)
    assert support_page.get_url() == "/support/"
    if swapper.is_swapped("wagtailcore", "Page"):
        # The site's own pages, with its own field; ours has no table there.
        assert support_page_model._meta.label == settings.AVSOFT_SUPPORT_SUPPORTPAGE_MODEL
        assert support_page.teaser == ""


def test_a_member_files_a_ticket_that_mails_links_and_staff_triage_find(
    client,
    member,
    product,
    support_page,
    support_settings,
    support_staff,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from avsoft_support import tickets

    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, ticket_form_data(product))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/support/{ticket.number}/"
    assert ticket.subject == SUBJECT
    # The ticket remembers the page it was filed on, a page of the active model.
    assert ticket.support_page.pk == support_page.pk
    assert isinstance(ticket.support_page, active_page_models()[0])
    assert type(ticket.support_page.specific) is active_page_models()[1]

    # The member sees it on their list and on its own page.
    listing = client.get("/support/").content.decode()
    assert SUBJECT in listing
    assert f'href="/support/{ticket.number}/"' in listing
    assert SUBJECT in client.get(response["Location"]).content.decode()

    # Support's mail: the new ticket, linked in the admin (then the customer's receipt).
    created, receipt = mailoutbox
    assert receipt.to == [member.email] and ticket.number in receipt.subject
    assert created.to == ["support@example.com", "duty@example.com"]
    assert ticket.number in created.subject
    edit_path = reverse("avsoft_support_tickets:edit", args=[ticket.pk])
    assert f"http://testserver{edit_path}" in created.body

    # The customer's mail on a staff reply links the ticket on the page it was filed on.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, support_staff, "Fixed in 5.2.2.", from_staff=True)
    [reply] = mailoutbox
    assert reply.to == [member.email]
    assert f"http://localhost/support/{ticket.number}/" in reply.body

    # Staff find it in the triage list and open it.
    staff = otp_login(Client(), support_staff)
    triage = staff.get("/admin/support/tickets/")
    assert triage.status_code == 200
    assert f'id="snippet_{ticket.pk}_title"' in triage.content.decode()
    assert SUBJECT in triage.content.decode()
    assert staff.get(edit_path).status_code == 200


# The system check for a site with its own base page ------------------------------------------


def test_the_active_settings_pass_the_support_page_check():
    assert check_support_page_model(None) == []


def test_a_swapped_page_without_a_support_page_of_its_own_is_an_error_that_says_what_to_write():
    with override_settings(WAGTAIL_PAGE_MODEL="custompage.BasePage"):
        del settings.AVSOFT_SUPPORT_SUPPORTPAGE_MODEL
        [error] = check_support_page_model(None)
    assert error.id == "avsoft_support.E005"
    assert "custompage.BasePage" in error.msg
    assert "from avsoft_support.pages import SupportPageMixin" in error.hint
    assert "class SupportPage(SupportPageMixin, BasePage)" in error.hint
    assert "AVSOFT_SUPPORT_SUPPORTPAGE_MODEL = 'custompage.SupportPage'" in error.hint


def test_naming_our_own_support_page_on_a_swapped_page_is_the_same_error():
    with override_settings(
        WAGTAIL_PAGE_MODEL="custompage.BasePage",
        AVSOFT_SUPPORT_SUPPORTPAGE_MODEL="avsoft_support.SupportPage",
    ):
        assert [error.id for error in check_support_page_model(None)] == ["avsoft_support.E005"]


def test_wagtails_own_page_needs_no_support_page_setting():
    with override_settings(WAGTAIL_PAGE_MODEL="wagtailcore.Page"):
        del settings.AVSOFT_SUPPORT_SUPPORTPAGE_MODEL
        assert check_support_page_model(None) == []


def test_a_support_page_setting_naming_a_model_not_on_the_mixin_is_an_error():
    with override_settings(AVSOFT_SUPPORT_SUPPORTPAGE_MODEL="avsoft_support.Ticket"):
        [error] = check_support_page_model(None)
    assert error.id == "avsoft_support.E006"
    assert "AVSOFT_SUPPORT_SUPPORTPAGE_MODEL" in error.msg
    assert "avsoft_support.Ticket" in error.msg
    assert "SupportPageMixin" in error.hint
