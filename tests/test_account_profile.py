"""The personal section: details, e-mail change with re-confirmation, invoice number, tickets link."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from avsoft_support.models import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    SupportPage,
)
from tests.utils import (
    PASSWORD,
    definitions,
    field_value,
    find_one,
    hrefs,
    link_in_mail,
    links,
    text_of,
)

User = get_user_model()
PROFILE = reverse("avsoft_support:profile")
CHANGE_EMAIL = reverse("avsoft_support:change_email")
INVOICE = reverse("avsoft_support:invoice_number")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.mark.parametrize("url", [PROFILE, CHANGE_EMAIL, INVOICE])
def test_personal_pages_need_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("avsoft_support:login"))


def test_profile_shows_the_account_and_client_status(member_client):
    response = member_client.get(PROFILE)
    assert response.status_code == 200
    main = find_one(response, "main")
    assert field_value(find_one(main, "form"), "full_name") == "Ivan Petrov"
    details = definitions(main)
    assert details["E-mail"] == "member@example.com"
    assert details["Status"] == "Potential client"
    assert details["Invoice/order number"] == "not given"
    shown_links = links(main)
    assert (INVOICE, "Enter your invoice/order number") in shown_links
    assert (CHANGE_EMAIL, "Change e-mail") in shown_links
    assert (reverse("avsoft_support:password_change"), "Change password") in shown_links
    assert "The support section is not open yet." in text_of(main)


def test_profile_links_to_the_support_page(member_client, site):
    site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    response = member_client.get(PROFILE)
    assert ("/support/", "Go to my tickets") in links(find_one(response, "main"))


def test_edit_details(member_client, member):
    response = member_client.post(
        PROFILE, {"full_name": "Ivan I. Petrov", "company": "AVS", "phone": "123"}, follow=True
    )
    assert b"Your details are saved." in response.content
    profile = MemberProfile.objects.get(user=member)
    assert (profile.full_name, profile.company, profile.phone) == ("Ivan I. Petrov", "AVS", "123")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"full_name": ""}, "This field is required."),
        ({"phone": "9" * 51}, "Ensure this value has at most 50 characters"),
    ],
)
def test_invalid_details_are_not_saved(member_client, member, data, message):
    data = {"full_name": "Ivan I. Petrov", "company": "Typed Company", "phone": "123", **data}
    response = member_client.post(PROFILE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field_value(find_one(response, "main form"), "company") == "Typed Company"
    profile = MemberProfile.objects.get(user=member)
    assert (profile.full_name, profile.company) == ("Ivan Petrov", "")


def test_a_user_without_a_profile_gets_one_on_saving(client, django_user_model):
    user = django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD)
    client.force_login(user)
    assert field_value(find_one(client.get(PROFILE), "main form"), "full_name") == "editor"
    assert not MemberProfile.objects.filter(user=user).exists()
    client.post(PROFILE, {"full_name": "Edith Editor"})
    assert MemberProfile.objects.get(user=user).full_name == "Edith Editor"


# Invoice number and client status


def test_matching_invoice_number_makes_a_current_client(member_client, member):
    account = ClientAccount.objects.create(company="Acme")
    ClientInvoiceNumber.objects.create(account=account, number="INV-2026-001")
    response = member_client.post(INVOICE, {"invoice_number": " inv 2026 001 "}, follow=True)
    assert b"Your client status: Current client." in response.content
    profile = MemberProfile.objects.get(user=member)
    assert profile.invoice_number == "inv 2026 001"
    assert profile.client_status == ClientStatus.CURRENT
    assert profile.client_account == account
    response = member_client.get(PROFILE)
    assert definitions(find_one(response, "main"))["Status"] == "Current client"
    assert INVOICE not in hrefs(response)


def test_unknown_invoice_number_makes_a_claimed_client(member_client, member):
    response = member_client.post(INVOICE, {"invoice_number": "X-1"}, follow=True)
    assert b"Claimed client" in response.content
    assert MemberProfile.objects.get(user=member).client_status == ClientStatus.CLAIMED


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "This field is required."),
        ("-- / --", "as it is written on the invoice"),
        ("1" * 65, "at most 64 characters"),
    ],
)
def test_invalid_invoice_number_is_not_saved(member_client, member, number, message):
    response = member_client.post(INVOICE, {"invoice_number": number})
    assert response.status_code == 200
    assert message in response.content.decode()
    if number:
        assert field_value(find_one(response, "main form"), "invoice_number") == number
    profile = MemberProfile.objects.get(user=member)
    assert (profile.invoice_number, profile.client_status) == ("", ClientStatus.POTENTIAL)


def test_a_recorded_invoice_number_cannot_be_replaced_by_the_member(make_member, client):
    user = make_member(invoice_number="A-1", client_status=ClientStatus.CLAIMED)
    client.force_login(user)
    response = client.post(INVOICE, {"invoice_number": "B-2"}, follow=True)
    assert b"already recorded" in response.content
    assert MemberProfile.objects.get(user=user).invoice_number == "A-1"


# Changing the e-mail address


def test_change_email_is_applied_when_the_new_address_confirms(member_client, member):
    response = member_client.post(
        CHANGE_EMAIL, {"email": "ivan@new.example", "password": PASSWORD}, follow=True
    )
    assert b"We have sent a link to ivan@new.example" in response.content
    assert b"Changing to ivan@new.example" in response.content
    member.refresh_from_db()
    assert member.email == "member@example.com"
    assert member.support_profile.pending_email == "ivan@new.example"
    [message] = mail.outbox
    assert message.to == ["ivan@new.example"]
    assert "new e-mail address" in message.subject

    link = link_in_mail(message, "/account/confirm/")
    confirmed = member_client.get(link, follow=True)
    assert confirmed.redirect_chain[-1][0] == PROFILE
    assert b"Your new e-mail address is confirmed." in confirmed.content
    member.refresh_from_db()
    assert member.email == "ivan@new.example"
    assert member.support_profile.pending_email == ""

    again = member_client.get(link)
    assert b"This link has already been used" in again.content


def test_a_newer_change_request_replaces_the_older_link(member_client, member):
    member_client.post(CHANGE_EMAIL, {"email": "first@new.example", "password": PASSWORD})
    member_client.post(CHANGE_EMAIL, {"email": "second@new.example", "password": PASSWORD})
    old_link = link_in_mail(mail.outbox[0], "/account/confirm/")
    response = member_client.get(old_link)
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.email == "member@example.com"


def test_an_address_taken_meanwhile_is_not_applied(member_client, member, make_member):
    member_client.post(CHANGE_EMAIL, {"email": "ivan@new.example", "password": PASSWORD})
    make_member(username="quicker", email="IVAN@new.example")
    response = member_client.get(link_in_mail(mail.outbox[0], "/account/confirm/"))
    assert response.status_code == 400
    assert b"Another account has started using this address" in response.content
    member.refresh_from_db()
    assert member.email == "member@example.com"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "Other@Example.com"}, "Another account already uses this e-mail address."),
        ({"email": "MEMBER@example.com"}, "This is already your e-mail address."),
        ({"email": "broken@"}, "Enter a valid email address."),
        ({"password": "Not-The-Password-1"}, "Your password is not correct."),
        ({"password": ""}, "This field is required."),
    ],
)
def test_change_email_refusals(member_client, member, make_member, data, message):
    make_member(username="other", email="other@example.com")
    data = {"email": "ivan@new.example", "password": PASSWORD, **data}
    response = member_client.post(CHANGE_EMAIL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert field_value(find_one(response, "main form"), "email") == data["email"]
    assert PASSWORD not in html
    assert MemberProfile.objects.get(user=member).pending_email == ""
    assert mail.outbox == []
