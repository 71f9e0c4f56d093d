"""Escalation (avsoft_support.escalation.escalate): the assignee, or the support addresses when
nobody is assigned, hear once that a first response is soon due and once that it is overdue."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from avsoft_support import tickets
from avsoft_support.audit import TICKET_ESCALATE
from avsoft_support.clients import status as client_status
from avsoft_support.escalation import DUE_SOON, OVERDUE, escalate
from avsoft_support.models import ClientAccount, MemberProfile, Ticket, TicketStatus

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday
SUPPORT = ["support@example.com", "duty@example.com"]


@pytest.fixture
def desk(support_settings):
    support_settings.escalation_lead_minutes = 60
    support_settings.save()
    return support_settings


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(now, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return escalate(now, **kwargs)

    return run


def kinds(actions):
    return [(action.ticket.pk, action.kind) for action in actions]


def test_due_soon_goes_once_to_the_support_addresses(desk, make_admin_ticket, run, mailoutbox):
    ticket = make_admin_ticket(sla_due_at=NOW + timedelta(minutes=30))

    assert kinds(run(NOW)) == [(ticket.pk, DUE_SOON)]
    assert kinds(run(NOW + timedelta(minutes=5))) == []

    [sent] = mailoutbox
    assert sorted(sent.to) == sorted(SUPPORT)
    assert ticket.number in sent.subject
    assert "due soon" in sent.subject
    assert "02.12.2026 13:30" in sent.body  # the desk's own clock (Moscow)
    assert "/admin/" in sent.body  # the ticket in the admin
    [(html, _type)] = sent.alternatives
    assert ticket.number in html
    ticket.refresh_from_db()
    assert ticket.escalation_warned_at == NOW
    assert ticket.escalation_overdue_at is None
    [entry] = ModelLogEntry.objects.filter(object_id=str(ticket.pk), action=TICKET_ESCALATE)
    assert entry.user is None
    assert entry.data["kind"] == DUE_SOON
    assert "due soon" in log_registry.get_formatter(entry).format_message(entry)


def test_overdue_goes_once_to_the_assignee_only(desk, make_admin_ticket, support_staff, run):
    ticket = make_admin_ticket(sla_due_at=NOW - timedelta(minutes=1), assignee=support_staff)

    assert kinds(run(NOW)) == [(ticket.pk, OVERDUE)]
    assert kinds(run(NOW + timedelta(hours=1))) == []

    # Overdue before any warning: only the overdue notice.
    [entry] = ModelLogEntry.objects.filter(object_id=str(ticket.pk), action=TICKET_ESCALATE)
    assert entry.data["kind"] == OVERDUE
    [sent] = mail.outbox
    assert sent.to == [support_staff.email]
    assert "overdue" in sent.subject


def test_warning_then_overdue_each_once(desk, make_admin_ticket, run):
    ticket = make_admin_ticket(sla_due_at=NOW + timedelta(minutes=30))

    assert kinds(run(NOW)) == [(ticket.pk, DUE_SOON)]
    assert kinds(run(NOW + timedelta(minutes=31))) == [(ticket.pk, OVERDUE)]
    assert kinds(run(NOW + timedelta(minutes=45))) == []
    assert ["due soon" in m.subject for m in mail.outbox] == [True, False]


def test_nothing_before_the_lead_time_and_no_warning_at_zero(desk, make_admin_ticket, run):
    ticket = make_admin_ticket(sla_due_at=NOW + timedelta(minutes=90))
    assert run(NOW) == []

    desk.escalation_lead_minutes = 0
    desk.save()
    assert run(NOW + timedelta(minutes=80)) == []
    assert kinds(run(NOW + timedelta(minutes=90))) == [(ticket.pk, OVERDUE)]
    assert len(mail.outbox) == 1


def test_answered_and_done_tickets_get_nothing(
    desk, make_admin_ticket, support_staff, run, django_capture_on_commit_callbacks
):
    answered = make_admin_ticket(sla_due_at=NOW + timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(answered, support_staff, "On it.", from_staff=True)
    make_admin_ticket(sla_due_at=NOW - timedelta(minutes=5), status=TicketStatus.RESOLVED)
    make_admin_ticket(sla_due_at=NOW - timedelta(minutes=5), status=TicketStatus.CLOSED)
    mail.outbox.clear()

    assert run(NOW) == []
    assert mail.outbox == []


def test_a_claimed_mark_is_never_sent_again(desk, make_admin_ticket, run):
    """Another run claimed the ticket between this run's read and its update: nothing sent."""
    ticket = make_admin_ticket(sla_due_at=NOW - timedelta(minutes=5))
    Ticket.objects.filter(pk=ticket.pk).update(escalation_overdue_at=NOW)

    assert run(NOW) == []
    assert mail.outbox == []


def test_a_reranked_ticket_is_warned_again_for_its_new_target(
    desk, make_member, make_admin_ticket, support_staff, run
):
    customer = make_member(username="reranked")
    old_due = timezone.now() + timedelta(days=30)
    ticket = make_admin_ticket(author=customer, sla_due_at=old_due)
    assert kinds(run(old_due - timedelta(minutes=30))) == [(ticket.pk, DUE_SOON)]

    account = ClientAccount.objects.create(company="ООО Ромашка")
    client_status.verify(MemberProfile.objects.get(user=customer), account, by=support_staff)
    ticket.refresh_from_db()
    assert ticket.sla_due_at < old_due
    assert ticket.escalation_warned_at is None

    assert kinds(run(ticket.sla_due_at - timedelta(minutes=30))) == [(ticket.pk, DUE_SOON)]
    assert len(mail.outbox) == 2


def _queries(run, now):
    with CaptureQueriesContext(connection) as queries:
        run(now)
    return len(queries)


@pytest.mark.parametrize("count", [3, 30])
def test_reading_takes_the_same_queries_for_3_or_30_tickets(count, desk, make_admin_ticket, run):
    for _ in range(count):
        make_admin_ticket(sla_due_at=NOW + timedelta(minutes=30))
    make_admin_ticket(sla_due_at=NOW - timedelta(minutes=30))  # overdue, told once
    assert len(run(NOW)) == count + 1

    # Warned and told already: read, and nothing done.
    assert _queries(run, NOW + timedelta(minutes=5)) == EXPECTED_READ_QUERIES


# The sites, their settings, the tickets: the same whatever the number of tickets.
EXPECTED_READ_QUERIES = 3


def test_the_command_dry_run_sends_and_stores_nothing(
    desk, make_admin_ticket, capsys, django_capture_on_commit_callbacks
):
    ticket = make_admin_ticket(sla_due_at=timezone.now() - timedelta(minutes=5))

    call_command("support_run_sla", "--dry-run")
    assert f"{ticket.number}: would report overdue" in capsys.readouterr().out
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.escalation_overdue_at is None

    with django_capture_on_commit_callbacks(execute=True):
        call_command("support_run_sla")
        call_command("support_run_sla")
    assert f"{ticket.number}: reported overdue" in capsys.readouterr().out
    assert len(mail.outbox) == 1
