"""Password recovery (Django's reset flow in our look) and password change."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tests.utils import (
    PASSWORD,
    assert_tag_in_html,
    field_value,
    find_one,
    label_for,
    link_in_mail,
    select,
    text_of,
)

RESET = reverse("avsoft_support:password_reset")
RESET_DONE = reverse("avsoft_support:password_reset_done")
CHANGE = reverse("avsoft_support:password_change")
NEW_PASSWORD = "Brand-New-Staple-42"


def test_reset_end_to_end(client, member):
    page = client.get(RESET)
    assert label_for(find_one(page, "main"), "id_email") == "E-mail"
    assert_tag_in_html('<input type="email" name="email" id="id_email">', find_one(page, "main"))

    response = client.post(RESET, {"email": "MEMBER@example.com"})
    assert response.status_code == 302
    assert response.url == RESET_DONE
    [message] = mail.outbox
    assert message.to == ["member@example.com"]
    assert "Set a new password" in message.subject
    assert "Your username: member" in message.body
    assert message.alternatives[0][1] == "text/html"

    link = link_in_mail(message, "/account/password-reset/")
    form_page = client.get(link, follow=True)
    assert b"Set a new password" in form_page.content
    set_password_url = form_page.redirect_chain[-1][0]

    mismatch = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": "Something-Else-42"}
    )
    assert mismatch.status_code == 200
    assert b"didn\xe2\x80\x99t match" in mismatch.content
    assert NEW_PASSWORD.encode() not in mismatch.content
    member.refresh_from_db()
    assert member.check_password(PASSWORD)

    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert b"Your password is set" in done.content
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)

    # The link works once.
    again = client.get(link, follow=True)
    assert b"This link does not work" in again.content

    login = client.post(
        reverse("avsoft_support:login"), {"username": "member", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


@pytest.mark.parametrize("email", ["nobody@example.com", "unconfirmed@example.com"])
def test_reset_answers_the_same_when_no_mail_goes_out(client, member, django_user_model, email):
    django_user_model.objects.create_user(
        "unconfirmed", "unconfirmed@example.com", PASSWORD, is_active=False
    )
    known = client.post(RESET, {"email": member.email})
    other = client.post(RESET, {"email": email})
    assert known.status_code == other.status_code == 302
    assert known.url == other.url == RESET_DONE
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_reset_with_a_bad_address_re_renders(client, member):
    response = client.post(RESET, {"email": "member@"})
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content
    assert field_value(find_one(response, "main form"), "email") == "member@"
    assert mail.outbox == []


def test_reset_link_with_a_bad_token_is_refused(client, member):
    response = client.get(
        reverse("avsoft_support:password_reset_confirm", args=["MQ", "bad-token"])
    )
    assert response.status_code == 200
    assert b"This link does not work" in response.content
    assert b"Ask for a new link" in response.content


def test_change_password(client, member):
    client.force_login(member)
    response = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("avsoft_support:profile")
    assert b"Your password is changed." in response.content
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert client.session.get(SESSION_KEY) == str(member.pk)  # still logged in


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old_password": "Wrong-Old-Password-1"}, "Your old password was entered incorrectly"),
        ({"new_password2": "Something-Else-42"}, "didn’t match"),
        ({"new_password1": "password", "new_password2": "password"}, "too common"),
    ],
)
def test_change_password_refusals(client, member, data, message):
    client.force_login(member)
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        **data,
    }
    response = client.post(CHANGE, data)
    assert response.status_code == 200
    assert message in text_of(find_one(response, "main .avs-error-summary"))
    shown_values = {element["value"] for element in select(response, "[value]")}
    assert not shown_values & set(data.values())
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_change_password_needs_login(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("avsoft_support:login"))


def test_the_password_rules_are_tied_to_the_new_password_field(client, member):
    """Django's help text for passwords is a list: it must sit whole inside the element that
    aria-describedby names, so screen readers read the rules."""
    import re

    client.force_login(member)
    html = client.get(CHANGE).content.decode()
    assert_tag_in_html(
        '<input type="password" name="new_password1" aria-describedby="id_new_password1_helptext">',
        html,
    )
    help_text = find_one(html, "#id_new_password1_helptext")
    assert help_text.name != "p", "a list inside a <p> ends the paragraph before it"
    assert help_text.select("ul li")  # the rules, whole, inside the element
    assert re.search(r"at least \d+ characters", text_of(help_text))
