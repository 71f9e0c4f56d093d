"""Bulk assignment to any colleague, bulk criticality, and only the bulk actions a user may
take are offered (Wagtail's delete only to those who may delete tickets)."""

from django.contrib.auth.models import Permission
from wagtail.models import ModelLogEntry

from avsoft_support.models import Criticality
from tests.utils import find_one, otp_login, select, text_of

LIST_URL = "/admin/support/tickets/"


def bulk_url(action, *tickets):
    ids = "&".join(f"id={ticket.pk}" for ticket in tickets)
    return f"/admin/bulk/avsoft_support/ticket/{action}/?{ids}&next={LIST_URL}"


def offered(response):
    return {text_of(link) for link in select(response, "[data-bulk-action-button]")}


def test_assign_to_a_colleague_and_back_to_nobody(
    verified_staff_client, make_admin_ticket, make_staff, mailoutbox
):
    boris = make_staff(username="boris", first_name="Boris", last_name="Belov", support_group=True)
    first, second = make_admin_ticket(), make_admin_ticket()
    page = verified_staff_client.get(bulk_url("assign", first, second))
    options = {text_of(option) for option in select(page, "select[name='assignee'] option")}
    assert {"Boris Belov", "Sofia Sidorova", "Unassigned"} <= options

    response = verified_staff_client.post(bulk_url("assign", first, second), {"assignee": boris.pk})
    assert response.status_code == 302
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == boris
    assert ModelLogEntry.objects.filter(action="avsoft_support.ticket.assign").count() == 2

    verified_staff_client.post(bulk_url("assign", first), {"assignee": ""})
    first.refresh_from_db()
    assert first.assignee is None


def test_assign_refuses_someone_who_is_not_a_colleague(
    verified_staff_client, make_admin_ticket, make_member
):
    ticket = make_admin_ticket()
    outsider = make_member(username="outsider")
    response = verified_staff_client.post(bulk_url("assign", ticket), {"assignee": outsider.pk})
    assert response.status_code == 200  # the form again, with its error
    assert select(response, ".error-message, .w-field__errors")
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_set_criticality_in_bulk(verified_staff_client, make_admin_ticket):
    first, second = make_admin_ticket(), make_admin_ticket()
    response = verified_staff_client.post(
        bulk_url("set_criticality", first, second), {"criticality": str(Criticality.CRITICAL)}
    )
    assert response.status_code == 302
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.criticality == Criticality.CRITICAL


def test_delete_is_offered_only_to_those_who_may_delete(
    verified_staff_client, client, make_admin_ticket, make_staff
):
    make_admin_ticket()
    staff_offer = offered(verified_staff_client.get(LIST_URL))
    assert {"Assign to me", "Assign to…", "Set status", "Set criticality"} <= staff_offer
    more = find_one(verified_staff_client.get(LIST_URL), ".bulk-actions-buttons")
    assert "Delete" not in text_of(more)

    boss = make_staff(username="boss", support_group=True)
    boss.user_permissions.add(Permission.objects.get(codename="delete_ticket"))
    otp_login(client, boss)
    boss_offer = offered(client.get(LIST_URL))
    assert "Delete" in boss_offer


def test_read_only_staff_are_offered_no_bulk_action(client, make_admin_ticket, make_staff):
    make_admin_ticket()
    reader = make_staff(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    otp_login(client, reader)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert offered(response) == set()


def test_the_footer_follows_the_language_and_the_actions_offered(
    client, make_admin_ticket, make_staff, support_staff
):
    """The footer's buttons are rendered once per language and set of actions offered
    (bulk_actions.bulk_action_buttons_html): each user, in each language, still gets their
    own, as Wagtail's buttons.html writes them."""
    from django.test import Client
    from wagtail.users.models import UserProfile

    make_admin_ticket()
    boss = make_staff(username="boss", support_group=True)
    boss.user_permissions.add(Permission.objects.get(codename="delete_ticket"))
    staff_client, boss_client = otp_login(client, support_staff), otp_login(Client(), boss)

    def footer(who, language):
        profile = UserProfile.get_for_user(who)
        profile.preferred_language = language
        profile.save()
        response = (staff_client if who == support_staff else boss_client).get(LIST_URL)
        buttons = find_one(response, ".bulk-actions-buttons")
        return {
            text_of(link): link["href"] for link in buttons.select("[data-bulk-action-button]")
        }, text_of(buttons.select_one(".w-dropdown__toggle"))

    base = "/admin/bulk/avsoft_support/ticket/"
    for who, language in (
        (support_staff, "en"),
        (support_staff, "ru"),
        (boss, "ru"),
        (support_staff, "ru"),
        (boss, "en"),
        (support_staff, "en"),
    ):
        links, more = footer(who, language)
        if language == "en":
            assert links["Assign to me"] == f"{base}assign_to_me/"
            assert links["Set status"] == f"{base}set_status/"
            assert more == "More"
        else:
            assert links["Назначить на меня"] == f"{base}assign_to_me/"
            assert links["Изменить статус"] == f"{base}set_status/"
            assert "Assign to me" not in links and more == "Ещё"
        assert (f"{base}delete/" in links.values()) == (who == boss), (who, language)
        assert len(links) == (6 if who == boss else 5)
