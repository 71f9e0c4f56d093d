"""Two agents on one ticket in Chromium: each sees the other is viewing it (the poll), and the
second reply, posted over the first, is held with its text kept until the agent confirms."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from avsoft_support import tickets
from avsoft_support.models import Message
from tests.browser.test_axe import axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True)


def body_field(page):
    return page.get_by_label(re.compile(r"^\s*Message\W*$"))


def test_two_agents_see_each_other_and_the_second_reply_waits_for_a_confirmation(
    logged_in_context,
    live_server,
    settings,
    support_settings,
    make_admin_ticket,
    make_member,
    make_staff,
    support_staff,
):
    # Only A's page polls, and A stops before anyone posts: the live server shares one
    # in-memory SQLite connection between its request threads, so requests running at the
    # same moment can fail there for reasons no real database has.
    settings.AVSOFT_SUPPORT_PRESENCE_POLL_INTERVAL = 0.5  # the data attribute the script reads
    author = make_member(username="ivan", full_name="Ivan Petrov")
    ticket = make_admin_ticket(author=author, subject="Export stops at 50%")
    boris = make_staff(username="boris", first_name="Boris", last_name="Belov", support_group=True)
    url = live_server.url + reverse("avsoft_support_tickets:edit", args=[ticket.pk])

    context_a = logged_in_context(support_staff, staff=True)
    context_b = logged_in_context(boris, staff=True)
    page_a = context_a.new_page()
    page_b = context_b.new_page()
    page_a.goto(url)
    presence_a = page_a.locator("[data-avs-presence]")
    expect(presence_a).to_have_attribute("role", "status")
    expect(presence_a).to_have_text("")

    # B opens the ticket (B's page does not poll): B sees A at once, A learns of B from the
    # poll, without reloading.
    settings.AVSOFT_SUPPORT_PRESENCE_POLL_INTERVAL = 3600
    page_b.goto(url)
    expect(page_b.locator("[data-avs-presence]")).to_have_text(
        "Sofia Sidorova is also viewing this ticket"
    )
    expect(presence_a).to_have_text("Boris Belov is also viewing this ticket", timeout=5000)
    page_a.close()

    # A replies (as the admin screen does, through tickets.add_message) while B is writing.
    tickets.add_message(ticket, support_staff, "Sofia's answer.", from_staff=True)
    body_field(page_b).fill("Boris's answer.")

    # B sends: held, the text kept, A's reply marked, a button to send anyway.
    page_b.get_by_role("button", name="Send", exact=True).click()
    notice = page_b.locator(".avs-collision")
    expect(notice).to_contain_text("Sofia Sidorova replied at ")
    expect(notice).to_contain_text("while you were writing")
    expect(body_field(page_b)).to_have_value("Boris's answer.")
    expect(page_b.locator(".avs-message--newer")).to_contain_text("Sofia's answer.")
    assert Message.objects.filter(ticket=ticket, from_staff=True).count() == 1
    violations = axe_violations(page_b)
    assert not violations, describe("ticket screen, reply held", page_b.url, violations)

    page_b.get_by_role("button", name="Send anyway").click()
    expect(page_b.get_by_text("Reply sent to the customer.")).to_be_visible()
    assert list(
        Message.objects.filter(ticket=ticket, from_staff=True)
        .order_by("pk")
        .values_list("body", flat=True)
    ) == ["Sofia's answer.", "Boris's answer."]
    context_a.close()
    context_b.close()
