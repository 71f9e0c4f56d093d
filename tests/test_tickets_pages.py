"""The support page's index (intro, rules, the member's list) and the headers customer pages send."""

import django
import pytest

from avsoft_support import tickets
from avsoft_support.models import Ticket, TicketStatus
from tests.utils import (
    assert_in_html,
    definitions,
    find_one,
    hrefs,
    inline_scripts,
    links,
    select,
    text_of,
)

pytestmark = pytest.mark.custom_base_page


@pytest.fixture
def csp_middleware(settings):
    """Django 6 writes the header in its CSP middleware (a site adds it; csp.py asks for our policy)."""
    if django.VERSION >= (6, 0):
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE,
            "django.middleware.csp.ContentSecurityPolicyMiddleware",
        ]


def test_visitor_sees_intro_rules_and_a_way_in(client, support_page):
    response = client.get("/support/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "We help our clients with every product." in content
    assert "One problem per ticket, please." in content
    prompt = find_one(response, "main .avs-login-prompt")
    assert links(prompt) == [
        ("/account/login/?next=%2Fsupport%2F", "Log in"),
        ("/account/register/", "Register"),
    ]
    assert "Create new ticket" not in content
    assert "My tickets" not in [text_of(heading) for heading in select(response, "main h2")]


def test_member_with_no_tickets_gets_a_helpful_empty_state(client, member, support_page):
    client.force_login(member)
    response = client.get("/support/")
    content = response.content.decode()
    assert "You have not filed any tickets yet." in content
    # The button and the empty state.
    new_ticket_links = [
        link for link in links(find_one(response, "main")) if link[0] == "/support/new/"
    ]
    assert new_ticket_links == [("/support/new/", "Create new ticket")] * 2
    assert "One problem per ticket, please." in content


def test_a_site_overrides_one_part_of_the_list_by_its_own_template(
    client, member, make_ticket, support_page, settings, tmp_path
):
    """The parts of the list are templates of their own: a site replaces one, not the page."""
    parts = tmp_path / "avsoft_support" / "tickets" / "includes"
    parts.mkdir(parents=True)
    (parts / "ticket_list_empty.html").write_text("<p>Nothing yet: write to us.</p>")
    (parts / "ticket_filters.html").write_text("<p>Our own filters ({{ filters|length }})</p>")
    engine = {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    settings.TEMPLATES = [engine]
    client.force_login(member)

    response = client.get("/support/")
    assert_in_html("<p>Nothing yet: write to us.</p>", find_one(response, "main"))
    assert "You have not filed any tickets yet." not in response.content.decode()

    make_ticket(member)
    response = client.get("/support/")
    assert_in_html("<p>Our own filters (3)</p>", find_one(response, "main"))
    assert select(response, "nav.avs-filters") == []
    [row] = select(response, "tr.avs-ticket-row")  # the rest of the list is the app's
    assert "Export stops" in text_of(row)


def test_list_shows_number_subject_product_status_and_activity(
    client, member, make_ticket, support_page
):
    ticket = make_ticket(member, subject="Crash on <start>")
    other = make_ticket(member, subject="Question", product=None, product_other="Old Tool")
    Ticket.objects.filter(pk=other.pk).update(status=TicketStatus.WAITING)
    client.force_login(member)

    response = client.get("/support/")

    # Most recent activity first.
    newer, older = select(response, "main tr.avs-ticket-row")
    for row, shown in ((newer, other), (older, ticket)):
        number, subject, product, status, activity = row.find_all("td", recursive=False)
        url = f"/support/{shown.number}/"
        assert_in_html(f'<a href="{url}">{shown.number}</a>', number)
        assert links(subject) == [(url, shown.subject)]
        assert find_one(activity, "time")["datetime"]
    assert text_of(older.find_all("td")[1]) == "Crash on <start>"
    assert [text_of(row.find_all("td")[2]) for row in (newer, older)] == [
        "Old Tool",
        "AVSoft Analyzer",
    ]
    assert_in_html('<span class="avs-status avs-status--new">New</span>', older)
    assert_in_html(
        '<span class="avs-status avs-status--waiting">Waiting for customer</span>', newer
    )
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    assert "private" in response["Cache-Control"]


def test_open_closed_filter(client, member, make_ticket, support_page):
    open_ticket = make_ticket(member, subject="Still open")
    done = make_ticket(member, subject="All done")
    resolved = make_ticket(member, subject="Fixed it")
    tickets.set_status(done, TicketStatus.CLOSED, member)
    Ticket.objects.filter(pk=resolved.pk).update(status=TicketStatus.RESOLVED)
    client.force_login(member)

    everything = client.get("/support/").content.decode()
    assert all(t.subject in everything for t in (open_ticket, done, resolved))
    assert [
        (link["href"], text_of(link), link.get("aria-current"))
        for link in select(everything, "nav.avs-filters a")
    ] == [
        ("?show=all", "All (3)", "page"),
        ("?show=open", "Open (1)", None),
        ("?show=closed", "Resolved and closed (2)", None),
    ]

    opened = client.get("/support/?show=open").content.decode()
    assert "Still open" in opened and "All done" not in opened and "Fixed it" not in opened

    closed = client.get("/support/?show=closed").content.decode()
    assert "Still open" not in closed and "All done" in closed and "Fixed it" in closed

    tickets.set_status(open_ticket, TicketStatus.CLOSED, member)
    assert "You have no open tickets." in client.get("/support/?show=open").content.decode()
    # Anything unknown shows everything.
    assert "Fixed it" in client.get("/support/?show=<script>").content.decode()


def test_list_is_paginated(client, member, make_ticket, support_page):
    for index in range(23):
        make_ticket(member, subject=f"Ticket {index:02d}")
    client.force_login(member)

    first = client.get("/support/")
    pages = find_one(first, "nav.avs-pagination")
    assert "Page 1 of 2" in text_of(pages)
    assert len(select(first, "tr.avs-ticket-row")) == 20
    assert links(pages) == [("?show=all&page=2", "Next page")]

    second = client.get("/support/?page=2")
    rows = select(second, "tr.avs-ticket-row")
    assert len(rows) == 3
    assert "Ticket 00" in text_of(rows[-1])
    # A page number out of range shows the last page rather than an error.
    assert client.get("/support/?page=99").status_code == 200


def test_customer_pages_send_the_csp(client, member, make_ticket, support_page, csp_middleware):
    ticket = make_ticket(member)
    client.force_login(member)
    for path in ("/support/", "/support/new/", f"/support/{ticket.number}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, path
        assert "object-src 'none'" in policy, path
        assert inline_scripts(response) == [], path
    client.logout()
    assert "script-src 'self'" in client.get("/support/")["Content-Security-Policy"]


def test_unknown_ticket_number_for_a_visitor_is_a_404_that_offers_the_login(client, support_page):
    response = client.get("/support/2026-99999/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Ticket not found" in content
    login = "/account/login/?next=%2Fsupport%2F2026-99999%2F"
    assert (login, "Log in") in links(find_one(response, "main"))


def test_a_member_gets_the_same_404_page_for_someone_elses_ticket_and_a_missing_one(
    client, member, make_member, make_ticket, support_page
):
    theirs = make_ticket(make_member(username="olga"), subject="Olga's private problem")
    client.force_login(member)
    pages = [client.get(f"/support/{number}/") for number in (theirs.number, "2026-99999")]
    for response in pages:
        assert response.status_code == 404
        content = response.content.decode()
        assert "Ticket not found" in content
        assert_in_html('<a href="/support/">Back to my tickets</a>', find_one(response, "main"))
        # They are logged in already.
        assert select(response, '[href^="/account/login/"], [action^="/account/login/"]') == []
        assert "private problem" not in content
        assert response["Cache-Control"].startswith("max-age=0")


def test_a_visitor_whose_session_ended_logs_in_back_to_the_ticket(
    client, member, make_ticket, support_page
):
    """Their "Send reply" arrives without a session: the login link leads to the ticket page,
    not to the reply address (a GET there would have nothing to show)."""
    from tests.utils import PASSWORD

    ticket = make_ticket(member)
    response = client.post(f"/support/{ticket.number}/reply/", {"body": "Still broken"})
    assert response.status_code == 404
    login = f"/account/login/?next=%2Fsupport%2F{ticket.number}%2F"
    assert login in hrefs(find_one(response, "main"))
    assert ticket.messages.count() == 1

    response = client.post(login, {"username": "member", "password": PASSWORD})
    assert response["Location"] == f"/support/{ticket.number}/"
    assert client.get(response["Location"]).status_code == 200


def test_logging_out_from_a_ticket_goes_to_the_support_page(
    client, member, make_ticket, support_page
):
    ticket = make_ticket(member)
    client.force_login(member)
    for path in (f"/support/{ticket.number}/", "/support/new/"):
        logout = find_one(client.get(path), ".avs-login-box form")
        assert logout["action"] == "/account/logout/", path
        assert_in_html('<input type="hidden" name="next" value="/support/">', logout)
    response = client.post("/account/logout/", {"next": "/support/"})
    assert response["Location"] == "/support/"
    assert client.get("/support/").status_code == 200


def test_the_login_prompt_offers_registration_only_while_it_is_open(client, support_page, settings):
    def prompt():
        return hrefs(find_one(client.get("/support/"), "main .avs-login-prompt"))

    assert "/account/register/" in prompt()
    settings.AVSOFT_SUPPORT_REGISTRATION_OPEN = False
    assert prompt() == ["/account/login/?next=%2Fsupport%2F"]
    assert "/account/register/" not in hrefs(client.get("/support/"))


def test_not_a_ticket_number(client, member, support_page):
    client.force_login(member)
    assert client.get("/support/not-a-number/").status_code == 404
    assert client.get("/support/2026-1/reply/").status_code == 404


def test_page_that_is_not_live_shows_nothing(client, member, make_ticket, support_page):
    ticket = make_ticket(member)
    support_page.unpublish()
    client.force_login(member)
    assert client.get("/support/").status_code == 404
    assert client.get(f"/support/{ticket.number}/").status_code == 404


def test_ticket_page_shows_every_fact_and_safe_markdown(client, member, make_ticket, support_page):
    ticket = make_ticket(
        member,
        description="Log:\n\n```\n<error code=42/>\n```\n\n[click](javascript:alert(1))",
        steps_to_reproduce="1. Open\n2. **Export**",
    )
    client.force_login(member)
    response = client.get(f"/support/{ticket.number}/")
    main = find_one(response, "main")
    description = find_one(main, "article.avs-message-item .avs-markdown")
    assert find_one(description, "pre > code").get_text() == "<error code=42/>\n"
    assert description.select("a") == []
    assert "javascript:" not in text_of(response)
    assert not [
        value
        for element in select(response, "*")
        for value in element.attrs.values()
        if "javascript:" in str(value)
    ]
    assert_in_html("<strong>Export</strong>", find_one(main, ".avs-ticket-facts"))
    facts = definitions(main)
    assert (
        facts["Product"],
        facts["Product version"],
        facts["Operating system"],
        facts["Criticality"],
    ) == ("AVSoft Analyzer", "5.2.1", "Windows 11", "Normal")
    assert "Opened a big file." in text_of(find_one(main, ".avs-ticket-facts"))


def test_editors_edit_the_texts_in_the_wagtail_admin(client, support_page, django_user_model):
    from tests.utils import otp_login

    editor = django_user_model.objects.create_superuser("editor", "editor@example.com", "x")
    otp_login(client, editor)
    response = client.get(f"/admin/pages/{support_page.pk}/edit/")
    assert response.status_code == 200
    assert "Help texts beside the ticket form" in response.content.decode()
    form = find_one(response, "form#page-edit-form")
    for name in ("intro", "filing_rules", "thank_you_text", "help_subject", "help_attachments"):
        assert form.select(f'[name="{name}"]'), name
    # Each help-text field says what the form shows while it is left empty.
    page_text = text_of(form)
    assert (
        "Left empty, the form shows: “A short summary of the problem, e.g. “Export to PDF stops "
        "at 50%”.”" in page_text
    )
    assert "Left empty, the form shows: “E.g. Windows 11 23H2, Astra Linux 1.7" in page_text
    assert "Left empty, the form shows only the size and number limits" in page_text


@pytest.mark.parametrize(
    ("mode", "expected", "fields"),
    [
        ("form", ["Steps to reproduce it in our lab", "Describe it for the preview."], ["subject"]),
        ("thanks", ["Preview thanks, dear client.", "Example ticket"], []),
    ],
)
def test_editors_preview_the_ticket_form_and_the_thank_you_text(
    client, support_page, support_settings, django_user_model, mode, expected, fields
):
    """What an editor types shows in the preview before it is published; nothing is stored."""
    from wagtail.test.utils.form_data import nested_form_data, rich_text

    from avsoft_support.models import MemberProfile
    from tests.utils import otp_login

    editor = django_user_model.objects.create_superuser("editor", "editor@example.com", "x")
    otp_login(client, editor)
    preview_url = f"/admin/pages/{support_page.pk}/edit/preview/"
    assert [name for name, _label in support_page.preview_modes] == ["", "form", "thanks"]
    data = nested_form_data(
        {
            "title": "Support",
            "slug": "support",
            "intro": rich_text("<p>Intro</p>"),
            "filing_rules": rich_text(""),
            "thank_you_text": rich_text("<p>Preview thanks, dear client.</p>"),
            "help_description": "Describe it for the preview.",
        }
    )
    assert client.post(preview_url, data).json()["is_valid"] is True

    response = client.get(preview_url, {"mode": mode})
    assert response.status_code == 200
    content = response.content.decode()
    for text in expected:
        assert text in content, text
    for name in fields:
        assert find_one(response, "main form").select(f'[name="{name}"]'), name
    assert Ticket.objects.count() == 0
    assert not MemberProfile.objects.filter(user=editor).exists()
    support_page.refresh_from_db()
    assert "Preview thanks" not in support_page.thank_you_text  # not published
