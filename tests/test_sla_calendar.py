"""The production calendar: seeding it from the holidays library, keeping staff edits, editing it
in the admin; and the working day and time zone in Support settings."""

from datetime import date, time
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from avsoft_support.models import CalendarDay, SupportSettings
from avsoft_support.production_calendar import library_days, seed_year
from tests.test_admin_triage import menu_labels
from tests.utils import field_value, otp_login

HOLIDAY, WORKING = CalendarDay.Kind.NON_WORKING, CalendarDay.Kind.WORKING
LIST_URL = "/admin/support/calendar/"


def new_year(year):
    return {date(year, 1, day) for day in range(1, 9)}


# The decrees' transfers, as published (checked against the library, which cites them):
# 2026, Government decree of September 2025: 3 January (Saturday) to Friday 9 January, 4 January
# (Sunday) to Thursday 31 December; the Labour Code moves 8 March and 9 May (weekends) to
# Mondays 9 March and 11 May.
NON_WORKING_WEEKDAYS_2026 = new_year(2026) - {date(2026, 1, 3), date(2026, 1, 4)} | {
    date(2026, 1, 9),
    date(2026, 2, 23),
    date(2026, 3, 9),
    date(2026, 5, 1),
    date(2026, 5, 11),
    date(2026, 6, 12),
    date(2026, 11, 4),
    date(2026, 12, 31),
}
# 2027: 2 and 3 January to Friday 5 November and Friday 31 December, Saturday 20 February worked
# for Monday 22 February; 1 May, 9 May and 12 June (weekends) moved to Mondays 3 and 10 May and
# 14 June.
NON_WORKING_WEEKDAYS_2027 = new_year(2027) - {date(2027, 1, 2), date(2027, 1, 3)} | {
    date(2027, 2, 22),
    date(2027, 2, 23),
    date(2027, 3, 8),
    date(2027, 5, 3),
    date(2027, 5, 10),
    date(2027, 6, 14),
    date(2027, 11, 4),
    date(2027, 11, 5),
    date(2027, 12, 31),
}


@pytest.mark.parametrize(
    ("year", "non_working_weekdays", "working_weekend_days"),
    [
        (2026, NON_WORKING_WEEKDAYS_2026, set()),
        (2027, NON_WORKING_WEEKDAYS_2027, {date(2027, 2, 20)}),
    ],
)
def test_the_library_has_the_decrees_of_2026_and_2027(
    year, non_working_weekdays, working_weekend_days
):
    days = library_days(year, "ru")
    assert {
        day for day, (kind, _name) in days.items() if kind == HOLIDAY and day.weekday() < 5
    } == non_working_weekdays
    assert {day for day, (kind, _name) in days.items() if kind == WORKING} == working_weekend_days


def test_days_are_named_in_the_sites_language():
    assert library_days(2027, "ru")[date(2027, 2, 22)][1] == "Выходной (перенесено с 20.02.2027)"
    assert library_days(2027, "ru")[date(2027, 2, 20)][1] == (
        "Рабочий день (выходной перенесён на 22.02.2027)"
    )
    assert library_days(2027, "en")[date(2027, 2, 20)][1] == (
        "Working day (its day off moved to 2027-02-22)"
    )
    assert library_days(2027, "en")[date(2027, 1, 7)][1] == "Christmas Day"


@pytest.mark.django_db
def test_seeding_adds_a_year_once_and_keeps_what_staff_changed():
    # Staff decided in advance to work on 31 December 2026, and noted a company holiday.
    CalendarDay.objects.create(date=date(2026, 12, 31), kind=WORKING, name="We work")
    CalendarDay.objects.create(date=date(2026, 7, 3), name="Company day")

    result = seed_year(2026, "ru")
    library = library_days(2026, "ru")
    assert (result.added, result.kept) == (len(library) - 1, 1)
    assert CalendarDay.objects.get(date=date(2026, 12, 31)).kind == WORKING
    assert CalendarDay.objects.get(date=date(2026, 7, 3)).name == "Company day"
    assert CalendarDay.objects.get(date=date(2026, 1, 9)).name == (
        "Выходной (перенесено с 03.01.2026)"
    )

    again = seed_year(2026, "ru")
    assert (again.added, again.kept) == (0, len(library))
    assert CalendarDay.objects.filter(date__year=2026).count() == len(library) + 1


