"""The new-ticket form: every field the regulations ask for, files, client identification, and
what a rejected form does (stores nothing, keeps what was typed, says exactly what is wrong)."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import Page

from avsoft_support import sla
from avsoft_support.models import (
    Attachment,
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    Message,
    Product,
    Ticket,
)
from tests.utils import (
    assert_tag_in_html,
    field_value,
    find_one,
    hrefs,
    label_for,
    stored_attachment_files,
    text_of,
    ticket_form_data,
)

NEW = "/support/new/"
LIMIT = 300 * 1024


def upload(name, size, fill=b"x"):
    return SimpleUploadedFile(name, fill * size, content_type="application/octet-stream")


@pytest.fixture
def member_client(client, member, support_page, support_settings):
    client.force_login(member)
    return client


def assert_nothing_stored(files_before, profile_before=None):
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_attachment_files() == files_before
    if profile_before is not None:
        profile = MemberProfile.objects.get(pk=profile_before.pk)
        assert profile.invoice_number == profile_before.invoice_number
        assert profile.client_status == profile_before.client_status


def ticket_form(response):
    return find_one(response, "main form[data-avs-ticket-form]")


def assert_typed_values_kept(response, data):
    form = ticket_form(response)
    for name in (
        "subject",
        "product_version",
        "os_version",
        "product_other",
        "invoice_number",
        "description",
        "steps_to_problem",
        "steps_to_reproduce",
    ):
        if data.get(name):
            assert field_value(form, name) == data[name], name
    if data.get("product"):
        assert field_value(form, "product") == str(data["product"])


def test_anonymous_visitor_is_sent_to_log_in(client, support_page):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=%2Fsupport%2Fnew%2F"


def test_form_has_every_field_with_help_beside_it(member_client, support_page, product):
    Product.objects.create(name="Retired Tool", active=False)
    support_page.help_subject = "Editors say: one problem per ticket"
    support_page.help_attachments = "Screenshots and logs help us most."
    support_page.save()

    response = member_client.get(NEW)

    assert response.status_code == 200
    form = ticket_form(response)
    assert (form["method"], form["enctype"]) == ("post", "multipart/form-data")
    for name in (
        "subject",
        "product",
        "product_other",
        "product_version",
        "os_version",
        "criticality",
        "description",
        "steps_to_problem",
        "steps_to_reproduce",
        "invoice_number",
        "attachments",
    ):
        assert label_for(form, f"id_{name}"), name
        field = find_one(form, f'[name="{name}"]')
        assert (field["id"], field["aria-describedby"]) == (f"id_{name}", f"id_{name}_helptext")
        assert text_of(find_one(form, f"#id_{name}_helptext")), name
    assert text_of(find_one(form, "#id_subject_helptext")) == "Editors say: one problem per ticket"
    attachments_help = text_of(find_one(form, "#id_attachments_helptext"))
    assert "Screenshots and logs help us most." in attachments_help
    # The limit stated beside the field, and given to the browser check.
    assert "Up to 5 files of any format, each at most 300 KB (307,200 bytes)." in text_of(form)
    limits = find_one(form, "[data-max-size]")
    assert (limits["data-max-size"], limits["data-max-files"]) == ("307200", "5")
    assert_tag_in_html('<script src="/static/avsoft_support/ticket-form.js">', response)
    # Active products and "Other"; not the inactive one.
    options = [
        (option["value"], text_of(option))
        for option in form.select('select[name="product"] option')
    ]
    assert (str(product.pk), "AVSoft Analyzer") in options
    assert "other" in [value for value, _ in options]
    assert "Retired Tool" not in [text for _, text in options]
    assert "Retired Tool" not in response.content.decode()


def test_valid_ticket_is_filed_with_its_files(member_client, member, product):
    before = stored_attachment_files()
    exact = upload("exactly-300KB.log", LIMIT, fill=b"a")
    small = upload("screen shot.png", 10, fill=b"b")
    data = ticket_form_data(product, attachments=[exact, small])

    response = member_client.post(NEW, data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/support/{ticket.number}/"
    assert ticket.author == member
    assert ticket.subject == data["subject"]
    assert ticket.product == product and ticket.product_other == ""
    assert ticket.product_version == "5.2.1 build 1234"
    assert ticket.os_version == "Windows 11 23H2"
    assert ticket.criticality == 2
    assert ticket.steps_to_problem == data["steps_to_problem"]
    assert ticket.steps_to_reproduce == data["steps_to_reproduce"]
    assert ticket.status == "new"
    assert ticket.support_page.pk == Page.objects.get(slug="support").pk  # mails speak for its site
    message = ticket.messages.get()
    assert message.body == data["description"]  # stored as written
    assert message.author == member and not message.from_staff and not message.is_internal
    attachments = list(message.attachments.order_by("original_name"))
    assert [(a.original_name, a.size) for a in attachments] == [
        ("exactly-300KB.log", LIMIT),
        ("screen shot.png", 10),
    ]
    assert attachments[0].sha256 == hashlib.sha256(b"a" * LIMIT).hexdigest()
    assert len(stored_attachment_files() - before) == 2
    with attachments[0].file.open("rb") as handle:
        assert handle.read() == b"a" * LIMIT

    page = member_client.get(response["Location"])
    assert "Thank you. Your ticket" in page.content.decode()
    # The thank-you is shown once.
    assert "Thank you. Your ticket" not in member_client.get(response["Location"]).content.decode()


def test_the_thank_you_rides_a_signed_cookie_not_the_session(member_client, product):
    """Filing writes nothing to the session: the thank-you is carried by a signed, HttpOnly
    cookie on the support page's path, which only the ticket it names honours."""
    session_before = dict(member_client.session.items())
    response = member_client.post(NEW, ticket_form_data(product))
    first = Ticket.objects.get()
    assert dict(member_client.session.items()) == session_before
    cookie = response.cookies["avsoft_support_thanks"]
    assert cookie["httponly"] and cookie["path"] == "/support/" and cookie["samesite"] == "Lax"
    assert cookie.value.startswith(f"{first.number}:")  # then its time and signature

    second = Ticket.objects.create(author=first.author, subject="Another", number="2026-99999")
    # Another ticket's page does not take it, nor does a cookie written by hand.
    page = member_client.get(f"/support/{second.number}/")
    assert page.status_code == 200 and "Another" in page.content.decode()
    assert "Thank you. Your ticket" not in page.content.decode()
    member_client.cookies["avsoft_support_thanks"] = first.number
    page = member_client.get(f"/support/{first.number}/")
    assert "Thank you. Your ticket" not in page.content.decode()


