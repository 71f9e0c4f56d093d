"""An agent's morning at 1280x800 in Chromium: the default view shows only the tickets that
need our action, the overdue first; at least 15 of them fit on the screen with no sideways
scrolling; three tickets are answered by keyboard alone (status changes, "send and go to the
next ticket"), and nothing typed is lost when the assignee changes mid-reply or the page is
opened again."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from avsoft_support.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORT = {"width": 1280, "height": 800}


def send_next(page):
    page.keyboard.press("Control+Shift+Enter")


def test_an_agents_morning(
    logged_in_context, live_server, support_settings, make_admin_ticket, make_staff, support_staff
):
    now = timezone.now()
    boris = make_staff(username="boris", first_name="Boris", last_name="Belov", support_group=True)
    # What needs action: a current client's overdue ticket, one due soon, a later one; then
    # claimed and potential clients' tickets, enough to fill more than a screen.
    overdue = make_admin_ticket(
        client_status="current",
        subject="Overdue: licence server refuses connections",
        sla_due_at=now - timedelta(hours=2),
    )
    soon = make_admin_ticket(
        client_status="current",
        subject="Soon due: report export is empty",
        sla_due_at=now + timedelta(minutes=30),
    )
    later = make_admin_ticket(
        client_status="current",
        subject="Later: a question about the API",
        sla_due_at=now + timedelta(hours=6),
    )
    for n in range(16):
        make_admin_ticket(
            client_status=("claimed", "potential")[n % 2],
            subject=f"Routine question number {n} about installing the product on a server",
            sla_due_at=now + timedelta(days=1, hours=n),
        )
    # Waiting for the customer: not in the default view, however urgent they look.
    waiting = make_admin_ticket(
        client_status="current",
        status=TicketStatus.WAITING,
        subject="Waiting: we asked for the log",
        sla_due_at=now - timedelta(days=1),
    )

    context = logged_in_context(support_staff, staff=True)
    page = context.new_page()
    page.set_viewport_size(VIEWPORT)
    page.goto(live_server.url + reverse("avsoft_support_tickets:list"))

    # The default view: needs our action, the overdue first, nothing waiting for the customer.
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(19)
    expect(page.locator(".avs-views a[aria-current=page]")).to_have_text("Needs our action")
    expect(rows.nth(0)).to_contain_text(overdue.subject)
    expect(rows.nth(0).locator(".avs-sla--overdue")).to_have_text("Overdue")
    expect(rows.nth(1)).to_contain_text(soon.subject)
    expect(rows.nth(2)).to_contain_text(later.subject)
    expect(page.locator("table.listing")).not_to_contain_text(waiting.subject)
    expect(page.locator(".avs-views__help")).to_contain_text("overdue first")

    # Dense: no sideways scrolling, and at least 15 whole rows on the screen.
    layout = page.evaluate(
        """() => {
            const table = document.querySelector("table.listing");
            const rows = [...table.querySelectorAll("tbody tr")];
            return {
                pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
                tableWidth: table.getBoundingClientRect().right,
                tableOverflows: table.scrollWidth > table.clientWidth + 1,
                rowsInView: rows.filter(
                    (row) => row.getBoundingClientRect().bottom <= window.innerHeight
                ).length,
            };
        }"""
    )
    assert not layout["pageScrolls"], layout
    assert not layout["tableOverflows"], layout
    assert layout["tableWidth"] <= VIEWPORT["width"], layout
    assert layout["rowsInView"] >= 15, layout
    for header in ("Response due", "Criticality", "Assignee", "Customer wrote"):
        expect(page.get_by_role("columnheader", name=header)).to_be_in_viewport(ratio=1)

    # Ticket 1, by keyboard: opened from the queue, the reply box has the focus; a reply,
    # "Waiting for customer" chosen with the keys, then send and go to the next ticket.
    first_link = rows.nth(0).get_by_role("link", name=overdue.subject)
    first_link.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Overdue: licence"))
    ).to_be_visible()
    body = page.locator("textarea[name='reply-body']")
    expect(body).to_be_focused()
    page.keyboard.type("Please send us the server log.")
    page.keyboard.press("Tab")  # the files
    page.keyboard.press("Tab")  # the status
    expect(page.locator("select[name='controls-status']")).to_be_focused()
    page.keyboard.type("Waiting")
    send_next(page)

    # Ticket 2: the next one of the same view, the box focused again; resolved by keyboard.
    expect(page.get_by_role("heading", level=2, name=re.compile("Soon due"))).to_be_visible()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(body).to_be_focused()
    page.keyboard.type("Fixed in 5.2.2: please update.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Resolved")
    send_next(page)

    # Ticket 3: mid-reply the agent hands it to Boris (Ctrl+S: "Save changes without sending"):
    # the ticket is Boris's, the text still in the box, unsent.
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Later: a question"))
    ).to_be_visible()
    expect(body).to_be_focused()
    page.keyboard.type("The API limit is 100 requests a minute.")
    page.keyboard.press("Tab")  # files
    page.keyboard.press("Tab")  # status
    page.keyboard.press("Tab")  # assignee
    expect(page.locator("select[name='controls-assignee']")).to_be_focused()
    page.keyboard.type("Boris")
    expect(page.locator("select[name='controls-assignee']")).to_have_value(str(boris.pk))
    page.keyboard.press("Control+s")  # "Save changes", as Wagtail's shortcuts dialog lists it
    expect(page.get_by_text("Your message is not sent yet")).to_be_visible()
    expect(body).to_have_value("The API limit is 100 requests a minute.")
    later.refresh_from_db()
    assert later.assignee_id == boris.pk
    assert not Message.objects.filter(ticket=later, from_staff=True).exists()

    # The page opened again from scratch (a reload, a crash): the draft comes back.
    page.goto(live_server.url + reverse("avsoft_support_tickets:edit", args=[later.pk]))
    expect(body).to_have_value("The API limit is 100 requests a minute.")
    body.focus()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(page.locator(".avs-message--staff")).to_contain_text("100 requests a minute")
    # Sent: the draft is gone.
    page.goto(live_server.url + reverse("avsoft_support_tickets:edit", args=[later.pk]))
    expect(body).to_have_value("")

    # What the data shows after the morning.
    statuses = dict(
        Ticket.objects.filter(pk__in=[overdue.pk, soon.pk, later.pk]).values_list("pk", "status")
    )
    assert statuses == {
        overdue.pk: TicketStatus.WAITING,
        soon.pk: TicketStatus.RESOLVED,
        later.pk: TicketStatus.IN_PROGRESS,
    }
    assert Ticket.objects.get(pk=later.pk).assignee_id == boris.pk
    replies = Message.objects.filter(from_staff=True).order_by("pk").values_list("body", flat=True)
    assert list(replies) == [
        "Please send us the server log.",
        "Fixed in 5.2.2: please update.",
        "The API limit is 100 requests a minute.",
    ]

    # Our shortcuts are listed in Wagtail's keyboard shortcuts dialog ("?").
    page.locator("body").click(position={"x": 5, "y": 790})
    page.keyboard.press("?")
    dialog = page.locator("#keyboard-shortcuts-dialog")
    expect(dialog).to_contain_text("Send and open the next ticket")
    expect(dialog).to_contain_text("Ctrl + Shift + Enter")
    context.close()
