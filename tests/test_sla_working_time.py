"""Working time: sla.add_working_time against a minute-by-minute count, and due times a support
manager computes by hand on the Russian production calendar of 2026 and 2027.

The reference below knows nothing of the implementation's shortcuts: it walks the clock one
minute at a time and asks, for each minute, whether the desk is open (its local date a working
day, the clocks past opening and not yet at closing).
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avsoft_support import sla
from avsoft_support.models import CalendarDay, ClientStatus, SupportSettings
from avsoft_support.production_calendar import seed_year

MOSCOW = ZoneInfo("Europe/Moscow")
HOLIDAY, WORKING = CalendarDay.Kind.NON_WORKING, CalendarDay.Kind.WORKING
MINUTE = timedelta(minutes=1)

# Without summer time (Moscow; Kathmandu at +05:45), and with it: Berlin changes its clocks at
# 02:00/03:00, Santiago at midnight (its spring day starts at 01:00).
ZONES = ["Europe/Moscow", "UTC", "Asia/Kathmandu", "Europe/Berlin", "America/Santiago"]
# Around these the starts are drawn: the clock changes of 2026 and 2027, New Year, plain weeks.
ANCHORS = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # Berlin: summer time begins
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # Berlin: summer time ends
    datetime(2026, 4, 5, 3, 0, tzinfo=UTC),  # Santiago: 24:00 back to 23:00
    datetime(2026, 9, 6, 4, 0, tzinfo=UTC),  # Santiago: 00:00 forward to 01:00
    datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
    datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 30, 15, 55, tzinfo=UTC),
    datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
]


# When the clocks change (UTC), and the readings around it: 00:00-01:00 skipped in Santiago
# in spring, 23:00-24:00 shown twice there in autumn; 02:00-03:00 skipped and shown twice in
# Berlin.
CLOCK_CHANGES = [
    ("Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 4, 5, 3, 0, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 9, 6, 4, 0, tzinfo=UTC)),
]
CLOCK_CHANGE_MINUTES = [0, 30, 60, 120, 150, 180, 210, 23 * 60, 23 * 60 + 30, 24 * 60 - 1]


def desk(zone="Europe/Moscow", opens=time(9), closes=time(18), **targets):
    return SupportSettings(
        working_day_start=opens, working_day_end=closes, time_zone=zone, **targets
    )


# The reference -------------------------------------------------------------------------------


class Reference:
    """The desk's working time, minute by minute."""

    def __init__(self, zone, opens, closes, calendar):
        self.zone, self.opens, self.closes, self.calendar = ZoneInfo(zone), opens, closes, calendar
        self.first_reading = cache(self._first_reading)

    def working_day(self, day):
        kind = self.calendar.get(day)
        return day.weekday() < 5 if kind is None else kind == WORKING

    def _first_reading(self, day, wall):
        """The first minute at which the local clocks read ``day`` at ``wall`` or later."""
        target = datetime.combine(day, wall)
        minute = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=15)
        while minute.astimezone(self.zone).replace(tzinfo=None) < target:
            minute += MINUTE
        return minute

    def open_at(self, minute):
        day = minute.astimezone(self.zone).date()
        return self.working_day(day) and self.first_reading(
            day, self.opens
        ) <= minute < self.first_reading(day, self.closes)

    def add_minutes(self, start, minutes):
        moment, left = start, minutes
        while left:
            if self.open_at(moment):
                left -= 1
            moment += MINUTE
        return moment

    def add_days(self, start, days):
        day = start.astimezone(self.zone).date()
        while days:
            day += timedelta(days=1)
            days -= self.working_day(day)
        return self.first_reading(day, self.closes)


# The property --------------------------------------------------------------------------------


