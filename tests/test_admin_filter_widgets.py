"""The filter form's lean widgets (admin/filters.py) write the markup Django's own write."""

import re

import pytest
from django import forms
from wagtail.admin.widgets import BooleanRadioSelect

from avsoft_support.admin.filters import lean_radio_select, lean_select


def squeezed(html):
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


CHOICES = [("", "All"), ("new", "New <b>"), ("open", 'Open "quoted"'), ("3", "Three & co")]


@pytest.mark.parametrize(
    ("lean", "stock", "choices", "value"),
    [
        (lean_radio_select(), forms.RadioSelect(), CHOICES, "open"),
        (lean_radio_select(), forms.RadioSelect(), CHOICES, None),
        (lean_select(), forms.Select(), CHOICES, "3"),
        (lean_select(), forms.Select(), [("Group", CHOICES[1:]), ("", "All")], "new"),
        (lean_radio_select(BooleanRadioSelect), BooleanRadioSelect(), None, "true"),
        (lean_radio_select(BooleanRadioSelect), BooleanRadioSelect(), None, None),
    ],
)
def test_lean_widgets_write_djangos_markup(lean, stock, choices, value):
    assert type(lean) is type(stock)  # Wagtail styles the field by the widget's class
    if choices is not None:
        lean.choices = stock.choices = choices
    attrs = {"id": "id_status", "class": "w-field"}
    assert squeezed(lean.render("status", value, attrs)) == squeezed(
        stock.render("status", value, attrs)
    )
