"""Members' opt-in TOTP in the personal section, and the verify step of a pending login."""

import re

import django
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from avsoft_support.otp import devices
from avsoft_support.otp import session as otp_session
from tests.utils import (
    PASSWORD,
    assert_tag_in_html,
    find_one,
    label_for,
    otp_login,
    select,
    text_of,
    totp_token,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"


def name(view):
    return reverse(f"avsoft_support:{view}")


def codes_on_page(response):
    codes = [text_of(code) for code in select(response, "ol.avs-otp-backup-codes > li > code")]
    assert all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes), codes
    return codes


def turn_on(client, user):
    """Set up TOTP through the pages; returns (device, backup codes)."""
    client.get(name("member_otp_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(name("member_otp_setup"), {"code": totp_token(device)})
    assert response["Location"] == name("member_otp_backup_codes")
    device.refresh_from_db()
    return device, codes_on_page(client.get(name("member_otp_backup_codes")))


# Setup and disable


def test_setup_shows_qr_and_secret_then_confirms_and_shows_backup_codes_once(client, site, member):
    client.force_login(member)
    index = client.get(name("member_otp_index"))
    assert index.status_code == 200
    assert "Status: off." in index.content.decode()
    assert not devices.user_requires_otp(member)

    page = client.get(name("member_otp_setup"))
    assert page.status_code == 200
    main = find_one(page, "main")
    device = TOTPDevice.objects.get(user=member)
    assert find_one(main, "figure.avs-otp-qr-figure > svg").get("width")
    assert text_of(find_one(main, "#avs-otp-secret")) == devices.secret_for_display(device)
    assert label_for(main, "id_code")
    assert_tag_in_html('<input name="code" id="id_code" aria-describedby="id_code_helptext">', main)
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]

    wrong = client.post(name("member_otp_setup"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in text_of(find_one(wrong, "main .avs-error-summary"))
    assert_tag_in_html('<input name="code" aria-invalid="true">', find_one(wrong, "main"))
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()

    response = client.post(name("member_otp_setup"), {"code": totp_token(device)})
    assert response["Location"] == name("member_otp_backup_codes")
    assert devices.user_requires_otp(member)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    shown = client.get(name("member_otp_backup_codes"))
    codes = codes_on_page(shown)
    assert len(codes) == 10
    assert "They will not be shown again" in shown.content.decode()
    assert codes_on_page(client.get(name("member_otp_backup_codes"))) == []

    index = client.get(name("member_otp_index")).content.decode()
    assert "Status: on." in index and "You have 10 unused backup codes" in index
    # Set up already: the setup page sends back to the overview.
    assert client.get(name("member_otp_setup"))["Location"] == name("member_otp_index")


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django's own CSP arrived in 6.0")
def test_member_pages_carry_the_customer_csp(client, site, member):
    # Django 6's middleware writes the header from the override the view carries.
    from django.conf import settings

    middleware = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        client.force_login(member)
        response = client.get(name("member_otp_setup"))
    assert "default-src 'self'" in response["Content-Security-Policy"]


@override_settings(LOGIN_URL="/account/login/")
def test_member_pages_need_a_login(client, site):
    for view in ("member_otp_index", "member_otp_setup", "member_otp_disable"):
        response = client.get(name(view))
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=")


def test_disable_needs_a_current_code(client, site, member):
    client.force_login(member)
    device, codes = turn_on(client, member)

    refused = client.post(name("member_otp_disable"), {"code": "123456"})
    assert refused.status_code == 200
    assert "That code is not right" in refused.content.decode()
    assert devices.user_requires_otp(member)
    device.refresh_from_db()
    device.throttle_reset()

    response = client.post(name("member_otp_disable"), {"code": totp_token(device, drift=1)})
    assert response["Location"] == name("member_otp_index")
    assert not devices.user_requires_otp(member)
    assert not StaticDevice.objects.filter(user=member).exists()
    assert "Status: off." in client.get(name("member_otp_index")).content.decode()


def test_disable_with_a_backup_code(client, site, member):
    client.force_login(member)
    _device, codes = turn_on(client, member)
    response = client.post(name("member_otp_disable"), {"code": codes[3]})
    assert response["Location"] == name("member_otp_index")
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_an_admin_user_cannot_turn_it_off_here(client, site, support_staff):
    staff_user = support_staff
    otp_login(client, staff_user)
    page = client.get(name("member_otp_disable"))
    assert "cannot be turned off here" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff_user)
    client.post(name("member_otp_disable"), {"code": totp_token(device, drift=1)})
    assert TOTPDevice.objects.filter(user=staff_user).exists()


def test_new_backup_codes_need_a_current_code(client, site, member):
    client.force_login(member)
    device, old = turn_on(client, member)
    response = client.post(name("member_otp_regenerate"), {"code": totp_token(device, drift=1)})
    assert response["Location"] == name("member_otp_backup_codes")
    new = codes_on_page(client.get(name("member_otp_backup_codes")))
    assert len(new) == 10 and set(new).isdisjoint(old)
    assert sorted(
        StaticToken.objects.filter(device__user=member).values_list("token", flat=True)
    ) == sorted(new)


# The verify step of a login (the session contract with the member-area login)


def pending(client, user, next_url="", backend=BACKEND):
    session = client.session
    session[otp_session.PENDING_USER_SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[otp_session.PENDING_BACKEND_SESSION_KEY] = backend
    session[otp_session.PENDING_NEXT_SESSION_KEY] = next_url
    session.save()


@pytest.fixture
def member_with_app(member):
    device = TOTPDevice.objects.create(user=member, name=devices.TOTP_DEVICE_NAME, confirmed=True)
    return member, device


def test_pending_login_completes_with_the_right_code(client, site, member_with_app):
    member, device = member_with_app
    pending(client, member, next_url="/support/")
    page = client.get(name("member_otp_verify"))
    assert page.status_code == 200
    assert SESSION_KEY not in client.session  # not logged in before the code

    response = client.post(name("member_otp_verify"), {"code": totp_token(device)})
    assert response.status_code == 302
    assert response["Location"] == "/support/"
    session = client.session
    assert session[SESSION_KEY] == str(member.pk)
    assert session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert session["_auth_user_backend"] == BACKEND
    for key in (
        otp_session.PENDING_USER_SESSION_KEY,
        otp_session.PENDING_BACKEND_SESSION_KEY,
        otp_session.PENDING_NEXT_SESSION_KEY,
    ):
        assert key not in session


def test_login_page_hands_a_member_with_an_app_over_to_the_code_step(client, site, member_with_app):
    member, device = member_with_app
    response = client.post(
        reverse("avsoft_support:login"),
        {"username": member.username, "password": PASSWORD, "next": "/support/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("avsoft_support:member_otp_verify")
    assert SESSION_KEY not in client.session  # the password alone logs nobody in

    response = client.post(response["Location"], {"code": totp_token(device)})
    assert response["Location"] == "/support/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_login_page_logs_a_member_without_an_app_straight_in(client, site, member):
    response = client.post(
        reverse("avsoft_support:login"), {"username": member.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)


def test_pending_login_refuses_a_wrong_code_and_stays_logged_out(
    client, site, member_with_app, caplog
):
    member, device = member_with_app
    pending(client, member)
    with caplog.at_level("WARNING", logger="avsoft_support.security"):
        response = client.post(name("member_otp_verify"), {"code": "999999"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert otp_session.PENDING_USER_SESSION_KEY in client.session
    assert any(
        r.name == "avsoft_support.security" and "999999" not in r.getMessage()
        for r in caplog.records
    )

    throttled = client.post(name("member_otp_verify"), {"code": totp_token(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    assert SESSION_KEY not in client.session


def test_pending_login_with_a_backup_code(client, site, member_with_app):
    member, _device = member_with_app
    codes = devices.generate_backup_codes(member)
    pending(client, member)
    response = client.post(name("member_otp_verify"), {"code": codes[0]})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)
    assert StaticToken.objects.filter(device__user=member).count() == 9


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_pending_login_next_is_checked(client, site, member_with_app, next_url):
    member, device = member_with_app
    pending(client, member, next_url=next_url)
    response = client.post(name("member_otp_verify"), {"code": totp_token(device)})
    assert response["Location"] == name("profile")


@override_settings(LOGIN_URL="/account/login/")
def test_no_pending_login_goes_to_the_login_page(client, site):
    response = client.get(name("member_otp_verify"))
    assert response["Location"] == "/account/login/"


@override_settings(LOGIN_URL="/account/login/")
def test_an_unknown_backend_or_inactive_user_is_not_logged_in(client, site, member_with_app):
    member, device = member_with_app
    pending(client, member, backend="some.other.Backend")
    response = client.post(name("member_otp_verify"), {"code": totp_token(device)})
    assert response["Location"] == "/account/login/"
    assert SESSION_KEY not in client.session
    assert otp_session.PENDING_USER_SESSION_KEY not in client.session

    member.is_active = False
    member.save()
    pending(client, member)
    response = client.post(name("member_otp_verify"), {"code": totp_token(device)})
    assert response["Location"] == "/account/login/"
    assert SESSION_KEY not in client.session


def test_begin_pending_login_writes_the_contract(rf, member):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/account/login/")
    request.session = SessionStore()
    otp_session.begin_pending_login(request, member, BACKEND, "/support/")
    assert dict(request.session) == {
        "avsoft_support_pending_otp_user": str(member.pk),
        "avsoft_support_pending_otp_user_backend": BACKEND,
        "avsoft_support_pending_otp_user_next": "/support/",
    }


def test_user_requires_otp(db, member, make_staff):
    assert devices.user_requires_otp(member) is False
    TOTPDevice.objects.create(user=member, confirmed=False)
    assert devices.user_requires_otp(member) is False
    devices.generate_backup_codes(member)
    assert devices.user_requires_otp(member) is False
    assert devices.user_requires_otp(make_staff()) is True
