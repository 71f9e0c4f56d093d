"""Company sharing and ratings in Chromium: axe-core finds nothing serious on the new pages
(company tab, a colleague's ticket with follow, the author's ticket with CC and rating, the
administrator's switch, a mail's rating page), in Russian and English, and the rating page
is used by keyboard alone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from avsoft_support import ratings, tickets
from avsoft_support.models import ClientAccount, MemberProfile, Rating, TicketStatus
from tests.browser.test_axe import Audit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def company(make_member, make_ticket, support_page, support_settings, make_staff):
    account = ClientAccount.objects.create(company="Romashka LLC", share_tickets=True)
    anna = make_member(username="anna", full_name="Anna Smirnova", client_account=account)
    boris = make_member(username="boris", full_name="Boris Ivanov", client_account=account)
    account.administrator = MemberProfile.objects.get(user=anna)
    account.save()
    staff = make_staff(username="agent", support_group=True)
    ticket = make_ticket(anna, subject="Licence question")
    tickets.set_status(ticket, TicketStatus.RESOLVED, staff, notify=False)
    make_ticket(boris, subject="Export problem")
    return anna, boris, ticket


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_new_pages_pass_axe(logged_in_context, live_server, company, locale):
    anna, boris, ticket = company
    url = live_server.url
    audit = Audit()

    page = logged_in_context(boris, locale).new_page()
    page.goto(url + "/support/?tab=company")
    expect(page.locator("nav.avs-tabs")).to_be_visible()
    audit.check(page, "company tab")
    page.goto(url + f"/support/{ticket.number}/")
    audit.check(page, "a colleague's ticket")
    with page.expect_navigation():
        page.locator("section.avs-following button[type=submit]").click()
    audit.check(page, "a colleague's ticket, followed")
    page.goto(url + reverse("avsoft_support:company_sharing"))
    audit.check(page, "company page, member")
    page.context.close()

    page = logged_in_context(anna, locale).new_page()
    page.goto(url + f"/support/{ticket.number}/")
    expect(page.locator("form.avs-rating-form")).to_be_visible()
    audit.check(page, "the author's resolved ticket: CC and rating")
    page.locator("form.avs-cc-form input[name=email]").fill("not an address")
    with page.expect_navigation():
        page.locator("form.avs-cc-form button[type=submit]").click()
    audit.check(page, "CC refused")
    page.goto(url + reverse("avsoft_support:company_sharing"))
    audit.check(page, "company page, administrator")
    page.context.close()

    page = logged_in_context(anna, locale).new_page()
    token = ratings.rating_token(ticket)
    page.goto(url + reverse("avsoft_support:rate", kwargs={"token": token, "score": "good"}))
    audit.check(page, "rating page from the mail")
    page.goto(url + reverse("avsoft_support:rate", kwargs={"token": token + "x", "score": "good"}))
    audit.check(page, "rating link that does not work")
    page.context.close()
    audit.assert_clean()


def test_the_mail_rating_page_by_keyboard(browser, live_server, company):
    _anna, _boris, ticket = company
    page = browser.new_page()
    token = ratings.rating_token(ticket)
    page.goto(
        live_server.url + reverse("avsoft_support:rate", kwargs={"token": token, "score": "bad"})
    )
    expect(page.locator("input[name=score][value=bad]")).to_be_checked()
    assert not Rating.objects.exists()  # opening the link recorded nothing
    page.locator("input[name=score][value=bad]").focus()
    page.keyboard.press("ArrowLeft")  # radio group: the arrow moves the choice to "good"
    expect(page.locator("input[name=score][value=good]")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Thank you!")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".avs-rating-recorded")).to_be_visible()
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == ("good", "Thank you!")
    page.close()
