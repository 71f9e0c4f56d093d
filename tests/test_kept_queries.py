"""Queries compiled once (kept_queries): the same objects as the ORM's query gives, for any
values, on every thread; and the ORM's query every time where the SQL cannot be kept."""

import threading

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from avsoft_support.kept_queries import KeptQuery, parameter_sources
from avsoft_support.models import (
    Rating,
    RatingScore,
    RatingSource,
    Ticket,
    TicketFollower,
)
from avsoft_support.pages import _OWN_TICKET, _first_shown


def state(instance):
    """What the page reads of an object: every loaded field's value."""
    if instance is None:
        return None
    return {
        name: value
        for name, value in vars(instance).items()
        if not name.startswith("_") and not hasattr(value, "_meta")
    }


def page_view(ticket):
    """The ticket as the ticket page reads it: its fields, the annotation, and the related
    objects read with it (no query may be needed for them)."""
    if ticket is None:
        return None
    author = ticket.author
    return (
        state(ticket),
        ticket.has_followers,
        state(ticket.product),
        state(getattr(ticket, "rating", None)),
        state(author),
        state(author.support_profile),
        sorted(ticket.get_deferred_fields()),
    )


def orm(member, number):
    return _first_shown(Ticket.objects.for_member(member), number)


@pytest.fixture
def fresh_kept():
    """_OWN_TICKET compiled again in this test (another test's database may differ)."""
    _OWN_TICKET._local.__dict__.pop("entries", None)
    yield _OWN_TICKET
    _OWN_TICKET._local.__dict__.pop("entries", None)


def test_the_members_ticket_is_read_as_the_orm_reads_it(
    fresh_kept, make_member, make_ticket, product
):
    member, other = make_member(), make_member("other", full_name="Olga Sidorova")
    plain = make_ticket(member)
    rated = make_ticket(member, product=None, product_other="An old product")
    Rating.objects.create(
        ticket=rated, score=RatingScore.GOOD, source=RatingSource.PAGE, rated_by=member
    )
    TicketFollower.objects.create(ticket=rated, user=other)
    theirs = make_ticket(other)

    for _twice in range(2):  # compiled, then from the kept SQL
        for ticket in (plain, rated):
            with CaptureQueriesContext(connection) as queries:
                kept = fresh_kept.first(member.pk, ticket.number)
                view = page_view(kept)
            assert len(queries) == 1, "the related objects come with the ticket"
            assert view == page_view(orm(member, ticket.number))
        assert fresh_kept.kept_on(connection.alias)
        assert fresh_kept.first(member.pk, theirs.number) is None
    assert page_view(fresh_kept.first(member.pk, rated.number))[1] is True
    assert page_view(fresh_kept.first(member.pk, plain.number))[1] is False
    assert fresh_kept.first(member.pk, rated.number).product is None


def test_another_members_ticket_is_not_found(fresh_kept, make_member, make_ticket):
    member, other = make_member(), make_member("other", full_name="Olga Sidorova")
    mine, theirs = make_ticket(member), make_ticket(other)

    assert fresh_kept.first(other.pk, theirs.number).pk == theirs.pk  # compiled for `other`
    assert fresh_kept.first(member.pk, theirs.number) is None
    assert fresh_kept.first(other.pk, mine.number) is None
    assert fresh_kept.first(member.pk, "2026-99999") is None
    assert fresh_kept.first(member.pk, mine.number).pk == mine.pk


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_its_own(fresh_kept, make_member, make_ticket):
    """Compilers are kept per thread, each for the thread's own connection."""
    member = make_member()
    ticket = make_ticket(member)
    found = {}
    assert fresh_kept.first(member.pk, ticket.number).pk == ticket.pk

    def other_thread():
        try:
            found["kept"] = fresh_kept.kept_on(connection.alias)
            found["ticket"] = fresh_kept.first(member.pk, ticket.number)
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert found["kept"] is False  # nothing compiled there before it asked
    assert found["ticket"].pk == ticket.pk
    assert fresh_kept.first(member.pk, ticket.number).pk == ticket.pk


def test_a_value_used_twice_is_not_kept(db, make_member, make_ticket):
    """A mark that comes out as more than one parameter: the ORM's query on every call."""
    member = make_member()
    ticket = make_ticket(member)
    either = KeptQuery(
        Ticket,
        lambda user_id: Ticket.objects.filter(Q(author_id=user_id) | Q(assignee_id=user_id)),
        kinds=("id",),
    )
    assert [t.pk for t in either.list(member.pk)] == [ticket.pk]
    assert not either.kept_on(connection.alias)
    assert either.list(member.pk + 1000) == []


def test_parameter_sources_need_each_mark_once():
    marks = [-1, "\x00m"]
    assert parameter_sources([1, -1, "\x00m"], marks) == [
        ("value", 1),
        ("arg", 0),
        ("arg", 1),
    ]
    assert parameter_sources([-1, -1, "\x00m"], marks) is None  # twice
    assert parameter_sources([-1], marks) is None  # missing
    assert parameter_sources([True, "\x00m"], [1, "\x00m"]) is None  # True is not the id 1


