"""Ratings: the resolved ticket's mail carries signed good/bad links; opening one records
nothing, its button records one rating; the ticket page offers the same; the staff screen and
the satisfaction report show it."""

import re

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from avsoft_support import following, ratings, reports, tickets
from avsoft_support.member_data import member_archive_bytes
from avsoft_support.models import (
    ClientAccount,
    Product,
    Rating,
    RatingScore,
    Ticket,
    TicketStatus,
)
from tests.utils import find_one, otp_login, select, text_of

RATE_LINK = re.compile(r"https?://[^/\s]+(/account/rate/[^/\s]+/(good|bad)/)")


@pytest.fixture
def resolve(support_staff, django_capture_on_commit_callbacks):
    def resolve(ticket):
        with django_capture_on_commit_callbacks(execute=True):
            tickets.set_status(ticket, TicketStatus.RESOLVED, support_staff)
        return Ticket.objects.get(pk=ticket.pk)

    return resolve


@pytest.fixture
def ticket(member, make_ticket, support_page, support_staff):
    ticket = make_ticket(member, subject="Export stops")
    tickets.assign(ticket, support_staff, support_staff)
    return ticket


def rating_links(mail):
    return {score: path for path, score in RATE_LINK.findall(mail.body)}


def test_the_resolved_mail_carries_two_links_and_a_get_records_nothing(
    client, ticket, resolve, mailoutbox
):
    mailoutbox.clear()
    resolve(ticket)
    [mail] = mailoutbox
    links = rating_links(mail)
    assert set(links) == {"good", "bad"}
    [(html, _type)] = mail.alternatives
    assert links["good"] in html and links["bad"] in html

    # A mail scanner (or the customer) opens the link: a page with the choice made, no rating.
    response = client.get(links["bad"])
    assert response.status_code == 200
    assert not Rating.objects.exists()
    checked = find_one(response, "form.avs-rating-form input[name=score][checked]")
    assert checked["value"] == "bad"
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_the_button_records_one_rating_and_the_link_then_says_so(
    client, ticket, resolve, mailoutbox, member, support_staff
):
    resolve(ticket)
    link = rating_links(mailoutbox[-1])["good"]
    response = client.post(link, {"score": "good", "comment": "Quick and clear, thanks!"})
    assert response.status_code == 302

    rating = Rating.objects.get()
    assert rating.ticket == ticket
    assert rating.score == RatingScore.GOOD
    assert rating.comment == "Quick and clear, thanks!"
    assert rating.rated_by == member
    assert rating.agent == support_staff
    assert rating.source == "email"

    # Used: the page says it was recorded; a second POST (the other link) changes nothing.
    again = client.get(rating_links(mailoutbox[-1])["bad"])
    assert "was recorded" in text_of(find_one(again, ".avs-rating-recorded"))
    assert not select(again, "form.avs-rating-form")
    client.post(rating_links(mailoutbox[-1])["bad"], {"score": "bad"})
    assert list(Rating.objects.values_list("score", flat=True)) == ["good"]


def test_the_customer_may_change_the_choice_on_the_landing_page(
    client, ticket, resolve, mailoutbox
):
    resolve(ticket)
    client.post(rating_links(mailoutbox[-1])["good"], {"score": "bad", "comment": ""})
    assert Rating.objects.get().score == "bad"


def test_a_followers_copy_has_no_rating_links(ticket, make_member, resolve, mailoutbox, member):
    following.add_cc(ticket, "chief@example.com", member)
    mailoutbox.clear()
    resolve(ticket)
    by_address = {mail.to[0]: mail for mail in mailoutbox}
    assert set(by_address) == {"member@example.com", "chief@example.com"}
    assert rating_links(by_address["member@example.com"])
    assert not rating_links(by_address["chief@example.com"])
    assert "/account/rate/" not in by_address["chief@example.com"].alternatives[0][0]


def test_a_rated_ticket_resolved_again_gets_no_new_links(
    ticket, resolve, mailoutbox, member, support_staff, django_capture_on_commit_callbacks
):
    resolve(ticket)
    ratings.record_rating(ticket, "good", "", member, "page")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, member, "It is back.")
    mailoutbox.clear()
    resolve(Ticket.objects.get(pk=ticket.pk))
    [mail] = mailoutbox
    assert not rating_links(mail)


