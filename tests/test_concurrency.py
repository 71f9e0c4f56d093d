"""Two people changing one ticket at the same moment, on PostgreSQL: real threads, each with its
own connection and its own transactions, as two requests are. Nothing either of them did may
be lost: every message is saved, the status follows the rules of tickets.py from one change to
the next, the last activity is the latest, and the first response is set once. And runners of
the pending mail sending at once send each mail once."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import connection, connections, transaction
from django.utils import timezone
from wagtail.models import ModelLogEntry

from avsoft_support import outbox, tickets
from avsoft_support.audit import TICKET_STATUS
from avsoft_support.models import Message, PendingMail, Ticket, TicketStatus

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks and real concurrent transactions (SQLite has neither); "
        "runs on PostgreSQL (DATABASE_URL)",
    ),
]

ROUNDS = 8
# How long the first transaction stays open after its change, so that the second one
# certainly runs into it.
HOLD = 0.3


def in_threads(*actions):
    """Run each action in a thread of its own (its own connection), all released at once;
    returns their results in order and raises the first error one of them raised."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)
    errors = []

    def run(index, action):
        try:
            results[index] = action(barrier)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def status_history(ticket):
    """(old, new, reason) of every status change, in the order they were written."""
    entries = ModelLogEntry.objects.filter(
        content_type__model="ticket", object_id=str(ticket.pk), action=TICKET_STATUS
    ).order_by("pk")
    return [(e.data["old"], e.data["new"], e.data.get("reason", "")) for e in entries]


def assert_consistent(ticket, start_status, written_activity):
    """What every concurrent change must leave: a ticket whose story adds up."""
    ticket.refresh_from_db()
    history = status_history(ticket)
    # The status changes form one chain from the start to the ticket's status: no change was
    # made from a status the ticket no longer had.
    status = start_status
    for old, new, _reason in history:
        assert old == status, history
        status = new
    assert ticket.status == status, history
    assert (ticket.closed_at is not None) == (ticket.status == TicketStatus.CLOSED)
    # The latest activity wins, whatever order the transactions committed in.
    assert ticket.last_activity_at == max(written_activity)
    public = ticket.messages.public()
    assert ticket.last_activity_at >= max(m.created_at for m in public)
    staff_replies = public.filter(from_staff=True).order_by("created_at")
    if staff_replies:
        # Set once, by the first staff reply; the later one did not move it.
        assert ticket.first_response_at == staff_replies[0].created_at
        assert ticket.last_staff_reply_at == staff_replies.last().created_at
    return history


def load(ticket):
    # What a request does first: read the ticket, as it is now.
    return Ticket.objects.select_related("author").get(pk=ticket.pk)


@pytest.fixture
def agents(make_staff):
    return [make_staff(f"agent{n}", superuser=True, email=f"agent{n}@example.com") for n in (1, 2)]


def staff_reply_then_status(agent, body, status):
    """What the admin's reply form does: the reply and "then set the status", one transaction."""

    def act(ticket_pk, barrier):
        ticket = Ticket.objects.get(pk=ticket_pk)
        barrier.wait()
        with transaction.atomic():
            tickets.add_message(ticket, agent, body, from_staff=True)
            ticket.refresh_from_db()
            if ticket.status != status:
                tickets.set_status(ticket, status, agent, notify=False)
        return Ticket.objects.get(pk=ticket_pk).last_activity_at

    return act


def test_two_staff_reply_and_set_a_status_at_the_same_moment(
    transactional_db, member, make_ticket, support_page, agents
):
    first, second = agents
    for round_ in range(ROUNDS):
        ticket = make_ticket(member, subject=f"Round {round_}")
        reply_a = staff_reply_then_status(first, f"A{round_}", TicketStatus.WAITING)
        reply_b = staff_reply_then_status(second, f"B{round_}", TicketStatus.RESOLVED)
        written = in_threads(
            lambda barrier, t=ticket, a=reply_a: a(t.pk, barrier),
            lambda barrier, t=ticket, b=reply_b: b(t.pk, barrier),
        )
        assert sorted(ticket.messages.filter(from_staff=True).values_list("body", flat=True)) == [
            f"A{round_}",
            f"B{round_}",
        ]
        history = assert_consistent(ticket, TicketStatus.NEW, written)
        # The first reply moved the new ticket to in progress; each then set its status.
        assert history[0] == (TicketStatus.NEW, TicketStatus.IN_PROGRESS, "staff_reply")
        assert ticket.status in (TicketStatus.WAITING, TicketStatus.RESOLVED)


