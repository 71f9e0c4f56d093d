"""Staff triage in Chromium: a current client's ticket above a potential client's, a reply
with a canned text, a status change; then the customer sees both on the support page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avsoft_support.clients import status as client_status
from avsoft_support.models import CannedReply, ClientAccount, ClientInvoiceNumber, Ticket
from tests.utils import PASSWORD, totp_token

pytestmark = pytest.mark.django_db(transaction=True)


def field(scope, label):
    """A form field by its visible label (Wagtail's label text has spaces and a required mark)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\W*$"))


def staff_sign_in(page, live_server, user):
    """Wagtail's login page, then the TOTP step with the code the device shows now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(reverse("avsoft_support_otp:verify"))))
    page.get_by_label("Code").fill(totp_token(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#wagtail-sidebar")).to_have_count(1)


def test_staff_triage_reply_status_then_the_customer_sees_it(
    page,
    browser,
    live_server,
    support_page,
    support_settings,
    product,
    make_member,
    make_ticket,
    support_staff,
):
    # A potential client filed first, a verified current client later.
    pavel = make_member(username="pavel", full_name="Pavel Potential")
    clara = make_member(username="clara", full_name="Clara Current")
    account = ClientAccount.objects.create(company="Romashka")
    ClientInvoiceNumber.objects.create(account=account, number="INV-1")
    client_status.apply_invoice_number(clara.support_profile, "INV-1")
    potential_ticket = make_ticket(pavel, subject="Potential: installer question")
    Ticket.objects.filter(pk=potential_ticket.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    current_ticket = make_ticket(clara, subject="Current: export crashes")
    closed_ticket = make_ticket(pavel, subject="Closed: old licence question")
    Ticket.objects.filter(pk=closed_ticket.pk).update(status="closed")
    CannedReply.objects.create(title="Ask for the log", text="Please attach support.log.")

    staff_sign_in(page, live_server, support_staff)

    # The triage list: the current client's ticket above the potential client's.
    page.goto(live_server.url + reverse("avsoft_support_tickets:list"))
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Current: export crashes")
    expect(rows.nth(0)).to_contain_text("Current client")
    expect(rows.nth(1)).to_contain_text("Potential: installer question")
    expect(rows.nth(1)).to_contain_text("Potential client")

    # The search box looks at closed tickets too, though the list shows open ones.
    search = page.get_by_role("textbox", name="Search")
    search.fill(closed_ticket.number)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Closed: old licence question")
    search.fill("")
    expect(rows).to_have_count(2)

    # Filtered by client status in the listing's filters: the potential client's ticket goes.
    page.get_by_role("button", name="Show filters").click()
    filters = page.locator("#filters-drilldown")
    filters.get_by_role("button", name="Client status").click()
    filters.get_by_role("radio", name="Potential client").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Potential: installer question")
    filters.get_by_role("radio", name="Current client").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Current: export crashes")
    expect(page.locator("table.listing")).not_to_contain_text("Potential: installer question")
    expect(page).to_have_url(re.compile(r"[?&]client_status=current(&|$)"))
    page.keyboard.press("Escape")

    # The ticket screen: a canned text inserted by the script, then a public reply.
    rows.first.get_by_role("link", name="Current: export crashes").click()
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Current: export crashes"))
    ).to_be_visible()
    body = field(page, "Message")
    body.fill("Hello Clara,")
    field(page, "Canned reply").select_option(label="Ask for the log")
    page.get_by_role("button", name="Insert").click()
    expect(body).to_have_value("Hello Clara,\n\nPlease attach support.log.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(page.locator(".avs-message--staff")).to_contain_text("Please attach support.log.")

    # The status, from the controls of the same form, without a message.
    field(page, "Status").select_option(label="Waiting for customer")
    page.get_by_role("button", name="Save changes without sending").click()
    expect(page.get_by_text("Ticket updated.")).to_be_visible()
    expect(page.locator(".avs-ticket__tags")).to_contain_text("Waiting for customer")
    current_ticket.refresh_from_db()
    assert current_ticket.status == "waiting"
    assert current_ticket.first_response_at is not None

    # The customer, in a browser of their own, logs in and sees the reply and the status.
    customer = browser.new_context()
    customer_page = customer.new_page()
    customer_page.goto(f"{live_server.url}/support/")
    box = customer_page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill("clara")
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    row = customer_page.locator("tr", has_text=current_ticket.number)
    expect(row).to_contain_text("Waiting for customer")
    customer_page.goto(f"{live_server.url}/support/{current_ticket.number}/")
    expect(customer_page.locator("main")).to_contain_text("Please attach support.log.")
    expect(customer_page.locator("main")).to_contain_text("Waiting for customer")
    customer.close()


def test_the_due_time_is_in_view_on_a_laptop_screen_in_russian(
    page, live_server, support_settings, make_admin_ticket, support_staff
):
    """Russian headers are the widest; the due-time column still needs no sideways scroll."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(support_staff)
    profile.preferred_language = "ru"
    profile.save()
    make_admin_ticket(subject="Экспорт отчёта останавливается на 50% при большом файле")
    device = TOTPDevice.objects.get(user=support_staff, confirmed=True)
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    page.locator("input[name=username]").fill(support_staff.get_username())
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("avsoft_support_otp:verify"))))
    page.locator("input[name=code]").fill(totp_token(device))
    page.get_by_role("button", name="Проверить").click()
    expect(page.locator("#wagtail-sidebar")).to_have_count(1)

    page.goto(live_server.url + reverse("avsoft_support_tickets:list"))
    assert page.viewport_size["width"] == 1280
    expect(page.locator("table.listing tbody tr")).to_have_count(1)
    expect(page.locator("table.listing thead th.avs-col-due")).to_be_in_viewport(ratio=1)