@pytest.mark.django_db
def test_the_command_seeds_the_years_asked_for_or_this_year_and_the_next():
    out = StringIO()
    call_command("support_seed_calendar", "--year", "2027", stdout=out)
    added = len(library_days(2027))
    assert (
        out.getvalue()
        == f"2027: {added} day(s) added, 0 already in the calendar kept as they are.\n"
    )
    assert CalendarDay.objects.get(date=date(2027, 2, 20)).kind == WORKING
    assert not CalendarDay.objects.filter(date__year=2026).exists()

    out = StringIO()
    call_command("support_seed_calendar", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert CalendarDay.objects.dates("date", "year").count() >= 2


# The admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_keeps_the_calendar_in_the_support_menu(admin_user, client):
    otp_login(client, admin_user)
    assert "Calendar" in menu_labels(client.get("/admin/"))
    response = client.post(
        f"{LIST_URL}add/", {"date": "2027-11-12", "kind": "holiday", "name": "Company day"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=date(2027, 11, 12))
    assert (day.kind, day.name) == (HOLIDAY, "Company day")
    assert "Company day" in client.get(LIST_URL).content.decode()  # (and the message shown)
    seed_year(2027, "ru")
    response = client.get(LIST_URL, {"date__year": "2027", "kind": "working"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Working day (transferred)" in html
    assert "Company day" not in html
    seed_year(2026, "ru")
    html = client.get(LIST_URL, {"date__year": "2026"}).content.decode()
    assert "перенесено с 03.01.2026" in html
    assert "перенесено с 20.02.2027" not in html


@pytest.mark.django_db
def test_support_staff_see_the_calendar_but_do_not_change_it(verified_staff_client):
    CalendarDay.objects.create(date=date(2027, 11, 12), name="Company day")
    assert "Calendar" in menu_labels(verified_staff_client.get("/admin/"))
    assert "Company day" in verified_staff_client.get(LIST_URL).content.decode()
    day = CalendarDay.objects.get()
    assert verified_staff_client.get(f"{LIST_URL}add/").status_code in (302, 403)
    response = verified_staff_client.post(
        f"{LIST_URL}edit/{day.pk}/", {"date": "2027-11-12", "kind": "working", "name": ""}
    )
    assert response.status_code in (302, 403)
    assert CalendarDay.objects.get().kind == HOLIDAY


# Support settings -----------------------------------------------------------------------------


def test_the_working_day_and_time_zone_default_to_nine_to_six_in_the_sites_zone(settings):
    support_settings = SupportSettings()
    assert (support_settings.working_day_start, support_settings.working_day_end) == (
        time(9),
        time(18),
    )
    assert support_settings.time_zone == settings.TIME_ZONE == "Europe/Moscow"


@pytest.mark.parametrize("name", ["Europe/Moscow", "Asia/Yekaterinburg", "UTC"])
def test_a_known_time_zone_is_accepted(support_settings, name):
    support_settings.time_zone = name
    support_settings.full_clean()
    assert str(support_settings.zone) == name


@pytest.mark.parametrize("name", ["Moscow", "Europe", "Europe/Nowhere", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused(support_settings, name):
    support_settings.time_zone = name
    with pytest.raises(ValidationError) as error:
        support_settings.full_clean()
    assert list(error.value.message_dict) == ["time_zone"]
    # A bad name saved anyway (not through the admin) falls back to the site's TIME_ZONE.
    assert str(support_settings.zone) == "Europe/Moscow"


@pytest.mark.django_db
def test_the_settings_screen_shows_the_working_day_and_time_zone(client, site, make_staff):
    otp_login(client, make_staff(username="admin", superuser=True))
    response = client.get(f"/admin/settings/avsoft_support/supportsettings/{site.pk}/")
    assert response.status_code == 200
    assert field_value(response, "working_day_start") == "09:00"
    assert field_value(response, "working_day_end") == "18:00"
    assert field_value(response, "time_zone") == "Europe/Moscow"
    assert "first response for current clients, working hours" in response.content.decode().lower()


def test_the_working_day_must_end_after_it_starts(support_settings):
    support_settings.working_day_start, support_settings.working_day_end = time(18), time(9)
    with pytest.raises(ValidationError) as error:
        support_settings.full_clean()
    assert error.value.message_dict == {
        "working_day_end": ["The working day must end after it starts."]
    }
