"""A site whose policy uses nonces, in Chromium: its base template's inline script and style run
on our support page too, and our own scripts (the login box, the ticket form) still work."""

import base64
import hashlib
import re

import django
import pytest
from playwright.sync_api import expect

from tests.test_csp import use_nonce_site_templates
from tests.utils import PASSWORD

# Django's own CSP (SECURE_CSP, the nonce) arrived in 6.0; browser tests run on the main Django.
pytestmark = pytest.mark.skipif(django.VERSION < (6, 0), reason="Django's own CSP is 6.0+")

UNSIGNED_SCRIPT = 'document.documentElement.dataset.unsignedScript = "ran"'


@pytest.fixture
def nonce_site(settings):
    """The site's own policy (nonces for its inline script and style) and its base template."""
    from django.utils.csp import CSP

    use_nonce_site_templates(settings)
    settings.SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE],
        "style-src": [CSP.SELF, CSP.NONCE],
    }


def csp_violations(page):
    """Chromium's console reports of the policy blocking something, as they come."""
    reports = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and reports.append(message.text),
    )
    return reports


def test_the_site_nonce_script_runs_on_our_pages_and_our_scripts_still_work(
    page, live_server, nonce_site, support_page, support_settings, product, make_member, tmp_path
):
    make_member()
    violations = csp_violations(page)
    too_big = tmp_path / "too-big-301KB.bin"
    too_big.write_bytes(b"z" * (301 * 1024))

    response = page.goto(f"{live_server.url}/support/")
    policy = response.headers["content-security-policy"]
    assert "'nonce-" in policy and "'self'" in policy.split("script-src")[1].split(";")[0]

    # The site's nonce'd inline script and style ran on our page.
    html = page.locator("html")
    expect(html).to_have_attribute("data-site-script", "ran")
    site_style = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--site-style').trim()"
    )
    assert site_style == "ran"
    # The one report is the control: the site's script without a nonce, blocked as its policy
    # says (Chromium names the hash it would have needed).
    expect(html).not_to_have_attribute("data-unsigned-script", "ran")
    unsigned_hash = base64.b64encode(hashlib.sha256(UNSIGNED_SCRIPT.encode()).digest()).decode()
    assert len(violations) == 1, violations
    assert f"sha256-{unsigned_hash}" in violations[0]

    # Our login box (its script fetches the login page for a CSRF cookie) logs the member in.
    box = page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill("member")
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You have not filed any tickets yet.")).to_be_visible()

    # Our ticket-form.js refuses a too-large file before any upload.
    page.goto(f"{live_server.url}/support/new/")
    expect(html).to_have_attribute("data-site-script", "ran")
    page.get_by_label(re.compile(r"^Attachments\W*$")).set_input_files([str(too_big)])
    expect(page.get_by_text("“too-big-301KB.bin” is 301 KB")).to_be_visible()

    # Still only the control was ever blocked, once per page that carried it.
    assert all(f"sha256-{unsigned_hash}" in report for report in violations), violations
