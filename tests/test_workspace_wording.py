"""Our own phrases where Wagtail's would put a model name in the wrong Russian case or plural:
the canned replies' add button, the triage list's count of matches."""

from django.urls import reverse

from tests.utils import find_one, otp_login, select, text_of

LIST_URL = "/admin/support/tickets/"


def test_the_canned_replies_add_button_is_our_phrase(verified_staff_client):
    response = verified_staff_client.get(reverse("avsoft_support_canned_replies:list"))
    add_url = reverse("avsoft_support_canned_replies:add")
    labels = {text_of(link) for link in select(response, f"a[href='{add_url}']")}
    assert "Add a canned reply" in labels


def test_the_ticket_list_counts_its_matches_in_words_of_its_own(
    verified_staff_client, make_admin_ticket
):
    make_admin_ticket(client_status="current")
    make_admin_ticket(client_status="current")
    make_admin_ticket(client_status="potential")
    response = verified_staff_client.get(LIST_URL, {"client_status": "current"})
    assert text_of(find_one(response, "h2[role=alert]")) == "2 tickets found"
    response = verified_staff_client.get(LIST_URL, {"client_status": "potential"})
    assert text_of(find_one(response, "h2[role=alert]")) == "1 ticket found"


def test_the_client_accounts_add_button_is_our_phrase(client, make_staff):
    otp_login(client, make_staff(username="root", superuser=True))
    response = client.get(reverse("avsoft_support_clients:list"))
    add_url = reverse("avsoft_support_clients:add")
    labels = {text_of(link) for link in select(response, f"a[href='{add_url}']")}
    assert "Add a client account" in labels
