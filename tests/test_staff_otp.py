"""The staff second factor: the admin gate, enrolment, verify, backup codes, device management."""

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.test import RequestFactory, override_settings
from django.urls import include, path, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.menu import admin_menu
from wagtail.models import ModelLogEntry
from wagtail.snippets.models import get_snippet_models

from avsoft_support.audit import OTP_RESET
from avsoft_support.checks import check_staff_otp
from avsoft_support.otp import devices
from tests.utils import (
    PASSWORD,
    assert_tag_in_html,
    find_one,
    hrefs,
    links,
    otp_login,
    select,
    text_of,
    totp_token,
)

VERIFY = "avsoft_support_otp:verify"
ENROL = "avsoft_support_otp:enrol"


def split(location):
    parts = urlsplit(location)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def device_of(user):
    return TOTPDevice.objects.get(user=user, confirmed=True)


def is_verified_session(client):
    return DEVICE_ID_SESSION_KEY in client.session


def codes_on_page(response):
    codes = [text_of(code) for code in select(response, "ol.avs-otp-backup-codes > li > code")]
    assert all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes), codes
    return codes


def shown_secret(response):
    return text_of(find_one(response, "#avs-otp-secret"))


# The gate

GATED_URLS = [
    ("wagtailadmin_home", ()),
    ("wagtailadmin_explore_root", ()),
    ("wagtailsnippets:index", ()),
    ("wagtailusers_users:index", ()),
    ("wagtailadmin_account", ()),
    ("wagtaildocs:index", ()),
    ("wagtailadmin_reports:site_history", ()),
    ("avsoft_support_otp:manage", ()),
    ("avsoft_support_otp:backup_codes", ()),
]


@pytest.mark.parametrize(("name", "args"), GATED_URLS)
def test_unverified_staff_are_sent_to_verify_from_any_admin_url(client, staff_user, name, args):
    client.force_login(staff_user)
    target = reverse(name, args=args)
    response = client.get(target)
    assert response.status_code == 302
    path, query = split(response["Location"])
    assert path == reverse(VERIFY)
    assert query["next"] == target


def test_unverified_staff_are_sent_from_every_snippet_listing(client, staff_user):
    client.force_login(staff_user)
    reverse("wagtailadmin_home")  # loads the admin URLs, which registers the snippets
    listings = [reverse(m.snippet_viewset.get_url_name("list")) for m in get_snippet_models()]
    for listing in listings:
        response = client.get(listing)
        assert response.status_code == 302, listing
        assert split(response["Location"]) == (reverse(VERIFY), {"next": listing})


def test_an_unknown_admin_url_is_gated_too(client, staff_user):
    client.force_login(staff_user)
    missing = reverse("wagtailadmin_home") + "no-such-page/"
    response = client.get(missing)
    assert split(response["Location"]) == (reverse(VERIFY), {"next": missing})


def test_a_query_string_survives_in_next(client, staff_user):
    client.force_login(staff_user)
    target = reverse("wagtailusers_users:index") + "?q=ivan&ordering=name"
    response = client.get(target)
    assert split(response["Location"]) == (reverse(VERIFY), {"next": target})


def test_a_post_to_the_admin_is_stopped_without_next(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("wagtailadmin_account"), {"first_name": "X"})
    assert response.status_code == 302
    assert response["Location"] == reverse(VERIFY)


def test_staff_without_a_device_are_sent_to_enrol(client, make_staff):
    client.force_login(make_staff(device=False, support_group=True))
    response = client.get(reverse("wagtailadmin_home"))
    assert split(response["Location"]) == (reverse(ENROL), {"next": reverse("wagtailadmin_home")})


def test_login_logout_catalogue_and_sprite_stay_open(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("wagtailadmin_javascript_catalog")).status_code == 200
    assert client.get(reverse("wagtailadmin_sprite")).status_code == 200
    # Wagtail's login sends an admin user on to the admin home, where the gate takes over.
    login = client.get(reverse("wagtailadmin_login"))
    assert login.status_code == 302 and login["Location"] == reverse("wagtailadmin_home")
    assert client.get(reverse(VERIFY)).status_code == 200
    response = client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wagtail_login_page_is_unchanged_for_visitors(client, db):
    response = client.get(reverse("wagtailadmin_login"))
    assert response.status_code == 200
    assert_tag_in_html('<input type="password" name="password">', response)
    assert select(response, '[name="code"]') == []