def minutes_to_time(minutes):
    return time(minutes // 60, minutes % 60)


def check_against_reference(zone, start, opens, closes, minutes, days, calendar):
    reference = Reference(zone, opens, closes, calendar)
    expected = start
    if days:
        expected = reference.add_days(expected, days)
    expected = reference.add_minutes(expected, minutes)
    for given_as in (start, start.astimezone(MOSCOW)):  # the same moment, in any zone
        due = sla.add_working_time(
            given_as,
            hours=minutes / 60,
            days=days,
            support_settings=desk(zone, opens, closes),
            calendar=sla.WorkingCalendar(calendar),
        )
        assert due == expected
        assert due.tzinfo is UTC


@st.composite
def cases(draw):
    """Any zone, a start around the anchors, any working day, any calendar."""
    zone = draw(st.sampled_from(ZONES))
    near = st.one_of(st.integers(-2 * 1440, 2 * 1440), st.integers(-3 * 1440, 8 * 1440))
    start = draw(st.sampled_from(ANCHORS)) + draw(near) * MINUTE
    opens_at = draw(st.integers(0, 22 * 60))
    closes_at = opens_at + draw(st.integers(30, 24 * 60 - 1 - opens_at))
    length = closes_at - opens_at
    minutes = draw(st.one_of(st.integers(0, 3 * length), st.sampled_from([0, 60, length])))
    first_day = start.astimezone(ZoneInfo(zone)).date()
    calendar = {
        first_day + timedelta(days=offset): kind
        for offset, kind in draw(
            st.dictionaries(st.integers(-2, 40), st.sampled_from([HOLIDAY, WORKING]), max_size=25)
        ).items()
    }
    opens, closes = minutes_to_time(opens_at), minutes_to_time(closes_at)
    return zone, start, opens, closes, minutes, draw(st.integers(0, 4)), calendar


@st.composite
def clock_change_cases(draw):
    """A start shortly before the clocks change, on a desk that works every day and opens or
    closes at readings the clocks skip or show twice."""
    zone, change = draw(st.sampled_from(CLOCK_CHANGES))
    start = change + draw(st.integers(-36 * 60, 12 * 60)) * MINUTE
    early = [minute for minute in CLOCK_CHANGE_MINUTES if minute <= 23 * 60]
    opens_at = draw(st.one_of(st.sampled_from(early), st.integers(0, 22 * 60)))
    later = [minute for minute in CLOCK_CHANGE_MINUTES if minute >= opens_at + 30]
    closes_at = draw(
        st.one_of(st.sampled_from(later or [1439]), st.integers(opens_at + 30, 24 * 60 - 1))
    )
    first_day = start.astimezone(ZoneInfo(zone)).date()
    every_day = {first_day + timedelta(days=offset): WORKING for offset in range(-1, 12)}
    opens, closes = minutes_to_time(opens_at), minutes_to_time(closes_at)
    minutes = draw(st.integers(0, 3 * (closes_at - opens_at)))
    return zone, start, opens, closes, minutes, draw(st.integers(0, 2)), every_day


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_working_time_is_what_the_clock_counts_minute_by_minute(case):
    check_against_reference(*case)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clock_change_cases())
def test_working_time_across_the_clock_changes(case):
    check_against_reference(*case)


