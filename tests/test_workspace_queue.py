"""The agent's queue: "customer replied" as a status, the next-response target that starts when
the customer answers (working time, the ticket's site), cleared when staff answer; what that
means for the "needs our action" view, overdue, the reports' first-response figures and a
later verification."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from avsoft_support import escalation, reports, tickets, triage
from avsoft_support.clients.status import verify
from avsoft_support.models import (
    ClientAccount,
    ClientStatus,
    MemberProfile,
    Ticket,
    TicketStatus,
)

MOSCOW = ZoneInfo("Europe/Moscow")


def msk(*args):
    return datetime(*args, tzinfo=MOSCOW)


@pytest.fixture
def clock(monkeypatch):
    """What timezone.now() answers from now on in this test."""

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


@pytest.fixture
def desk(support_settings):
    """Next-response targets unlike the first-response ones, to tell them apart."""
    support_settings.sla_next_current_hours = 2
    support_settings.sla_next_claimed_working_days = 3
    support_settings.save()
    return support_settings


@pytest.fixture
def customer(make_member):
    return make_member(username="claimed", client_status="claimed", invoice_number="INV-9")


@pytest.fixture
def filed(make_ticket, customer, desk, clock, support_page):
    """A claimed client's ticket filed on Monday 30 November 2026 at 10:00 (Moscow)."""
    clock(msk(2026, 11, 30, 10, 0))
    return make_ticket(customer)


def test_filing_sets_the_first_response_target_and_keeps_it_for_the_reports(filed):
    assert filed.status == TicketStatus.NEW
    assert filed.sla_due_at == msk(2026, 12, 1, 18, 0)  # one working day
    assert filed.first_response_due_at == filed.sla_due_at
    assert filed.last_customer_reply_at == msk(2026, 11, 30, 10, 0)


def test_a_staff_reply_clears_the_due_time_and_a_customer_answer_starts_the_next_target(
    filed, customer, support_staff, clock
):
    clock(msk(2026, 11, 30, 12, 0))
    tickets.add_message(filed, support_staff, "Which version?", from_staff=True)
    filed.refresh_from_db()
    assert (filed.status, filed.sla_due_at) == (TicketStatus.IN_PROGRESS, None)
    assert filed.first_response_due_at == msk(2026, 12, 1, 18, 0)  # kept for the reports
    tickets.set_status(filed, TicketStatus.WAITING, support_staff)

    # The customer answers on Friday evening: three working days from then (next-response
    # target of a claimed client here), not the first-response target.
    clock(msk(2026, 12, 4, 19, 0))
    tickets.add_message(filed, customer, "5.2.1, build 9.")
    filed.refresh_from_db()
    assert filed.status == TicketStatus.REPLIED
    assert filed.sla_due_at == msk(2026, 12, 9, 18, 0)
    assert filed.last_customer_reply_at == msk(2026, 12, 4, 19, 0)

    # A second message does not move the target later.
    clock(msk(2026, 12, 7, 9, 0))
    tickets.add_message(filed, customer, "And the log.")
    filed.refresh_from_db()
    assert filed.sla_due_at == msk(2026, 12, 9, 18, 0)

    # Answered: in progress, nothing due.
    clock(msk(2026, 12, 7, 10, 0))
    tickets.add_message(filed, support_staff, "Fixed in 5.2.2.", from_staff=True)
    filed.refresh_from_db()
    assert (filed.status, filed.sla_due_at) == (TicketStatus.IN_PROGRESS, None)


def test_an_internal_note_leaves_the_due_time(filed, support_staff):
    tickets.add_message(filed, support_staff, "Looks like #123", from_staff=True, internal=True)
    filed.refresh_from_db()
    assert (filed.status, filed.sla_due_at) == (TicketStatus.NEW, msk(2026, 12, 1, 18, 0))