def test_a_customer_replies_while_staff_resolve_the_ticket(
    transactional_db, member, make_ticket, support_page, agents
):
    agent = agents[0]
    for round_ in range(ROUNDS):
        ticket = make_ticket(member, subject=f"Round {round_}")
        tickets.set_status(ticket, TicketStatus.IN_PROGRESS, agent, notify=False)
        start_activity = Ticket.objects.get(pk=ticket.pk).last_activity_at

        def resolve(barrier, pk=ticket.pk):
            ticket = load(Ticket(pk=pk))
            barrier.wait()
            tickets.set_status(ticket, TicketStatus.RESOLVED, agent)
            return ticket.last_activity_at

        def reply(barrier, pk=ticket.pk, n=round_):
            ticket = load(Ticket(pk=pk))
            barrier.wait()
            tickets.add_message(ticket, member, f"Customer {n}")
            return ticket.last_activity_at

        written = in_threads(resolve, reply)
        assert ticket.messages.filter(body=f"Customer {round_}").exists()
        history = assert_consistent(ticket, TicketStatus.NEW, [start_activity, *written])
        # Resolved then answered: waiting for us again ("customer replied"). Answered (which
        # marks it "customer replied") then resolved: resolved.
        if history[-1][1] == TicketStatus.RESOLVED:
            assert history[-1] == (TicketStatus.REPLIED, TicketStatus.RESOLVED, "")
            assert ticket.status == TicketStatus.RESOLVED
        else:
            assert history[-1][2] == "customer_reply"
            assert ticket.status == TicketStatus.REPLIED


def test_a_customer_reply_right_after_the_resolve_reopens_the_ticket(
    transactional_db, member, make_ticket, support_page, agents
):
    """The resolve commits first; the customer read the ticket before it (their page was open):
    their reply must still reopen it, as the rules say, and come after it in every respect."""
    agent = agents[0]
    ticket = make_ticket(member)
    tickets.set_status(ticket, TicketStatus.IN_PROGRESS, agent, notify=False)
    resolved = threading.Event()

    def resolve(barrier):
        ticket = load(Ticket(pk=ticket_pk))
        barrier.wait()
        with transaction.atomic():
            tickets.set_status(ticket, TicketStatus.RESOLVED, agent)
            resolved.set()
            time.sleep(HOLD)  # the customer's reply arrives while this is not yet committed
        return ticket.last_activity_at

    def reply(barrier):
        ticket = load(Ticket(pk=ticket_pk))
        barrier.wait()
        resolved.wait(timeout=10)
        tickets.add_message(ticket, member, "Still broken.")
        return ticket.last_activity_at

    ticket_pk = ticket.pk
    resolved_at, replied_at = in_threads(resolve, reply)
    history = assert_consistent(ticket, TicketStatus.NEW, [resolved_at, replied_at])
    assert history[-2:] == [
        (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, ""),
        (TicketStatus.RESOLVED, TicketStatus.REPLIED, "customer_reply"),
    ]
    assert ticket.status == TicketStatus.REPLIED
    reply_message = Message.objects.get(body="Still broken.")
    assert reply_message.created_at >= resolved_at
    assert ticket.last_activity_at == replied_at


def test_a_staff_reply_while_another_closes_the_ticket_leaves_it_closed(
    transactional_db, member, make_ticket, support_page, agents
):
    """Staff close a new ticket; at the same moment another writes a reply: the reply is
    saved and the ticket stays closed (a staff reply moves only a *new* ticket on)."""
    first, second = agents
    ticket = make_ticket(member)
    closed = threading.Event()

    def close(barrier):
        ticket = load(Ticket(pk=ticket_pk))
        barrier.wait()
        with transaction.atomic():
            tickets.set_status(ticket, TicketStatus.CLOSED, first)
            closed.set()
            time.sleep(HOLD)
        return ticket.last_activity_at

    def reply(barrier):
        ticket = load(Ticket(pk=ticket_pk))  # still new, as far as this request knows
        barrier.wait()
        closed.wait(timeout=10)
        tickets.add_message(ticket, second, "We are on it.", from_staff=True)
        return ticket.last_activity_at

    ticket_pk = ticket.pk
    written = in_threads(close, reply)
    history = assert_consistent(ticket, TicketStatus.NEW, written)
    assert history == [(TicketStatus.NEW, TicketStatus.CLOSED, "")]
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    assert ticket.first_response_at is not None  # the reply still counts as the first response
    assert ticket.last_activity_at - ticket.closed_at >= timedelta(0)


def test_runners_sending_pending_mail_at_once_send_each_mail_once(transactional_db, mailoutbox):
    """Four runners of support_send_pending_mail start together on the same queue (cron and a
    task worker, say): every mail goes out exactly once (PostgreSQL: SKIP LOCKED, then the
    conditional claim)."""
    for n in range(40):
        mail = EmailMultiAlternatives(
            f"Mail {n}",
            "Text",
            "support@example.com",
            [f"m{n}@example.com"],
            headers={"Message-ID": f"<pending-{n}@example.com>"},
        )
        PendingMail.keep(mail, ConnectionRefusedError(), name="test")
    PendingMail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=1))

    def run(barrier):
        barrier.wait()
        return outbox.send_pending_mail()

    reports = in_threads(run, run, run, run)
    ids = [message.extra_headers["Message-ID"] for message in mailoutbox]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sum(report.sent for report in reports) == 40
    assert sum(report.attempted for report in reports) == 40
    assert not PendingMail.objects.exists()
