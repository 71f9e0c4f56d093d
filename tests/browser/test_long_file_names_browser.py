"""A file whose name is 1,000 characters long, chosen in Chromium: ticket-form.js shortens the
name (extension kept) before the upload, so Django's 1,024-byte part-header limit never turns
the typed ticket into a bare "400 Bad Request"."""

import re

from playwright.sync_api import expect

from avsoft_support.models import Attachment, Ticket
from tests.utils import PASSWORD

LONG_LATIN = "report-" + "x" * 989 + ".log"  # 1,000 characters
LONG_CYRILLIC = "отчёт-" + "ж" * 500 + ".txt"  # about 1,000 bytes in UTF-8


def field(scope, label):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\W*$"))


def test_long_file_names_are_shortened_before_upload_and_the_ticket_is_filed(
    page, live_server, support_page, support_settings, product, make_member
):
    make_member()
    page.goto(f"{live_server.url}/support/")
    box = page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill("member")
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You have not filed any tickets yet.")).to_be_visible()
    page.goto(f"{live_server.url}/support/new/")

    main = page.locator("main")
    field(main, "Subject").fill("Log with a long name")
    field(main, "Product").select_option(label="AVSoft Analyzer")
    field(main, "Exact product version").fill("5.2.1")
    field(main, "Operating system and version").fill("Windows 11")
    field(main, "Description of the problem").fill("The log is attached.")
    field(main, "Steps to reproduce it in our lab").fill("1. Export")
    field(main, "Attachments").set_input_files(
        [
            {"name": LONG_LATIN, "mimeType": "text/plain", "buffer": b"latin log"},
            {"name": LONG_CYRILLIC, "mimeType": "text/plain", "buffer": b"cyrillic log"},
        ]
    )
    # What will be sent is listed under the field: the shortened names.
    listed = page.locator(".avs-file-list li")
    expect(listed).to_have_count(2)
    main.get_by_role("button", name="Send ticket").click()

    expect(page.get_by_text("Log with a long name").first).to_be_visible()
    ticket = Ticket.objects.get(subject="Log with a long name")
    names = sorted(
        Attachment.objects.filter(message__ticket=ticket).values_list("original_name", flat=True)
    )
    assert len(names) == 2
    latin, cyrillic = sorted(names, key=lambda name: name.endswith(".txt"))
    assert latin.startswith("report-xxx") and latin.endswith(".log")
    assert cyrillic.startswith("отчёт-жжж") and cyrillic.endswith(".txt")
    for name in names:
        assert len(name.encode()) <= 240
    # The page shows them for download.
    for name in names:
        expect(page.get_by_role("link", name=re.compile(re.escape(name[:20])))).to_be_visible()
