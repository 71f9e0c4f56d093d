"""A member sees only their own tickets and files, and those of their company while it shares
them: every ticket, reply, close, download, follow, CC and rating URL answers 404 to anyone
else (another company, a member removed from the company, a colleague while sharing is off,
anonymous visitors and staff on the customer pages included). A colleague who sees a ticket
reads it, downloads its files and follows it; the rest stays its author's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from avsoft_support.models import (
    Attachment,
    ClientAccount,
    Message,
    Rating,
    Ticket,
    TicketFollower,
    TicketStatus,
)

ACTORS = [
    "owner",
    "colleague",
    "colleague_sharing_off",
    "former_member",
    "other_company",
    "other_member",
    "anonymous",
    "superuser",
]
ACTIONS = ["view", "reply", "close", "download", "follow", "unfollow", "cc", "rate"]
# What a colleague may do while their company shares its tickets.
COLLEAGUE_MAY = {"view": 200, "download": 200, "follow": 302, "unfollow": 302}
OWNER_MAY = {
    "view": 200,
    "reply": 302,
    "close": 302,
    "download": 200,
    "follow": 302,
    "unfollow": 302,
    "cc": 302,
    "rate": 302,
}


@pytest.fixture
def world(client, make_member, make_ticket, support_page, django_user_model):
    company = ClientAccount.objects.create(company="Owner's company", share_tickets=True)
    elsewhere = ClientAccount.objects.create(company="Another company", share_tickets=True)
    owner = make_member(username="owner", client_account=company)
    colleague = make_member(username="colleague", client_account=company)
    # Was a member of the company; staff removed them from it.
    former = make_member(username="former", client_account=None)
    stranger = make_member(username="stranger", client_account=elsewhere)
    other = make_member(username="intruder")
    superuser = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
    ticket = make_ticket(
        owner, subject="Owner's private problem", files=[("secret.txt", b"owner data")]
    )
    make_ticket(other, subject="Intruder's own ticket")
    make_ticket(stranger, subject="Stranger's own ticket")
    return {
        "ticket": ticket,
        "company": company,
        "attachment": Attachment.objects.get(message__ticket=ticket),
        "users": {
            "owner": owner,
            "colleague": colleague,
            "colleague_sharing_off": colleague,
            "former_member": former,
            "other_company": stranger,
            "other_member": other,
            "superuser": superuser,
            "anonymous": None,
        },
    }


def request(client, world, action):
    ticket, attachment = world["ticket"], world["attachment"]
    base = f"/support/{ticket.number}/"
    if action == "view":
        return client.get(base)
    if action == "reply":
        return client.post(
            base + "reply/",
            {"body": "injected", "attachments": [SimpleUploadedFile("x.txt", b"x")]},
        )
    if action == "close":
        return client.post(base + "close/")
    if action in ("follow", "unfollow"):
        return client.post(base + "follow/", {"action": action})
    if action == "cc":
        return client.post(base + "cc/", {"email": "spy@example.com"})
    if action == "rate":
        return client.post(base + "rate/", {"score": "bad", "comment": "injected"})
    return client.get(
        reverse(
            "avsoft_support:attachment_download",
            kwargs={"pk": attachment.pk, "name": attachment.original_name},
        )
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_isolation_matrix(client, world, actor, action):
    user = world["users"][actor]
    if user is not None:
        client.force_login(user)
    if actor == "colleague_sharing_off":
        ClientAccount.objects.filter(pk=world["company"].pk).update(share_tickets=False)
    ticket = world["ticket"]

    response = request(client, world, action)

    if actor == "owner":
        assert response.status_code == OWNER_MAY[action]
        return
    if actor == "colleague" and action in COLLEAGUE_MAY:
        assert response.status_code == COLLEAGUE_MAY[action]
        assert TicketFollower.objects.filter(user=user).exists() == (action == "follow")
        return
    assert response.status_code == 404
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Owner's private problem" not in content
    assert b"Owner&#x27;s private problem" not in content
    assert b"owner data" not in content
    # Nothing changed.
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == TicketStatus.NEW
    assert fresh.customer_last_seen_at is None
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert Attachment.objects.filter(message__ticket=ticket).count() == 1
    assert not TicketFollower.objects.exists()
    assert not Rating.objects.exists()


def test_the_colleague_reads_what_the_owner_reads(client, world):
    client.force_login(world["users"]["colleague"])
    response = request(client, world, "view")
    assert "Owner's private problem" in response.content.decode().replace("&#x27;", "'")
    assert b"".join(request(client, world, "download").streaming_content) == b"owner data"


@pytest.mark.parametrize(
    "actor",
    ["other_member", "other_company", "former_member", "colleague_sharing_off", "superuser"],
)
def test_others_lists_never_show_the_ticket(client, world, actor):
    if actor == "colleague_sharing_off":
        ClientAccount.objects.filter(pk=world["company"].pk).update(share_tickets=False)
    client.force_login(world["users"][actor])
    for path in (
        "/support/",
        "/support/?show=open",
        "/support/?show=closed",
        "/support/?tab=company",
        "/support/?tab=company&show=open",
    ):
        content = client.get(path).content.decode()
        assert world["ticket"].number not in content
        assert "private problem" not in content


def test_owner_list_shows_only_their_own(client, world):
    client.force_login(world["users"]["owner"])
    content = client.get("/support/").content.decode()
    assert "private problem" in content
    assert "Intruder" not in content


def test_wrong_methods_for_strangers_are_still_404(client, world):
    client.force_login(world["users"]["other_member"])
    base = f"/support/{world['ticket'].number}/"
    assert client.get(base + "reply/").status_code == 404
    assert client.get(base + "close/").status_code == 404
    assert client.post(base).status_code == 404


def test_wrong_methods_for_the_owner_change_nothing(client, world):
    """A GET of reply/ (a login link that came back there) leads to the ticket; a GET of
    close/ asks first."""
    client.force_login(world["users"]["owner"])
    base = f"/support/{world['ticket'].number}/"
    response = client.get(base + "reply/")
    assert response.status_code == 302
    assert response["Location"] == base
    assert client.get(base + "close/").status_code == 200
    assert client.post(base).status_code == 405
    fresh = Ticket.objects.get(pk=world["ticket"].pk)
    assert fresh.status == TicketStatus.NEW
    assert Message.objects.filter(ticket=fresh).count() == 1


def test_attachment_ids_of_other_tickets_are_404(client, world, make_ticket):
    other = world["users"]["other_member"]
    make_ticket(other, files=[("mine.txt", b"intruder data")])
    theirs = Attachment.objects.get(original_name="mine.txt")
    client.force_login(world["users"]["owner"])
    response = client.get(
        reverse("avsoft_support:attachment_download", kwargs={"pk": theirs.pk, "name": "mine.txt"})
    )
    assert response.status_code == 404