def test_a_customer_message_on_a_new_ticket_keeps_it_new_with_its_first_target(
    filed, customer, clock
):
    clock(msk(2026, 11, 30, 11, 0))
    tickets.add_message(filed, customer, "Forgot to say: on Windows 11.")
    filed.refresh_from_db()
    assert (filed.status, filed.sla_due_at) == (TicketStatus.NEW, msk(2026, 12, 1, 18, 0))


def test_a_current_clients_answer_is_due_in_working_hours_from_the_answer(
    make_ticket, make_member, desk, clock, support_staff, support_page
):
    customer = make_member(username="cur", client_status="current")
    clock(msk(2026, 11, 30, 10, 0))
    ticket = make_ticket(customer)
    tickets.add_message(ticket, support_staff, "Hello", from_staff=True)
    clock(msk(2026, 11, 30, 17, 0))  # one working hour left on Monday, one more on Tuesday
    tickets.add_message(ticket, customer, "Still broken")
    ticket.refresh_from_db()
    assert ticket.sla_due_at == msk(2026, 12, 1, 10, 0)


def test_needs_action_and_overdue_follow_the_customer(filed, customer, support_staff, clock):
    def needs_action():
        return Ticket.objects.filter(triage.needs_action_q(), pk=filed.pk).exists()

    def overdue(now):
        return Ticket.objects.filter(triage.overdue_q(now), pk=filed.pk).exists()

    assert needs_action()
    assert overdue(msk(2026, 12, 2, 9, 0))
    clock(msk(2026, 11, 30, 12, 0))
    tickets.add_message(filed, support_staff, "Please send the log.", from_staff=True)
    tickets.set_status(filed, TicketStatus.WAITING, support_staff)
    assert not needs_action()
    assert not overdue(msk(2026, 12, 30, 9, 0))
    clock(msk(2026, 12, 1, 10, 0))
    tickets.add_message(filed, customer, "Here it is.")
    assert needs_action()
    assert not overdue(msk(2026, 12, 1, 12, 0))
    assert overdue(msk(2026, 12, 7, 9, 0))
    filed.refresh_from_db()
    assert triage.is_overdue(filed, msk(2026, 12, 7, 9, 0))


def test_the_reports_still_judge_the_first_response_by_its_own_target(filed, support_staff, clock):
    clock(msk(2026, 11, 30, 12, 0))
    tickets.add_message(filed, support_staff, "On it.", from_staff=True)
    [row] = reports.response_times(Ticket.objects.all(), now=msk(2026, 12, 10, 12, 0))
    assert (row["sla_met"], row["sla_decided"]) == (1, 1)


def test_escalation_still_warns_about_first_responses_only(filed, customer, support_staff, clock):
    """escalation.py reads sla_due_at of tickets without a first response: a next-response
    target (after a staff reply) is never mailed as an overdue first response."""
    clock(msk(2026, 11, 30, 12, 0))
    tickets.add_message(filed, support_staff, "Which build?", from_staff=True)
    clock(msk(2026, 11, 30, 13, 0))
    tickets.add_message(filed, customer, "Build 9.")
    assert escalation.escalate(msk(2026, 12, 20, 12, 0), dry_run=True) == []


def test_a_later_verification_counts_the_new_target_from_then_never_into_the_past(
    filed, customer, support_staff, clock
):
    """Filed Monday 10:00 as a claimed client (due Tuesday 18:00), verified on Tuesday 15:00:
    four working hours counted from the filing would be Monday 14:00, already past; counted
    from the verification they are Wednesday 10:00, so the earlier Tuesday 18:00 stays."""
    clock(msk(2026, 12, 1, 15, 0))
    profile = MemberProfile.objects.get(user=customer)
    verify(profile, ClientAccount.objects.create(company="Romashka"), support_staff)
    filed.refresh_from_db()
    assert filed.client_status == ClientStatus.CURRENT
    assert filed.sla_due_at == msk(2026, 12, 1, 18, 0)  # the earlier, still in the future
    assert filed.sla_due_at > timezone.now()
    assert filed.first_response_due_at == filed.sla_due_at
