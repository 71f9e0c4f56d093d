"""The customer's whole ticket journey in Chromium: log in, empty list, file a ticket with a
300 KB file (a 301 KB one refused, in the browser and on the server), find it in the list,
open it, download the file byte for byte, reply; script in the subject and text never runs."""

import hashlib
import re

from playwright.sync_api import expect

from avsoft_support.models import Attachment, Ticket
from tests.utils import PASSWORD, stored_attachment_files

XSS_SUBJECT = "Crash <img src=x onerror=alert('subject')><script>alert('subject2')</script>"
XSS_BODY = (
    "It crashes.\n\n<script>alert('body')</script>\n<img src=x onerror=alert('img')>\n\n"
    "[click me](javascript:alert('link'))\n\n```\nTraceback: <b>boom</b>\n```"
)


def field(scope, label):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\W*$"))


def test_customer_ticket_journey(
    page, live_server, support_page, support_settings, product, make_member, tmp_path
):
    make_member()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    exact = tmp_path / "exactly-300KB.bin"
    exact.write_bytes(bytes(range(256)) * 1200)  # 307,200 bytes
    too_big = tmp_path / "too-big-301KB.bin"
    too_big.write_bytes(b"z" * (301 * 1024))
    files_before = stored_attachment_files()

    # Log in from the corner widget on the support page; the list is empty.
    page.goto(f"{live_server.url}/support/")
    box = page.locator(".avs-login-box")
    box.get_by_label("Username or e-mail").fill("member")
    box.get_by_label("Password").fill(PASSWORD)
    box.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You have not filed any tickets yet.")).to_be_visible()

    # The form, filled in by keyboard and mouse.
    page.get_by_role("link", name="Create new ticket").first.click()
    expect(page.get_by_role("heading", name="Create new ticket")).to_be_visible()
    main = page.locator("main")
    field(main, "Subject").fill(XSS_SUBJECT)
    field(main, "Product").select_option(label="AVSoft Analyzer")
    field(main, "Exact product version").fill("5.2.1 build 1234")
    field(main, "Operating system and version").fill("Windows 11 23H2")
    field(main, "Criticality").select_option(label="High: a major function does not work")
    field(main, "Description of the problem").fill(XSS_BODY)
    field(main, "Steps that led to the problem").fill("Opened the report.")
    field(main, "Steps to reproduce it in our lab").fill("1. Open\n2. Export")
    attachments = field(main, "Attachments")
    expect(page.get_by_text("each at most 300 KB (307,200 bytes)")).to_be_visible()

    # 301 KB: refused in the browser before any upload; the text stays, nothing is sent.
    attachments.set_input_files([str(exact), str(too_big)])
    expect(page.get_by_text("“too-big-301KB.bin” is 301 KB")).to_be_visible()
    page.get_by_role("button", name="Send ticket").click()
    expect(attachments).to_be_focused()
    expect(page).to_have_url(f"{live_server.url}/support/new/")
    assert Ticket.objects.count() == 0

    # And refused by the server too, should the browser check be bypassed.
    attachments.evaluate("input => input.removeAttribute('data-max-size')")
    attachments.set_input_files([str(too_big)])
    page.get_by_role("button", name="Send ticket").click()
    expect(page.locator(".avs-error-summary")).to_contain_text(
        "“too-big-301KB.bin” is 301 KB (308,224 bytes); each file may be at most 300 KB (307,200 bytes)."
    )
    expect(page.locator(".avs-error-summary")).to_be_focused()
    expect(field(main, "Subject")).to_have_value(XSS_SUBJECT)
    expect(field(main, "Description of the problem")).to_have_value(XSS_BODY)
    expect(field(main, "Exact product version")).to_have_value("5.2.1 build 1234")
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_attachment_files() == files_before

    # 300 KB exactly: accepted.
    field(main, "Attachments").set_input_files([str(exact)])
    page.get_by_role("button", name="Send ticket").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/support/\d{{4}}-\d+/$"))
    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/support/{ticket.number}/")
    expect(page.get_by_text(f"Your ticket {ticket.number} has been received")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(XSS_SUBJECT)

    # In the list, with its status as a word.
    page.get_by_role("link", name="Back to my tickets").click()
    row = page.locator("tr", has_text=ticket.number)
    expect(row).to_contain_text("New")
    expect(row).to_contain_text("AVSoft Analyzer")
    row.get_by_role("link", name=ticket.number).click()

    # Download: the same bytes.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="exactly-300KB.bin").click()
    download = download_info.value
    assert download.suggested_filename == "exactly-300KB.bin"
    digest = hashlib.sha256(open(download.path(), "rb").read()).hexdigest()  # noqa: SIM115
    assert (
        digest == hashlib.sha256(exact.read_bytes()).hexdigest() == Attachment.objects.get().sha256
    )

    # Reply.
    field(page.locator(".avs-reply-form"), "Your reply").fill(
        "Any news? <script>alert('reply')</script>"
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Thank you. Your reply has been sent.")).to_be_visible()
    expect(page.locator(".avs-message-item")).to_have_count(2)
    expect(page.locator(".avs-message-item").last).to_contain_text(
        "Any news? <script>alert('reply')</script>"
    )
    expect(page.locator(".avs-markdown pre")).to_contain_text("Traceback: <b>boom</b>")
    # The javascript: link is text, not a link.
    expect(page.get_by_role("link", name="click me")).to_have_count(0)

    assert dialogs == []
    assert ticket.messages.count() == 2
