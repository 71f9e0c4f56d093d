"""WCAG 2.2 target size (minimum): every link and button of the corner login box is at least
24 × 24 CSS pixels, for a visitor and for a logged-in member, measured in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.utils import PASSWORD

pytestmark = pytest.mark.browser

MINIMUM = 24  # CSS px, WCAG 2.2 success criterion 2.5.8


def targets_smaller_than_minimum(page):
    """Each link and button of the box, by its text, with its size when it is too small."""
    box = page.locator(".avs-login-box")
    targets = box.locator("a, button")
    small = {}
    names = []
    for index in range(targets.count()):
        target = targets.nth(index)
        name = target.inner_text().strip()
        names.append(name)
        size = target.bounding_box()
        assert size is not None, f"{name!r} is not rendered"
        if size["width"] < MINIMUM or size["height"] < MINIMUM:
            small[name] = (size["width"], size["height"])
    return names, small


def test_a_visitors_login_box_targets_are_large_enough(page, live_server, site):
    page.goto(f"{live_server.url}/")
    expect(page.locator(".avs-login-box").get_by_label("Password")).to_be_visible()
    names, small = targets_smaller_than_minimum(page)
    assert names == ["Log in", "Forgot password?", "Register"]
    assert small == {}


def test_a_members_login_box_targets_are_large_enough(page, live_server, support_page, make_member):
    make_member()
    page.goto(f"{live_server.url}/")
    box = page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill("member")
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    expect(box.get_by_text("Ivan Petrov")).to_be_visible()
    names, small = targets_smaller_than_minimum(page)
    assert names == ["My tickets", "Profile", "Log out"]
    assert small == {}
