"""SupportPageRoutingMiddleware finds support pages from the cache (avsoft_support.routing):
fewer queries, and never an answer other than Wagtail's own walk of its tree would give."""

import pytest
import swapper
from django.conf import settings
from django.test import Client, override_settings
from wagtail.models import PageViewRestriction, Site

from tests.test_query_counts import count_queries
from tests.utils import find_one, text_of

ROUTING = "avsoft_support.middleware.SupportPageRoutingMiddleware"
WITHOUT_ROUTING = [name for name in settings.MIDDLEWARE if name != ROUTING]


def SupportPage():
    return swapper.load_model("avsoft_support", "SupportPage")


def home_page_model(site):
    return type(site.root_page.specific)


def walked_by_wagtail(path, **headers):
    """The same request answered with Wagtail walking its tree."""
    with override_settings(MIDDLEWARE=WITHOUT_ROUTING):
        return Client(**headers).get(path)


def test_the_routing_middleware_is_in_the_test_settings():
    # Every other test of the suite goes through it; this file compares with Wagtail's walk.
    assert ROUTING in settings.MIDDLEWARE


def test_a_ticket_page_takes_five_queries_fewer_with_the_same_answer(
    client, member, make_ticket, support_page
):
    ticket = make_ticket(member, subject="Export stops at 50%")
    path = f"/support/{ticket.number}/"
    client.force_login(member)
    client.get(path)  # fills the cache
    with_routing = count_queries(client, path)

    with override_settings(MIDDLEWARE=WITHOUT_ROUTING):
        walker = Client()
        walker.force_login(member)
        walker.get(path)
        walked = count_queries(walker, path)
        walked_response = walker.get(path)

    # The site, and the home and support pages found by slug and made specific: 4 queries
    # become 1, the support page by its id; and Wagtail's privacy check (the ancestors' alias
    # links, then their restrictions) is answered by that query.
    assert walked - with_routing == 5
    response = client.get(path)
    assert response.status_code == walked_response.status_code == 200
    assert "Export stops at 50%" in text_of(find_one(response, "main"))
    assert text_of(find_one(response, "main")) == text_of(find_one(walked_response, "main"))


def page_state(page):
    """Every field's value of a loaded page, and whether it came marked as restricted."""
    fields = {f.attname: getattr(page, f.attname) for f in type(page)._meta.concrete_fields}
    return type(page), fields, bool(page.avs_restricted)


@pytest.mark.parametrize("restricted", [False, True])
def test_the_page_is_loaded_as_the_orm_loads_it(restricted, site, support_page):
    """routing._load_page runs the ORM's own query, compiled once, with each request's ids:
    the same page, field by field, as the ORM gives, restricted or not; with the same id
    given twice, and with none."""
    from django.db import connection
    from django.db.models import Exists

    from avsoft_support.routing import _PAGE_QUERIES, _load_page

    if restricted:
        PageViewRestriction.objects.create(page=site.root_page, restriction_type="login")
    guards = sorted({site.root_page.pk, support_page.pk})
    model = type(support_page)
    orm = (
        model.objects.filter(pk=support_page.pk)
        .annotate(avs_restricted=Exists(PageViewRestriction.objects.filter(page_id__in=guards)))
        .get()
    )
    _PAGE_QUERIES.clear()
    for _twice in range(2):  # compiled, then from the compiled SQL
        assert page_state(_load_page(model, support_page.pk, guards)) == page_state(orm)
    # Kept: the page's id and each guard's came out as one parameter each.
    assert _PAGE_QUERIES[(model, len(guards))].kept_on(connection.alias)
    repeated = [*guards, guards[0]]  # the same id twice: the same answer
    assert page_state(_load_page(model, support_page.pk, repeated)) == page_state(orm)
    unguarded = _load_page(model, support_page.pk, [])  # no id to look for: not restricted
    assert page_state(unguarded)[1] == page_state(orm)[1]
    assert not unguarded.avs_restricted
    assert _load_page(model, support_page.pk + 1000, guards) is None


def test_each_route_of_the_page_and_its_wrong_addresses_answer_as_wagtails(
    client, member, make_ticket, support_page
):
    ticket = make_ticket(member)
    client.force_login(member)
    for path in (
        "/support/",
        "/support/new/",
        f"/support/{ticket.number}/",
        "/support/9999-1/",  # nobody's ticket: the page's own 404
        "/support/no-such-route/",  # no route and no child page: Wagtail's 404
        "/support",  # Django's slash redirect
        "/supportx/",
        "/",
    ):
        with override_settings(MIDDLEWARE=WITHOUT_ROUTING):
            walker = Client()
            walker.force_login(member)
            expected = walker.get(path)
        response = client.get(path)
        assert response.status_code == expected.status_code, path
        assert response.get("Location") == expected.get("Location"), path


