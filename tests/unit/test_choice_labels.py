"""Ticket's get_status_display, get_criticality_display and get_client_status_display (its
own, not Django's: issue 12) against Django's: the same words for every choice and for a value
no choice has, in English and Russian. No database."""

import pytest
from django.db.models import Model
from django.utils.translation import override

from avsoft_support.models import ClientStatus, Ticket, TicketStatus
from avsoft_support.models.tickets import Criticality

FIELDS = [
    ("status", TicketStatus, "archived"),
    ("criticality", Criticality, 9),
    ("client_status", ClientStatus, "former"),
]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("name", "choices", "unknown"), FIELDS)
def test_each_label_is_djangos(language, name, choices, unknown):
    field = Ticket._meta.get_field(name)
    ours = getattr(Ticket, f"get_{name}_display")
    assert ours is not getattr(Model, f"get_{name}_display", None)
    with override(language):
        for value in [*choices.values, unknown]:
            ticket = Ticket(**{field.attname: value})
            said = ours(ticket)
            assert said == Model._get_FIELD_display(ticket, field)
            assert type(said) is type(Model._get_FIELD_display(ticket, field))
        if language == "ru":  # the words are translated, not the English ones
            assert Ticket(status=TicketStatus.NEW).get_status_display() == "Новое"