def test_anonymous_visitors_get_wagtails_login_redirect(client, db):
    response = client.get(reverse("wagtailsnippets:index"))
    assert response.status_code == 302
    assert split(response["Location"])[0] == reverse("wagtailadmin_login")


def test_users_without_admin_access_get_wagtails_refusal_not_the_otp_step(client, member):
    client.force_login(member)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert split(response["Location"])[0] == reverse("wagtailadmin_login")


def test_non_admin_pages_are_not_gated(client, site, staff_user):
    client.force_login(staff_user)
    assert client.get("/").status_code == 200


def test_verified_staff_reach_the_admin(staff_client):
    assert staff_client.get(reverse("wagtailadmin_home")).status_code == 200
    assert staff_client.get(reverse("wagtailadmin_account")).status_code == 200


def test_the_gate_follows_the_admin_wherever_it_is_mounted(client, staff_user, settings):
    settings.ROOT_URLCONF = __name__  # the urlpatterns below: the admin at /backoffice/
    client.force_login(staff_user)
    home = reverse("wagtailadmin_home")
    assert home == "/backoffice/"
    response = client.get(home)
    assert split(response["Location"]) == ("/backoffice/two-factor/verify/", {"next": home})
    assert client.get("/backoffice/two-factor/verify/").status_code == 200


# Only for the test above: a site that mounts the admin elsewhere.
urlpatterns = [path("backoffice/", include(wagtailadmin_urls))]


def _menu_items(user, verified):
    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.session = SessionStore()
    if verified:
        request.session[DEVICE_ID_SESSION_KEY] = device_of(user).persistent_id
    request.user = user
    OTPMiddleware(lambda request: None)(request)
    return admin_menu.menu_items_for_request(request)


def test_main_menu_is_empty_before_the_second_factor(staff_user):
    assert _menu_items(staff_user, verified=False) == []
    assert _menu_items(get_user_model().objects.get(pk=staff_user.pk), verified=True) != []