def test_a_page_renamed_elsewhere_answers_at_its_new_address_only(client, support_page):
    assert client.get("/support/").status_code == 200  # the entry is made
    # Renamed where no signal reaches this process (another server, a queryset update):
    # the entry still names /support/, and the page loaded from it says otherwise.
    SupportPage().objects.filter(pk=support_page.pk).update(slug="help", url_path="/home/help/")

    assert client.get("/support/").status_code == 404
    assert client.get("/help/").status_code == 200
    assert walked_by_wagtail("/support/").status_code == 404


def test_a_page_unpublished_elsewhere_is_not_served(client, support_page):
    assert client.get("/support/").status_code == 200
    SupportPage().objects.filter(pk=support_page.pk).update(live=False)

    assert client.get("/support/").status_code == 404
    assert walked_by_wagtail("/support/").status_code == 404


def test_a_page_deleted_while_another_server_kept_its_entry_is_not_served(client, support_page):
    from django.core.cache import cache

    from avsoft_support import routing

    assert client.get("/support/").status_code == 200
    # Each server with a cache of its own keeps its entries when a page is deleted on another.
    kept = cache.get_many([routing.GENERATION_KEY, routing.entry_key("testserver", "80")])
    assert len(kept) == 2
    SupportPage().objects.get(pk=support_page.pk).delete()
    cache.set_many(kept)

    assert client.get("/support/").status_code == 404
    assert walked_by_wagtail("/support/").status_code == 404


def test_a_page_saved_here_drops_the_entries(client, support_page):
    assert client.get("/support/").status_code == 200
    page = SupportPage().objects.get(pk=support_page.pk)
    page.slug = "help"
    page.save()

    assert client.get("/help/").status_code == 200
    assert client.get("/support/").status_code == 404
    # The new address is found from the cache again, not by walking the tree.
    client.get("/help/")
    assert count_queries(client, "/help/") < count_queries_walked("/help/")


def count_queries_walked(path):
    with override_settings(MIDDLEWARE=WITHOUT_ROUTING):
        walker = Client()
        walker.get(path)
        return count_queries(walker, path)


def test_a_new_support_page_is_found_from_the_cache_once_saved(client, site, support_page):
    assert client.get("/support/").status_code == 200
    site.root_page.add_child(instance=SupportPage()(title="Help", slug="help"))

    client.get("/help/")
    assert count_queries(client, "/help/") == count_queries(client, "/support/")
    assert count_queries(client, "/help/") < count_queries_walked("/help/")


