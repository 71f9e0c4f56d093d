"""The member area's own address, /account/: never a 404, it leads to the personal section."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.utils import find_one, text_of


def test_a_member_is_sent_to_the_personal_section(client, member):
    client.force_login(member)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/profile/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert text_of(find_one(page, "h1")) == "Your profile"


def test_a_visitor_is_sent_to_log_in_for_the_personal_section(client, db):
    response = client.get("/account/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/account/login/"
    assert parse_qs(location.query) == {"next": ["/account/profile/"]}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert find_one(page, "main form input[name=next]")["value"] == "/account/profile/"


def test_the_root_has_a_name(db):
    assert reverse("avsoft_support:account") == "/account/"


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("register", {}, "/account/register/"),
        ("confirm_resend", {}, "/account/confirm/resend/"),
        ("confirm_sent", {}, "/account/confirm/sent/"),
        ("confirm_email", {"token": "abc:def"}, "/account/confirm/abc:def/"),
        ("login", {}, "/account/login/"),
        ("logout", {}, "/account/logout/"),
        ("password_reset", {}, "/account/password-reset/"),
        ("password_reset_done", {}, "/account/password-reset/done/"),
        ("password_reset_complete", {}, "/account/password-reset/complete/"),
        (
            "password_reset_confirm",
            {"uidb64": "MQ", "token": "set-password"},
            "/account/password-reset/MQ/set-password/",
        ),
        ("profile", {}, "/account/profile/"),
        ("change_email", {}, "/account/profile/email/"),
        ("invoice_number", {}, "/account/profile/invoice/"),
        ("password_change", {}, "/account/profile/password/"),
        (
            "attachment_download",
            {"pk": 7, "name": "trace.log"},
            "/account/attachments/7/trace.log",
        ),
    ],
)
def test_the_other_addresses_are_unchanged(name, kwargs, path):
    assert reverse(f"avsoft_support:{name}", kwargs=kwargs) == path
