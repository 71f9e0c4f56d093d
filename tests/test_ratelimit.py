"""Brute-force protection on login, registration, password reset and confirmation re-send."""

import logging
import time

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.core.cache import caches
from django.test import RequestFactory
from django.urls import reverse

from avsoft_support.ratelimit import RateLimit, retry_after, too_many_attempts_message
from tests.utils import PASSWORD, field_value, find_one

User = get_user_model()
LOGIN = reverse("avsoft_support:login")
WRONG = "Not-The-Password-1"
TOO_MANY = "Too many attempts. Please try again in"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.WARNING, logger="avsoft_support.security")
    return caplog


def warnings_of(caplog):
    return [
        r
        for r in caplog.records
        if r.name == "avsoft_support.security" and r.levelno == logging.WARNING
    ]


def login(client, username="member", password=WRONG, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# The counter itself


def test_counter_blocks_at_the_limit_and_resets(settings, security_log):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (3, 600)}
    limit = RateLimit.for_account("login_account", "Someone@Example.com")
    assert [limit.hit() for _ in range(3)] == [1, 2, 3]
    assert 590 <= limit.retry_after() <= 600
    [record] = warnings_of(security_log)
    assert "login_account" in record.getMessage()
    assert "someone" not in record.getMessage().lower()
    limit.reset()
    assert limit.retry_after() == 0


def test_account_identifiers_are_normalised_and_hashed(settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (1, 600)}
    RateLimit.for_account("login_account", " Someone@Example.com ").hit()
    assert RateLimit.for_account("login_account", "someone@example.com").retry_after() > 0
    key = RateLimit.for_account("login_account", "someone@example.com").key
    assert "someone" not in key
    assert caches["default"].get(key) == 1


def test_addresses_are_counted_apart_and_logged_masked(settings, security_log):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_ip": (1, 600)}
    rf = RequestFactory()
    RateLimit.for_ip("login_ip", rf.get("/", REMOTE_ADDR="192.0.2.17")).hit()
    assert RateLimit.for_ip("login_ip", rf.get("/", REMOTE_ADDR="192.0.2.17")).retry_after()
    assert not RateLimit.for_ip("login_ip", rf.get("/", REMOTE_ADDR="192.0.2.18")).retry_after()
    message = warnings_of(security_log)[0].getMessage()
    assert "192.0.2.0/24" in message
    assert "192.0.2.17" not in message


def test_the_window_survives_a_cache_without_native_incr(settings, tmp_path):
    # File and database caches re-set a key with their default timeout on incr().
    settings.CACHES = {
        **settings.CACHES,
        "limits": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
            "TIMEOUT": 1,
        },
    }
    settings.AVSOFT_SUPPORT_RATE_LIMIT_CACHE = "limits"
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (3, 600)}
    limit = RateLimit.for_account("login_account", "someone")
    for _ in range(3):
        limit.hit()
    time.sleep(1.2)
    assert limit.retry_after() > 590


def test_retry_after_takes_the_longest_wait(settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_ip": (1, 60), "login_account": (1, 600)}
    request = RequestFactory().get("/")
    ip, account = RateLimit.for_ip("login_ip", request), RateLimit.for_account("login_account", "x")
    assert retry_after(ip, account) == 0
    ip.hit()
    account.hit()
    assert retry_after(ip, account) > 590


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(1, "1 minute."), (60, "1 minute."), (61, "2 minutes."), (900, "15 minutes.")],
)
def test_message_rounds_up_to_minutes(seconds, minutes):
    assert too_many_attempts_message(seconds).endswith(f"in {minutes}")


# Login