def test_a_private_support_page_still_asks_for_the_login(client, support_page):
    client.get("/support/")
    PageViewRestriction.objects.create(
        page=support_page, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get("/support/new/")
    expected = walked_by_wagtail("/support/new/")
    assert response.status_code == expected.status_code == 302
    assert response["Location"] == expected["Location"]


def test_a_password_protected_support_page_still_asks_for_the_password(client, support_page):
    client.get("/support/")
    PageViewRestriction.objects.create(
        page=support_page, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    response = client.get("/support/")
    assert response.status_code == 200
    assert b"password" in response.content.lower()
    assert "We help our clients" not in response.content.decode()


def test_a_private_home_page_makes_its_support_page_ask_for_the_login(
    client, member, site, support_page
):
    client.force_login(member)
    assert client.get("/support/").status_code == 200  # the entry is made
    # Made private where no page signal is sent (a restriction's own save): the entry stands,
    # and the page's query finds the restriction.
    PageViewRestriction.objects.create(
        page=site.root_page, restriction_type=PageViewRestriction.LOGIN
    )
    client.logout()
    response = client.get("/support/new/")
    expected = walked_by_wagtail("/support/new/")
    assert response.status_code == expected.status_code == 302
    assert response["Location"] == expected["Location"]


def test_a_home_page_for_one_group_keeps_other_members_out(client, member, site, support_page):
    from django.contrib.auth.models import Group

    client.force_login(member)
    assert client.get("/support/").status_code == 200
    restriction = PageViewRestriction.objects.create(
        page=site.root_page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="Partners"))

    response = client.get("/support/")
    assert response.status_code == 302
    assert "We help our clients" not in response.content.decode()
    member.groups.add(Group.objects.get(name="Partners"))
    assert client.get("/support/").status_code == 200


def test_an_alias_support_page_is_guarded_by_its_sources_restrictions(client, site, support_page):
    from wagtail.models import Page

    # A second site made as an alias of the first one's tree: Wagtail checks the source pages'
    # restrictions for an alias.
    alias_home = site.root_page.create_alias(
        recursive=True, parent=Page.get_first_root_node(), update_slug="alias-home"
    )
    Site.objects.create(hostname="alias.example", port=80, root_page=alias_home)
    assert client.get("/support/", HTTP_HOST="alias.example").status_code == 200
    assert client.get("/support/", HTTP_HOST="alias.example").status_code == 200  # cached
    PageViewRestriction.objects.create(
        page=site.root_page, restriction_type=PageViewRestriction.LOGIN
    )

    response = client.get("/support/new/", HTTP_HOST="alias.example")
    expected = walked_by_wagtail("/support/new/", HTTP_HOST="alias.example")
    assert response.status_code == expected.status_code == 302
    assert response["Location"] == expected["Location"]


def test_a_support_page_below_another_is_reached_through_the_outer_pages_routes(
    client, support_page
):
    from django.core.cache import cache

    from avsoft_support import routing

    # The outer page's routes come first in Wagtail's walk: the inner page is not listed, and
    # a request for it goes to the outer page, which finds its child as Wagtail's walk does.
    inner = support_page.add_child(
        instance=SupportPage()(title="Inner", slug="inner", intro="<p>The inner desk.</p>")
    )
    assert inner.url == "/support/inner/"
    client.get("/support/inner/")
    response = client.get("/support/inner/")
    assert response.status_code == 200
    assert "The inner desk." in response.content.decode()
    listed = cache.get(routing.entry_key("testserver", "80"))["pages"]
    assert [page_path for page_path, *_ in listed] == ["/support/"]
    assert count_queries(client, "/support/inner/") < count_queries_walked("/support/inner/")


def test_each_site_is_routed_to_its_own_support_page(client, site, support_page):
    from wagtail.models import Page

    other_home = Page.get_first_root_node().add_child(
        instance=home_page_model(site)(title="Other", slug="other-home")
    )
    Site.objects.create(hostname="help.other.example", port=80, root_page=other_home)
    other_home.add_child(
        instance=SupportPage()(title="Desk", slug="support", intro="<p>The other desk.</p>")
    )
    for _ in range(2):  # the second time from the cache
        other = client.get("/support/", HTTP_HOST="help.other.example")
        ours = client.get("/support/")
        assert "The other desk." in other.content.decode()
        assert "We help our clients" in ours.content.decode()
        assert "The other desk." not in ours.content.decode()


@override_settings(WAGTAIL_I18N_ENABLED=True)
def test_with_wagtails_languages_on_wagtail_routes(client, support_page):
    # A root per language: the way to a page depends on the language, not only the address.
    client.get("/support/")
    assert count_queries(client, "/support/") == count_queries_walked("/support/")


@pytest.mark.parametrize("path", ["/support/", "/"])
def test_a_route_chosen_before_the_middleware_stands(path, client, support_page, site):
    from django.test import RequestFactory

    from avsoft_support import routing

    client.get("/support/")
    request = RequestFactory().get(path)
    request._wagtail_site = site
    assert routing.route_for_request(request) is None


def test_a_view_of_its_own_makes_no_entry(client, support_page):
    from django.core.cache import cache
    from django.urls import reverse

    from avsoft_support import routing

    # The member area, the admin, a site's own views: no site, no page list read for them.
    for path in (reverse("avsoft_support:login"), "/admin/login/", "/no/such/view/at/all"):
        client.get(path)
        assert cache.get(routing.entry_key("testserver", "80")) is None, path
    client.get("/support/")
    assert cache.get(routing.entry_key("testserver", "80")) is not None


def test_the_pages_links_are_the_ones_wagtail_makes_on_each_site(
    client, member, make_ticket, site, support_page
):
    """The middleware hands the page its URL on the request's site (the path its entry was
    made from): every link the pages make is the one Wagtail's get_url gives, on a second
    site too (where Wagtail would give a full URL if it were another site's page)."""
    from wagtail.models import Page

    from tests.utils import hrefs

    other_home = Page.get_first_root_node().add_child(
        instance=home_page_model(site)(title="Other", slug="other-home")
    )
    Site.objects.create(hostname="help.other.example", port=80, root_page=other_home)
    other_home.add_child(instance=SupportPage()(title="Desk", slug="help"))
    ticket = make_ticket(member)
    client.force_login(member)
    for host, path in (
        ("localhost", "/support/"),
        ("localhost", f"/support/{ticket.number}/"),
        ("localhost", "/support/new/"),
        ("help.other.example", "/help/"),
        ("help.other.example", "/help/new/"),
    ):
        for _twice in range(2):
            routed = client.get(path, HTTP_HOST=host)
            with override_settings(MIDDLEWARE=WITHOUT_ROUTING):
                walker = Client(HTTP_HOST=host)
                walker.force_login(member)
                walked = walker.get(path)
            assert routed.status_code == walked.status_code == 200, (host, path)
            assert hrefs(routed) == hrefs(walked), (host, path)
            page_url = "/" + path.strip("/").split("/")[0] + "/"  # the support page's own
            assert any(href.startswith(page_url) for href in hrefs(routed)), (host, path)
