"""Registration, the e-mail confirmation link, and re-sending it."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.urls import reverse

from avsoft_support.models import MemberProfile
from avsoft_support.views.account.common import CONFIRM_SALT
from tests.utils import (
    PASSWORD,
    assert_tag_in_html,
    field_value,
    find_one,
    hrefs,
    label_for,
    link_in_mail,
    links,
)

User = get_user_model()
REGISTER = reverse("avsoft_support:register")


def registration(**overrides):
    data = {
        "username": "anna",
        "email": "anna@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "full_name": "Anna Smirnova",
        "company": "Smirnova & Co",
        "phone": "+7 900 000-00-00",
    }
    return {**data, **overrides}


def assert_nothing_stored():
    assert not User.objects.exists()
    assert not MemberProfile.objects.exists()
    assert mail.outbox == []


def test_register_page_shows_every_field_with_a_label(client, db):
    response = client.get(REGISTER)
    assert response.status_code == 200
    form = find_one(response, "main form")
    labels = {
        name: label_for(form, f"id_{name}")
        for name in ("username", "email", "password1", "password2", "full_name", "company", "phone")
    }
    assert all(labels.values()), labels
    for name in labels:
        assert_tag_in_html(f'<input name="{name}" id="id_{name}">', form)
    assert_tag_in_html('<input name="email" aria-describedby="id_email_helptext">', form)
    assert find_one(form, "#id_email_helptext").get_text(strip=True)


def test_register_creates_an_inactive_user_and_sends_a_confirmation(client, db):
    response = client.post(REGISTER, registration())
    assert response.status_code == 302
    assert response.url == reverse("avsoft_support:confirm_sent")
    user = User.objects.get(username="anna")
    assert not user.is_active
    assert user.check_password(PASSWORD)
    profile = user.support_profile
    assert (profile.full_name, profile.company, profile.phone) == (
        "Anna Smirnova",
        "Smirnova & Co",
        "+7 900 000-00-00",
    )
    assert profile.email_confirmed_at is None
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    assert "Confirm your e-mail address" in message.subject
    assert "Anna Smirnova" in message.body
    assert "&amp;" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = link_in_mail(message, "/account/confirm/")
    assert [href for href in hrefs(html) if href.endswith(link)]


def test_confirmation_link_activates_the_account_once(client, db):
    client.post(REGISTER, registration())
    link = link_in_mail(mail.outbox[0], "/account/confirm/")

    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("avsoft_support:login")
    assert b"Your e-mail address is confirmed" in response.content
    user = User.objects.get(username="anna")
    assert user.is_active
    assert user.support_profile.email_confirmed_at is not None

    again = client.get(link)
    assert again.status_code == 200
    assert b"This link has already been used" in again.content

    assert (
        client.post(
            reverse("avsoft_support:login"), {"username": "anna", "password": PASSWORD}
        ).status_code
        == 302
    )


def test_expired_confirmation_link_offers_a_new_one(client, db):
    client.post(REGISTER, registration())
    user = User.objects.get(username="anna")

    class SignerOfThePast(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 4 * 24 * 3600)

    token = SignerOfThePast(salt=CONFIRM_SALT).sign_object(
        {"u": str(user.pk), "e": user.email, "k": "r"}
    )
    response = client.get(reverse("avsoft_support:confirm_email", args=[token]))
    assert response.status_code == 400
    assert b"The link has expired." in response.content
    resend = reverse("avsoft_support:confirm_resend")
    assert resend in hrefs(find_one(response, "main"))
    user.refresh_from_db()
    assert not user.is_active


def test_confirmation_max_age_is_a_setting(client, db, settings):
    client.post(REGISTER, registration())
    link = link_in_mail(mail.outbox[0], "/account/confirm/")
    settings.AVSOFT_SUPPORT_EMAIL_CONFIRMATION_MAX_AGE = -1
    assert b"The link has expired." in client.get(link).content
    assert not User.objects.get(username="anna").is_active


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJ1IjoiMSJ9:1tAbCd:forged-signature-forged-signature", "a:b:c:d"],
)
def test_invalid_confirmation_link(client, db, token):
    response = client.get(reverse("avsoft_support:confirm_email", args=[token]))
    assert response.status_code == 400
    assert b"The link is not valid" in response.content


def test_a_link_signed_for_another_purpose_is_invalid(client, db):
    client.post(REGISTER, registration())
    user = User.objects.get(username="anna")
    token = signing.dumps({"u": str(user.pk), "e": user.email, "k": "r"}, salt="other")
    response = client.get(reverse("avsoft_support:confirm_email", args=[token]))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": ""}, "username", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"full_name": ""}, "full_name", "This field is required."),
        ({"password2": "Other-Horse-7-Battery"}, "password2", "didn’t match"),
        ({"password1": "12345678", "password2": "12345678"}, "password2", "too common"),
        ({"password1": "x7Q!z", "password2": "x7Q!z"}, "password2", "too short"),
        ({"password1": "anna-example", "password2": "anna-example"}, "password2", "too similar"),
    ],
)
def test_invalid_registration_is_refused_and_keeps_what_was_typed(
    client, db, overrides, field, message
):
    data = registration(**overrides)
    response = client.post(REGISTER, data)
    assert response.status_code == 200
    html = response.content.decode()
    # The error summary links to the field.
    summary_links = links(find_one(response, "main .avs-error-summary"))
    assert [text for href, text in summary_links if href == f"#id_{field}" and message in text]
    form = find_one(response, "main form")
    assert field_value(form, "company") == "Smirnova & Co"
    if overrides.get("email") != "not-an-address":
        assert field_value(form, "email") == "anna@example.com"
    assert data["password1"] not in html
    assert_nothing_stored()


def test_duplicate_username_in_another_case_is_refused(client, make_member):
    make_member(username="Anna", email="first@example.com")
    response = client.post(REGISTER, registration(username="aNNA"))
    assert response.status_code == 200
    assert b"This username is already taken" in response.content
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_duplicate_email_in_another_case_is_refused(client, make_member):
    make_member(username="first", email="Anna@Example.com")
    response = client.post(REGISTER, registration(email="ANNA@example.COM"))
    assert response.status_code == 200
    assert b"An account with this e-mail address already exists" in response.content
    assert field_value(find_one(response, "main form"), "username") == "anna"
    assert User.objects.count() == 1
    assert mail.outbox == []
    # The ways back in, the confirmation link among them (a reset mails nobody unconfirmed).
    ways_back = hrefs(find_one(response, "main"))
    for name in ("login", "password_reset", "confirm_resend"):
        assert reverse(f"avsoft_support:{name}") in ways_back, name
    # Not on a first visit or for another mistake.
    resend = reverse("avsoft_support:confirm_resend")
    assert resend not in hrefs(client.get(REGISTER))
    other = client.post(REGISTER, registration(email="new@example.com", password2="Other-Pass-99"))
    assert resend not in hrefs(other)


def test_registration_can_be_closed(client, db, settings):
    settings.AVSOFT_SUPPORT_REGISTRATION_OPEN = False
    response = client.get(REGISTER)
    assert response.status_code == 200
    assert b"Registration is closed" in response.content
    assert find_one(response, ".avs-page").select("form") == []
    response = client.post(REGISTER, registration())
    assert b"Registration is closed" in response.content
    assert_nothing_stored()


def test_a_member_who_is_logged_in_is_sent_to_the_profile(client, member):
    client.force_login(member)
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response.url == reverse("avsoft_support:profile")


def test_resend_sends_a_fresh_link_to_an_unconfirmed_account(client, db):
    client.post(REGISTER, registration())
    mail.outbox.clear()
    response = client.post(reverse("avsoft_support:confirm_resend"), {"email": "ANNA@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("avsoft_support:confirm_sent")
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    client.get(link_in_mail(message, "/account/confirm/"))
    assert User.objects.get(username="anna").is_active


def test_resend_answers_the_same_for_unknown_and_confirmed_addresses(client, member):
    unknown = client.post(reverse("avsoft_support:confirm_resend"), {"email": "nobody@example.com"})
    confirmed = client.post(reverse("avsoft_support:confirm_resend"), {"email": member.email})
    assert unknown.status_code == confirmed.status_code == 302
    assert unknown.url == confirmed.url == reverse("avsoft_support:confirm_sent")
    assert mail.outbox == []


def test_resend_with_a_bad_address_re_renders(client, db):
    response = client.post(reverse("avsoft_support:confirm_resend"), {"email": "nope"})
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content
    assert field_value(find_one(response, "main form"), "email") == "nope"
    assert mail.outbox == []


def test_confirm_sent_page_says_how_long_the_link_lasts(client, db):
    response = client.get(reverse("avsoft_support:confirm_sent"))
    assert b"valid for 3 days" in response.content
