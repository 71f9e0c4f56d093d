"""First-response targets in working time: when a ticket's first public staff reply is due.

Every due time comes from one function, :func:`add_working_time`, counted on the site's
working day (Support settings: its start, its end and the time zone, 09:00-18:00 in
Europe/Moscow for instance) and the production calendar (``CalendarDay`` rows):

* **Working days** are Monday to Friday, except the dates the calendar marks non-working
  (holidays, days off moved by a government decree), plus the Saturdays or Sundays it marks
  working (a working Saturday that a decree moved a day off from). Dates are the desk's own:
  a ticket filed at 01:30 on Saturday in Moscow is filed on Saturday, whatever UTC says.
* **N working hours** (current clients): the clock runs only inside the working day, on
  working days. A ticket filed outside them starts counting when the next working day
  opens; it is due the moment the N-th working hour is complete (at 18:00, not at 09:00 the
  next morning, when that is the closing time). 4 hours from Friday 16:00 is Monday 11:00;
  from 18:55 on 30 December 2026 (the last working day of the year) it is 13:00 on
  Monday 11 January 2027.
* **N working days** (claimed and potential clients): counted as a Russian office counts a
  period of days (Civil Code, art. 191 and 194): from the day after the ticket is filed,
  working days only, ending when the working day ends on the N-th of them. 1 working day
  from Wednesday, at 08:00 or at 15:30, is Thursday 18:00; from Friday evening, Saturday or
  Sunday, Monday 18:00. (So not N x 9 hours: the answer is due "by the end of the N-th
  working day", the way a manager reads a deadline in days.)
* Both given: the days first, then the hours, from the end of the last of those days. Zero
  of both: due at once.

Clock times are wall-clock times in the desk's time zone: on a day the clocks change, a
working day 09:00-18:00 still opens at 09:00 and closes at 18:00. (A start or end that the
clocks skip, such as 02:30 on the night summer time begins in Berlin, is taken as the moment
the clocks jump; one they show twice, as the first time.)

The calendar is read from the database only, so staff edits win and next year's decree can
be typed in before any library knows it (``support_seed_calendar`` fills it from the
holidays library). :class:`WorkingCalendar` reads the dates a computation needs in one query,
the next four months from its start, and again only when the count runs past them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from wagtail.models import Site

from .kept_queries import KeptQuery
from .models import CalendarDay, ClientStatus, SupportSettings

ONE_DAY = timedelta(days=1)
# Ten years of dates without a working minute (a calendar of nothing but holidays, a working
# day that ends as it starts): no due time rather than a search without end.
HORIZON_DAYS = 3660

# The calendar's dates from one day to another, read by a query compiled once: every ticket
# filed reads them, and compiling the query took four times as long as running it.
_CALENDAR_DAYS = KeptQuery(
    CalendarDay,
    lambda first, last: CalendarDay.objects.filter(date__range=(first, last)).only("date", "kind"),
    kinds=("date", "date"),
)


class WorkingCalendar:
    """Which dates are working days: Monday to Friday unless a ``CalendarDay`` says otherwise.

    Reads the calendar for ``span_days`` dates at once and keeps what it read: share one
    instance between computations (a member's tickets, re-ranked together) to read it once.
    ``days``: a ready ``{date: kind}`` mapping used instead of the database (the complete
    calendar, as tests and previews give it).
    """

    span_days = 120

    def __init__(self, days=None):
        self._from_database = days is None
        self._days = dict(days or {})
        self._first = self._last = None

    def is_working_day(self, day):
        if self._from_database:
            self._read(day)
        kind = self._days.get(day)
        if kind is None:
            return day.weekday() < 5
        return kind == CalendarDay.Kind.WORKING

    def _read(self, day):
        if self._first is not None and self._first <= day <= self._last:
            return
        if self._first is None:
            first, last = day, day + timedelta(days=self.span_days)
        elif day > self._last:
            first, last = self._last + ONE_DAY, day + timedelta(days=self.span_days)
        else:
            first, last = day, self._first - ONE_DAY
        self._days.update((day.date, day.kind) for day in _CALENDAR_DAYS.list(first, last))
        self._first = min(first, self._first or first)
        self._last = max(last, self._last or last)


@dataclass(frozen=True)
class WorkingHours:
    """A desk's working day: opening and closing wall-clock times in its time zone."""

    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def of(cls, support_settings):
        return cls(
            support_settings.working_day_start,
            support_settings.working_day_end,
            support_settings.zone,
        )

    def opening(self, day):
        return wall_clock_instant(day, self.opens, self.zone)

    def closing(self, day):
        return wall_clock_instant(day, self.closes, self.zone)


def wall_clock_instant(day, wall, zone):
    """The first moment (in UTC) at which the clocks in ``zone`` show ``wall`` on ``day``, or
    the moment they jump past it when they skip it."""
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)
    naive = local.replace(tzinfo=None)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant  # fold=0: the first of the two, when the clocks show it twice
    # Skipped: the jump lies between this reading with the offset after it (fold=1, still
    # before the jump) and with the offset before it (after the jump). Find it to the second.
    low = int(local.replace(fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def add_working_time(start, *, hours=0, days=0, support_settings, calendar=None):
    """``start`` plus ``days`` working days, then ``hours`` working hours (module docstring).

    ``support_settings``: the site's SupportSettings (working day, time zone). ``calendar``: a
    WorkingCalendar to share between calls; a new one, reading the database, by default.
    Returns an aware datetime in UTC (a local time the clocks show twice would not compare
    equal to other zones' times), or None when no working time comes within ten years.
    """
    if hours < 0 or days < 0:
        raise ValueError("Working time to add cannot be negative.")
    working_hours = WorkingHours.of(support_settings)
    calendar = calendar if calendar is not None else WorkingCalendar()
    if timezone.is_naive(start):
        start = timezone.make_aware(start, working_hours.zone)
    moment = start.astimezone(UTC)
    if days:
        moment = _end_of_working_day(moment, days, working_hours, calendar)
    if hours and moment is not None:
        moment = _after_working_hours(moment, timedelta(hours=hours), working_hours, calendar)
    return moment


def _end_of_working_day(moment, days, working_hours, calendar):
    """When the ``days``-th working day after the date of ``moment`` closes."""
    day = moment.astimezone(working_hours.zone).date()
    counted = 0
    for _step in range(HORIZON_DAYS):
        day += ONE_DAY
        if calendar.is_working_day(day):
            counted += 1
            if counted == days:
                return working_hours.closing(day)
    return None


def _after_working_hours(moment, remaining, working_hours, calendar):
    """The moment ``remaining`` working time after ``moment`` is used up."""
    day = moment.astimezone(working_hours.zone).date()
    for _step in range(HORIZON_DAYS):
        if calendar.is_working_day(day):
            begin = max(working_hours.opening(day), moment)
            closes = working_hours.closing(day)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += ONE_DAY
    return None


# Each target's Support settings fields: hours for current clients, working days for claimed
# and potential ones.
FIRST_RESPONSE_TARGETS = (
    "sla_current_hours",
    "sla_claimed_working_days",
    "sla_potential_working_days",
)
NEXT_RESPONSE_TARGETS = (
    "sla_next_current_hours",
    "sla_next_claimed_working_days",
    "sla_next_potential_working_days",
)


def _due(support_settings, client_status, start, targets, calendar):
    current_hours, claimed_days, potential_days = targets
    if client_status == ClientStatus.CURRENT:
        hours, days = getattr(support_settings, current_hours), 0
    elif client_status == ClientStatus.CLAIMED:
        hours, days = 0, getattr(support_settings, claimed_days)
    else:
        hours, days = 0, getattr(support_settings, potential_days)
    return add_working_time(
        start, hours=hours, days=days, support_settings=support_settings, calendar=calendar
    )


def first_response_due(support_settings, client_status, start, *, calendar=None):
    """When the first answer to a ticket of a client of this status, counted from ``start``
    (its filing, or the change of the client's status), is due by the site's targets."""
    return _due(support_settings, client_status, start, FIRST_RESPONSE_TARGETS, calendar)


def next_response_due(support_settings, client_status, start, *, calendar=None):
    """When our answer to a customer's reply, sent at ``start``, is due by the site's
    next-response targets (counted as the first response is)."""
    return _due(support_settings, client_status, start, NEXT_RESPONSE_TARGETS, calendar)


def settings_of_ticket(ticket):
    """The Support settings whose targets a ticket follows: the site of the page it was filed
    on, else the default site's (defaults without either)."""
    page = ticket.support_page
    site = page.get_site() if page is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    return SupportSettings.for_site(site) if site is not None else SupportSettings()
