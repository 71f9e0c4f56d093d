"""Who must use a second factor in the admin: superusers and whoever holds one of
AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS (by default the permissions on customers' tickets and
client data, which the "Support staff" group has). Editors without them reach the admin with
their password. The staff gate, the menu hidden before it and the member area's "cannot be
turned off" follow the one rule (permissions.must_use_second_factor).
"""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin.menu import admin_menu

from avsoft_support.permissions import must_use_second_factor
from tests.utils import otp_login, totp_token

HOME = "wagtailadmin_home"
VERIFY = "avsoft_support_otp:verify"
ENROL = "avsoft_support_otp:enrol"


def sent_to(client, user):
    """Where the admin home sends `user` (logged in by password only): a path, or None."""
    client.force_login(user)
    response = client.get(reverse(HOME))
    if response.status_code == 200:
        return None
    assert response.status_code == 302
    return urlsplit(response["Location"]).path


def menu_for(user):
    """The Wagtail main menu a request of `user` gets before any second factor."""
    request = RequestFactory().get(reverse(HOME))
    request.session = SessionStore()
    request.user = user
    OTPMiddleware(lambda request: None)(request)
    return admin_menu.menu_items_for_request(request)


@pytest.fixture
def editor(make_staff):
    """An editor: the admin and the product list, no ticket or client permissions."""
    user = make_staff(username="editor", device=False)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="avsoft_support", codename="change_product"
        )
    )
    return user


@pytest.fixture
def support_staff_without_device(make_staff):
    user = make_staff(username="newstaff", device=False)
    user.groups.add(Group.objects.get(name="Support staff"))
    return user


def test_an_editor_reaches_the_admin_without_a_second_factor(client, editor):
    assert not must_use_second_factor(editor)
    assert sent_to(client, editor) is None
    assert menu_for(editor) != []
    assert not TOTPDevice.objects.filter(user=editor).exists()


def test_support_staff_are_sent_to_enrol_then_to_verify(client, support_staff_without_device):
    assert must_use_second_factor(support_staff_without_device)
    assert sent_to(client, support_staff_without_device) == reverse(ENROL)
    assert menu_for(support_staff_without_device) == []
    TOTPDevice.objects.create(user=support_staff_without_device, name="App", confirmed=True)
    assert sent_to(client, support_staff_without_device) == reverse(VERIFY)


def test_the_support_staff_fixture_is_sent_to_verify(client, support_staff):
    assert sent_to(client, support_staff) == reverse(VERIFY)


def test_a_superuser_is_sent_to_enrol(client, make_staff):
    boss = make_staff(username="boss", superuser=True, device=False)
    assert sent_to(client, boss) == reverse(ENROL)


def test_a_ticket_permission_given_outside_the_group_counts_too(client, editor):
    """The rule asks for permissions, not a group's name: whoever can read tickets enrols."""
    editor.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    assert sent_to(client, editor) == reverse(ENROL)


def test_an_editor_who_turned_a_second_factor_on_is_asked_for_it(client, editor):
    """Not required of them, but once they have one the admin login does not skip it."""
    TOTPDevice.objects.create(user=editor, name="App", confirmed=True)
    assert not must_use_second_factor(editor)
    assert sent_to(client, editor) == reverse(VERIFY)


def test_the_setting_can_ask_every_admin_user(client, settings, editor):
    settings.AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS = ["wagtailadmin.access_admin"]
    assert sent_to(client, editor) == reverse(ENROL)
    assert menu_for(editor) == []


def test_the_setting_can_leave_only_superusers(client, settings, support_staff_without_device):
    settings.AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS = []
    assert sent_to(client, support_staff_without_device) is None
    boss = support_staff_without_device
    boss.is_superuser = True
    boss.save()
    assert sent_to(client, boss) == reverse(ENROL)


def test_nobody_is_asked_with_the_gate_off(client, settings, support_staff_without_device):
    settings.AVSOFT_SUPPORT_STAFF_OTP_REQUIRED = False
    assert not must_use_second_factor(support_staff_without_device)
    assert sent_to(client, support_staff_without_device) is None


# The member area's "cannot be turned off here" follows the same rule.


def disable_page(client, user):
    otp_login(client, user)
    return client.get(reverse("avsoft_support:member_otp_disable")).content.decode()


def test_support_staff_cannot_turn_the_second_factor_off_in_the_member_area(
    client, site, support_staff
):
    assert "cannot be turned off here" in disable_page(client, support_staff)
    device = TOTPDevice.objects.get(user=support_staff)
    client.post(reverse("avsoft_support:member_otp_disable"), {"code": totp_token(device, drift=1)})
    assert TOTPDevice.objects.filter(user=support_staff).exists()


def test_an_editor_can_turn_their_own_second_factor_off(client, site, editor):
    assert "cannot be turned off here" not in disable_page(client, editor)
    device = TOTPDevice.objects.get(user=editor)
    client.post(reverse("avsoft_support:member_otp_disable"), {"code": totp_token(device, drift=1)})
    assert not TOTPDevice.objects.filter(user=editor).exists()
