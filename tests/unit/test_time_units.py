"""The triage rows' time units (admin/columns._units) against Django's timesince: the same
units and counts for any two moments, either way round, in zones with and without summer
time, across month ends and leap days. No database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.timesince import TIME_STRINGS, timesince, timeuntil
from django.utils.translation import override
from hypothesis import example, given, settings
from hypothesis import strategies as st

from avsoft_support.admin.columns import _units

ZONES = [UTC, ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
# Django's words replaced by "unit=count", so that its units can be read off its answer.
MARKED = {name: f"{name}=%(num)d" for name in TIME_STRINGS}
moments = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31))


def djangos(d, now, until):
    with override("en"):  # its ", " between two units
        said = (timeuntil if until else timesince)(d, now, time_strings=MARKED)
    units = tuple(
        (name, int(count)) for name, count in (part.split("=") for part in said.split(", "))
    )
    return () if units == (("minute", 0),) else units


@settings(max_examples=3000, deadline=None)
@given(
    d=moments,
    now=moments,
    d_zone=st.sampled_from(ZONES),
    now_zone=st.sampled_from(ZONES),
    until=st.booleans(),
)
@example(datetime(2024, 1, 31, 12), datetime(2024, 2, 29, 11, 59), UTC, UTC, False)
@example(datetime(2024, 2, 29, 10), datetime(2025, 2, 28, 10), UTC, UTC, False)
@example(datetime(2023, 3, 26, 1, 30), datetime(2023, 3, 26, 3, 30), UTC, UTC, False)
@example(datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 0, 59), UTC, UTC, False)
def test_the_same_units_as_djangos_timesince(d, now, d_zone, now_zone, until):
    d, now = d.replace(tzinfo=d_zone), now.replace(tzinfo=now_zone)
    assert _units(d, now, reversed=until) == djangos(d, now, until)


def test_a_few_known_answers():
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert _units(now - timedelta(minutes=59, seconds=59), now) == (("minute", 59),)
    assert _units(now - timedelta(days=9, hours=3), now) == (("week", 1), ("day", 2))
    assert _units(now - timedelta(days=1, minutes=5), now) == (("day", 1),)  # adjacent only
    assert _units(datetime(2025, 10, 6, 12, tzinfo=UTC), now) == (("year", 1), ("month", 2))
    assert _units(now + timedelta(hours=2), now) == ()  # in the future: "0 minutes"
    assert _units(now + timedelta(hours=2, minutes=1), now, reversed=True) == (
        ("hour", 2),
        ("minute", 1),
    )
