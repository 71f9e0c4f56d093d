"""Download my data: one ZIP with the member's profile, tickets and files, and nobody else's."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from avsoft_support import tickets
from avsoft_support.models import MemberProfile
from tests.utils import find_one, links

DOWNLOAD = reverse("avsoft_support:download_data")


def open_archive(response):
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    return archive


def read_json(archive, name):
    return json.loads(archive.read(name).decode("utf-8"))


@pytest.fixture
def world(make_member, make_ticket, support_staff):
    """Anna with two tickets (files, a staff reply with a file, an internal note with a file),
    and Boris with a ticket and a file of his own."""
    anna = make_member(
        username="anna",
        full_name="Anna Smirnova",
        company="Smirnova & Co",
        phone="+7 900 000-00-00",
        invoice_number="INV-7",
        client_status="claimed",
        consent_given_at=timezone.now(),
        consent_version="page:4/rev:9",
    )
    first = make_ticket(
        anna,
        subject="Export stops",
        files=[("log.txt", b"anna log one"), ("log.txt", b"anna log two")],
    )
    tickets.add_message(
        first,
        support_staff,
        "Here is a fix.",
        [SimpleUploadedFile("fix.cfg", b"fix=1")],
        from_staff=True,
    )
    tickets.add_message(
        first,
        support_staff,
        "SECRET internal note about the customer",
        [SimpleUploadedFile("internal.txt", b"internal bytes")],
        from_staff=True,
        internal=True,
    )
    second = make_ticket(anna, subject="Import is slow", files=[("../../etc/pass wd", b"x")])
    boris = make_member(username="boris", full_name="Boris Orlov")
    theirs = make_ticket(boris, subject="Boris's secret", files=[("boris.txt", b"boris bytes")])
    return {"anna": anna, "boris": boris, "first": first, "second": second, "theirs": theirs}


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(DOWNLOAD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("avsoft_support:login"))


def test_the_profile_page_links_to_the_download(client, member):
    client.force_login(member)
    main = find_one(client.get(reverse("avsoft_support:profile")), "main")
    assert (DOWNLOAD, "Download my data") in links(main)
    assert (reverse("avsoft_support:delete_account"), "Delete my account") in links(main)


def test_the_archive_is_an_attachment_with_a_sensible_name(client, world):
    client.force_login(world["anna"])
    response = client.get(DOWNLOAD)
    assert response["Content-Type"] == "application/zip"
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="support-data-anna-{today:%Y-%m-%d}.zip"'
    )
    assert "no-store" in response["Cache-Control"]


def test_the_archive_holds_the_profile_the_tickets_and_the_files(client, world):
    client.force_login(world["anna"])
    archive = open_archive(client.get(DOWNLOAD))
    first, second = world["first"].number, world["second"].number
    assert sorted(archive.namelist()) == sorted(
        [
            "profile.json",
            "tickets.json",
            f"attachments/{first}/log.txt",
            f"attachments/{first}/log (2).txt",
            f"attachments/{first}/fix.cfg",
            f"attachments/{second}/pass wd",
        ]
    )
    assert archive.read(f"attachments/{first}/log.txt") == b"anna log one"
    assert archive.read(f"attachments/{first}/log (2).txt") == b"anna log two"
    assert archive.read(f"attachments/{first}/fix.cfg") == b"fix=1"
    assert archive.read(f"attachments/{second}/pass wd") == b"x"

    profile = read_json(archive, "profile.json")
    assert profile["account"]["username"] == "anna"
    assert profile["account"]["email"] == "anna@example.com"
    assert profile["profile"]["full_name"] == "Anna Smirnova"
    assert profile["profile"]["company"] == "Smirnova & Co"
    assert profile["profile"]["phone"] == "+7 900 000-00-00"
    assert profile["profile"]["invoice_number"] == "INV-7"
    assert profile["profile"]["client_status"] == "claimed"
    assert profile["profile"]["client_status_label"] == "Claimed client"
    assert profile["profile"]["consent"]["version"] == "page:4/rev:9"
    assert profile["profile"]["consent"]["given_at"]

    data = read_json(archive, "tickets.json")["tickets"]
    assert [ticket["number"] for ticket in data] == [first, second]
    conversation = data[0]["messages"]
    assert [(m["from"], m["body"]) for m in conversation] == [
        ("customer", "It stops at 50%."),
        ("support", "Here is a fix."),
    ]
    assert conversation[1]["support_staff_first_name"] == "Sofia"
    files = conversation[0]["attachments"]
    assert [(f["name"], f["size"], f["path"]) for f in files] == [
        ("log.txt", 12, f"attachments/{first}/log.txt"),
        ("log.txt", 12, f"attachments/{first}/log (2).txt"),
    ]
    assert files[0]["sha256"]
    assert data[0]["subject"] == "Export stops"
    assert data[0]["product"] == "AVSoft Analyzer"


def test_no_internal_note_and_nothing_of_another_member(client, world):
    client.force_login(world["anna"])
    archive = open_archive(client.get(DOWNLOAD))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (b"SECRET", b"internal bytes", b"internal.txt", b"boris", b"Boris"):
        assert secret not in everything
    assert world["theirs"].number.encode() not in everything


def test_a_member_without_tickets_or_profile_gets_their_account(client, django_user_model):
    user = django_user_model.objects.create_user("solo", "solo@example.com", "x-Pass-12345")
    client.force_login(user)
    archive = open_archive(client.get(DOWNLOAD))
    assert read_json(archive, "profile.json")["profile"] is None
    assert read_json(archive, "tickets.json") == {"tickets": [], "following": []}
    assert not MemberProfile.objects.exists()  # reading created nothing


@pytest.mark.parametrize("count", [1, 6])
def test_the_query_count_does_not_grow_with_the_tickets(
    client, member, make_ticket, support_staff, django_assert_num_queries, count
):
    for n in range(count):
        ticket = make_ticket(member, subject=f"Problem {n}", files=[(f"f{n}.txt", b"data")])
        tickets.add_message(ticket, support_staff, "Answer", from_staff=True)
    client.force_login(member)
    # Session, user, profile, tickets (with their rating), their public messages, those
    # messages' files, the addresses they copy in, the colleagues' tickets they follow.
    with django_assert_num_queries(8):
        response = client.get(DOWNLOAD)
        archive = open_archive(response)
    assert len(read_json(archive, "tickets.json")["tickets"]) == count
