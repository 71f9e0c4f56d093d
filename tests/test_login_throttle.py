"""One login throttle for every way in: the member login, Wagtail's admin login and any other
``authenticate()`` share the ``login_ip`` and ``login_account`` limits (avsoft_support/auth.py)."""

import logging
import time

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import SESSION_KEY, aauthenticate, authenticate
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from django.urls import reverse

from avsoft_support.checks import check_login_throttle_backend, check_registration_user_model
from avsoft_support.ratelimit import RateLimit
from tests.utils import PASSWORD, field_value, find_one, select, text_of

MEMBER_LOGIN = reverse("avsoft_support:login")
ADMIN_LOGIN = reverse("wagtailadmin_login")
WRONG = "Not-The-Password-1"
ADMIN_REFUSAL = "Your username and password didn't match. Please try again."
TOO_MANY = "Too many attempts. Please try again in"
THROTTLE = "avsoft_support.auth.LoginThrottleBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ADDRESS, OTHER_ADDRESS = "192.0.2.10", "198.51.100.20"


def member_login(client, username, password=WRONG, address=ADDRESS):
    return client.post(
        MEMBER_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def admin_login(client, username, password=WRONG, address=ADDRESS):
    return client.post(
        ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


def admin_errors(response):
    return [text_of(item) for item in select(response, "main .messages li.error")]


def assert_admin_refused(client, response):
    """Wagtail's login page again, with its one error, and nobody logged in."""
    assert response.status_code == 200
    assert admin_errors(response) == [ADMIN_REFUSAL]
    assert find_one(response, "form.login-form")["action"] == ADMIN_LOGIN
    assert logged_in_as(client) is None


def counted(name, identifier):
    """The attempts a counter holds (the data the limiter keeps; None: no counter)."""
    return caches["default"].get(RateLimit.for_account(name, identifier).key)


def counted_for_address(address):
    request = RequestFactory().post(ADMIN_LOGIN, REMOTE_ADDR=address)
    return caches["default"].get(RateLimit.for_ip("login_ip", request).key)


# Across the doors


def test_a_lockout_earned_at_the_member_login_closes_the_admin_login(client, make_staff):
    staff = make_staff()
    statuses = [member_login(client, "staff").status_code for _ in range(6)]
    # The default limit: five failures per account, then 429 with the wait.
    assert statuses == [200] * 5 + [429]
    assert TOO_MANY in member_login(client, "staff", PASSWORD).content.decode()

    response = admin_login(client, "staff", PASSWORD)
    assert_admin_refused(client, response)
    assert PASSWORD not in response.content.decode()
    # The account is held from any address, and by any code that calls authenticate().
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD, OTHER_ADDRESS))
    assert authenticate(None, username="staff", password=PASSWORD) is None
    assert async_to_sync(aauthenticate)(None, username="staff", password=PASSWORD) is None
    assert client.login(username="staff", password=PASSWORD) is False
    assert logged_in_as(client) is None
    staff.refresh_from_db()
    assert staff.last_login is None


def test_a_lockout_earned_at_the_admin_login_closes_the_member_login(client, make_staff):
    make_staff()
    for _ in range(5):
        assert_admin_refused(client, admin_login(client, "staff"))
    response = member_login(client, "staff", PASSWORD)
    assert response.status_code == 429
    assert f"{TOO_MANY} 15 minutes." in text_of(find_one(response, "main"))
    assert field_value(find_one(response, "main form"), "username") == "staff"
    assert logged_in_as(client) is None


def test_the_email_and_the_username_in_any_case_count_for_one_account(client, make_staff):
    make_staff()
    for typed in ("staff@example.com", "STAFF@Example.com", "Staff", "staff@example.com", "STAFF"):
        assert member_login(client, typed).status_code == 200
    assert counted("login_account", "staff") == 5
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD))


def test_a_locked_out_unconfirmed_account_learns_nothing_from_the_right_password(client, member):
    member.is_active = False
    member.save()
    member.support_profile.email_confirmed_at = None
    member.support_profile.save()
    assert "Please confirm your e-mail address" in text_of(member_login(client, "member", PASSWORD))
    for _ in range(5):
        member_login(client, "member")
    response = member_login(client, "member", PASSWORD)
    assert response.status_code == 429
    assert "Please confirm your e-mail address" not in text_of(response)


# The admin login on its own


def test_thirty_wrong_admin_passwords_are_throttled(client, make_staff):
    make_staff()
    answers = [admin_login(client, "staff") for _ in range(30)]
    for response in answers:
        assert_admin_refused(client, response)
    # Past the limit the right password gets the very same answer: nothing to learn.
    right = admin_login(client, "staff", PASSWORD)
    assert_admin_refused(client, right)
    assert admin_errors(right) == admin_errors(answers[-1])
    # The counters hold at the limit: refused attempts are not counted, so the window that
    # opened at the first failure is the one that ends the lockout.
    assert counted("login_account", "staff") == 5
    assert counted_for_address(ADDRESS) == 5
    assert 890 <= RateLimit.for_account("login_account", "staff").retry_after() <= 900