@pytest.mark.parametrize("bad", ["tampered", "other-salt", "expired"])
def test_altered_and_expired_links_record_nothing(client, ticket, resolve, settings, bad):
    resolve(ticket)
    token = ratings.rating_token(ticket)
    if bad == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif bad == "other-salt":
        token = signing.dumps({"t": ticket.pk, "a": ticket.author_id}, salt="something.else")
    else:
        settings.AVSOFT_SUPPORT_RATING_LINK_MAX_AGE = -1
    url = reverse("avsoft_support:rate", kwargs={"token": token, "score": "good"})
    assert client.get(url).status_code == 400
    response = client.post(url, {"score": "good"})
    assert response.status_code == 400
    expected = "expired" if bad == "expired" else "not valid"
    assert expected in text_of(find_one(response, "main"))
    assert not Rating.objects.exists()


def test_a_link_names_its_ticket_only(client, ticket, member, make_ticket, resolve):
    other = make_ticket(member, subject="Another one")
    resolve(ticket)
    resolve(other)
    url = reverse(
        "avsoft_support:rate", kwargs={"token": ratings.rating_token(other), "score": "good"}
    )
    client.post(url, {"score": "good"})
    assert list(Rating.objects.values_list("ticket_id", flat=True)) == [other.pk]


def test_bad_input_on_the_landing_page(client, ticket, resolve):
    resolve(ticket)
    token = ratings.rating_token(ticket)
    assert client.get(f"/account/rate/{token}/great/").status_code == 404
    url = reverse("avsoft_support:rate", kwargs={"token": token, "score": "good"})
    response = client.post(url, {"score": "excellent", "comment": "x" * 3000})
    assert response.status_code == 200
    assert select(response, ".avs-error-summary")
    assert not Rating.objects.exists()


