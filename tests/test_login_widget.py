"""The corner login box: the same markup for every visitor, the member's name and links for members."""

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from avsoft_support.models import SupportPage
from tests.utils import (
    PASSWORD,
    assert_in_html,
    assert_tag_in_html,
    field_value,
    find_one,
    hrefs,
    inline_scripts,
    links,
    text_of,
)

LOGIN = reverse("avsoft_support:login")


def widget(response):
    """The corner login box on the page."""
    return find_one(response, ".avs-login-box")


def test_visitors_get_a_login_form_without_any_per_user_markup(client, site):
    response = client.get("/")
    assert response.status_code == 200
    box = widget(response)
    form = find_one(box, "form")
    assert (form["method"], form["action"]) == ("post", LOGIN)
    assert_in_html('<label for="avs-login-box-username">Username or e-mail</label>', form)
    assert_tag_in_html('<input name="username" id="avs-login-box-username">', form)
    assert_in_html('<label for="avs-login-box-password">Password</label>', form)
    assert_tag_in_html('<input type="password" name="password" id="avs-login-box-password">', form)
    assert_in_html('<input type="hidden" name="next" value="/">', form)
    assert hrefs(box) == [
        reverse("avsoft_support:password_reset"),
        reverse("avsoft_support:register"),
    ]
    assert_tag_in_html('<script src="/static/avsoft_support/login-widget.js">', box)
    assert inline_scripts(response) == []
    assert "csrfmiddlewaretoken" not in response.content.decode()
    # Nothing makes this response differ between visitors: no cookie is set at all.
    assert not response.cookies


def test_two_visitors_get_byte_identical_pages(site):
    first, second = Client().get("/"), Client().get("/")
    assert first.content == second.content


def test_next_keeps_the_query_string(client, site):
    box = widget(client.get("/?page=2"))
    assert field_value(box, "next") == "/?page=2"


def test_no_register_link_when_registration_is_closed(client, site, settings):
    settings.AVSOFT_SUPPORT_REGISTRATION_OPEN = False
    box = widget(client.get("/"))
    assert hrefs(box) == [reverse("avsoft_support:password_reset")]


def test_members_see_their_name_profile_and_logout(client, site, member):
    client.force_login(member)
    box = widget(client.get("/"))
    assert text_of(find_one(box, ".avs-login-box__name")) == "Ivan Petrov"
    assert links(box) == [(reverse("avsoft_support:profile"), "Profile")]  # no support page yet
    form = find_one(box, "form")
    assert (form["method"], form["action"]) == ("post", reverse("avsoft_support:logout"))
    assert field_value(form, "csrfmiddlewaretoken")
    assert_in_html('<button type="submit">Log out</button>', form)
    assert box.select('[name="password"]') == []


def test_members_get_my_tickets_when_a_support_page_is_live(client, site, member):
    site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    client.force_login(member)
    box = widget(client.get("/"))
    assert_in_html('<a href="/support/">My tickets</a>', box)


def test_my_tickets_leads_to_this_sites_support_page(client, site, member):
    from wagtail.models import Page, Site

    from tests.testapp.models import HomePage

    site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other-home"))
    Site.objects.create(hostname="help.other.example", port=80, root_page=home)
    home.add_child(instance=SupportPage(title="Help desk", slug="helpdesk"))
    client.force_login(member)
    assert_in_html(
        '<a href="/helpdesk/">My tickets</a>',
        widget(client.get("/", HTTP_HOST="help.other.example")),
    )
    assert_in_html('<a href="/support/">My tickets</a>', widget(client.get("/")))


def test_members_without_a_profile_see_their_username(client, site, django_user_model):
    user = django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD)
    client.force_login(user)
    assert text_of(find_one(widget(client.get("/")), ".avs-login-box__name")) == "editor"


def test_widget_logs_in_from_the_home_page_and_returns_there(client, site, member):
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": "/"})
    assert response.url == "/"
    assert text_of(find_one(widget(client.get("/")), ".avs-login-box__name")) == "Ivan Petrov"


def test_widget_without_javascript_lands_on_the_login_page(site, member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": "/"})
    assert response.status_code == 200
    assert b"please confirm by logging in again" in response.content
    # The login page's own corner box shows no second login form.
    assert widget(response).select("form, [name='password']") == []


@pytest.mark.parametrize("url_name", ["register", "password_reset"])
def test_on_member_area_pages_the_widget_does_not_send_people_back_there(client, db, url_name):
    box = widget(client.get(reverse(f"avsoft_support:{url_name}")))
    assert_tag_in_html('<input type="password" name="password">', box)
    assert box.select('[name="next"]') == []


def test_widget_renders_without_a_request_in_the_context(db):
    html = Template("{% load avsoft_support_tags %}{% support_login_widget %}").render(Context())
    form = find_one(html, ".avs-login-box form")
    assert form["action"] == LOGIN
    assert form.select('[name="next"]') == []


def test_support_tickets_url_tag(rf, site):
    template = Template("{% load avsoft_support_tags %}[{% support_tickets_url %}]")
    assert template.render(Context({"request": rf.get("/")})) == "[]"
    page = site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    assert template.render(Context({"request": rf.get("/")})) == "[/support/]"
    page.unpublish()
    assert template.render(Context({"request": rf.get("/")})) == "[]"
