"""The Russian production calendar of a year, from the holidays library, into CalendarDay rows.

`holidays` (python-holidays, 0.109 and later) keeps Russia's calendar year by year: the
Labour Code's holidays (art. 112, with a holiday that falls on a weekend moved to the next
working day) and the Government's yearly decree on transfers of days off, each year's decree
cited in its source. 2026 (decree published in September 2025): Saturday 3 January moved to
Friday 9 January, Sunday 4 January to Thursday 31 December, no working Saturday. 2027, as the
library has it: 2 January moved to Friday 5 November, 3 January to Friday 31 December, and
Saturday 20 February a working day for Monday 22 February. The library answers the two
questions the desk asks of a date: is it a holiday or a day off, and is this weekend day a
working one.

Seeding only adds dates the table does not have: a date staff entered or corrected stays as
they left it. Due times never ask the library, only the table (avsoft_support.sla).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language

from .models import CalendarDay

COUNTRY = "RU"


@dataclass(frozen=True)
class SeedResult:
    year: int
    added: int
    kept: int


def library_days(year, language=None):
    """``{date: (kind, name)}``: the year's non-working days and working weekend days, as the
    holidays library gives them (names in Russian, or in English for an English site)."""
    language = language or get_language() or settings.LANGUAGE_CODE
    calendar = holidays.country_holidays(
        COUNTRY, years=year, language="ru" if language.startswith("ru") else "en_US"
    )
    days = {
        day: (CalendarDay.Kind.NON_WORKING, str(name))
        for day, name in calendar.items()
        if day.year == year
    }
    day = date(year, 1, 1)
    while day.year == year:
        if day.weekday() >= 5 and calendar.is_working_day(day):
            # A Saturday or Sunday worked in exchange for a day off (the decree's transfer).
            days[day] = (CalendarDay.Kind.WORKING, _working_day_name(calendar, day, language))
        day += timedelta(days=1)
    return days


def _working_day_name(calendar, day, language):
    # The library names the day off "... substituted from <this date>" (in either language).
    written = (day.strftime("%d.%m.%Y"), day.strftime("%m/%d/%Y"))
    moved_to = sorted(other for other, name in calendar.items() if any(w in name for w in written))
    if language.startswith("ru"):
        if moved_to:
            return f"Рабочий день (выходной перенесён на {moved_to[0]:%d.%m.%Y})"
        return "Рабочий день (перенос выходного)"
    if moved_to:
        return f"Working day (its day off moved to {moved_to[0]:%Y-%m-%d})"
    return "Working day (a day off moved)"


@transaction.atomic
def seed_year(year, language=None):
    """Add the year's days from the library that the calendar does not have yet."""
    days = library_days(year, language)
    existing = set(
        CalendarDay.objects.filter(date__year=year, date__in=days).values_list("date", flat=True)
    )
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, kind=kind, name=name[:200])
            for day, (kind, name) in sorted(days.items())
            if day not in existing
        ],
        ignore_conflicts=True,  # the same year seeded at the same moment elsewhere
    )
    return SeedResult(year=year, added=len(days) - len(existing), kept=len(existing))