def test_a_query_the_marks_cannot_build_is_not_kept(db, make_member, make_ticket):
    """A user model whose ids are UUIDs refuses an integer mark; here a number field does."""
    member = make_member()
    ticket = make_ticket(member)
    by_id_text = KeptQuery(Ticket, lambda pk: Ticket.objects.filter(pk=int(pk)), kinds=("text",))
    assert [t.pk for t in by_id_text.list(str(ticket.pk))] == [ticket.pk]
    assert not by_id_text.kept_on(connection.alias)


def test_a_members_profile_is_read_as_the_orm_reads_it(make_member):
    """MemberProfile.objects.for_user through its kept query: the same profile, field by
    field; a user without one gets an unsaved one; another manager's queryset is not kept."""
    from django.contrib.auth import get_user_model

    from avsoft_support.models import MemberProfile

    # Made first, so that the member's user id and profile id differ.
    bare = get_user_model().objects.create_user(username="no-profile", password="x")
    member = make_member()
    assert MemberProfile.objects.get(user=member).pk != member.pk
    for _twice in range(2):
        fresh = get_user_model().objects.get(pk=member.pk)  # nothing cached on the user
        profile = MemberProfile.objects.for_user(fresh)
        assert state(profile) == state(MemberProfile.objects.get(user=member))
        assert profile.user is fresh
        unsaved = MemberProfile.objects.for_user(get_user_model().objects.get(pk=bare.pk))
        assert unsaved.pk is None
        assert unsaved.user_id == bare.pk
    assert MemberProfile.objects.all()._is_plain()
    assert not MemberProfile.objects.filter(company="x")._is_plain()
    uncached = get_user_model().objects.get(pk=member.pk)
    assert MemberProfile.objects.filter(company="x").for_user(uncached).pk is None  # filtered


def test_the_ticket_form_lists_the_active_products_in_order(db):
    """The form's products through their kept query follow the table: a product added,
    renamed or withdrawn shows at once."""
    from avsoft_support.forms.tickets import TicketForm
    from avsoft_support.models import Product, SupportSettings

    settings = SupportSettings()
    Product.objects.create(name="Beta", sort_order=2)
    alpha = Product.objects.create(name="Alpha", sort_order=1)

    def offered():
        form = TicketForm(support_settings=settings)
        return [label for value, label in form.fields["product"].choices][1:-1]

    assert offered() == ["Alpha", "Beta"]
    Product.objects.create(name="Gamma", sort_order=0)
    alpha.active = False
    alpha.save()
    assert offered() == ["Gamma", "Beta"]
    assert offered() == [p.name for p in Product.objects.filter(active=True)]


@pytest.fixture
def fresh_calendar():
    """sla's calendar query compiled again in this test."""
    from avsoft_support.sla import _CALENDAR_DAYS

    _CALENDAR_DAYS._local.__dict__.pop("entries", None)
    yield _CALENDAR_DAYS
    _CALENDAR_DAYS._local.__dict__.pop("entries", None)


def test_the_calendars_dates_are_read_as_the_orm_reads_them(db, fresh_calendar):
    """Dates are kept as the backend takes them (SQLite: as text): the same days for any
    range, the ends included, before and after the SQL is kept."""
    from datetime import date, timedelta

    from avsoft_support.models import CalendarDay
    from avsoft_support.sla import WorkingCalendar

    holiday = CalendarDay.objects.create(date=date(2027, 1, 1), kind=CalendarDay.Kind.NON_WORKING)
    CalendarDay.objects.create(date=date(2027, 1, 7), kind=CalendarDay.Kind.NON_WORKING)
    CalendarDay.objects.create(date=date(2026, 12, 26), kind=CalendarDay.Kind.WORKING)

    def orm(first, last):
        return sorted(
            CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind")
        )

    ranges = [
        (date(2026, 12, 26), date(2027, 1, 7)),  # both ends are days of the calendar
        (date(2026, 12, 27), date(2027, 1, 6)),
        (date(2027, 1, 2), date(2027, 1, 6)),  # none
        (date(2027, 1, 1), date(2027, 1, 1)),
    ]
    for _twice in range(2):
        for first, last in ranges:
            kept = sorted((day.date, day.kind) for day in fresh_calendar.list(first, last))
            assert kept == orm(first, last), (first, last)
        assert fresh_calendar.kept_on(connection.alias)
    holiday.kind = CalendarDay.Kind.WORKING
    holiday.save()
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2027, 1, 1))  # an edit shows at once
    assert not calendar.is_working_day(date(2027, 1, 7))
    assert calendar.is_working_day(date(2026, 12, 26))  # a working Saturday
    assert not calendar.is_working_day(date(2026, 12, 26) + timedelta(days=1))  # a Sunday


def test_parameter_sources_find_a_mark_as_the_backend_adapted_it():
    from datetime import date

    marks = [date(1, 1, 1), date(1, 1, 2)]
    adapters = [str, str]
    assert parameter_sources(["0001-01-01", 5, "0001-01-02"], marks, adapters) == [
        ("arg", 0),
        ("value", 5),
        ("arg", 1),
    ]
    assert parameter_sources([date(1, 1, 1), date(1, 1, 2)], marks, adapters) is None
    assert parameter_sources([date(1, 1, 1), date(1, 1, 2)], marks) == [("arg", 0), ("arg", 1)]


def test_an_unknown_kind_of_value_is_refused_at_once():
    with pytest.raises(ValueError, match="amount"):
        KeptQuery(Ticket, lambda value: Ticket.objects.filter(pk=value), kinds=("amount",))
