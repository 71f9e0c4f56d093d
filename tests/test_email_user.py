"""A site whose user model logs in by e-mail and has no username (``tests.settings_emailuser``):
registration, the member login and the login throttle work with it.

Run with ``DJANGO_SETTINGS_MODULE=tests.settings_emailuser``; with any other user model these
tests are skipped.
"""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from avsoft_support.checks import check_registration_user_model
from avsoft_support.models import MemberProfile
from tests.utils import PASSWORD, find_one, label_for, link_in_mail, select, text_of

pytestmark = pytest.mark.skipif(
    settings.AUTH_USER_MODEL != "emailuser.EmailUser",
    reason="needs DJANGO_SETTINGS_MODULE=tests.settings_emailuser",
)

MEMBER_LOGIN = reverse("avsoft_support:login")
ADMIN_LOGIN = reverse("wagtailadmin_login")
REGISTER = reverse("avsoft_support:register")
WRONG = "Not-The-Password-1"


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def anna(db):
    user = get_user_model().objects.create_user(email="anna@example.com", password=PASSWORD)
    MemberProfile.objects.create(
        user=user, full_name="Anna Smirnova", email_confirmed_at=timezone.now()
    )
    return user


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user(email="staff@example.com", password=PASSWORD)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return user


def test_the_user_model_has_no_username():
    User = get_user_model()
    assert User.USERNAME_FIELD == "email"
    assert "username" not in {field.name for field in User._meta.get_fields()}


def test_registration_asks_for_the_email_once_and_the_link_activates_the_account(client, db):
    page = client.get(REGISTER)
    form = find_one(page, "main form")
    assert select(form, '[name="username"]') == []
    assert len(select(form, '[name="email"]')) == 1
    assert label_for(form, "id_email") == "E-mail"

    response = client.post(
        REGISTER,
        {
            "email": "Boris@Example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Boris Orlov",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert (user.email, user.is_active) == ("Boris@example.com", False)
    assert user.support_profile.full_name == "Boris Orlov"
    [message] = mail.outbox
    assert message.to == ["Boris@example.com"]

    client.get(link_in_mail(message, "/account/confirm/"))
    user.refresh_from_db()
    assert user.is_active
    response = client.post(MEMBER_LOGIN, {"username": "boris@example.COM", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_as(client) == str(user.pk)


def test_registration_refuses_an_address_in_use_in_any_case(client, anna):
    response = client.post(
        REGISTER,
        {
            "email": "ANNA@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Anna Again",
        },
    )
    assert response.status_code == 200
    assert "An account with this e-mail address already exists" in text_of(response)
    assert get_user_model().objects.count() == 1
    assert mail.outbox == []


def test_the_member_login_asks_for_the_email(client, anna):
    page = client.get(MEMBER_LOGIN)
    assert label_for(find_one(page, "main form"), "id_username") == "E-mail"
    response = client.post(MEMBER_LOGIN, {"username": "Anna@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_as(client) == str(anna.pk)


def test_a_member_login_lockout_closes_the_admin_login(client, staff):
    for typed in ("staff@example.com", "STAFF@example.com", "Staff@Example.com") * 2:
        client.post(MEMBER_LOGIN, {"username": typed, "password": WRONG})
    response = client.post(ADMIN_LOGIN, {"username": "staff@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert [text_of(item) for item in select(response, "main .messages li.error")] == [
        "Your email and password didn't match. Please try again."
    ]
    assert logged_in_as(client) is None


def test_the_check_accepts_this_model_and_names_what_another_lacks():
    assert check_registration_user_model(None) == []
    with override_settings(AUTH_USER_MODEL="emailuser.BadgeUser"):
        [warning] = check_registration_user_model(None)
    assert warning.id == "avsoft_support.W003"
    assert not warning.is_serious()
    assert warning.msg == (
        "Member registration cannot work with the user model emailuser.BadgeUser: it has no "
        "e-mail field; registration cannot fill its required field(s) desk_number."
    )
    assert "AVSOFT_SUPPORT_REGISTRATION_OPEN = False" in warning.hint


def test_staff_search_tickets_and_members_by_email(client, anna, staff, make_ticket, site):
    from django.contrib.auth.models import Group

    from tests.utils import otp_login

    staff.groups.add(Group.objects.get(name="Support staff"))
    make_ticket(anna, subject="Export stops")
    otp_login(client, staff)

    tickets = client.get("/admin/support/tickets/", {"q": "ANNA@example"})
    members = client.get(reverse("avsoft_support_clients:members"), {"q": "anna@"})

    assert tickets.status_code == members.status_code == 200
    assert "Export stops" in tickets.content.decode()
    assert "Anna Smirnova" in members.content.decode()


def test_the_member_downloads_their_data_and_deletes_their_account(
    client, anna, make_ticket, site, django_capture_on_commit_callbacks
):
    import io
    import json
    import zipfile

    from avsoft_support.models import Ticket

    ticket = make_ticket(anna, subject="Export stops", files=[("log.txt", b"anna log")])
    client.force_login(anna)

    response = client.get(reverse("avsoft_support:download_data"))
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="support-data-anna_example.com-{today:%Y-%m-%d}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    profile = json.loads(archive.read("profile.json"))
    assert profile["account"]["username"] == profile["account"]["email"] == "anna@example.com"
    assert archive.read(f"attachments/{ticket.number}/log.txt") == b"anna log"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("avsoft_support:delete_account"), {"password": PASSWORD, "confirm": "on"}
        )
    assert response.url == reverse("avsoft_support:account_deleted")
    assert not get_user_model().objects.filter(email="anna@example.com").exists()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.author is None
    assert not ticket.messages.filter(attachments__isnull=False).exists()
