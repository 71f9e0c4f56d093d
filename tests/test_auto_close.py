"""Tickets nobody answers (avsoft_support.escalation.auto_close): a customer who does not
answer gets one reminder, then the ticket is resolved; a resolved ticket nobody answers is
closed. Counted in working days on the desk's calendar (Moscow, 09:00-18:00)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from avsoft_support import tickets
from avsoft_support.audit import TICKET_REMIND, TICKET_STATUS
from avsoft_support.escalation import CLOSED, REMINDED, RESOLVED, auto_close
from avsoft_support.models import CalendarDay, Ticket, TicketStatus

FRIDAY = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


def moscow_18(day):
    """18:00 in Moscow on ``day`` of December 2026, in UTC."""
    return datetime(2026, 12, day, 15, 0, tzinfo=UTC)


@pytest.fixture
def desk(support_settings):
    support_settings.time_zone = "Europe/Moscow"
    support_settings.auto_close_working_days = 5
    support_settings.waiting_reminder_working_days = 3
    support_settings.reply_address = "support@example.com"
    support_settings.save()
    return support_settings


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(now, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return [(action.ticket.pk, action.kind) for action in auto_close(now, **kwargs)]

    return run


@pytest.fixture
def make(make_admin_ticket):
    def make(status, since=FRIDAY, **fields):
        return make_admin_ticket(status=status, created_at=since, first_response_at=since, **fields)

    return make


def status_entries(ticket):
    return list(
        ModelLogEntry.objects.filter(object_id=str(ticket.pk), action=TICKET_STATUS).order_by("pk")
    )


def test_a_resolved_ticket_is_closed_after_five_working_days_skipping_a_holiday(desk, make, run):
    CalendarDay.objects.create(date=date(2026, 12, 9), name="Holiday")
    ticket = make(TicketStatus.RESOLVED)

    # Mon 7, Tue 8, (Wed 9 off), Thu 10, Fri 11, Mon 14: due at 18:00 on Monday 14 in Moscow.
    assert run(moscow_18(11) + timedelta(hours=2)) == []
    assert run(moscow_18(14) - timedelta(minutes=1)) == []
    assert run(moscow_18(14)) == [(ticket.pk, CLOSED)]
    assert run(moscow_18(14) + timedelta(hours=1)) == []

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.closed_at is not None
    [entry] = status_entries(ticket)
    assert entry.user is None
    assert entry.data == {"old": "resolved", "new": "closed", "reason": "auto_close"}
    assert log_registry.get_formatter(entry).format_message(entry) == (
        "Closed automatically: resolved and not answered"
    )

    [sent] = mail.outbox
    assert sent.to == [ticket.author.email]
    assert ticket.number in sent.subject
    assert "file a new ticket" in sent.body
    # A closed ticket takes no reply: no Reply-To, no reply marker.
    assert sent.reply_to == []
    assert "##-" not in sent.body


def test_a_waiting_ticket_gets_one_reminder_then_is_resolved(desk, make, run):
    ticket = make(TicketStatus.WAITING)

    # Mon 7, Tue 8, Wed 9: the reminder at 18:00 on Wednesday.
    assert run(moscow_18(9) - timedelta(minutes=1)) == []
    assert run(moscow_18(9)) == [(ticket.pk, REMINDED)]
    assert run(moscow_18(9) + timedelta(minutes=30)) == []
    [reminder] = mail.outbox
    assert reminder.to == [ticket.author.email]
    assert "waiting for your answer" in reminder.subject
    assert "14.12.2026 18:00" in reminder.body  # when it will be resolved
    # Answerable by e-mail, like the customer's other mails.
    assert reminder.body.startswith("##- Please type your reply above this line -##")
    assert reminder.reply_to and "+" in reminder.reply_to[0]
    ticket.refresh_from_db()
    assert ticket.waiting_reminder_at == moscow_18(9)
    [entry] = ModelLogEntry.objects.filter(object_id=str(ticket.pk), action=TICKET_REMIND)
    assert entry.user is None
    assert "reminded" in log_registry.get_formatter(entry).format_message(entry)

    # Thu 10, Fri 11, Mon 14: resolved at 18:00 on Monday, and the customer told.
    assert run(moscow_18(14) - timedelta(minutes=1)) == []
    assert run(moscow_18(14)) == [(ticket.pk, RESOLVED)]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.waiting_reminder_at is None
    [entry] = status_entries(ticket)
    assert entry.data == {"old": "waiting", "new": "resolved", "reason": "no_answer"}
    assert len(mail.outbox) == 2
    assert ticket.number in mail.outbox[1].subject


def test_a_customer_reply_stops_it(desk, make, run, django_capture_on_commit_callbacks):
    ticket = make(TicketStatus.WAITING)
    assert run(moscow_18(9)) == [(ticket.pk, REMINDED)]

    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, ticket.author, "Here is the log you asked for.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED
    assert ticket.waiting_reminder_at is None
    mail.outbox.clear()

    assert run(moscow_18(14)) == []
    assert run(moscow_18(31)) == []
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED
    assert mail.outbox == []


def test_a_reopened_resolved_ticket_is_not_closed(
    desk, make, run, django_capture_on_commit_callbacks
):
    ticket = make(TicketStatus.RESOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, ticket.author, "Still broken.")

    assert run(moscow_18(31)) == []
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REPLIED


def test_zero_days_turn_both_off(desk, make, run):
    desk.auto_close_working_days = desk.waiting_reminder_working_days = 0
    desk.save()
    make(TicketStatus.RESOLVED)
    make(TicketStatus.WAITING)

    assert run(moscow_18(31)) == []
    assert mail.outbox == []


def test_dry_run_changes_and_sends_nothing(desk, make, run):
    resolved = make(TicketStatus.RESOLVED)
    waiting = make(TicketStatus.WAITING)

    assert sorted(run(moscow_18(31), dry_run=True)) == sorted(
        [(resolved.pk, CLOSED), (waiting.pk, REMINDED)]
    )
    assert mail.outbox == []
    assert set(Ticket.objects.values_list("status", "waiting_reminder_at")) == {
        (TicketStatus.RESOLVED, None),
        (TicketStatus.WAITING, None),
    }


@pytest.mark.parametrize("count", [3, 30])
def test_reading_takes_the_same_queries_for_3_or_30_tickets(count, desk, make, run):
    for _ in range(count):
        make(TicketStatus.RESOLVED)
        make(TicketStatus.WAITING)

    # Monday: old enough to be read, not yet due.
    with CaptureQueriesContext(connection) as queries:
        assert run(moscow_18(7)) == []
    # The sites, their settings, the calendar, the tickets.
    assert len(queries) == 4
