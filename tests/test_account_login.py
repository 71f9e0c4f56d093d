"""Login (username or e-mail), its own CSRF check for the corner widget, and logout."""

import django
import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.urls import reverse

from avsoft_support.models import MemberProfile
from tests.utils import (
    PASSWORD,
    assert_in_html,
    assert_tag_in_html,
    field_value,
    find_one,
    hrefs,
    label_for,
    links,
)

User = get_user_model()
LOGIN = reverse("avsoft_support:login")
LOGOUT = reverse("avsoft_support:logout")
PROFILE = reverse("avsoft_support:profile")
WRONG = "Wrong username or password."
UNCONFIRMED = "Please confirm your e-mail address first"


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def unconfirmed(db):
    user = User.objects.create_user("newbie", "newbie@example.com", PASSWORD, is_active=False)
    MemberProfile.objects.create(user=user, full_name="New Bie")
    return user


def test_login_page_has_labelled_fields_and_links(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    main = find_one(response, "main")
    assert label_for(main, "id_username") == "Username or e-mail"
    assert_tag_in_html('<input type="text" name="username" id="id_username">', main)
    assert label_for(main, "id_password") == "Password"
    assert_tag_in_html('<input type="password" name="password" id="id_password">', main)
    assert (reverse("avsoft_support:password_reset"), "Forgot password?") in links(main)
    assert (reverse("avsoft_support:register"), "No account yet? Register") in links(main)
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "identifier", ["member", "MEMBER", "member@example.com", "Member@Example.COM"]
)
def test_login_with_username_or_email_in_any_case(client, member, identifier):
    response = client.post(LOGIN, {"username": identifier, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == PROFILE
    assert logged_in_as(client) == str(member.pk)


def test_wrong_password_keeps_the_username_and_never_echoes_the_password(client, member):
    response = client.post(LOGIN, {"username": "member", "password": "Not-The-Password-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG in html
    assert field_value(find_one(response, "main"), "username") == "member"
    assert "Not-The-Password-1" not in html
    assert logged_in_as(client) is None


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client, member):
    wrong = client.post(LOGIN, {"username": "member", "password": "Not-The-Password-1"})
    unknown = client.post(LOGIN, {"username": "nobody", "password": "Not-The-Password-1"})
    assert WRONG in unknown.content.decode()
    assert wrong.status_code == unknown.status_code == 200
    assert UNCONFIRMED not in unknown.content.decode()


@pytest.mark.parametrize("data", [{}, {"username": "member"}, {"password": PASSWORD}])
def test_missing_fields_are_required(client, member, data):
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert logged_in_as(client) is None


def test_unconfirmed_account_with_the_right_password_is_told_to_confirm(client, unconfirmed):
    response = client.post(LOGIN, {"username": "newbie", "password": PASSWORD})
    assert response.status_code == 200
    html = response.content.decode()
    assert UNCONFIRMED in html
    assert WRONG not in html
    assert (
        reverse("avsoft_support:confirm_resend"),
        "Send the confirmation link again",
    ) in links(find_one(response, "main"))
    assert logged_in_as(client) is None


def test_unconfirmed_account_with_a_wrong_password_reveals_nothing(client, unconfirmed):
    response = client.post(LOGIN, {"username": "newbie", "password": "Not-The-Password-1"})
    html = response.content.decode()
    assert WRONG in html
    assert UNCONFIRMED not in html
    assert reverse("avsoft_support:confirm_resend") not in hrefs(response)


def test_disabled_account_is_told_so_only_with_the_right_password(client, member):
    member.is_active = False
    member.save()
    assert (
        b"This account is disabled"
        in client.post(LOGIN, {"username": "member", "password": PASSWORD}).content
    )
    assert (
        WRONG.encode()
        in client.post(LOGIN, {"username": "member", "password": "Not-The-Password-1"}).content
    )
    assert logged_in_as(client) is None


@pytest.mark.parametrize("next_url", ["/support/", "/support/?page=2", " /support/ "])
def test_same_site_next_is_honoured(client, member, next_url):
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": next_url})
    assert response.url == next_url.strip()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/account/",
        "javascript:alert(1)",
        # Django strips these to "//" before checking; the browser would get "//%0B".
        "//\x0b",
        " //\x0c ",
        "//",
        "\\\\",
    ],
)
def test_foreign_next_is_ignored(client, member, next_url):
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": next_url})
    assert response.url == PROFILE


def test_next_from_the_query_string_is_carried_by_the_form(client, db):
    response = client.get(LOGIN, {"next": "/support/"})
    assert field_value(find_one(response, "main form"), "next") == "/support/"
    response = client.get(LOGIN, {"next": "https://evil.example/"})
    assert find_one(response, "main form").select('[name="next"]') == []
    assert b"evil.example" not in response.content


def test_a_logged_in_member_visiting_login_goes_on(client, member):
    client.force_login(member)
    assert client.get(LOGIN).url == PROFILE
    assert client.get(LOGIN, {"next": "/support/"}).url == "/support/"


def test_login_required_pages_send_visitors_to_our_login(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={PROFILE}"


# CSRF: the view is csrf_exempt for the cached corner widget, but checks the token itself.


def test_post_without_a_token_never_logs_in_and_asks_again(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": "/support/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "please confirm by logging in again" in html
    form = find_one(response, "main form")
    assert field_value(form, "username") == "member"
    assert PASSWORD not in html
    assert field_value(form, "csrfmiddlewaretoken")
    assert field_value(form, "next") == "/support/"
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert logged_in_as(client) is None


def test_second_try_from_that_page_logs_in(member):
    client = Client(enforce_csrf_checks=True)
    first = client.post(LOGIN, {"username": "member", "password": PASSWORD})
    token = first.context["csrf_token"]
    response = client.post(
        LOGIN, {"username": "member", "password": PASSWORD, "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert logged_in_as(client) == str(member.pk)


def test_token_copied_from_the_cookie_logs_in(member):
    """What login-widget.js does: the cookie's value as csrfmiddlewaretoken."""
    client = Client(enforce_csrf_checks=True)
    client.get("/account/login/")
    cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        LOGIN,
        {"username": "member", "password": PASSWORD, "csrfmiddlewaretoken": cookie, "next": "/"},
    )
    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_as(client) == str(member.pk)


def test_wrong_token_or_foreign_origin_never_logs_in(member):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    data = {"username": "member", "password": PASSWORD}
    wrong = client.post(LOGIN, {**data, "csrfmiddlewaretoken": "x" * 32})
    foreign = client.post(
        LOGIN, {**data, "csrfmiddlewaretoken": cookie}, headers={"origin": "https://evil.example"}
    )
    for response in (wrong, foreign):
        assert response.status_code == 200
        assert b"please confirm by logging in again" in response.content
    assert logged_in_as(client) is None


def test_csrf_refusal_does_not_count_as_a_failed_login(member, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (1, 600)}
    client = Client(enforce_csrf_checks=True)
    for _ in range(3):
        client.post(LOGIN, {"username": "member", "password": "Not-The-Password-1"})
    client.get(LOGIN)
    cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        LOGIN, {"username": "member", "password": PASSWORD, "csrfmiddlewaretoken": cookie}
    )
    assert response.status_code == 302


# Logout


def test_logout_by_get_logs_nobody_out_and_offers_the_button(client, member):
    client.force_login(member)
    response = client.get(LOGOUT, {"next": "/support/"})
    assert response.status_code == 200
    form = find_one(response, "main form")
    assert (form["method"], form["action"]) == ("post", LOGOUT)
    assert_in_html('<input type="hidden" name="next" value="/support/">', form)
    assert_in_html(
        '<button type="submit" class="avs-button avs-button--primary">Log out</button>', form
    )
    assert "You are logged in as member." in response.content.decode()
    assert logged_in_as(client) == str(member.pk)
    client.logout()
    assert client.get(LOGOUT)["Location"] == "/"


def test_logout_by_post_goes_home(client, member):
    client.force_login(member)
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_as(client) is None


def test_logout_honours_a_safe_next_only(client, member):
    client.force_login(member)
    assert client.post(LOGOUT, {"next": "/support/"}).url == "/support/"
    client.force_login(member)
    assert client.post(LOGOUT, {"next": "https://evil.example/"}).url == "/"


def test_logout_always_redirects(client, member):
    client.force_login(member)
    response = client.post(LOGOUT, {"next": LOGOUT})
    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_logout_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(LOGOUT).status_code == 403
    assert logged_in_as(client) == str(member.pk)


def test_customer_pages_send_the_content_security_policy(client, db, settings):
    if django.VERSION >= (6, 0):
        settings.MIDDLEWARE = [
            "django.middleware.csp.ContentSecurityPolicyMiddleware",
            *settings.MIDDLEWARE,
        ]
    for url in (
        LOGIN,
        reverse("avsoft_support:register"),
        reverse("avsoft_support:password_reset"),
    ):
        policy = client.get(url).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