@override_settings(AVSOFT_SUPPORT_STAFF_OTP_REQUIRED=False)
def test_the_setting_lets_unverified_staff_through(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.get(reverse("wagtailadmin_account")).status_code == 200


def test_system_check_warns_when_the_gate_is_off_in_production(db, settings):
    settings.DEBUG = False
    settings.AVSOFT_SUPPORT_STAFF_OTP_REQUIRED = False
    warnings = check_staff_otp(None)
    assert [w.id for w in warnings] == ["avsoft_support.W001"]
    assert warnings[0].level == checks.WARNING
    assert "avsoft_support.W001" in [m.id for m in checks.run_checks()]

    settings.DEBUG = True
    assert check_staff_otp(None) == []
    settings.DEBUG = False
    settings.AVSOFT_SUPPORT_STAFF_OTP_REQUIRED = True
    assert check_staff_otp(None) == []


# Enrolment at first login


def test_enrolment_end_to_end(client, make_staff):
    user = make_staff(device=False, support_group=True)
    assert (
        client.post(
            reverse("wagtailadmin_login"), {"username": "staff", "password": PASSWORD}
        ).status_code
        == 302
    )
    home = reverse("wagtailadmin_home")
    response = client.get(home)
    assert split(response["Location"]) == (reverse(ENROL), {"next": home})

    page = client.get(response["Location"])
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert find_one(page, "svg.avs-otp-qr").get("width")
    secret = devices.secret_for_display(device)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{4}", secret)
    assert shown_secret(page) == secret
    assert select(page, "#wagtail-sidebar") == []  # no menu before the second factor
    # Reloading shows the same key: a scanned code keeps working.
    assert shown_secret(client.get(reverse(ENROL), {"next": home})) == secret
    assert TOTPDevice.objects.filter(user=user).count() == 1

    wrong = client.post(reverse(ENROL), {"code": "000000", "next": home})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    device.throttle_reset()

    response = client.post(reverse(ENROL), {"code": totp_token(device), "next": home})
    assert response.status_code == 302
    assert split(response["Location"]) == (
        reverse("avsoft_support_otp:backup_codes"),
        {"next": home},
    )
    device.refresh_from_db()
    assert device.confirmed is True
    assert is_verified_session(client)

    codes_page = client.get(response["Location"])
    codes = codes_on_page(codes_page)
    assert len(codes) == devices.BACKUP_CODE_COUNT == 10
    assert "They will not be shown again" in codes_page.content.decode()
    assert home in hrefs(find_one(codes_page, "main"))
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    # Shown once.
    again = client.get(reverse("avsoft_support_otp:backup_codes"))
    assert codes_on_page(again) == []
    assert "no new backup codes to show" in again.content.decode()

    assert client.get(home).status_code == 200


def test_enrolment_is_not_open_to_an_unverified_user_who_has_a_device(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse(ENROL))
    assert split(response["Location"])[0] == reverse(VERIFY)
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1


# Verify at later logins


def _sign_in(client, user):
    response = client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert not is_verified_session(client)


def test_verify_with_the_app_code(client, staff_user):
    _sign_in(client, staff_user)
    account = reverse("wagtailadmin_account")
    page = client.get(reverse(VERIFY), {"next": account})
    assert page.status_code == 200
    assert_tag_in_html('<input name="code" autocomplete="one-time-code">', page)
    assert select(page, "#wagtail-sidebar") == []
    key_before = client.session.session_key
    response = client.post(
        reverse(VERIFY), {"code": totp_token(device_of(staff_user)), "next": account}
    )
    assert response.status_code == 302
    assert response["Location"] == account
    assert is_verified_session(client)
    assert client.session.session_key != key_before  # a new session key, as at login
    assert client.get(account).status_code == 200


def test_a_code_with_spaces_is_accepted(client, staff_user):
    _sign_in(client, staff_user)
    token = totp_token(device_of(staff_user))
    response = client.post(reverse(VERIFY), {"code": f" {token[:3]} {token[3:]} "})
    assert response["Location"] == reverse("wagtailadmin_home")


def test_a_wrong_code_is_refused_clearly_and_logged_without_the_code(client, staff_user, caplog):
    _sign_in(client, staff_user)
    token = totp_token(device_of(staff_user))
    wrong = f"{(int(token) + 1) % 1_000_000:06d}"
    with caplog.at_level(logging.WARNING, logger="avsoft_support.security"):
        response = client.post(reverse(VERIFY), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not is_verified_session(client)
    records = [r for r in caplog.records if r.name == "avsoft_support.security"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert str(staff_user.pk) in records[0].getMessage()
    assert wrong not in records[0].getMessage() and token not in records[0].getMessage()


def test_wrong_codes_are_throttled_with_a_clear_message(client, staff_user):
    _sign_in(client, staff_user)
    device = device_of(staff_user)
    client.post(reverse(VERIFY), {"code": "000001"})
    client.post(reverse(VERIFY), {"code": "000002"})
    # Now locked: even the right code is refused, and the page says how long to wait.
    response = client.post(reverse(VERIFY), {"code": totp_token(device)})
    html = response.content.decode()
    assert "Too many wrong codes" in html
    assert re.search(r"Wait \d+ seconds?, then try again", html)
    assert not is_verified_session(client)

    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(reverse(VERIFY), {"code": totp_token(device)})
    assert response.status_code == 302
    assert is_verified_session(client)


def test_a_used_code_is_refused_and_the_next_one_accepted(client, staff_user):
    device = device_of(staff_user)
    token = totp_token(device)
    _sign_in(client, staff_user)
    assert client.post(reverse(VERIFY), {"code": token}).status_code == 302
    client.post(reverse("wagtailadmin_logout"))

    _sign_in(client, staff_user)
    replay = client.post(reverse(VERIFY), {"code": token})
    assert replay.status_code == 200
    assert "That code is not right" in replay.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    assert client.post(reverse(VERIFY), {"code": totp_token(device, drift=1)}).status_code == 302


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("{pages}", "{pages}"),
        ("http://testserver{pages}", "http://testserver{pages}"),
        ("https://evil.example{home}", "{home}"),
        ("//evil.example/", "{home}"),
        ("javascript:alert(1)", "{home}"),
        ("", "{home}"),
    ],
)
def test_next_is_checked(client, staff_user, given, expected):
    where = {"home": reverse("wagtailadmin_home"), "pages": reverse("wagtailadmin_explore_root")}
    given, expected = given.format(**where), expected.format(**where)
    _sign_in(client, staff_user)
    response = client.post(
        reverse(VERIFY), {"code": totp_token(device_of(staff_user)), "next": given}
    )
    assert response.status_code == 302
    assert response["Location"] == expected


def test_verified_users_visiting_verify_go_on(staff_client):
    response = staff_client.get(reverse(VERIFY), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("wagtailadmin_home")


# Backup codes


def _enrol_codes(client, user):
    """Backup codes for `user`, made through the manage page; the client stays verified."""
    otp_login(client, user)
    response = client.post(reverse("avsoft_support_otp:regenerate_backup_codes"))
    assert response.status_code == 302
    return codes_on_page(client.get(response["Location"]))


def test_each_backup_code_works_once(client, staff_user):
    codes = _enrol_codes(client, staff_user)
    assert len(codes) == 10
    client.post(reverse("wagtailadmin_logout"))

    _sign_in(client, staff_user)
    response = client.post(reverse(VERIFY), {"code": codes[0].upper()})
    assert response["Location"] == reverse("wagtailadmin_home")
    assert is_verified_session(client)
    home = client.get(reverse("wagtailadmin_home"))
    assert "9 backup codes are left" in home.content.decode()
    client.post(reverse("wagtailadmin_logout"))

    _sign_in(client, staff_user)
    again = client.post(reverse(VERIFY), {"code": codes[0]})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()
    StaticDevice.objects.get(user=staff_user).throttle_reset()
    assert client.post(reverse(VERIFY), {"code": codes[1]}).status_code == 302
    assert devices.remaining_backup_codes(staff_user) == 8


def test_a_wrong_backup_code_does_not_throttle_the_app(client, staff_user):
    _enrol_codes(client, staff_user)
    client.post(reverse("wagtailadmin_logout"))
    _sign_in(client, staff_user)
    client.post(reverse(VERIFY), {"code": "zzzzzzzz"})
    response = client.post(reverse(VERIFY), {"code": totp_token(device_of(staff_user))})
    assert response.status_code == 302


def test_new_backup_codes_replace_the_old(client, staff_user):
    old = _enrol_codes(client, staff_user)
    new = _enrol_codes(client, staff_user)
    assert set(old).isdisjoint(new)
    assert sorted(
        StaticToken.objects.filter(device__user=staff_user).values_list("token", flat=True)
    ) == sorted(new)
    assert StaticDevice.objects.filter(user=staff_user).count() == 1


def test_backup_codes_are_never_all_digits(db, staff_user):
    codes = devices.generate_backup_codes(staff_user, count=200)
    assert len(set(codes)) == 200
    assert not any(code.isdigit() for code in codes)


def test_a_backup_code_login_without_an_app_leads_to_enrolment(client, make_staff):
    user = make_staff(device=False)
    codes = devices.generate_backup_codes(user)
    _sign_in(client, user)
    response = client.get(reverse("wagtailadmin_home"))
    assert split(response["Location"])[0] == reverse(VERIFY)
    response = client.post(reverse(VERIFY), {"code": codes[0]})
    assert split(response["Location"])[0] == reverse(ENROL)


# Managing one's own device


def test_the_account_page_links_to_two_factor_management(staff_client):
    response = staff_client.get(reverse("wagtailadmin_account"))
    manage = reverse("avsoft_support_otp:manage")
    assert (manage, "Two-factor authentication") in links(response)


def test_the_manage_page(staff_client, staff_user):
    devices.generate_backup_codes(staff_user)
    response = staff_client.get(reverse("avsoft_support_otp:manage"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have 10 unused backup codes" in html
    assert (reverse(ENROL), "Replace authenticator app") in links(response)
    assert find_one(response, "#wagtail-sidebar")
    assert "Other users" not in html


def test_replacing_the_device_keeps_the_old_one_until_the_new_is_confirmed(client, staff_user):
    old = device_of(staff_user)
    otp_login(client, staff_user)
    page = client.get(reverse(ENROL))
    assert page.status_code == 200
    assert "Replace your authenticator app" in page.content.decode()
    new = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    assert new.key != old.key
    assert shown_secret(page) == devices.secret_for_display(new)

    # Abandoned half-way: the old device still signs in.
    other = client.__class__()
    _sign_in(other, staff_user)
    assert other.post(reverse(VERIFY), {"code": totp_token(old)}).status_code == 302

    wrong = client.post(reverse(ENROL), {"code": totp_token(old, drift=1)})
    assert wrong.status_code == 200
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    new.refresh_from_db()
    new.throttle_reset()

    response = client.post(reverse(ENROL), {"code": totp_token(new)})
    assert response["Location"] == reverse("avsoft_support_otp:manage")
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert device_of(staff_user).pk == new.pk
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == new.persistent_id


# A superuser resets another user's devices


def test_superuser_resets_another_users_devices(client, make_staff, support_staff):
    staff_user = support_staff  # the admin requires their second factor
    boss = make_staff("boss", superuser=True)
    devices.generate_backup_codes(staff_user)
    otp_login(client, boss)

    users_page = hrefs(client.get(reverse("wagtailusers_users:index")))
    reset_url = reverse("avsoft_support_otp:reset", args=[staff_user.pk])
    assert reset_url in users_page
    assert reverse("avsoft_support_otp:reset", args=[boss.pk]) not in users_page

    confirm = client.get(reset_url)
    assert confirm.status_code == 200
    assert "10 unused backup codes" in confirm.content.decode()

    response = client.post(reset_url)
    assert response["Location"] == reverse("wagtailusers_users:index")
    assert not TOTPDevice.objects.filter(user=staff_user).exists()
    assert not StaticDevice.objects.filter(user=staff_user).exists()
    entry = ModelLogEntry.objects.get(action=OTP_RESET)
    assert entry.object_id == str(staff_user.pk) and entry.user_id == boss.pk
    assert entry.data == {"devices": 2}

    # The reset user sets up a new app at the next admin request.
    staff = client.__class__()
    staff.force_login(staff_user)
    assert split(staff.get(reverse("wagtailadmin_home"))["Location"])[0] == reverse(ENROL)


def test_a_reset_ends_the_verified_session_of_that_user(client, make_staff, support_staff):
    staff_user = support_staff  # the admin requires their second factor
    boss = make_staff("boss", superuser=True)
    staff = client.__class__()
    otp_login(staff, staff_user)
    assert staff.get(reverse("wagtailadmin_home")).status_code == 200
    otp_login(client, boss)
    client.post(reverse("avsoft_support_otp:reset", args=[staff_user.pk]))
    assert split(staff.get(reverse("wagtailadmin_home"))["Location"])[0] == reverse(ENROL)


def test_only_superusers_may_reset(client, make_staff, staff_user):
    other = make_staff("other")
    otp_login(client, other)
    reset_url = reverse("avsoft_support_otp:reset", args=[staff_user.pk])
    assert client.get(reset_url).status_code == 404
    assert client.post(reset_url).status_code == 404
    assert TOTPDevice.objects.filter(user=staff_user).exists()
    assert reset_url not in hrefs(client.get(reverse("wagtailusers_users:index")))


def test_an_unverified_superuser_cannot_reset(client, make_staff, staff_user):
    boss = make_staff("boss", superuser=True)
    client.force_login(boss)
    response = client.post(reverse("avsoft_support_otp:reset", args=[staff_user.pk]))
    assert split(response["Location"])[0] == reverse(VERIFY)
    assert TOTPDevice.objects.filter(user=staff_user).exists()


def test_a_superuser_is_sent_to_replace_their_own_device_instead(client, make_staff):
    boss = make_staff("boss", superuser=True)
    otp_login(client, boss)
    response = client.post(reverse("avsoft_support_otp:reset", args=[boss.pk]))
    assert response["Location"] == reverse("avsoft_support_otp:manage")
    assert TOTPDevice.objects.filter(user=boss).exists()