def test_login_account_limit_refuses_even_the_right_password(
    client, member, settings, security_log
):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (3, 900)}
    for _ in range(3):
        assert b"Wrong username or password" in login(client).content
    assert len(warnings_of(security_log)) == 1
    # Both ways of naming the account share one counter.
    response = login(client, "member@example.com", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert f"{TOO_MANY} 15 minutes." in html
    assert field_value(find_one(response, "main form"), "username") == "member@example.com"
    assert PASSWORD not in html
    assert client.session.get(SESSION_KEY) is None
    record = warnings_of(security_log)[0].getMessage()
    assert "member" not in record
    assert "127.0.0.1" not in record


def test_unknown_accounts_are_limited_alike(client, db, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (2, 900)}
    login(client, "ghost")
    login(client, "ghost")
    assert login(client, "ghost").status_code == 429


def test_login_ip_limit_counts_failures_across_accounts(client, member, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_ip": (3, 900)}
    for name in ("a", "b", "c"):
        login(client, name)
    assert login(client, "member", PASSWORD).status_code == 429
    other_address = login(client, "member", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert other_address.status_code == 302


def test_successful_login_resets_the_account_counter(client, member, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"login_account": (3, 900)}
    login(client)
    login(client)
    assert login(client, password=PASSWORD).status_code == 302
    client.logout()
    login(client)
    login(client)
    assert login(client, password=PASSWORD).status_code == 302


# Registration, password reset, confirmation re-send


def test_register_ip_limit(client, db, settings, security_log):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"register_ip": (2, 3600)}
    url = reverse("avsoft_support:register")
    for name in ("first", "second"):
        client.post(
            url,
            {
                "username": name,
                "email": f"{name}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "full_name": name,
            },
        )
    assert User.objects.count() == 2
    response = client.post(
        url,
        {
            "username": "first",
            "email": "third@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Third",
        },
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert f"{TOO_MANY} 60 minutes." in html
    assert field_value(find_one(response, "main form"), "email") == "third@example.com"
    assert PASSWORD not in html
    assert "already taken" not in html  # refused before anything is looked up
    assert User.objects.count() == 2
    assert len(mail.outbox) == 2
    assert len(warnings_of(security_log)) == 1


def test_password_reset_account_limit(client, member, settings, security_log):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"password_reset_account": (2, 3600)}
    url = reverse("avsoft_support:password_reset")
    for email in ("member@example.com", "MEMBER@example.com"):
        assert client.post(url, {"email": email}).status_code == 302
    response = client.post(url, {"email": "member@example.com"})
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert field_value(find_one(response, "main form"), "email") == "member@example.com"
    assert len(mail.outbox) == 2
    # Another address is still served.
    assert client.post(url, {"email": "other@example.com"}).status_code == 302


def test_password_reset_ip_limit(client, member, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"password_reset_ip": (2, 3600)}
    url = reverse("avsoft_support:password_reset")
    client.post(url, {"email": "a@example.com"})
    client.post(url, {"email": "b@example.com"})
    assert client.post(url, {"email": "member@example.com"}).status_code == 429
    assert mail.outbox == []


def test_confirmation_resend_ip_limit(client, db, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"confirmation_resend_ip": (1, 3600)}
    url = reverse("avsoft_support:confirm_resend")
    assert client.post(url, {"email": "a@example.com"}).status_code == 302
    response = client.post(url, {"email": "b@example.com"})
    assert response.status_code == 429
    assert field_value(find_one(response, "main form"), "email") == "b@example.com"


def test_register_account_limit_counts_one_email_from_any_address(
    client, member, settings, security_log
):
    """Probing whether an address has an account, from many machines, is slowed down."""
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"register_account": (2, 3600)}
    url = reverse("avsoft_support:register")

    def attempt(email, ip):
        return client.post(
            url,
            {
                "username": f"probe{ip[-1]}",
                "email": email,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "full_name": "Probe",
            },
            REMOTE_ADDR=ip,
        )

    for ip in ("203.0.113.1", "203.0.113.2"):
        assert "already exists" in attempt("member@example.com", ip).content.decode()
    response = attempt("MEMBER@example.com", "203.0.113.3")
    assert response.status_code == 429
    assert "already exists" not in response.content.decode()
    # Another address is still served.
    assert attempt("new@example.com", "203.0.113.4").status_code == 302
    assert len(warnings_of(security_log)) == 1


def test_confirmation_resend_account_limit(client, db, settings, make_member):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"confirmation_resend_account": (2, 3600)}
    waiting = make_member(username="waiting", email="waiting@example.com")
    type(waiting).objects.filter(pk=waiting.pk).update(is_active=False)
    waiting.support_profile.email_confirmed_at = None
    waiting.support_profile.save()
    url = reverse("avsoft_support:confirm_resend")
    for ip in ("203.0.113.1", "203.0.113.2"):
        assert client.post(url, {"email": "waiting@example.com"}, REMOTE_ADDR=ip).status_code == 302
    response = client.post(url, {"email": "waiting@example.com"}, REMOTE_ADDR="203.0.113.3")
    assert response.status_code == 429
    assert len(mail.outbox) == 2
