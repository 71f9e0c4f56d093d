"""Staff sign in to the admin with password and a TOTP code, in Chromium."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.utils import PASSWORD, totp_token


@pytest.mark.django_db(transaction=True)
def test_staff_sign_in_with_password_then_totp(page, live_server, site, make_staff):
    user = make_staff("staffer")
    device = TOTPDevice.objects.get(user=user)
    home = reverse("wagtailadmin_home")
    verify = reverse("avsoft_support_otp:verify")

    page.goto(live_server.url + home)
    page.get_by_label("Username").fill("staffer")  # Wagtail's own login page
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The password alone leads to the second step, not into the admin.
    page.wait_for_url(re.compile(re.escape(verify)))
    assert page.get_by_role("heading", name="Two-factor authentication").is_visible()
    assert page.locator("#wagtail-sidebar").count() == 0

    # Nothing of the admin is reachable before the code: straight back to the OTP step.
    page.goto(live_server.url + reverse("wagtailsnippets:index"))
    page.wait_for_url(re.compile(re.escape(verify)))
    assert page.get_by_label("Code").is_visible()

    page.get_by_label("Code").fill(totp_token(device))
    page.get_by_role("button", name="Verify").click()

    # Verified: the admin lets the user in; `next` was the snippets page, which this user's
    # permissions send on to the dashboard.
    page.wait_for_url(re.compile(re.escape(live_server.url + home) + "$"))
    assert page.locator("#wagtail-sidebar").count() == 1
    assert page.get_by_role("heading", level=1).first.is_visible()


@pytest.mark.django_db(transaction=True)
def test_tickets_stay_hidden_until_the_code_is_entered(
    page, live_server, site, support_staff, make_admin_ticket
):
    ticket = make_admin_ticket(subject="Confidential: licence server down")
    device = TOTPDevice.objects.get(user=support_staff)
    verify = reverse("avsoft_support_otp:verify")

    page.goto(live_server.url + reverse("wagtailadmin_home"))
    page.get_by_label("Username").fill(support_staff.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(verify)))

    # The password alone: the ticket list, the ticket screen and its read-only view all lead
    # to the code step, and nothing of the ticket shows.
    edit = reverse("avsoft_support_tickets:edit", args=[ticket.pk])
    for url in (
        reverse("avsoft_support_tickets:list"),
        reverse("avsoft_support_tickets:inspect", args=[ticket.pk]),
        edit,
    ):
        page.goto(live_server.url + url)
        page.wait_for_url(re.compile(re.escape(verify)))
        assert page.get_by_role("heading", name="Two-factor authentication").is_visible()
        assert page.get_by_label("Code").is_visible()
        assert page.get_by_text("Confidential: licence server down").count() == 0
        assert ticket.number not in page.content()

    # With the code, the last page asked for opens: the same user may see the ticket.
    page.get_by_label("Code").fill(totp_token(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(re.escape(live_server.url + edit) + "$"))
    assert page.get_by_text("Confidential: licence server down").first.is_visible()