def test_the_clock_changes_on_the_day_summer_time_begins_in_berlin():
    """A working day 00:00-06:00 is 5 hours long on 29 March 2026, and 7 on 25 October."""
    berlin = desk("Europe/Berlin", time(0), time(6))
    spring_opens = datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    calendar = sla.WorkingCalendar({date(2026, 3, 29): WORKING, date(2026, 10, 25): WORKING})
    due = sla.add_working_time(spring_opens, hours=5, support_settings=berlin, calendar=calendar)
    assert due == datetime(2026, 3, 29, 6, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    autumn_opens = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    due = sla.add_working_time(autumn_opens, hours=7, support_settings=berlin, calendar=calendar)
    assert due == datetime(2026, 10, 25, 6, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    # Opening at 02:30, a time the clocks skip in spring: the day opens when they jump (03:00).
    skipped = desk("Europe/Berlin", time(2, 30), time(4))
    due = sla.add_working_time(spring_opens, hours=1, support_settings=skipped, calendar=calendar)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # 04:00 summer time


def test_no_working_time_within_ten_years_gives_no_due_time():
    start = datetime(2026, 11, 25, 10, 0, tzinfo=MOSCOW)
    every_day_off = {start.date() + timedelta(days=n): HOLIDAY for n in range(3700)}
    calendar = sla.WorkingCalendar(every_day_off)
    assert sla.add_working_time(start, hours=1, support_settings=desk(), calendar=calendar) is None
    assert sla.add_working_time(start, days=1, support_settings=desk(), calendar=calendar) is None
    with pytest.raises(ValueError, match="negative"):
        sla.add_working_time(start, hours=-1, support_settings=desk(), calendar=calendar)


# Due times by hand, on the production calendar ---------------------------------------------------


def msk(*args):
    return datetime(*args, tzinfo=MOSCOW)


CURRENT, CLAIMED, POTENTIAL = ClientStatus.CURRENT, ClientStatus.CLAIMED, ClientStatus.POTENTIAL

# Targets 4 working hours, 1 and 2 working days; 09:00-18:00 in Moscow.
BY_HAND = [
    # 31 December 2026 is a day off (moved from 4 January) and 1-10 January 2027 are holidays and
    # a weekend: 30 December is the last working day of 2026, 11 January the first of 2027.
    ("new-year-current", CURRENT, msk(2026, 12, 30, 18, 55), msk(2027, 1, 11, 13, 0)),
    ("new-year-claimed", CLAIMED, msk(2026, 12, 30, 18, 55), msk(2027, 1, 11, 18, 0)),
    ("new-year-potential", POTENTIAL, msk(2026, 12, 30, 18, 55), msk(2027, 1, 12, 18, 0)),
    ("new-year-afternoon-current", CURRENT, msk(2026, 12, 30, 16, 0), msk(2027, 1, 11, 11, 0)),
    # Friday evening: the weekend does not count.
    ("friday-evening-current", CURRENT, msk(2026, 11, 27, 19, 0), msk(2026, 11, 30, 13, 0)),
    ("friday-afternoon-current", CURRENT, msk(2026, 11, 27, 16, 0), msk(2026, 11, 30, 11, 0)),
    ("friday-evening-claimed", CLAIMED, msk(2026, 11, 27, 19, 0), msk(2026, 11, 30, 18, 0)),
    ("friday-evening-potential", POTENTIAL, msk(2026, 11, 27, 19, 0), msk(2026, 12, 1, 18, 0)),
    # 22:30 UTC on Friday is 01:30 on Saturday for the desk.
    (
        "friday-in-utc-saturday-in-moscow",
        CLAIMED,
        datetime(2026, 11, 27, 22, 30, tzinfo=UTC),
        msk(2026, 11, 30, 18, 0),
    ),
    # A plain week: hours run on into the next morning; a day ends when the next one closes,
    # whenever the ticket came in; finishing exactly at closing time is due at closing time.
    ("wednesday-current", CURRENT, msk(2026, 11, 25, 15, 30), msk(2026, 11, 26, 10, 30)),
    ("wednesday-early-current", CURRENT, msk(2026, 11, 25, 8, 0), msk(2026, 11, 25, 13, 0)),
    ("wednesday-at-two-current", CURRENT, msk(2026, 11, 25, 14, 0), msk(2026, 11, 25, 18, 0)),
    ("wednesday-claimed", CLAIMED, msk(2026, 11, 25, 15, 30), msk(2026, 11, 26, 18, 0)),
    ("wednesday-early-claimed", CLAIMED, msk(2026, 11, 25, 8, 0), msk(2026, 11, 26, 18, 0)),
    ("wednesday-potential", POTENTIAL, msk(2026, 11, 25, 15, 30), msk(2026, 11, 27, 18, 0)),
    # Saturday 20 February 2027 is a working day; Monday 22 (moved from it) and Tuesday 23
    # (Defender of the Fatherland Day) are not.
    ("working-saturday-current", CURRENT, msk(2027, 2, 19, 16, 0), msk(2027, 2, 20, 11, 0)),
    ("on-working-saturday-current", CURRENT, msk(2027, 2, 20, 10, 0), msk(2027, 2, 20, 14, 0)),
    ("working-saturday-claimed", CLAIMED, msk(2027, 2, 19, 12, 0), msk(2027, 2, 20, 18, 0)),
    ("after-working-saturday-claimed", CLAIMED, msk(2027, 2, 20, 10, 0), msk(2027, 2, 24, 18, 0)),
    ("saturday-evening-current", CURRENT, msk(2027, 2, 20, 17, 0), msk(2027, 2, 24, 12, 0)),
    # Filed during holidays.
    ("new-year-holidays-current", CURRENT, msk(2027, 1, 5, 10, 0), msk(2027, 1, 11, 13, 0)),
    ("new-year-holidays-claimed", CLAIMED, msk(2027, 1, 5, 10, 0), msk(2027, 1, 11, 18, 0)),
    ("december-31-claimed", CLAIMED, msk(2026, 12, 31, 10, 0), msk(2027, 1, 11, 18, 0)),
    ("moved-day-off-9-january", CLAIMED, msk(2026, 1, 9, 12, 0), msk(2026, 1, 12, 18, 0)),
    ("may-day-current", CURRENT, msk(2026, 5, 1, 12, 0), msk(2026, 5, 4, 13, 0)),
    # Victory Day 2026 is a Saturday: Monday 11 May is the day off for it.
    ("victory-day-potential", POTENTIAL, msk(2026, 5, 8, 12, 0), msk(2026, 5, 13, 18, 0)),
]


@pytest.fixture
def production_calendar(db):
    seed_year(2026, "ru")
    seed_year(2027, "ru")


@pytest.mark.parametrize(
    ("status", "filed", "due"), [case[1:] for case in BY_HAND], ids=[case[0] for case in BY_HAND]
)
def test_due_times_a_manager_computes_by_hand(production_calendar, status, filed, due):
    assert sla.first_response_due(desk(), status, filed) == due


def test_the_desk_counts_in_its_own_time_zone_and_hours(production_calendar):
    """A desk in Yekaterinburg (UTC+5) open 08:00-17:00: 16:00 in Moscow is 18:00 there, after
    closing."""
    yekaterinburg = desk("Asia/Yekaterinburg", time(8), time(17))
    due = sla.first_response_due(yekaterinburg, CURRENT, msk(2026, 11, 25, 16, 0))
    assert due == datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    assert due == msk(2026, 11, 26, 10, 0)


def test_one_query_reads_the_calendar_for_a_computation_across_the_new_year(
    production_calendar, django_assert_num_queries
):
    with django_assert_num_queries(1):
        sla.first_response_due(desk(), POTENTIAL, msk(2026, 12, 30, 18, 55))
    calendar = sla.WorkingCalendar()
    with CaptureQueriesContext(connection) as queries:
        for filed in (msk(2026, 12, 30, 18, 55), msk(2027, 1, 5, 10, 0), msk(2027, 2, 19, 16)):
            for status in (CURRENT, CLAIMED, POTENTIAL):
                sla.first_response_due(desk(), status, filed, calendar=calendar)
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_run_of_days_off_longer_than_one_read_reads_on(db, django_assert_num_queries):
    start = datetime(2027, 3, 1, 10, 0, tzinfo=MOSCOW)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=start.date() + timedelta(days=n)) for n in range(200)
    )
    with django_assert_num_queries(2):
        due = sla.add_working_time(start, hours=1, support_settings=desk())
    assert due == msk(2027, 9, 17, 10, 0)  # day 200 is a Friday, 17 September


def test_staff_edits_to_the_calendar_win(production_calendar):
    # The desk decides to work on 31 December 2026 after all.
    CalendarDay.objects.filter(date=date(2026, 12, 31)).update(kind=WORKING)
    assert sla.first_response_due(desk(), CURRENT, msk(2026, 12, 30, 18, 55)) == msk(
        2026, 12, 31, 13, 0
    )
