"""The old site's addresses from the printed regulations redirect permanently to the new pages.

One company's old addresses: off by default, so this module turns them on (as the demo does).
"""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def legacy_redirects_on(settings):
    settings.AVSOFT_SUPPORT_LEGACY_REDIRECTS = True


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/auth.php?register=yes", "/account/register/"),
        ("/personal/user.php?login=yes", "/account/login/"),
        ("/personal/user.php?forgot_password=yes", "/account/password-reset/"),
        ("/personal/user.php?register=yes", "/account/register/"),
        ("/personal/user.php", "/account/login/"),
        ("/auth.php", "/account/login/"),
        ("/auth.php?login=yes", "/account/login/"),
        ("/support/ticket_list.php", "/support/"),
        ("/SUPPORT/Ticket_List.php", "/support/"),
    ],
)
def test_old_address_redirects_permanently(client, support_page, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_ticket_list_goes_to_the_first_live_support_page(client, site, support_page):
    from avsoft_support.models import SupportPage

    support_page.unpublish()
    second = site.root_page.add_child(instance=SupportPage(title="Help desk", slug="helpdesk"))
    response = client.get("/support/ticket_list.php")
    assert response.status_code == 301
    assert response["Location"] == second.url


def test_ticket_list_goes_to_this_sites_support_page(client, site, support_page):
    from wagtail.models import Page, Site

    from avsoft_support.models import SupportPage
    from tests.testapp.models import HomePage

    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other-home"))
    Site.objects.create(hostname="help.other.example", port=80, root_page=home)
    home.add_child(instance=SupportPage(title="Help desk", slug="helpdesk"))
    response = client.get("/support/ticket_list.php", HTTP_HOST="help.other.example")
    assert response.status_code == 301
    assert response["Location"] == "/helpdesk/"
    assert client.get("/support/ticket_list.php")["Location"] == "/support/"


def test_without_a_support_page_the_request_goes_on(client, site):
    assert client.get("/support/ticket_list.php").status_code == 404


def test_other_addresses_and_methods_are_left_alone(client, support_page):
    assert client.get("/auth.phpx").status_code == 404
    assert client.get("/personal/other.php").status_code == 404
    assert client.post("/auth.php?register=yes").status_code == 404


@override_settings(AVSOFT_SUPPORT_LEGACY_REDIRECTS=False)
@pytest.mark.parametrize(
    "old",
    ["/auth.php?register=yes", "/personal/user.php?login=yes", "/support/ticket_list.php"],
)
def test_setting_turns_them_off(client, support_page, old):
    assert client.get(old).status_code == 404


@pytest.mark.parametrize(
    "old",
    ["/auth.php?register=yes", "/personal/user.php?login=yes", "/support/ticket_list.php"],
)
def test_they_are_off_by_default(client, support_page, settings, old):
    del settings.AVSOFT_SUPPORT_LEGACY_REDIRECTS
    assert client.get(old).status_code == 404
