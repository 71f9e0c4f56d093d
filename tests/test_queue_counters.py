"""The queue's cached counters (queue_cache.py) stay what a fresh count says while tickets are
filed, changed and deleted through the ORM, without counting again."""

import random
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from avsoft_support import queue_cache
from avsoft_support.clients.status import verify_with_new_account
from avsoft_support.models import ClientStatus, Ticket, TicketStatus
from avsoft_support.triage import COUNTERS, ticket_counts

STATUSES = list(TicketStatus.values)
CLIENT_STATUSES = list(ClientStatus.values)


def _request(rf, user):
    request = rf.get("/")
    request.user = user
    return request


def cached_and_fresh(rf, user):
    """The counters as the cache has them and as counted now, for the same window."""
    while True:
        start, as_of = queue_cache.window()
        cached = queue_cache.counters(COUNTERS, user.pk, partial(ticket_counts, _request(rf, user)))
        fresh = ticket_counts(_request(rf, user), COUNTERS, as_of)
        if queue_cache.window()[0] == start:  # not across a window's end
            return cached, fresh


def count_queries(rf, user):
    with CaptureQueriesContext(connection) as queries:
        queue_cache.counters(COUNTERS, user.pk, partial(ticket_counts, _request(rf, user)))
    return len(queries)


@override_settings(AVSOFT_SUPPORT_QUEUE_COUNTS_CACHE_SECONDS=3600)
def test_counters_follow_random_changes_without_a_recount(rf, make_admin_ticket, make_staff):
    rng = random.Random(12)
    agents = [make_staff("agent-a"), make_staff("agent-b")]
    now = queue_cache.window()[1]

    def due():
        return rng.choice([None, now - timedelta(hours=2), now + timedelta(hours=2)])

    def assignee():
        return rng.choice([None, *agents])

    for _ in range(6):
        make_admin_ticket(
            status=rng.choice(STATUSES),
            client_status=rng.choice(CLIENT_STATUSES),
            sla_due_at=due(),
            assignee=assignee(),
        )
    for agent in agents:
        cached, fresh = cached_and_fresh(rf, agent)
        assert cached == fresh
    recounts = 0
    for step in range(120):
        ids = list(Ticket.objects.values_list("pk", flat=True))
        action = rng.choice(["file", "save", "save_some", "save_twice", "delete", "refresh"])
        if action == "file" or len(ids) < 3:
            make_admin_ticket(
                status=rng.choice(STATUSES),
                client_status=rng.choice(CLIENT_STATUSES),
                sla_due_at=due(),
                assignee=assignee(),
            )
        elif action == "delete":
            Ticket.objects.get(pk=rng.choice(ids)).delete()
        else:
            ticket = Ticket.objects.get(pk=rng.choice(ids))
            if action == "refresh":
                Ticket.objects.filter(pk=ticket.pk).update(subject="Read again")
                ticket.refresh_from_db()
            ticket.status = rng.choice(STATUSES)
            ticket.assignee = assignee()
            ticket.sla_due_at = due()
            ticket.client_status = rng.choice(CLIENT_STATUSES)
            if action == "save_some":
                # Only some of the changed fields are written: the others stay as they were.
                ticket.save(update_fields=rng.sample(["status", "assignee", "sla_due_at"], 2))
            else:
                ticket.save()
            if action == "save_twice":
                ticket.status = rng.choice(STATUSES)
                ticket.save(update_fields=["status"])
        agent = rng.choice(agents)
        recounts += count_queries(rf, agent) > 0
        cached, fresh = cached_and_fresh(rf, agent)
        assert cached == fresh, (step, action)
    # Moved by one, not counted again: only the other agent's "mine" is ever counted anew.
    assert recounts <= 1


@override_settings(AVSOFT_SUPPORT_QUEUE_COUNTS_CACHE_SECONDS=3600)
def test_what_no_signal_reports_is_counted_again(rf, make_admin_ticket, make_staff, make_member):
    agent = make_staff("agent")
    member = make_member(username="ranked", client_status="potential")
    make_admin_ticket(author=member, client_status="potential")
    cached, _ = cached_and_fresh(rf, agent)
    assert (cached["new_potential"], cached["new_current"]) == (1, 0)
    # Re-ranking a customer moves their open tickets with a queryset update.
    verify_with_new_account(member.support_profile, "Ranked Ltd", agent)
    cached, fresh = cached_and_fresh(rf, agent)
    assert cached == fresh and (cached["new_potential"], cached["new_current"]) == (0, 1)
    # A ticket loaded without the fields the counters look at: counted again after its save.
    ticket = Ticket.objects.only("pk", "priority").get()
    ticket.status = TicketStatus.CLOSED
    with CaptureQueriesContext(connection) as saving:
        ticket.save()
    # Its other fields are not read from the row for the counters' sake.
    assert not [q for q in saving if q["sql"].startswith("SELECT")], saving.captured_queries
    assert count_queries(rf, agent) == 1
    cached, fresh = cached_and_fresh(rf, agent)
    assert cached == fresh and cached["open"] == 0
    # An agent deleted: their open tickets become unassigned without a signal.
    colleague = make_staff("colleague")
    make_admin_ticket(status=TicketStatus.IN_PROGRESS, assignee=colleague)
    assert cached_and_fresh(rf, agent)[0]["unassigned"] == 0
    colleague.delete()
    cached, fresh = cached_and_fresh(rf, agent)
    assert cached == fresh and cached["unassigned"] == 1


@pytest.mark.parametrize("seconds", [0, 30])
def test_overdue_is_measured_from_the_windows_start(rf, make_admin_ticket, make_staff, seconds):
    agent = make_staff("agent")
    with override_settings(AVSOFT_SUPPORT_QUEUE_COUNTS_CACHE_SECONDS=seconds):
        start, as_of = queue_cache.window() if seconds else (None, None)
        if seconds:
            make_admin_ticket(sla_due_at=as_of - timedelta(seconds=1))
            make_admin_ticket(sla_due_at=as_of + timedelta(hours=1))
            cached, fresh = cached_and_fresh(rf, agent)
            assert cached["overdue"] == fresh["overdue"] == 1
        else:
            from django.utils import timezone

            make_admin_ticket(sla_due_at=timezone.now() - timedelta(seconds=1))
            counts = queue_cache.counters(
                COUNTERS, agent.pk, partial(ticket_counts, _request(rf, agent))
            )
            assert counts["overdue"] == 1
            assert count_queries(rf, agent) == 1  # 0: counted on every page


@pytest.mark.parametrize("value", [30, 0, -1, 2.5, "30", None, True])
def test_the_window_setting_is_checked(settings, value):
    from avsoft_support.checks import check_queue_counts_window

    settings.AVSOFT_SUPPORT_QUEUE_COUNTS_CACHE_SECONDS = value
    errors = check_queue_counts_window(None)
    if type(value) is int and value in (30, 0):
        assert errors == []
    else:
        assert [error.id for error in errors] == ["avsoft_support.E021"]
        assert repr(value) in errors[0].msg
