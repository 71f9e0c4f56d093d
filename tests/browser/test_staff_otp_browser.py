"""Staff sign in to the admin with password and a TOTP code, in Chromium."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, totp_token


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
