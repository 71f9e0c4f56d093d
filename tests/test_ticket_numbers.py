"""Ticket numbers: readable, unique, and safe when many tickets are filed at the same moment."""

import re
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from avsoft_support import tickets
from avsoft_support.models import MemberProfile, SupportSettings, Ticket
from avsoft_support.models.tickets import format_ticket_number


def test_number_is_year_and_a_zero_padded_sequence(member, make_ticket, support_page):
    ticket = make_ticket(member)
    assert re.fullmatch(r"\d{4}-\d{5,}", ticket.number)
    assert ticket.number == format_ticket_number(ticket.pk, ticket.created_at)
    assert Ticket.objects.get(pk=ticket.pk).number == ticket.number
    second = make_ticket(member)
    assert second.number != ticket.number


def test_year_is_the_sites_local_year():
    # 21:30 UTC on New Year's Eve is already the next year in Moscow (the site's TIME_ZONE).
    assert format_ticket_number(42, datetime(2026, 12, 31, 21, 30, tzinfo=UTC)) == "2027-00042"
    assert format_ticket_number(123456, datetime(2026, 6, 1, tzinfo=UTC)) == "2026-123456"


def test_number_is_kept_on_later_saves(member, make_ticket, support_page):
    ticket = make_ticket(member)
    number = ticket.number
    ticket.subject = "changed"
    ticket.save()
    assert Ticket.objects.get(pk=ticket.pk).number == number


@pytest.mark.django_db(transaction=True)
def test_concurrent_filing_gives_unique_numbers(site, make_member, product):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the in-memory SQLite test database is private to one thread "
            "(run with DATABASE_URL=postgres://...)"
        )
    threads_count, per_thread = 8, 5
    authors = [make_member(username=f"customer{index}") for index in range(threads_count)]
    support_settings = SupportSettings.for_site(site)
    barrier = threading.Barrier(threads_count)
    errors = []

    def file_tickets(author):
        try:
            profile = MemberProfile.objects.get(user=author)
            barrier.wait(timeout=30)
            for index in range(per_thread):
                tickets.create_ticket(
                    author=author,
                    profile=profile,
                    data={
                        "subject": f"{author.username} #{index}",
                        "product": product,
                        "product_version": "1",
                        "os_version": "Linux",
                        "criticality": 3,
                        "description": "At the same time as everyone else.",
                        "steps_to_problem": "-",
                        "steps_to_reproduce": "-",
                    },
                    files=(),
                    support_settings=support_settings,
                )
        except Exception as exc:  # collected and reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file_tickets, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == threads_count * per_thread
    assert None not in numbers
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"\d{4}-\d{5,}", number) for number in numbers)
