"""Clients in the admin: accounts, their members, verification and the CSV import."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from avsoft_support.clients import status as client_status
from avsoft_support.models import ClientAccount, ClientInvoiceNumber, ClientStatus, MemberProfile
from tests.utils import (
    admin_messages,
    assert_in_html,
    find_one,
    hrefs,
    links,
    otp_login,
    select,
    text_of,
)

LIST_URL = "/admin/support/clients/"
IMPORT_URL = "/admin/support/clients/import/"
MEMBERS_URL = "/admin/support/clients/members/"


def account_with_numbers(company, *numbers, **fields):
    account = ClientAccount.objects.create(company=company, **fields)
    for number in numbers:
        ClientInvoiceNumber.objects.create(account=account, number=number)
    return account


def account_form(company="Vector LLC", numbers=("INV-1",), emails="buh@vector.example"):
    return nested_form_data(
        {
            "company": company,
            "invoice_numbers": inline_formset([{"number": number} for number in numbers]),
            "contact_emails": emails,
            "active": "on",
            "notes": "",
        }
    )


def csv_upload(text, name="clients.csv", encoding="utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


# Listing ---------------------------------------------------------------------------------------


def test_the_listing_shows_numbers_emails_and_who_verified_whom(
    verified_staff_client, make_member, support_staff
):
    account = account_with_numbers(
        "Romashka", "INV-1", "INV-2", contact_emails="a@romashka.example\nb@romashka.example"
    )
    by_hand = make_member(username="ivan", full_name="Ivan Petrov", invoice_number="X-9")
    client_status.verify(by_hand.support_profile, account, support_staff)
    by_number = make_member(username="olga", full_name="Olga Smirnova")
    client_status.apply_invoice_number(by_number.support_profile, "inv 2")

    response = verified_staff_client.get(LIST_URL)
    html = response.content.decode()
    for text in (
        "Romashka",
        "INV-1, INV-2",
        "a@romashka.example, b@romashka.example",
        "Ivan Petrov",
        "verified by Sofia Sidorova",
        "Olga Smirnova",
        "matched by invoice number",
    ):
        assert text in html, text
    assert (MEMBERS_URL, "Members and claims") in links(response)
    assert (IMPORT_URL, "Import from CSV") in links(response)


def test_the_listing_query_count_does_not_grow_with_accounts(verified_staff_client, make_member):
    account_with_numbers("First", "N-0")
    verified_staff_client.get(LIST_URL)
    with CaptureQueriesContext(connection) as one:
        verified_staff_client.get(LIST_URL)
    for n in range(1, 10):
        account = account_with_numbers(f"Company {n}", f"N-{n}", f"M-{n}")
        member = make_member(username=f"m{n}", full_name=f"Member {n}")
        client_status.apply_invoice_number(member.support_profile, f"N-{n}")
        assert member.support_profile.client_account == account
    with CaptureQueriesContext(connection) as ten:
        verified_staff_client.get(LIST_URL)
    assert len(ten) == len(one), "\n".join(q["sql"] for q in ten)


def test_search_accounts_by_invoice_number(verified_staff_client):
    wanted = account_with_numbers("Wanted", "INV-777")
    account_with_numbers("Other", "INV-1")
    response = verified_staff_client.get(LIST_URL, {"q": "777"})
    assert f"/admin/support/clients/edit/{wanted.pk}/" in hrefs(response)
    assert "Other" not in response.content.decode()


# The account form ------------------------------------------------------------------------------


def test_create_an_account_with_numbers_and_match_a_waiting_claim(
    verified_staff_client, make_member, make_admin_ticket
):
    member = make_member(username="ivan", full_name="Ivan Petrov")
    client_status.apply_invoice_number(member.support_profile, "inv-2024/001")
    assert member.support_profile.client_status == ClientStatus.CLAIMED
    ticket = make_admin_ticket(author=member, client_status="claimed")

    response = verified_staff_client.post(
        "/admin/support/clients/add/", account_form(numbers=("INV 2024-001", "INV-2"))
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    account = ClientAccount.objects.get(company="Vector LLC")
    assert sorted(account.invoice_numbers.values_list("normalized", flat=True)) == [
        "INV2",
        "INV2024001",
    ]
    member.support_profile.refresh_from_db()
    assert member.support_profile.client_status == ClientStatus.CURRENT
    assert member.support_profile.client_account == account
    ticket.refresh_from_db()
    assert ticket.priority == 1
    assert ModelLogEntry.objects.filter(
        action="avsoft_support.client.verify", object_id=str(ticket.pk)
    ).exists()


def test_a_number_of_another_account_or_twice_in_the_form_is_refused(verified_staff_client):
    account_with_numbers("Romashka", "INV-1")
    response = verified_staff_client.post(
        "/admin/support/clients/add/", account_form(numbers=("inv 1", "B-2", "b2"))
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This number already belongs to Romashka." in html
    assert "This number is already in the list above." in html
    assert not ClientAccount.objects.filter(company="Vector LLC").exists()


def test_contact_emails_are_checked(verified_staff_client):
    response = verified_staff_client.post(
        "/admin/support/clients/add/", account_form(emails="ok@example.com\nnot-an-address")
    )
    assert response.status_code == 200
    assert "Not an e-mail address: not-an-address" in response.content.decode()


# Members and verification ------------------------------------------------------------------------


def test_members_page_lists_claims_first_with_verify_and_unverify(
    verified_staff_client, make_member, support_staff
):
    account = account_with_numbers("Romashka", "INV-1")
    potential = make_member(username="p", full_name="Pavel Potential")
    claimed = make_member(username="c", full_name="Clara Claimed")
    client_status.apply_invoice_number(claimed.support_profile, "UNKNOWN-5")
    current = make_member(username="v", full_name="Vera Verified")
    client_status.verify(current.support_profile, account, support_staff)

    response = verified_staff_client.get(MEMBERS_URL)
    text = text_of(response)
    names = re.findall(r"(Pavel Potential|Clara Claimed|Vera Verified)", text)
    assert (
        names.index("Clara Claimed") < names.index("Vera Verified") < names.index("Pavel Potential")
    )
    actions = {href.split("?")[0]: text for href, text in links(response)}
    verify = reverse("avsoft_support_clients:verify", args=[claimed.support_profile.pk])
    unverify = reverse("avsoft_support_clients:unverify", args=[current.support_profile.pk])
    assert actions[verify] == "Verify Clara Claimed"
    assert actions[unverify] == "Unverify Vera Verified"
    assert "UNKNOWN-5" in text
    assert potential.email in text

    html = verified_staff_client.get(MEMBERS_URL, {"client_status": "claimed"}).content.decode()
    assert "Clara Claimed" in html and "Vera Verified" not in html


def test_verify_page_suggests_the_matching_account_then_verifies(
    verified_staff_client, make_member, make_admin_ticket, support_staff
):
    account = account_with_numbers("Romashka", "INV-1", active=False)
    member = make_member(username="c", full_name="Clara Claimed")
    client_status.apply_invoice_number(member.support_profile, "INV-1")  # inactive: only claimed
    ticket = make_admin_ticket(author=member, client_status="claimed")
    profile = member.support_profile
    url = reverse("avsoft_support_clients:verify", args=[profile.pk])

    account.active = True
    account.save()
    response = verified_staff_client.get(url)
    assert response.status_code == 200
    assert response.context["form"].initial["account"] == account.pk

    response = verified_staff_client.post(url, {"verify-account": account.pk})
    assert response.status_code == 302 and response["Location"] == MEMBERS_URL
    profile.refresh_from_db()
    ticket.refresh_from_db()
    assert (profile.client_status, profile.client_account, profile.verified_by) == (
        ClientStatus.CURRENT,
        account,
        support_staff,
    )
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CURRENT, 1)
    # Logged on the account too: its history shows who verified whom.
    history = verified_staff_client.get(
        reverse("avsoft_support_clients:history", args=[account.pk])
    ).content.decode()
    assert "Clara Claimed verified as a client of Romashka" in history


def test_verify_needs_an_account(verified_staff_client, make_member):
    member = make_member(username="c")
    url = reverse("avsoft_support_clients:verify", args=[member.support_profile.pk])
    response = verified_staff_client.post(url, {"verify-account": ""})
    assert response.status_code == 400
    member.support_profile.refresh_from_db()
    assert member.support_profile.client_status == ClientStatus.POTENTIAL


def test_unverify_goes_back_to_claimed_and_is_logged(
    verified_staff_client, make_member, make_admin_ticket, support_staff
):
    account = account_with_numbers("Romashka", "INV-1")
    member = make_member(username="v", full_name="Vera Verified", invoice_number="X-1")
    client_status.verify(member.support_profile, account, support_staff)
    ticket = make_admin_ticket(author=member, client_status="current")
    url = reverse("avsoft_support_clients:unverify", args=[member.support_profile.pk])

    assert "Unverify this client" in verified_staff_client.get(url).content.decode()
    response = verified_staff_client.post(url)
    assert response.status_code == 302
    profile = MemberProfile.objects.get(pk=member.support_profile.pk)
    ticket.refresh_from_db()
    assert (profile.client_status, profile.client_account) == (ClientStatus.CLAIMED, None)
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CLAIMED, 2)
    assert ModelLogEntry.objects.filter(
        action="avsoft_support.client.unverify", object_id=str(account.pk)
    ).exists()


def test_a_number_given_with_a_new_ticket_matches_and_both_histories_show_it(
    verified_staff_client, make_member, make_ticket
):
    account = account_with_numbers("Romashka", "INV-1")
    member = make_member(username="ivan", full_name="Ivan Petrov")
    ticket = make_ticket(member, invoice_number="inv 1")  # as the customer's ticket form does

    ticket.refresh_from_db()
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CURRENT, 1)
    for url in (
        reverse("avsoft_support_tickets:history", args=[ticket.pk]),
        reverse("avsoft_support_clients:history", args=[account.pk]),
    ):
        html = verified_staff_client.get(url).content.decode()
        assert "Ivan Petrov matched Romashka by invoice number" in html, url


def test_an_unverified_member_is_not_matched_again_by_saving_or_importing_the_account(
    verified_staff_client, make_member, make_admin_ticket, support_staff
):
    account = account_with_numbers("Romashka", "INV-1")
    number = account.invoice_numbers.get()
    member = make_member(username="ivan", full_name="Ivan Petrov")
    client_status.apply_invoice_number(member.support_profile, "INV-1")  # matched automatically
    ticket = make_admin_ticket(author=member, client_status="current")
    profile = member.support_profile
    verified_staff_client.post(reverse("avsoft_support_clients:unverify", args=[profile.pk]))

    # The account saved in its form, as it is.
    response = verified_staff_client.post(
        f"/admin/support/clients/edit/{account.pk}/",
        nested_form_data(
            {
                "company": "Romashka",
                "invoice_numbers": inline_formset(
                    [{"id": number.pk, "number": "INV-1"}], initial=1
                ),
                "contact_emails": "",
                "active": "on",
                "notes": "",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    # The account imported again with the number.
    content = "company,invoice_numbers\nRomashka,INV-1\n"
    response = verified_staff_client.post(
        IMPORT_URL, {"content": content, "confirm": "1"}, follow=True
    )
    assert "0 members matched" in response.content.decode()

    profile.refresh_from_db()
    ticket.refresh_from_db()
    assert (profile.client_status, profile.client_account) == (ClientStatus.CLAIMED, None)
    assert (ticket.client_status, ticket.priority) == (ClientStatus.CLAIMED, 2)
    html = verified_staff_client.get(MEMBERS_URL).content.decode()
    assert "Verification withdrawn: the number is not matched automatically" in html

    # Staff can still verify by hand.
    verified_staff_client.post(
        reverse("avsoft_support_clients:verify", args=[profile.pk]), {"verify-account": account.pk}
    )
    profile.refresh_from_db()
    assert (profile.client_status, profile.verified_by) == (ClientStatus.CURRENT, support_staff)
    assert not profile.automatic_match_blocked


def test_after_an_unverify_only_another_number_matches_automatically(make_member, support_staff):
    account_with_numbers("Romashka", "INV-1")
    vector = account_with_numbers("Vector", "VEC-9")
    profile = make_member(username="ivan").support_profile
    client_status.apply_invoice_number(profile, "INV-1")
    client_status.unverify(profile, support_staff)

    assert client_status.apply_invoice_number(profile, "inv 1") is None  # the same number
    profile.refresh_from_db()
    assert profile.client_status == ClientStatus.CLAIMED

    assert client_status.apply_invoice_number(profile, "VEC-9") == vector
    profile.refresh_from_db()
    assert (profile.client_status, profile.client_account) == (ClientStatus.CURRENT, vector)
    assert not profile.automatic_match_blocked


def test_verification_needs_the_verify_permission(client, make_staff, make_member):
    from django.contrib.auth.models import Permission

    clerk = make_staff(username="clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="change_clientaccount"))
    otp_login(client, clerk)
    member = make_member(username="c")
    account = account_with_numbers("Romashka")
    url = reverse("avsoft_support_clients:verify", args=[member.support_profile.pk])
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"verify-account": account.pk})
    member.support_profile.refresh_from_db()
    assert member.support_profile.client_status == ClientStatus.POTENTIAL
    # The listing does not offer what they cannot do.
    assert "Members and claims" not in client.get(LIST_URL).content.decode()


# CSV import ------------------------------------------------------------------------------------

GOOD_CSV = (
    "company,invoice_numbers,contact_emails,active\n"
    '"Vector LLC","INV-1; INV-2",buh@vector.example,yes\n'
    "Romashka,INV-3,,no\n"
)


def test_import_preview_then_confirm(verified_staff_client, make_member, support_staff):
    existing = account_with_numbers("Romashka", "OLD-1", contact_emails="old@romashka.example")
    waiting = make_member(username="w", full_name="Wanda Waiting")
    client_status.apply_invoice_number(waiting.support_profile, "inv 2")

    response = verified_staff_client.post(IMPORT_URL, {"file": csv_upload(GOOD_CSV)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 accounts will be created and 1 updated" in html
    confirm = find_one(response, f'main form[action="{IMPORT_URL}"]:has(button[name="confirm"])')
    assert_in_html(
        '<button type="submit" name="confirm" value="1" class="button">Import these rows</button>',
        confirm,
    )
    assert ClientAccount.objects.count() == 1  # nothing saved yet

    content = response.context["confirm_form"].initial["content"]
    response = verified_staff_client.post(IMPORT_URL, {"content": content, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == LIST_URL
    vector = ClientAccount.objects.get(company="Vector LLC")
    assert [n.number for n in vector.invoice_numbers.all()] == ["INV-1", "INV-2"]
    assert vector.contact_email_list == ["buh@vector.example"] and vector.active
    existing.refresh_from_db()
    assert sorted(existing.invoice_numbers.values_list("number", flat=True)) == ["INV-3", "OLD-1"]
    assert not existing.active
    assert existing.contact_email_list == ["old@romashka.example"]
    waiting.support_profile.refresh_from_db()
    assert waiting.support_profile.client_status == ClientStatus.CURRENT
    assert waiting.support_profile.client_account == vector
    assert ModelLogEntry.objects.filter(action="avsoft_support.client.import").count() == 2


def test_import_without_an_active_column_leaves_existing_accounts_as_they_are(
    verified_staff_client,
):
    dormant = account_with_numbers("Romashka", "OLD-1", active=False)
    text = "company,invoice_numbers\nRomashka,INV-3\nVector LLC,INV-4\n"
    response = verified_staff_client.post(IMPORT_URL, {"file": csv_upload(text)})
    assert response.status_code == 200
    active = find_one(response, "#avs-import-line-2").find_all("td")[5]  # the Active column
    assert text_of(active) == "no (unchanged)"
    assert text_of(find_one(active, ".avs-muted")) == "(unchanged)"

    content = response.context["confirm_form"].initial["content"]
    verified_staff_client.post(IMPORT_URL, {"content": content, "confirm": "1"})
    dormant.refresh_from_db()
    assert not dormant.active
    assert sorted(dormant.invoice_numbers.values_list("number", flat=True)) == ["INV-3", "OLD-1"]
    assert ClientAccount.objects.get(company="Vector LLC").active


def test_import_reports_every_bad_row_and_imports_nothing(verified_staff_client):
    account_with_numbers("Romashka", "TAKEN-1")
    text = (
        "company;invoice_numbers;contact_emails;active\n"
        "Good Co;G-1;good@example.com;да\n"
        ";X-1;;yes\n"
        "Dup Co;TAKEN-1;not-an-email;maybe\n"
        "Good Co;G-2;;yes\n"
        "Other;G 1;;\n"
    )
    response = verified_staff_client.post(IMPORT_URL, {"file": csv_upload(text)})
    assert response.status_code == 400
    shown = text_of(response)
    for error in (
        "The company is empty.",
        "Number TAKEN-1 already belongs to Romashka.",
        "'not-an-email' is not an e-mail address.",
        "active must be yes or no, not 'maybe'.",
        "The same company is on line 2.",
        "Number G 1 is also on line 2.",
        "4 rows have errors",
    ):
        assert error in shown, error
    assert ("#avs-import-line-3", "Line 3") in links(find_one(response, ".avs-error-summary"))
    assert select(response, 'button[name="confirm"]') == []
    assert "Import these rows" not in shown

    # Confirming the same content anyway imports nothing.
    response = verified_staff_client.post(IMPORT_URL, {"content": text, "confirm": "1"})
    assert response.status_code == 400
    assert ClientAccount.objects.count() == 1


def test_import_reads_windows_1251_with_semicolons(verified_staff_client):
    text = 'company;invoice_numbers\nООО «Ромашка»;"СЧ-1, СЧ-2"\n'
    response = verified_staff_client.post(IMPORT_URL, {"file": csv_upload(text, encoding="cp1251")})
    assert response.status_code == 200
    content = response.context["confirm_form"].initial["content"]
    verified_staff_client.post(IMPORT_URL, {"content": content, "confirm": "1"})
    account = ClientAccount.objects.get()
    assert account.company == "ООО «Ромашка»"
    assert [n.number for n in account.invoice_numbers.all()] == ["СЧ-1", "СЧ-2"]


@pytest.mark.parametrize(
    "raw",
    [
        # Excel's "Unicode text": UTF-16 with its byte order mark, every ASCII letter followed
        # by a NUL byte.
        "company,invoice_numbers\nRomashka,INV-1\n".encode("utf-16"),
        b"company,invoice_numbers\nRomashka,INV-\x001\n",
    ],
)
def test_import_refuses_a_file_with_nul_bytes_as_not_text(verified_staff_client, raw):
    # PostgreSQL refuses NUL in a query: the preview once looked such numbers up (a 500).
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = verified_staff_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("clients.csv", raw, content_type="text/csv")}
    )
    assert response.status_code == 400
    assert "Save the file as UTF-8 text." in text_of(response)
    assert not ClientAccount.objects.exists()


def test_import_file_errors(verified_staff_client):
    response = verified_staff_client.post(IMPORT_URL, {"file": csv_upload("name,numbers\nA,1\n")})
    shown = text_of(response)
    assert "'company' is missing" in shown
    assert "Unknown columns: name, numbers" in shown
    response = verified_staff_client.post(IMPORT_URL, {})
    assert "Choose a CSV file." in response.content.decode()


def test_import_is_all_or_nothing(db, support_staff):
    # Between the preview and the confirmation, another account took a number of the last row:
    # the database refuses that row, and the rows before it are not kept either.
    from django.db import IntegrityError

    from avsoft_support.clients.csv_import import apply_client_import, preview_client_csv

    preview = preview_client_csv(GOOD_CSV)
    assert preview.is_valid
    last_number = preview.rows[-1].numbers[0]
    taken = ClientAccount.objects.create(company="Taken meanwhile")
    ClientInvoiceNumber.objects.create(account=taken, number=last_number)
    with pytest.raises(IntegrityError):
        apply_client_import(preview, support_staff)
    assert list(ClientAccount.objects.values_list("company", flat=True)) == ["Taken meanwhile"]
    assert list(ClientInvoiceNumber.objects.values_list("number", flat=True)) == [last_number]


def test_import_needs_the_add_permission(client, make_staff):
    from django.contrib.auth.models import Permission

    # May change client accounts, not add them.
    clerk = make_staff(username="clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="change_clientaccount"))
    otp_login(client, clerk)
    text = "company,invoice_numbers\nVector LLC,INV-1\n"

    # The clients listing offers no import.
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert select(listing, f'a[href="{IMPORT_URL}"]') == []

    # Neither the page, nor checking a file, nor importing rows: Wagtail sends the clerk to the
    # dashboard and says why.
    for response in (
        client.get(IMPORT_URL, follow=True),
        client.post(IMPORT_URL, {"file": csv_upload(text)}, follow=True),
        client.post(IMPORT_URL, {"content": text, "confirm": "1"}, follow=True),
    ):
        assert response.redirect_chain == [("/admin/", 302)]
        assert admin_messages(response) == [
            ("error", "Sorry, you do not have permission to access this area.")
        ]
    assert not ClientAccount.objects.exists()
    assert not ClientInvoiceNumber.objects.exists()
    assert not ModelLogEntry.objects.exists()

    # The add permission is all that was missing: with it, the same rows are imported.
    clerk.user_permissions.add(Permission.objects.get(codename="add_clientaccount"))
    response = client.post(IMPORT_URL, {"content": text, "confirm": "1"})
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    account = ClientAccount.objects.get()
    assert (account.company, [n.number for n in account.invoice_numbers.all()]) == (
        "Vector LLC",
        ["INV-1"],
    )


def test_search_accounts_and_members_without_regard_to_case(verified_staff_client, make_member):
    account_with_numbers("ООО Ромашка", "R-1")
    make_member(username="ivan", full_name="Иван Петров")
    html = verified_staff_client.get(LIST_URL, {"q": "ромашка"}).content.decode()
    assert "ООО Ромашка" in html
    html = verified_staff_client.get(MEMBERS_URL, {"q": "иван"}).content.decode()
    assert "Иван Петров" in html


def test_the_members_page_query_count_does_not_grow_with_members(
    verified_staff_client, make_member, support_staff
):
    account = account_with_numbers("Romashka", "INV-1")
    make_member(username="m0")
    verified_staff_client.get(MEMBERS_URL)
    with CaptureQueriesContext(connection) as one:
        verified_staff_client.get(MEMBERS_URL)
    for n in range(1, 10):
        member = make_member(username=f"m{n}", full_name=f"Member {n}")
        if n % 2:
            client_status.verify(member.support_profile, account, support_staff)
        else:
            client_status.apply_invoice_number(member.support_profile, f"CLAIM-{n}")
    with CaptureQueriesContext(connection) as ten:
        verified_staff_client.get(MEMBERS_URL)
    assert len(ten) == len(one), "\n".join(q["sql"] for q in ten)
