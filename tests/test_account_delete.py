"""Delete my account: password and a tick, then the member's files and account go, their tickets
stay for the desk without them."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from avsoft_support import member_data, tickets
from avsoft_support.audit import CLIENT_VERIFY, TICKET_ANONYMISE, log_separately
from avsoft_support.models import (
    Attachment,
    InboundMail,
    InboundOutcome,
    MemberProfile,
    Message,
    Ticket,
)
from tests.utils import PASSWORD, find_one, select, stored_attachment_files, text_of

User = get_user_model()
DELETE = reverse("avsoft_support:delete_account")
DELETED = reverse("avsoft_support:account_deleted")
PROFILE = reverse("avsoft_support:profile")
LIST_URL = "/admin/support/tickets/"


def edit_url(ticket):
    return reverse("avsoft_support_tickets:edit", args=[ticket.pk])


@pytest.fixture
def world(make_member, make_ticket, support_staff):
    """Anna's two tickets (her files, a staff reply with a file, her reply by e-mail), and
    Boris's ticket with a file."""
    anna = make_member(username="anna", full_name="Anna Smirnova", phone="+7 900 000-00-00")
    first = make_ticket(anna, subject="Export stops", files=[("screen.png", b"anna screen")])
    tickets.add_message(
        first, support_staff, "Try this.", [SimpleUploadedFile("fix.cfg", b"fix")], from_staff=True
    )
    by_mail = tickets.add_message(
        first, anna, "It works, thanks.", [SimpleUploadedFile("log.txt", b"anna log")]
    )
    InboundMail.objects.create(
        key="k1",
        sender="anna@example.com",
        subject="Re: Export stops",
        outcome=InboundOutcome.ADDED,
        ticket=first,
        message=by_mail,
        original_text="It works, thanks.\n--\nAnna Smirnova, +7 900 000-00-00",
    )
    second = make_ticket(anna, subject="Import is slow")
    log_separately(
        second,
        CLIENT_VERIFY,
        support_staff,
        {
            "member": "Anna Smirnova",
            "email": "anna@example.com",
            "user_id": anna.pk,
            "account": "A",
        },
    )
    boris = make_member(username="boris", full_name="Boris Orlov")
    theirs = make_ticket(boris, subject="Boris's problem", files=[("boris.txt", b"boris")])
    return {"anna": anna, "boris": boris, "first": first, "second": second, "theirs": theirs}


@pytest.fixture
def anna_client(client, world):
    client.force_login(world["anna"])
    return client


def files_of(ticket):
    return set(
        Attachment.objects.filter(message__ticket=ticket).values_list("original_name", flat=True)
    )


def assert_nothing_changed(world, files_before):
    assert User.objects.filter(username="anna").exists()
    assert MemberProfile.objects.filter(user=world["anna"]).exists()
    assert files_of(world["first"]) == {"screen.png", "fix.cfg", "log.txt"}
    assert stored_attachment_files() == files_before
    assert Ticket.objects.filter(author=world["anna"]).count() == 2
    assert not ModelLogEntry.objects.filter(action=TICKET_ANONYMISE).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(DELETE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("avsoft_support:login"))


def test_the_page_warns_and_asks_for_the_password_and_a_tick(anna_client):
    response = anna_client.get(DELETE)
    assert response.status_code == 200
    main = find_one(response, "main")
    assert "cannot be undone" in text_of(main)
    assert "The files you attached to your tickets are deleted." in text_of(main)
    assert "stay with our support team" in text_of(main)
    form = find_one(main, "form")
    assert find_one(form, 'input[name="password"]')["type"] == "password"
    assert find_one(form, 'input[name="confirm"]')["type"] == "checkbox"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"password": "wrong-password", "confirm": "on"}, "Your password is not correct."),
        ({"password": PASSWORD}, "Please tick the box to confirm the deletion."),
    ],
)
def test_a_wrong_password_or_no_tick_changes_nothing(
    anna_client, world, django_capture_on_commit_callbacks, data, error
):
    before = stored_attachment_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = anna_client.post(DELETE, data)
    assert response.status_code == 200
    assert error in text_of(find_one(response, "main"))
    assert_nothing_changed(world, before)
    assert anna_client.get(PROFILE).status_code == 200  # still logged in