def test_a_reopened_ticket_is_rated_once_resolved_again(
    client, ticket, resolve, member, django_capture_on_commit_callbacks
):
    resolve(ticket)
    url = reverse(
        "avsoft_support:rate", kwargs={"token": ratings.rating_token(ticket), "score": "good"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, member, "Still broken.")
    response = client.post(url, {"score": "good"})
    assert "open again" in text_of(find_one(response, "main"))
    assert not Rating.objects.exists()


def test_the_ticket_page_offers_the_rating_to_its_author_once(client, ticket, resolve, member):
    url = f"/support/{ticket.number}/"
    client.force_login(member)
    assert not select(client.get(url), "form.avs-rating-form")  # not resolved yet
    resolve(ticket)
    page = client.get(url)
    form = find_one(page, "form.avs-rating-form")
    assert form["action"] == url + "rate/"
    assert find_one(form, "fieldset legend")

    missing = client.post(url + "rate/", {"comment": "no choice"})
    assert missing.status_code == 400
    assert "Choose good or bad." in text_of(find_one(missing, ".avs-error-summary"))

    response = client.post(url + "rate/", {"score": "bad", "comment": "Took **too** long"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.score, rating.source, rating.rated_by) == ("bad", "page", member)
    page = client.get(url)
    assert not select(page, "form.avs-rating-form")
    assert "Rated “Bad”" in text_of(find_one(page, "section.avs-rating"))
    client.post(url + "rate/", {"score": "good"})
    assert Rating.objects.get().score == "bad"


def test_staff_see_the_rating_with_the_comment_sanitized(
    client, ticket, resolve, member, support_staff
):
    resolve(ticket)
    ratings.record_rating(ticket, "bad", "<script>alert(1)</script>**Slow**", member, "email")
    otp_login(client, support_staff)
    response = client.get(reverse("avsoft_support_tickets:edit", args=[ticket.pk]))
    assert response.status_code == 200
    box = find_one(response, "section.avs-rating")
    assert "Bad" in text_of(box)
    assert not select(box, "script")
    assert find_one(box, "strong strong, .avs-markdown strong").get_text() == "Slow"


@pytest.fixture
def rated(make_admin_ticket, support_staff, make_staff):
    """Six rated tickets: two agents, two products, two client statuses."""
    second = make_staff(username="second", first_name="Petr", last_name="Agentov")
    analyzer = Product.objects.create(name="Analyzer")
    server = Product.objects.create(name="Server")
    plan = [
        (support_staff, analyzer, "current", "good"),
        (support_staff, analyzer, "current", "good"),
        (support_staff, server, "potential", "bad"),
        (second, server, "current", "good"),
        (second, server, "potential", "bad"),
        (second, analyzer, "potential", "bad"),
    ]
    for agent, product, status, score in plan:
        ticket = make_admin_ticket(
            client_status=status, product=product, assignee=agent, status="resolved"
        )
        ratings.record_rating(ticket, score, "", ticket.author, "email")
    make_admin_ticket(status="resolved")  # not rated: not counted
    return plan


def test_satisfaction_by_agent_product_client_status_and_week(rated):
    by_agent = reports.satisfaction(Ticket.objects.all(), "agent")
    assert [(row["group"], row["rated"], row["good"], row["satisfaction"]) for row in by_agent] == [
        ("Petr Agentov", 3, 1, 33.3),
        ("Sofia Sidorova", 3, 2, 66.7),
    ]
    by_product = reports.satisfaction(Ticket.objects.all(), "product")
    assert [(row["group"], row["bad"]) for row in by_product] == [("Analyzer", 1), ("Server", 2)]
    by_status = reports.satisfaction(Ticket.objects.all(), "client_status")
    assert [(row["group"], row["satisfaction"]) for row in by_status] == [
        ("Current client", 100.0),
        ("Potential client", 0.0),
    ]
    [week] = reports.satisfaction(Ticket.objects.all(), "week")
    assert (week["rated"], week["good"]) == (6, 3)


SATISFACTION = "/admin/support/reports/satisfaction/"


def test_the_satisfaction_report_page(verified_staff_client, rated):
    response = verified_staff_client.get(SATISFACTION)
    assert response.status_code == 200
    assert select(response, "svg[role=img] rect")
    table = text_of(find_one(response, "table"))
    assert "Sofia Sidorova" in table and "66.7" in table
    by_product = verified_staff_client.get(SATISFACTION, {"group_by": "product"})
    assert "Analyzer" in text_of(find_one(by_product, "table"))
    csv = verified_staff_client.get(SATISFACTION, {"export": "csv"})
    content = b"".join(csv.streaming_content).decode()
    assert content.splitlines()[0] == 'Group,Ratings,Good,Bad,"Satisfaction, percent good"'
    future = verified_staff_client.get(SATISFACTION, {"rated_at_from": "2099-01-01"})
    assert "No ratings match these filters." in future.content.decode()


def test_the_report_costs_the_same_queries_for_6_and_30_ratings(
    verified_staff_client, rated, make_admin_ticket, django_assert_num_queries
):
    verified_staff_client.get(SATISFACTION)
    with CaptureQueriesContext(connection) as queries:
        verified_staff_client.get(SATISFACTION)
    count = len(queries)  # now: the log of queries moves on
    for n in range(24):
        ticket = make_admin_ticket(status="resolved")
        ratings.record_rating(ticket, "good" if n % 2 else "bad", "", ticket.author, "page")
    verified_staff_client.get(SATISFACTION)  # the admin menu's cached counts fill again
    with django_assert_num_queries(count):
        verified_staff_client.get(SATISFACTION)


def test_the_member_data_export_has_ratings_copies_and_follows(
    ticket, resolve, member, make_member, make_ticket
):
    import io
    import json
    import zipfile

    account = ClientAccount.objects.create(company="Romashka", share_tickets=True)
    from avsoft_support.models import MemberProfile

    MemberProfile.objects.filter(user=member).update(client_account=account)
    colleague = make_member(username="colleague", client_account=account)
    theirs = make_ticket(colleague, subject="Colleague's ticket")
    following.follow(theirs, member)
    following.add_cc(ticket, "chief@example.com", member)
    resolve(ticket)
    ratings.record_rating(ticket, "good", "Thanks", member, "page")

    archive = zipfile.ZipFile(io.BytesIO(member_archive_bytes(member)))
    data = json.loads(archive.read("tickets.json"))
    [mine] = data["tickets"]
    assert mine["rating"]["score"] == "good" and mine["rating"]["comment"] == "Thanks"
    assert mine["copied_in"] == ["chief@example.com"]
    assert [entry["ticket"] for entry in data["following"]] == [theirs.number]


def test_from_the_resolved_mail_to_the_report(
    client, verified_staff_client, ticket, resolve, mailoutbox
):
    """The issue's "done when": a resolved ticket's mail carries a rating link that records one
    rating, and the report shows it."""
    resolve(ticket)
    link = rating_links(mailoutbox[-1])["good"]
    client.post(link, {"score": "good", "comment": ""})
    client.post(link, {"score": "good", "comment": ""})
    assert Rating.objects.count() == 1
    response = verified_staff_client.get(SATISFACTION)
    [row] = select(response, "table tbody tr")
    assert "Sofia Sidorova" in text_of(row) and "100.0" in text_of(row)