def test_thank_you_text_comes_from_the_page(member_client, support_page, product):
    support_page.thank_you_text = "<p>Thanks! We answer within a working day.</p>"
    support_page.save()
    response = member_client.post(NEW, ticket_form_data(product), follow=True)
    assert "Thanks! We answer within a working day." in response.content.decode()


def test_other_product_with_its_name(member_client, product):
    response = member_client.post(NEW, ticket_form_data(None, product_other="Old Tool 1.0"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.product is None
    assert ticket.product_other == "Old Tool 1.0"
    assert ticket.product_name == "Old Tool 1.0"


REQUIRED = [
    "subject",
    "product",
    "product_version",
    "os_version",
    "description",
    "steps_to_reproduce",
]


def test_steps_that_led_to_the_problem_may_stay_empty(member_client, product, support_page):
    """The regulations ask for them "if possible": a question has none."""
    response = member_client.post(NEW, ticket_form_data(product, steps_to_problem=""))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.steps_to_problem == ""
    page = member_client.get(response["Location"]).content.decode()
    assert "Steps that led to the problem" not in page


@pytest.mark.parametrize("missing", REQUIRED)
def test_missing_field_is_refused_and_nothing_stored(member_client, member, product, missing):
    before = stored_attachment_files()
    profile = MemberProfile.objects.get(user=member)
    data = ticket_form_data(product, invoice_number="INV-77")
    data[missing] = ""
    data["attachments"] = [upload("log.txt", 100)]

    response = member_client.post(NEW, data)

    assert response.status_code == 200
    assert_nothing_stored(before, profile)
    form = response.context["form"]
    assert list(form.errors) == [missing, "attachments"]
    assert form.errors[missing] == ["This field is required."]
    # Files can never come back in a form: the customer is told to choose them again.
    assert form.errors["attachments"] == [
        "Files are not kept when the form comes back: please choose them again."
    ]
    summary = find_one(response, "main .avs-error-summary")
    assert text_of(find_one(summary, "h2")) == "Please correct the following:"
    assert f"#id_{missing}" in hrefs(summary)  # the summary links to the field
    field = find_one(ticket_form(response), f'[name="{missing}"]')
    assert field["aria-describedby"] == f"id_{missing}_helptext id_{missing}_error_1"
    assert text_of(find_one(response, f"#id_{missing}_error_1")) == "This field is required."
    assert_typed_values_kept(response, data)


def test_other_product_without_a_name_is_refused(member_client, member, product):
    before = stored_attachment_files()
    data = ticket_form_data(None, product_other="   ")

    response = member_client.post(NEW, data)

    assert response.status_code == 200
    assert_nothing_stored(before)
    assert response.context["form"].errors == {
        "product_other": ["Enter the product's name: you chose “Other” in the product list."]
    }
    assert field_value(ticket_form(response), "product") == "other"
    assert_typed_values_kept(response, {**data, "product": "other", "product_other": ""})


def test_file_one_byte_over_the_limit_is_refused(member_client, member, product):
    before = stored_attachment_files()
    profile = MemberProfile.objects.get(user=member)
    data = ticket_form_data(product, invoice_number="INV-77")
    data["attachments"] = [upload("fine.txt", 20), upload("big dump.bin", LIMIT + 1)]

    response = member_client.post(NEW, data)

    assert response.status_code == 200
    assert_nothing_stored(before, profile)
    errors = response.context["form"].errors
    assert list(errors) == ["attachments"]
    assert errors["attachments"][0] == (
        "“big dump.bin” is 300 KB (307,201 bytes); each file may be at most 300 KB (307,200 bytes)."
    )
    assert "“big dump.bin” is 300 KB (307,201 bytes)" in text_of(find_one(response, "main"))
    assert_typed_values_kept(response, data)


def test_too_many_files_are_refused(member_client, member, product):
    before = stored_attachment_files()
    data = ticket_form_data(product)
    data["attachments"] = [upload(f"file{i}.txt", 10) for i in range(6)]

    response = member_client.post(NEW, data)

    assert response.status_code == 200
    assert_nothing_stored(before)
    assert response.context["form"].errors["attachments"][0] == (
        "You attached 6 files; at most 5 files can be attached to one message."
    )
    assert_typed_values_kept(response, data)


def test_limits_follow_the_support_settings(member_client, product, support_settings):
    support_settings.attachment_max_size = 1000
    support_settings.attachments_per_message = 1
    support_settings.save()

    page = member_client.get(NEW).content.decode()
    assert "Up to 1 file of any format, at most 1,000 bytes." in page

    response = member_client.post(
        NEW, ticket_form_data(product, attachments=[upload("a.txt", 1001)])
    )
    assert "is 1,001 bytes; each file may be at most 1,000 bytes." in response.content.decode()
    response = member_client.post(
        NEW, ticket_form_data(product, attachments=[upload("a.txt", 1), upload("b.txt", 1)])
    )
    assert "at most 1 file can be attached" in response.content.decode()
    assert Ticket.objects.count() == 0
    response = member_client.post(
        NEW, ticket_form_data(product, attachments=[upload("a.txt", 1000)])
    )
    assert response.status_code == 302


# Client identification -------------------------------------------------------------------------


@pytest.fixture
def client_account(db):
    account = ClientAccount.objects.create(company="Roga i Kopyta LLC")
    ClientInvoiceNumber.objects.create(account=account, number="INV-2026-0042")
    return account


def test_no_number_makes_a_potential_client(member_client, member, product, support_settings):
    member_client.post(NEW, ticket_form_data(product))
    ticket = Ticket.objects.get()
    assert ticket.client_status == ClientStatus.POTENTIAL
    assert ticket.priority == 3
    assert ticket.invoice_number == ""
    assert MemberProfile.objects.get(user=member).client_status == ClientStatus.POTENTIAL
    # Potential clients: the first response is due at the end of the second working day after
    # the day of filing (filed on a Sunday evening: Tuesday's end, less than 48 hours later).
    zone = support_settings.zone
    due = ticket.sla_due_at.astimezone(zone)
    assert due.time() == support_settings.working_day_end
    filed_on = ticket.created_at.astimezone(zone).date()
    calendar = sla.WorkingCalendar()
    working_days_after = [
        day
        for day in (filed_on + timedelta(days=n) for n in range(1, 30))
        if calendar.is_working_day(day)
    ]
    assert due.date() == working_days_after[1]
    assert ticket.sla_due_at == sla.first_response_due(
        support_settings, ClientStatus.POTENTIAL, ticket.created_at
    )


def test_matching_number_makes_a_current_client(
    member_client, member, product, client_account, support_settings
):
    member_client.post(NEW, ticket_form_data(product, invoice_number=" inv 2026-0042 "))
    ticket = Ticket.objects.get()
    assert ticket.client_status == ClientStatus.CURRENT
    assert ticket.priority == 1
    assert ticket.invoice_number == "inv 2026-0042"
    # Four working hours: at least four hours, counted on the desk's working time.
    assert ticket.sla_due_at - ticket.created_at >= timedelta(hours=4)
    assert ticket.sla_due_at == sla.first_response_due(
        support_settings, ClientStatus.CURRENT, ticket.created_at
    )
    profile = MemberProfile.objects.get(user=member)
    assert profile.client_status == ClientStatus.CURRENT
    assert profile.client_account == client_account
    assert profile.invoice_number == "inv 2026-0042"


def test_inactive_account_does_not_match(member_client, product, client_account):
    client_account.active = False
    client_account.save()
    member_client.post(NEW, ticket_form_data(product, invoice_number="INV-2026-0042"))
    assert Ticket.objects.get().client_status == ClientStatus.CLAIMED


def test_other_number_makes_a_claimed_client(member_client, member, product, client_account):
    member_client.post(NEW, ticket_form_data(product, invoice_number="ORDER-999"))
    ticket = Ticket.objects.get()
    assert ticket.client_status == ClientStatus.CLAIMED
    assert ticket.priority == 2
    profile = MemberProfile.objects.get(user=member)
    assert profile.client_status == ClientStatus.CLAIMED
    assert profile.invoice_number == "ORDER-999"


def test_second_ticket_does_not_ask_again(member_client, member, product, client_account):
    member_client.post(NEW, ticket_form_data(product, invoice_number="ORDER-999"))

    page = member_client.get(NEW)
    assert ticket_form(page).select('[name="invoice_number"]') == []
    # A number sent anyway is ignored: the one on file stays.
    member_client.post(NEW, ticket_form_data(product, invoice_number="INV-2026-0042"))

    second = Ticket.objects.order_by("pk").last()
    assert second.client_status == ClientStatus.CLAIMED
    assert second.invoice_number == "ORDER-999"
    assert MemberProfile.objects.get(user=member).invoice_number == "ORDER-999"


def test_member_with_a_number_on_file_is_not_asked(client, make_member, support_page, product):
    user = make_member(username="known", invoice_number="INV-1", client_status="claimed")
    client.force_login(user)
    assert ticket_form(client.get(NEW)).select('[name="invoice_number"]') == []
    client.post(NEW, ticket_form_data(product))
    assert Ticket.objects.get().client_status == ClientStatus.CLAIMED


def test_user_without_a_profile_gets_one(client, django_user_model, support_page, product):
    user = django_user_model.objects.create_user("noprofile", "np@example.com", "x-Pass-123456")
    client.force_login(user)
    response = client.post(NEW, ticket_form_data(product))
    assert response.status_code == 302
    assert MemberProfile.objects.get(user=user).full_name == "noprofile"
