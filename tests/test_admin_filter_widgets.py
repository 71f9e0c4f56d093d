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


def header_form(html):
    """The header's search and filter form of a listing page."""
    found = re.search(r"<form[^>]*data-search-form.*?</form>", str(html), re.S)
    assert found, html
    return squeezed(found.group(0))


@pytest.mark.django_db
def test_the_kept_filter_form_is_wagtails_header_markup(
    verified_staff_client, support_staff, make_admin_ticket, product
):
    """The triage list renders its filter drilldown once per language, values and choices
    (views/tickets.filters_html) into Wagtail's own header: the form is the one Wagtail's header
    writes with the same filters, whatever is chosen, mistyped, or the agent's language."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from wagtail.users.models import UserProfile

    from tests.test_admin_triage import LIST_URL

    make_admin_ticket(subject="Printer")
    profile = UserProfile.get_for_user(support_staff)
    seen = set()
    for language, query in [
        ("en", {}),
        ("en", {"status": "waiting"}),
        ("en", {"status": "waiting", "assignee": "me", "criticality": "1"}),
        ("en", {"product": str(product.pk), "overdue": "true"}),
        ("en", {"criticality": "nine", "created_after": "not a date"}),  # with errors
        ("ru", {"status": "waiting"}),
        ("en", {"status": "waiting"}),
    ]:
        profile.preferred_language = language
        profile.save()
        response = verified_staff_client.get(LIST_URL, query)
        assert response.status_code == 200
        context = response.context
        header = {
            "breadcrumbs_items": context["breadcrumbs_items"],
            "side_panels": context.get("side_panels"),
            "history_url": context.get("history_url"),
            "title": context["header_title"],
            "search_url": context["index_results_url"],
            "search_form": context["search_form"],
            "buttons": context["header_buttons"],
            "icon_name": context.get("header_icon"),
        }
        with translation.override(language):
            stock = render_to_string(
                "wagtailadmin/shared/headers/slim_header.html",
                {**header, "filters": context["filters"]},
            )
        page = response.content.decode()
        assert context["filters_html"] and page.count('id="filters-drilldown"') == 1
        assert header_form(page) == header_form(stock)
        seen.add(header_form(page))
    assert len(seen) == 7 - 1  # the last is the English "waiting" again, as before Russian
