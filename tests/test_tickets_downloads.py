"""Attachment downloads: only through the view, as an attachment, byte for byte."""

import hashlib
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from avsoft_support import tickets
from avsoft_support.models import Attachment
from tests.utils import assert_in_html, find_one, select, text_of

CONTENT = bytes(range(256)) * 1200  # 307,200 bytes, every byte value


def download_url(attachment):
    return reverse(
        "avsoft_support:attachment_download",
        kwargs={"pk": attachment.pk, "name": attachment.original_name},
    )


def body_of(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def attachment(member, make_ticket, support_page):
    make_ticket(member, files=[("report <final>.bin", CONTENT)])
    return Attachment.objects.get()


def test_owner_downloads_the_identical_file(client, member, attachment):
    client.force_login(member)

    response = client.get(download_url(attachment))

    assert response.status_code == 200
    data = body_of(response)
    assert (
        hashlib.sha256(data).hexdigest() == attachment.sha256 == hashlib.sha256(CONTENT).hexdigest()
    )
    assert len(data) == attachment.size == 307200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="report <final>.bin"'
    assert response["Content-Length"] == "307200"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_ticket_page_links_to_the_download_with_name_and_size(client, member, attachment):
    client.force_login(member)
    response = client.get(f"/support/{attachment.message.ticket.number}/")
    [item] = select(response, "main ul.avs-attachments > li")
    assert_in_html(
        f'<a href="{download_url(attachment)}" download>report &lt;final&gt;.bin</a>', item
    )
    assert text_of(find_one(item, ".avs-size")).replace("\xa0", " ") == "(300.0 KB)"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain.txt", 'attachment; filename="plain.txt"'),
        ("отчёт за май.pdf", "attachment; filename*=utf-8''" + quote("отчёт за май.pdf")),
        # Line breaks are dropped from the stored name; the quote is escaped in the header.
        ('evil";\r\nX-Injected: 1.txt', 'attachment; filename="evil\\";X-Injected: 1.txt"'),
    ],
)
def test_original_name_is_safely_encoded(client, member, make_ticket, support_page, name, expected):
    make_ticket(member, files=[(name, b"data")])
    attachment = Attachment.objects.get()
    client.force_login(member)

    response = client.get(download_url(attachment))

    disposition = response["Content-Disposition"]
    assert disposition == expected
    assert "X-Injected" not in response.headers
    assert body_of(response) == b"data"


def test_the_name_in_the_url_does_not_matter(client, member, attachment):
    client.force_login(member)
    response = client.get(
        reverse("avsoft_support:attachment_download", kwargs={"pk": attachment.pk, "name": "x"})
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report <final>.bin"'


def test_files_of_internal_notes_are_not_for_the_customer(
    client, member, django_user_model, attachment
):
    staff = django_user_model.objects.create_user("agent", "agent@example.com", "x")
    staff.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    note = tickets.add_message(
        attachment.message.ticket,
        staff,
        "trace",
        [SimpleUploadedFile("trace.txt", b"t")],
        from_staff=True,
        internal=True,
    )
    client.force_login(member)
    assert client.get(download_url(note.attachments.get())).status_code == 404
    assert (
        "trace.txt"
        not in client.get(f"/support/{attachment.message.ticket.number}/").content.decode()
    )


def test_missing_file_is_a_404(client, member, attachment):
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(member)
    assert client.get(download_url(attachment)).status_code == 404


def test_files_are_not_under_media_root(client, member, attachment, settings):
    from pathlib import Path

    storage = attachment.file.storage
    private = Path(storage.path(attachment.file.name)).resolve()
    assert private.is_file()
    assert Path(settings.MEDIA_ROOT).resolve() not in private.parents
    # Pages never hand out the storage URL, only the checked download view.
    client.force_login(member)
    content = client.get(f"/support/{attachment.message.ticket.number}/").content.decode()
    assert attachment.file.name not in content
