"""A ticket on paper, in Chromium's print media: the facts, the steps and the conversation in
black on white, link addresses after the links, no message split across pages; the corner
login box, the reply form, the close button and the page's navigation left out. And the PDF
that headless Chromium makes of it."""

import pytest
from playwright.sync_api import expect

from avsoft_support import tickets

pytestmark = pytest.mark.django_db(transaction=True)

BLACK = "rgb(0, 0, 0)"
WHITE = "rgb(255, 255, 255)"
KB_LINK = "https://example.com/kb/42"


def test_a_ticket_prints_its_facts_and_conversation_without_the_page_controls(
    logged_in_context,
    live_server,
    support_page,
    support_settings,
    make_member,
    make_ticket,
    support_staff,
):
    member = make_member()
    ticket = make_ticket(
        member,
        subject="Export stops at 50%",
        files=[("support.log", b"log " * 100)],
        steps_to_problem="Opened big.dat, pressed Export.",
        steps_to_reproduce=f"1. Open big.dat\n2. Export to PDF\n\nSee {KB_LINK}",
    )
    tickets.add_message(ticket, support_staff, "Please attach the log.", from_staff=True)
    context = logged_in_context(member)
    page = context.new_page()
    page.goto(f"{live_server.url}/support/{ticket.number}/")

    controls = {
        "login box": page.locator(".avs-login-box"),
        "reply form": page.locator("form.avs-reply-form"),
        "close button": page.locator(".avs-close"),
        "back link": page.locator(".avs-back"),
    }
    for control in controls.values():
        expect(control).to_be_visible()
    messages = page.locator(".avs-message-item")
    expect(messages).to_have_count(2)
    # On screen the status word has its colour.
    assert page.locator(".avs-status").evaluate("el => getComputedStyle(el).color") != BLACK

    page.emulate_media(media="print")
    for name, control in controls.items():
        expect(control, f"the {name} is printed").to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Ticket {ticket.number}: Export stops at 50%"
    )
    facts = page.locator(".avs-ticket-facts")
    for fact in (
        "In progress",
        "AVSoft Analyzer",
        "5.2.1",
        "Windows 11",
        "Normal",
        "Steps that led to the problem",
        "Opened big.dat, pressed Export.",
        "Steps to reproduce it in the lab",
        "Export to PDF",
    ):
        expect(facts).to_contain_text(fact)
    expect(facts.locator(".avs-markdown").last).to_be_visible()
    expect(messages).to_have_count(2)
    for index in range(2):
        expect(messages.nth(index)).to_be_visible()
    expect(messages.last).to_contain_text("Please attach the log.")

    # Black on white, each message kept whole on a page, link addresses written out.
    for selector in (".avs-status", ".avs-message-item--staff", ".avs-message-header", "h1"):
        colours = page.locator(selector).first.evaluate(
            "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
        )
        assert colours == [BLACK, WHITE], (selector, colours)
    assert messages.first.evaluate("el => getComputedStyle(el).breakInside") == "avoid"
    after = page.get_by_role("link", name=KB_LINK).evaluate(
        "a => getComputedStyle(a, '::after').content"
    )
    assert after == f'" ({KB_LINK})"'
    download = page.get_by_role("link", name="support.log")
    href = download.get_attribute("href")
    assert download.evaluate("a => getComputedStyle(a, '::after').content") == f'" ({href})"'

    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5_000
    context.close()
