"""Durations and counts in Russian agree with every number: the number stands after a colon
(«просрочка: 21 минута», «просрочено: 21»), or the noun takes the right plural form."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from avsoft_support.admin.components import badge_text

NUMBERS = [1, 2, 5, 11, 21, 22, 25]
# The right form of «минута» after each number of NUMBERS, in the nominative.
MINUTES = {
    1: "1 минута",
    2: "2 минуты",
    5: "5 минут",
    11: "11 минут",
    21: "21 минута",
    22: "22 минуты",
    25: "25 минут",
}


def render_sla(**context):
    with translation.override("ru"):
        html = render_to_string("avsoft_support/admin/includes/sla.html", context)
    # timesince puts a no-break space between the number and the unit.
    return " ".join(html.replace("\xa0", " ").split())


@pytest.mark.parametrize("n", NUMBERS)
def test_overdue_by_reads_right(n):
    due = timezone.now() - timedelta(minutes=n, seconds=10)
    html = render_sla(due=due, overdue=True, met_at=None)
    assert f"просрочка: {MINUTES[n]}" in html


@pytest.mark.parametrize("n", NUMBERS)
def test_due_in_reads_right(n):
    due = timezone.now() + timedelta(minutes=n, seconds=30)
    html = render_sla(due=due, overdue=False, met_at=None)
    assert f"до срока: {MINUTES[n]}" in html


@pytest.mark.parametrize("n", NUMBERS)
def test_menu_badge_reads_right(n):
    with translation.override("ru"):
        text = badge_text({"new": n, "overdue": n, "mine": n})
    assert text == f"новых: {n}, просрочено: {n}, на мне: {n}"


def ru(singular, plural, n, **values):
    with translation.override("ru"):
        return ngettext(singular, plural, n) % {"counter": n, "count": n, **values}


@pytest.mark.parametrize("n", NUMBERS)
def test_bulk_confirmations_read_right(n):
    close = ru(
        "Close this ticket? The customer is told by e-mail and can no longer reply to it.",
        "Close these %(counter)s tickets? Each customer is told by e-mail and can no longer reply.",
        n,
    )
    assert close.startswith(f"Закрыть? Выбрано обращений: {n}. Каждый клиент получит письмо")
    assign = ru(
        "Assign this ticket to yourself?", "Assign these %(counter)s tickets to yourself?", n
    )
    assert assign == f"Назначить на меня? Выбрано обращений: {n}."
    status = ru(
        "Set the status of this ticket? The customer is told by e-mail.",
        "Set the status of these %(counter)s tickets? Each customer is told by e-mail.",
        n,
    )
    assert status == f"Изменить статус? Выбрано обращений: {n}. Каждый клиент получит письмо."


@pytest.mark.parametrize("n", NUMBERS)
def test_import_errors_read_right(n):
    text = ru(
        "%(counter)s row has errors; nothing will be imported until the file is corrected.",
        "%(counter)s rows have errors; nothing will be imported until the file is corrected.",
        n,
    )
    assert text.startswith(f"Строк с ошибками: {n}.")


TICKETS = {1: "обращение", 2: "обращения", 5: "обращений", 11: "обращений", 21: "обращение"}
TICKETS |= {22: "обращения", 25: "обращений"}
CLOSED = {1: "закрыто", 2: "закрыты", 5: "закрыто", 11: "закрыто", 21: "закрыто"}
CLOSED |= {22: "закрыты", 25: "закрыто"}


@pytest.mark.parametrize("n", NUMBERS)
def test_ticket_counts_agree(n):
    closed = ru("%(count)d ticket closed.", "%(count)d tickets closed.", n)
    assert closed == f"{n} {TICKETS[n]} {CLOSED[n]}."
    open_tickets = ru("%(counter)s open ticket", "%(counter)s open tickets", n)
    assert open_tickets.endswith(
        f"{n} {'открытое' if TICKETS[n] == 'обращение' else 'открытых'} {TICKETS[n]}"
    )