def test_deleting_the_account(anna_client, world, django_capture_on_commit_callbacks):
    first, second, theirs = world["first"], world["second"], world["theirs"]
    anna_paths = set(
        Attachment.objects.filter(original_name__in=["screen.png", "log.txt"]).values_list(
            "file", flat=True
        )
    )
    kept_paths = set(
        Attachment.objects.exclude(original_name__in=["screen.png", "log.txt"]).values_list(
            "file", flat=True
        )
    )
    assert anna_paths | kept_paths <= stored_attachment_files()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = anna_client.post(DELETE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response.url == DELETED
    done = anna_client.get(DELETED)
    assert "Your account is deleted" in text_of(find_one(done, "main"))

    # The account and the profile are gone, and the session with them.
    assert not User.objects.filter(username="anna").exists()
    assert not MemberProfile.objects.filter(full_name="Anna Smirnova").exists()
    assert anna_client.get(PROFILE).status_code == 302
    # Her files are gone from the storage and the database; staff's file and Boris's stay.
    stored = stored_attachment_files()
    assert not anna_paths & stored
    assert kept_paths <= stored
    assert files_of(first) == {"fix.cfg"}
    assert files_of(theirs) == {"boris.txt"}
    # The tickets stay, linked to nobody, their conversation whole.
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.author is None
    assert list(first.messages.values_list("body", flat=True)) == [
        "It stops at 50%.",
        "Try this.",
        "It works, thanks.",
    ]
    assert Message.objects.filter(ticket=first, from_staff=False, author__isnull=False).count() == 0
    theirs.refresh_from_db()
    assert theirs.author == world["boris"]
    # What the desk kept of her mail and her name in the history are wiped.
    inbound = InboundMail.objects.get(key="k1")
    assert (inbound.sender, inbound.original_text) == ("", "")
    verify = ModelLogEntry.objects.get(action=CLIENT_VERIFY)
    assert "member" not in verify.data
    assert "email" not in verify.data
    # Each ticket's history says why.
    entries = ModelLogEntry.objects.filter(action=TICKET_ANONYMISE)
    assert {(e.object_id, e.data["attachments"]) for e in entries} == {
        (str(first.pk), 2),
        (str(second.pk), 0),
    }
    assert mail.outbox == []


def test_a_rollback_keeps_the_files(world, django_capture_on_commit_callbacks):
    before = stored_attachment_files()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        member_data.delete_member(world["anna"])
        raise RuntimeError("something after it failed")
    assert_nothing_changed(world, before)


def test_staff_see_the_anonymised_tickets_in_the_admin(
    world, verified_staff_client, support_staff, make_staff, django_capture_on_commit_callbacks
):
    member_data.delete_member(world["anna"])
    first = world["first"]

    response = verified_staff_client.get(edit_url(first))
    assert response.status_code == 200
    customer = find_one(response, "[aria-labelledby='avs-customer-heading']")
    assert "Deleted user" in text_of(customer)
    assert "The customer deleted their account." in text_of(customer)
    assert "other ticket" not in text_of(customer)
    authors = [text_of(a) for a in select(response, ".avs-message__author")]
    assert authors.count("Deleted user") == 2
    history = text_of(find_one(response, "[aria-labelledby='avs-history-heading']"))
    assert "The customer deleted their account" in history

    listing = verified_staff_client.get(LIST_URL)
    assert listing.status_code == 200
    assert text_of(listing).count("Deleted user") == 2

    history_page = verified_staff_client.get(
        reverse("avsoft_support_tickets:history", args=[first.pk])
    )
    assert history_page.status_code == 200
    assert "and 2 files they attached were deleted" in text_of(history_page)

    # A staff reply on it still works, and mails no one.
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(
            edit_url(first),
            {
                "action": "reply",
                "reply-kind": "reply",
                "reply-body": "Closing this.",
                "controls-status": "closed",
                "controls-loaded_status": first.status,
                "controls-assignee": first.assignee_id or "",
                "controls-loaded_assignee": first.assignee_id or "",
                "controls-criticality": first.criticality,
                "controls-loaded_criticality": first.criticality,
            },
        )
    assert response.status_code == 302
    assert mail.outbox == []

    # Staff mails about it name the customer as deleted.
    colleague = make_staff(username="colleague", support_group=True)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.assign(first, colleague, support_staff)
    [assigned] = mail.outbox
    assert assigned.to == ["colleague@example.com"]
    assert "Customer: Deleted user\n" in assigned.body


def test_staff_accounts_are_not_deleted_here(client, support_staff):
    client.force_login(support_staff)
    response = client.get(DELETE)
    assert response.status_code == 403
    response = client.post(DELETE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.filter(pk=support_staff.pk).exists()


def test_mail_waiting_for_a_retry_to_the_member_goes_with_the_account(world):
    from avsoft_support.member_data import delete_member
    from avsoft_support.models import PendingMail

    def pending(to):
        return PendingMail.objects.create(from_email="s@example.com", to=to, subject="s", body="b")

    only_anna = pending(["ANNA@example.com"])
    shared = pending(["anna@example.com", "desk@example.com"])
    other = pending(["boris@example.com"])

    delete_member(world["anna"])

    assert not PendingMail.objects.filter(pk=only_anna.pk).exists()
    shared.refresh_from_db()
    other.refresh_from_db()
    assert shared.to == ["desk@example.com"]
    assert other.to == ["boris@example.com"]
