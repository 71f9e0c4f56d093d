"""Company sharing: members of one client account see and follow each other's tickets once the
account shares them; copied addresses get the mails; the administrator's switch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from avsoft_support import following, tickets
from avsoft_support.clients.status import unverify
from avsoft_support.models import (
    Attachment,
    ClientAccount,
    MemberProfile,
    Message,
    Ticket,
    TicketFollower,
    TicketStatus,
)
from tests.utils import find_one, select, text_of

COMPANY_URL = "/account/profile/company/"


@pytest.fixture
def account(db):
    return ClientAccount.objects.create(company="Romashka LLC", share_tickets=True)


@pytest.fixture
def colleagues(make_member, account):
    """Anna and Boris of Romashka (sharing on), and Oleg of another company (sharing on too)."""
    other_account = ClientAccount.objects.create(company="Vasilek JSC", share_tickets=True)
    anna = make_member(
        username="anna", full_name="Anna Smirnova", client_account=account, client_status="current"
    )
    boris = make_member(
        username="boris", full_name="Boris Ivanov", client_account=account, client_status="current"
    )
    oleg = make_member(username="oleg", full_name="Oleg Orlov", client_account=other_account)
    return anna, boris, oleg


@pytest.fixture
def annas_ticket(colleagues, make_ticket, support_page):
    anna = colleagues[0]
    return make_ticket(anna, subject="Anna's licence question", files=[("licence.txt", b"KEY")])


def download_url(ticket):
    attachment = Attachment.objects.get(message__ticket=ticket)
    return reverse(
        "avsoft_support:attachment_download",
        kwargs={"pk": attachment.pk, "name": attachment.original_name},
    )


def test_colleagues_see_each_others_tickets_once_sharing_is_on(
    client, account, colleagues, make_ticket, support_page
):
    anna, boris, _oleg = colleagues
    account.share_tickets = False
    account.save()
    annas = make_ticket(anna, subject="Anna's licence question")
    boriss = make_ticket(boris, subject="Boris's export problem")

    client.force_login(boris)
    assert client.get(f"/support/{annas.number}/").status_code == 404
    listing = client.get("/support/")
    assert not select(listing, "nav.avs-tabs")
    assert "Anna's" not in text_of(listing)

    account.share_tickets = True
    account.save()
    page = client.get(f"/support/{annas.number}/")
    assert page.status_code == 200
    assert "Anna Smirnova" in text_of(find_one(page, ".avs-ticket-facts"))
    # A colleague reads; replying and closing stay the author's.
    assert not select(page, "form.avs-reply-form")
    assert not select(page, f'a[href="/support/{annas.number}/close/"]')

    client.force_login(anna)
    assert client.get(f"/support/{boriss.number}/").status_code == 200


def test_the_company_tab_lists_colleagues_tickets_with_their_author(
    client, colleagues, annas_ticket, make_ticket
):
    anna, boris, oleg = colleagues
    make_ticket(boris, subject="Boris's own ticket")
    make_ticket(oleg, subject="Oleg's ticket")
    client.force_login(boris)

    mine = client.get("/support/")
    tabs = find_one(mine, "nav.avs-tabs")
    assert "My tickets (1)" in text_of(tabs) and "Company tickets (1)" in text_of(tabs)
    assert "Boris's own ticket" in text_of(find_one(mine, "table.avs-tickets"))
    assert "Anna's" not in text_of(find_one(mine, "table.avs-tickets"))

    company = client.get("/support/?tab=company")
    table = find_one(company, "table.avs-tickets")
    rows = select(table, "tbody tr")
    assert len(rows) == 1
    assert "Anna's licence question" in text_of(rows[0])
    assert "Anna Smirnova" in text_of(rows[0])
    assert "Oleg" not in text_of(company)
    assert find_one(company, "h2#avs-tickets-heading").get_text() == "Company tickets"
    filters = find_one(company, "nav.avs-filters")
    assert all("tab=company" in a["href"] for a in select(filters, "a"))


def test_the_conversation_names_the_author_to_a_colleague_and_says_you_to_the_author(
    client, colleagues, annas_ticket
):
    anna, boris, _oleg = colleagues

    def customer_labels():
        page = client.get(f"/support/{annas_ticket.number}/")
        return [
            text_of(label)
            for label in select(page, ".avs-message-item--customer .avs-message-author")
        ]

    client.force_login(boris)
    assert customer_labels() == ["Anna Smirnova"]
    client.force_login(anna)
    assert customer_labels() == ["You"]


def test_a_bad_tab_is_my_tickets(client, colleagues, annas_ticket):
    client.force_login(colleagues[1])
    response = client.get("/support/?tab=../../everyone")
    assert response.status_code == 200
    assert "Anna's" not in text_of(find_one(response, "section.avs-ticket-list"))


def test_a_colleague_downloads_the_files(client, colleagues, annas_ticket):
    client.force_login(colleagues[1])
    response = client.get(download_url(annas_ticket))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"KEY"


def test_a_colleague_looking_leaves_the_authors_new_reply_marker(client, colleagues, annas_ticket):
    client.force_login(colleagues[1])
    client.get(f"/support/{annas_ticket.number}/")
    assert Ticket.objects.get(pk=annas_ticket.pk).customer_last_seen_at is None


def test_a_former_member_loses_access_at_once(client, colleagues, annas_ticket, staff_user):
    boris = colleagues[1]
    client.force_login(boris)
    url = f"/support/{annas_ticket.number}/"
    assert client.get(url).status_code == 200
    following.follow(annas_ticket, boris)

    unverify(MemberProfile.objects.get(user=boris), by=staff_user)

    assert client.get(url).status_code == 404
    assert client.get(download_url(annas_ticket)).status_code == 404
    assert "Anna's" not in text_of(client.get("/support/?tab=company"))
    # Their follow stays on record but mails no more.
    assert following.mail_addresses(annas_ticket) == []


def test_a_deactivated_account_shares_nothing(client, account, colleagues, annas_ticket):
    account.active = False
    account.save()
    client.force_login(colleagues[1])
    assert client.get(f"/support/{annas_ticket.number}/").status_code == 404


def test_tickets_of_an_author_who_left_are_no_longer_shared(
    client, colleagues, annas_ticket, staff_user
):
    unverify(MemberProfile.objects.get(user=colleagues[0]), by=staff_user)
    client.force_login(colleagues[1])
    assert client.get(f"/support/{annas_ticket.number}/").status_code == 404


@pytest.mark.parametrize("action", ["reply", "close", "cc", "rate"])
def test_a_colleague_may_not_act_as_the_author(client, colleagues, annas_ticket, action):
    client.force_login(colleagues[1])
    data = {"body": "injected", "email": "x@example.com", "score": "bad"}
    response = client.post(f"/support/{annas_ticket.number}/{action}/", data)
    assert response.status_code == 404
    fresh = Ticket.objects.get(pk=annas_ticket.pk)
    assert fresh.status == TicketStatus.NEW
    assert Message.objects.filter(ticket=fresh).count() == 1
    assert not TicketFollower.objects.exists()
    assert not hasattr(fresh, "rating") or fresh.rating is None


def test_follow_gets_the_mails_and_unfollow_stops_them(
    client,
    colleagues,
    annas_ticket,
    support_staff,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    boris = colleagues[1]
    client.force_login(boris)
    url = f"/support/{annas_ticket.number}/"
    assert "Follow" in text_of(find_one(client.get(url), "section.avs-following"))

    response = client.post(url + "follow/", {"action": "follow"})
    assert response.status_code == 302
    assert TicketFollower.objects.filter(ticket=annas_ticket, user=boris).exists()
    assert "Unfollow" in text_of(find_one(client.get(url), "section.avs-following"))
    client.post(url + "follow/", {"action": "follow"})  # twice: still one follow
    assert TicketFollower.objects.filter(ticket=annas_ticket).count() == 1

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(annas_ticket, support_staff, "Here is the fix.", from_staff=True)
    recipients = sorted(address for mail in mailoutbox for address in mail.to)
    assert recipients == ["anna@example.com", "boris@example.com"]
    to_boris = next(mail for mail in mailoutbox if mail.to == ["boris@example.com"])
    assert "you follow" in to_boris.body and "Here is the fix." in to_boris.body
    assert "Reply-To" not in to_boris.extra_headers
    assert "rate" not in to_boris.body.lower().split("you follow")[0]

    client.post(url + "follow/", {"action": "unfollow"})
    assert not TicketFollower.objects.exists()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(annas_ticket, support_staff, "One more thing.", from_staff=True)
    assert [mail.to for mail in mailoutbox] == [["anna@example.com"]]


def test_a_get_of_follow_changes_nothing(client, colleagues, annas_ticket):
    client.force_login(colleagues[1])
    response = client.get(f"/support/{annas_ticket.number}/follow/")
    assert response.status_code == 302
    assert not TicketFollower.objects.exists()


def test_the_author_copies_a_colleague_in(
    client,
    colleagues,
    annas_ticket,
    support_staff,
    make_member,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    anna, _boris, oleg = colleagues
    client.force_login(anna)
    url = f"/support/{annas_ticket.number}/"

    response = client.post(url + "cc/", {"email": " chief@romashka.example "})
    assert response.status_code == 302
    # Oleg, of another company, copied in: mails, and still no access.
    client.post(url + "cc/", {"email": oleg.email})
    assert sorted(TicketFollower.objects.values_list("email", flat=True)) == [
        "chief@romashka.example",
        "oleg@example.com",
    ]
    section = find_one(client.get(url), "section.avs-following")
    assert "chief@romashka.example" in text_of(section)

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.set_status(annas_ticket, TicketStatus.WAITING, support_staff)
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "anna@example.com",
        "chief@romashka.example",
        "oleg@example.com",
    ]
    client.force_login(oleg)
    assert client.get(url).status_code == 404

    client.force_login(anna)
    chief = TicketFollower.objects.get(email="chief@romashka.example")
    client.post(url + "cc/", {"remove": str(chief.pk)})
    assert list(TicketFollower.objects.values_list("email", flat=True)) == ["oleg@example.com"]


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("", "Enter an e-mail address."),
        ("not an address", "Enter a valid e-mail address."),
        ("ANNA@example.com", "You get this ticket's e-mails already."),
    ],
)
def test_bad_cc_addresses_are_refused_with_the_reason(
    client, colleagues, annas_ticket, address, error
):
    client.force_login(colleagues[0])
    response = client.post(f"/support/{annas_ticket.number}/cc/", {"email": address})
    assert response.status_code == 400
    assert error in text_of(find_one(response, "form.avs-cc-form"))
    assert not TicketFollower.objects.exists()


def test_the_same_cc_twice_and_the_limit(client, colleagues, annas_ticket, settings):
    settings.AVSOFT_SUPPORT_MAX_CC_ADDRESSES = 2
    client.force_login(colleagues[0])
    url = f"/support/{annas_ticket.number}/cc/"
    client.post(url, {"email": "one@example.com"})
    response = client.post(url, {"email": "ONE@example.com"})
    assert "already" in text_of(find_one(response, "form.avs-cc-form"))
    client.post(url, {"email": "two@example.com"})
    response = client.post(url, {"email": "three@example.com"})
    assert response.status_code == 400
    assert "at most 2" in text_of(find_one(response, "form.avs-cc-form"))
    assert TicketFollower.objects.count() == 2


def test_the_administrator_switches_sharing(client, account, colleagues, annas_ticket):
    anna, boris, _oleg = colleagues
    account.share_tickets = False
    account.administrator = MemberProfile.objects.get(user=anna)
    account.save()

    client.force_login(boris)
    page = client.get(COMPANY_URL)
    assert page.status_code == 200
    assert "Anna Smirnova administers" in text_of(page)
    assert not select(page, "input[name=share_tickets]")
    assert client.post(COMPANY_URL, {"share_tickets": "on"}).status_code == 404
    assert not ClientAccount.objects.get(pk=account.pk).share_tickets

    client.force_login(anna)
    assert find_one(client.get(COMPANY_URL), "input[name=share_tickets]")
    assert client.post(COMPANY_URL, {"share_tickets": "on"}).status_code == 302
    assert ClientAccount.objects.get(pk=account.pk).share_tickets
    assert ModelLogEntry.objects.filter(action="avsoft_support.client.sharing").count() == 1

    client.force_login(boris)
    assert client.get(f"/support/{annas_ticket.number}/").status_code == 200

    client.force_login(anna)
    client.post(COMPANY_URL, {})  # the box unticked
    assert not ClientAccount.objects.get(pk=account.pk).share_tickets


def test_a_former_administrator_and_strangers_get_404(
    client, account, colleagues, make_member, staff_user
):
    anna, _boris, oleg = colleagues
    account.share_tickets = False
    account.administrator = MemberProfile.objects.get(user=anna)
    account.save()
    unverify(MemberProfile.objects.get(user=anna), by=staff_user)

    client.force_login(anna)
    assert client.get(COMPANY_URL).status_code == 404
    assert client.post(COMPANY_URL, {"share_tickets": "on"}).status_code == 404
    client.force_login(make_member(username="loner"))
    assert client.get(COMPANY_URL).status_code == 404
    client.logout()
    assert client.get(COMPANY_URL).status_code == 302  # to the login
    assert not ClientAccount.objects.get(pk=account.pk).share_tickets
    # Oleg's own account page says who may switch it.
    client.force_login(oleg)
    assert "support staff can change this" in text_of(client.get(COMPANY_URL))


def test_staff_switch_sharing_and_pick_the_administrator_among_members(
    verified_staff_client, account, colleagues, make_member
):
    make_member(username="outsider", full_name="Outsider Person")
    response = verified_staff_client.get(reverse("avsoft_support_clients:edit", args=[account.pk]))
    assert response.status_code == 200
    assert find_one(response, "input[name=share_tickets]")
    options = [text_of(option) for option in select(response, "select[name=administrator] option")]
    assert "Anna Smirnova" in options and "Boris Ivanov" in options
    assert "Outsider Person" not in options and "Oleg Orlov" not in options


def test_the_company_tab_costs_the_same_queries_for_1_and_30_tickets(
    client, colleagues, make_admin_ticket, django_assert_num_queries, support_page
):
    anna, boris, _oleg = colleagues
    make_admin_ticket(author=anna)
    client.force_login(boris)
    client.get("/support/?tab=company")  # warm the site caches
    with CaptureQueriesContext(connection) as queries:
        client.get("/support/?tab=company")
    count = len(queries)  # now: the log of queries moves on
    for _n in range(29):
        make_admin_ticket(author=anna)
    with django_assert_num_queries(count):
        response = client.get("/support/?tab=company")
    assert len(select(response, "table.avs-tickets tbody tr")) == 20


def test_deleting_the_account_stops_the_copies(client, colleagues, annas_ticket):
    from avsoft_support.member_data import delete_member

    anna, boris, _oleg = colleagues
    following.add_cc(annas_ticket, "chief@romashka.example", anna)
    following.follow(Ticket.objects.get(pk=annas_ticket.pk), boris)
    delete_member(anna)
    assert not TicketFollower.objects.exists()
    client.force_login(boris)
    assert client.get(f"/support/{annas_ticket.number}/").status_code == 404


def test_removing_a_copy_of_another_ticket_or_nonsense_changes_nothing(
    client, colleagues, annas_ticket, make_ticket
):
    anna, boris, _oleg = colleagues
    boriss = make_ticket(boris, subject="Boris's ticket")
    theirs = following.add_cc(boriss, "boss@example.com", boris)
    client.force_login(anna)
    url = f"/support/{annas_ticket.number}/cc/"
    assert client.post(url, {"remove": str(theirs.pk)}).status_code == 302
    assert client.post(url, {"remove": "abc"}).status_code == 302
    assert list(TicketFollower.objects.values_list("email", flat=True)) == ["boss@example.com"]
