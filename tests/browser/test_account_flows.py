"""The member area in Chromium: register, confirm, log in from the corner widget, log out; recovery."""

import re

from django.core import mail
from playwright.sync_api import expect

from tests.utils import PASSWORD

NEW_PASSWORD = "Brand-New-Staple-42"


def mailed_link(path_prefix):
    # The live server runs in this process, so its locmem outbox is ours.
    match = re.search(r"https?://\S+" + re.escape(path_prefix) + r"\S*", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def field(scope, label):
    """The input labelled exactly ``label`` (the required marker aside)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\W*$"))


def widget_login(page, username, password):
    box = page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill(username)
    box.get_by_label("Password").fill(password)
    box.get_by_role("button", name="Log in").click()


def test_register_confirm_log_in_from_the_corner_and_log_out(page, live_server, site):
    page.goto(f"{live_server.url}/account/register/")
    main = page.locator("main")
    field(main, "Username").fill("anna")
    field(main, "E-mail").fill("anna@example.com")
    field(main, "Password").fill(PASSWORD)
    field(main, "Password confirmation").fill(PASSWORD)
    field(main, "Full name").fill("Anna Smirnova")
    # A typo in the confirmation: the form comes back with the focus on the list of errors.
    field(main, "Password confirmation").fill(PASSWORD + "x")
    main.get_by_role("button", name="Create account").click()
    summary = page.locator(".avs-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(field(main, "Username")).to_have_value("anna")
    expect(field(main, "Password")).to_have_value("")
    field(main, "Password").fill(PASSWORD)
    field(main, "Password confirmation").fill(PASSWORD)
    main.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(mailed_link("/account/confirm/"))
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()

    page.goto(f"{live_server.url}/")
    widget_login(page, "anna@example.com", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    box = page.locator(".avs-login-box")
    expect(box.get_by_text("Anna Smirnova")).to_be_visible()

    box.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".avs-login-box").get_by_label("Password")).to_be_visible()
    expect(page.get_by_text("Anna Smirnova")).to_have_count(0)


def test_first_visit_widget_login_works_with_and_without_javascript(
    browser, live_server, site, make_member
):
    make_member()
    # With JavaScript, a visitor without a CSRF cookie yet is logged in at the first try.
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    widget_login(page, "member", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".avs-login-box").get_by_text("Ivan Petrov")).to_be_visible()
    context.close()

    # Without it, the login page asks once more, with the username kept.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    widget_login(page, "member", PASSWORD)
    expect(page.get_by_text("please confirm by logging in again")).to_be_visible()
    main = page.locator("main")
    expect(field(main, "Username or e-mail")).to_have_value("member")
    field(main, "Password").fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".avs-login-box").get_by_text("Ivan Petrov")).to_be_visible()
    context.close()


def test_password_recovery_end_to_end(page, live_server, site, make_member):
    make_member()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Forgot password?").click()
    main = page.locator("main")
    field(main, "E-mail").fill("MEMBER@example.com")
    main.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(mailed_link("/account/password-reset/"))
    field(main, "New password").fill(NEW_PASSWORD)
    field(main, "New password confirmation").fill(NEW_PASSWORD)
    main.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()

    main.get_by_role("link", name="Log in").click()
    field(main, "Username or e-mail").fill("member")
    field(main, "Password").fill(NEW_PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