def test_thirty_wrong_admin_passwords_over_many_accounts_close_the_address(client, make_staff):
    make_staff()
    for n in range(30):
        assert_admin_refused(client, admin_login(client, f"guess{n}"))
    # The default address limit: twenty failures, whatever the accounts.
    assert counted_for_address(ADDRESS) == 20
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD))
    response = admin_login(client, "staff", PASSWORD, OTHER_ADDRESS)
    assert response.status_code == 302
    assert logged_in_as(client) is not None


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS={"login_account": (3, 1)})
def test_after_the_window_the_right_admin_password_works_again(client, make_staff):
    staff = make_staff()
    for _ in range(4):
        admin_login(client, "staff")
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD))

    time.sleep(1.2)

    response = admin_login(client, "staff", PASSWORD)
    assert response.status_code == 302
    assert logged_in_as(client) == str(staff.pk)


# Success, and what each limit holds


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS={"login_account": (3, 900), "login_ip": (5, 900)})
def test_a_login_resets_the_account_counter_but_not_the_address(client, make_staff):
    staff = make_staff()
    member_login(client, "staff")
    member_login(client, "staff")
    assert admin_login(client, "staff", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(staff.pk)
    assert counted("login_account", "staff") is None
    client.logout()
    # Two more failures would have locked the account without the reset.
    admin_login(client, "staff")
    admin_login(client, "staff")
    assert admin_login(client, "staff", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(staff.pk)
    client.logout()
    # The address keeps its four failures: one more, and it is closed to any account.
    assert counted_for_address(ADDRESS) == 4
    member_login(client, "someone-else")
    assert member_login(client, "staff", PASSWORD).status_code == 429
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD))


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS={"login_account": (3, 900), "login_ip": (10, 900)})
def test_the_account_limit_holds_the_account_only(client, make_staff, make_member):
    make_staff()
    member = make_member()
    for _ in range(3):
        admin_login(client, "staff")
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD, OTHER_ADDRESS))
    # Another account, from the same address, is not held.
    assert member_login(client, "member", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(member.pk)


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS={"login_account": (5, 900), "login_ip": (4, 900)})
def test_the_address_limit_holds_the_address_only(client, make_staff):
    staff = make_staff()
    for name in ("anna", "boris", "vera"):
        member_login(client, name)
    admin_login(client, "gleb")
    assert_admin_refused(client, admin_login(client, "staff", PASSWORD))
    assert member_login(client, "staff", PASSWORD).status_code == 429
    # The account itself was never counted: from another address it logs in.
    assert counted("login_account", "staff") is None
    assert admin_login(client, "staff", PASSWORD, OTHER_ADDRESS).status_code == 302
    assert logged_in_as(client) == str(staff.pk)


# Logs


def test_the_security_log_names_no_password_login_or_address(client, make_staff, caplog):
    caplog.set_level(logging.DEBUG, logger="avsoft_support.security")
    make_staff()
    for _ in range(3):
        member_login(client, "staff@example.com")
    for _ in range(3):
        admin_login(client, "staff")
    admin_login(client, "staff", PASSWORD)
    for n in range(20):
        admin_login(client, f"guess{n}@example.com")

    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("avsoft_support.security")
    ]
    # The account's and the address's limits were reached, each said once.
    assert len(lines) == 2
    assert any("login_account" in line for line in lines)
    assert any("login_ip" in line for line in lines)
    for line in lines:
        for secret in (PASSWORD, WRONG, "staff", "guess", "example.com", ADDRESS):
            assert secret.lower() not in line.lower()


# System check


def test_check_passes_with_the_throttle_first():
    assert check_login_throttle_backend(None) == []


@pytest.mark.parametrize(
    ("backends", "where"),
    [
        ([MODEL_BACKEND], "missing from"),
        ([MODEL_BACKEND, THROTTLE], "not first in"),
    ],
)
def test_check_fails_without_the_throttle_first(backends, where):
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        [error] = check_login_throttle_backend(None)
    assert error.id == "avsoft_support.E007"
    assert error.is_serious()
    assert f"{THROTTLE} is {where} AUTHENTICATION_BACKENDS" in error.msg
    assert (
        error.hint == f'Put it first: AUTHENTICATION_BACKENDS = ["{THROTTLE}", "{MODEL_BACKEND}"]'
    )


def test_without_the_throttle_the_admin_login_is_not_held(client, make_staff):
    """What E007 warns of: a wrong password counts, but nothing stops the right one."""
    make_staff()
    with override_settings(AUTHENTICATION_BACKENDS=[MODEL_BACKEND]):
        for _ in range(6):
            admin_login(client, "staff")
        assert admin_login(client, "staff", PASSWORD).status_code == 302


def test_registration_works_with_the_default_user_model(settings):
    assert check_registration_user_model(None) == []
    settings.AVSOFT_SUPPORT_REGISTRATION_OPEN = False
    assert check_registration_user_model(None) == []
