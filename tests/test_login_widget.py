"""The corner login box: the same markup for every visitor, the member's name and links for members."""

import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from avsoft_support.models import SupportPage
from tests.utils import PASSWORD

LOGIN = reverse("avsoft_support:login")


def widget(response):
    match = re.search(r'<div class="avs-login-box">.*?</div>', response.content.decode(), re.S)
    assert match, "no login box on the page"
    return match.group(0)


def test_visitors_get_a_login_form_without_any_per_user_markup(client, site):
    response = client.get("/")
    assert response.status_code == 200
    box = widget(response)
    assert f'action="{LOGIN}"' in box
    assert '<label for="avs-login-box-username">Username or e-mail</label>' in box
    assert '<label for="avs-login-box-password">Password</label>' in box
    assert '<input type="hidden" name="next" value="/">' in box
    assert reverse("avsoft_support:password_reset") in box
    assert reverse("avsoft_support:register") in box
    assert 'src="/static/avsoft_support/login-widget.js"' in box
    assert "<script>" not in response.content.decode()  # no inline script
    assert "csrfmiddlewaretoken" not in response.content.decode()
    # Nothing makes this response differ between visitors: no cookie is set at all.
    assert not response.cookies


def test_two_visitors_get_byte_identical_pages(site):
    first, second = Client().get("/"), Client().get("/")
    assert first.content == second.content


def test_next_keeps_the_query_string(client, site):
    box = widget(client.get("/?page=2"))
    assert 'name="next" value="/?page=2"' in box


def test_no_register_link_when_registration_is_closed(client, site, settings):
    settings.AVSOFT_SUPPORT_REGISTRATION_OPEN = False
    box = widget(client.get("/"))
    assert reverse("avsoft_support:register") not in box
    assert reverse("avsoft_support:password_reset") in box


def test_members_see_their_name_profile_and_logout(client, site, member):
    client.force_login(member)
    box = widget(client.get("/"))
    assert "Ivan Petrov" in box
    assert reverse("avsoft_support:profile") in box
    assert f'action="{reverse("avsoft_support:logout")}"' in box
    assert 'name="csrfmiddlewaretoken"' in box
    assert 'name="password"' not in box
    assert "My tickets" not in box  # no support page yet


def test_members_get_my_tickets_when_a_support_page_is_live(client, site, member):
    site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    client.force_login(member)
    box = widget(client.get("/"))
    assert '<a href="/support/">My tickets</a>' in box


def test_my_tickets_leads_to_this_sites_support_page(client, site, member):
    from wagtail.models import Page, Site

    from tests.testapp.models import HomePage

    site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other-home"))
    Site.objects.create(hostname="help.other.example", port=80, root_page=home)
    home.add_child(instance=SupportPage(title="Help desk", slug="helpdesk"))
    client.force_login(member)
    assert '<a href="/helpdesk/">My tickets</a>' in widget(
        client.get("/", HTTP_HOST="help.other.example")
    )
    assert '<a href="/support/">My tickets</a>' in widget(client.get("/"))


def test_members_without_a_profile_see_their_username(client, site, django_user_model):
    user = django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD)
    client.force_login(user)
    assert ">editor<" in widget(client.get("/"))


def test_widget_logs_in_from_the_home_page_and_returns_there(client, site, member):
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": "/"})
    assert response.url == "/"
    assert "Ivan Petrov" in widget(client.get("/"))


def test_widget_without_javascript_lands_on_the_login_page(site, member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "member", "password": PASSWORD, "next": "/"})
    assert response.status_code == 200
    assert b"please confirm by logging in again" in response.content
    # The login page's own corner box shows no second login form.
    assert 'name="password"' not in widget(response)


@pytest.mark.parametrize("url_name", ["register", "password_reset"])
def test_on_member_area_pages_the_widget_does_not_send_people_back_there(client, db, url_name):
    box = widget(client.get(reverse(f"avsoft_support:{url_name}")))
    assert 'name="password"' in box
    assert 'name="next"' not in box


def test_widget_renders_without_a_request_in_the_context(db):
    html = Template("{% load avsoft_support_tags %}{% support_login_widget %}").render(Context())
    assert f'action="{LOGIN}"' in html
    assert 'name="next"' not in html


def test_support_tickets_url_tag(rf, site):
    template = Template("{% load avsoft_support_tags %}[{% support_tickets_url %}]")
    assert template.render(Context({"request": rf.get("/")})) == "[]"
    page = site.root_page.add_child(instance=SupportPage(title="Support", slug="support"))
    assert template.render(Context({"request": rf.get("/")})) == "[/support/]"
    page.unpublish()
    assert template.render(Context({"request": rf.get("/")})) == "[]"
