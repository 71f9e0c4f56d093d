"""The way to a support page, read from the cache (issue 12).

Wagtail finds the page for a request by its site (one query) and then by walking the tree
from the site's root, a query or two a level: four queries before a support page sees a
request for one of its routes. ``route_for_request`` finds the page in a cached list of the
site's live support pages and loads it in one query; ``SupportPageRoutingMiddleware`` hands
that route to Wagtail's serve view, which takes a route already found
(``Page.route_for_request`` reads ``request._wagtail_route_for_request``). Wagtail's
before-serve hooks, its privacy check among them, run as always; that check's own two queries
(the ancestors' alias links, then their restrictions) are answered by the page's query, which
tells whether a restriction exists, now, for the ids the entry keeps (the page's and its
ancestors', an alias's by its source).

It never answers differently from Wagtail's own walk:

- a page is listed only when every page above it, from the site's root, routes as Wagtail's
  ``Page`` does (a routable home page could answer the support page's path itself);
- each request checks that the page it loaded is still live at the same place in the tree: a
  page moved, renamed or unpublished since its entry was made drops every entry;
- any other case, and any site with Wagtail's internationalisation on (a root per language),
  is left to Wagtail.

A save or delete of any page or site, or a page move, drops every entry; otherwise an entry
lasts ``ROUTES_CACHE_SECONDS``. A new support page is routed by Wagtail until then: only slower.
"""

import hashlib
import uuid

import swapper
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import router
from django.db.models import Exists
from django.http import Http404
from django.http.request import split_domain_port
from django.urls import Resolver404, resolve
from wagtail.models import PageViewRestriction, Site

from .kept_queries import KeptQuery
from .models.pages import live_support_pages

ROUTES_CACHE_SECONDS = 300
GENERATION_KEY = "avsoft_support:routes:generation"
_SITE_FIELDS = tuple(field.attname for field in Site._meta.concrete_fields)
# The site's fields and the entry's own format in the key: a release of Wagtail or of ours
# that changes either never reads old entries.
_ENTRY_FORMAT = "pages: URL path, id, model, tree URL path, ids guarding its privacy"
_DIGEST = hashlib.sha256(" ".join((*_SITE_FIELDS, _ENTRY_FORMAT)).encode()).hexdigest()[:12]


def entry_key(hostname, port):
    return f"avsoft_support:routes:{_DIGEST}:{hostname}:{port}"


def forget_all():
    """Every host's entry is made again on its next request."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def route_for_request(request):
    """``(site, route)``: Wagtail's site and route for this request when it asks for a listed
    support page, or None (then Wagtail finds them itself)."""
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        return None
    if hasattr(request, "_wagtail_route_for_request") or hasattr(request, "_wagtail_site"):
        return None  # something before us chose them: theirs stand
    key = entry_key(split_domain_port(request._get_raw_host())[0], request.get_port())
    found = cache.get_many([GENERATION_KEY, key])
    entry = found.get(key)
    generation = found.get(GENERATION_KEY)
    if entry is None or generation is None or entry["generation"] != generation:
        if not _served_by_wagtail(request):
            return None  # the admin, the member area, a site's own views: nothing to make
        entry = _make_entry(request, key, generation)
    path = request.path_info
    for page_path, page_id, model_label, url_path, guards in entry["pages"]:
        if path == page_path or path.startswith(page_path.rstrip("/") + "/"):
            return _route(
                request,
                entry["site"],
                path[len(page_path) :],
                (page_path, page_id, model_label, url_path, guards),
            )
    return None


def _route(request, site_values, rest, listed):
    page_path, page_id, model_label, url_path, guards = listed
    page = _load_page(apps.get_model(model_label), page_id, guards)
    if page is None or not page.live or page.url_path != url_path:
        forget_all()  # stale: moved, renamed, unpublished or deleted since the entry was made
        return None
    # Wagtail's privacy check, answered from this query when nothing restricts the page (the
    # usual case); with a restriction, its rows are read by the ids found for the entry
    # (SupportPageBase.get_view_restrictions).
    page._avsoft_view_guards = guards if page.avs_restricted else ()
    try:
        route = page.route(request, [part for part in rest.split("/") if part])
    except Http404:
        return None  # Wagtail's own walk answers the same 404
    site = Site.from_db(router.db_for_read(Site), _SITE_FIELDS, site_values)
    # The page's URL on this request's site is the path its entry was made from (Wagtail's
    # get_url_parts, for this site): SupportPageBase._url_for need not work it out again.
    request.__dict__.setdefault("_avsoft_support_page_urls", {})[page.pk] = page_path
    return site, route


# (page model, number of guarding ids) -> the kept query that loads such a page.
_PAGE_QUERIES = {}


def _page_query(model, page_id, guards):
    # No ORDER BY (first() would order by the tree path): compiling it for some sixty
    # columns cost a third of the query.
    return (
        model._default_manager.filter(pk=page_id)
        .annotate(avs_restricted=Exists(PageViewRestriction.objects.filter(page_id__in=guards)))
        .order_by()[:1]
    )


def _load_page(model, page_id, guards):
    """The page, with ``avs_restricted``: whether a view restriction exists on any of
    ``guards``. The ORM's query, compiled once per model and number of guards
    (kept_queries): compiling its select of some forty columns of a page was 0.6-0.9 ms of
    every support page's request (issue 12)."""
    key = (model, len(guards))
    kept = _PAGE_QUERIES.get(key)
    if kept is None:
        kept = _PAGE_QUERIES[key] = KeptQuery(
            model,
            lambda page, *guarding: _page_query(model, page, guarding),
            kinds=("id",) * (1 + len(guards)),
        )
    return kept.first(page_id, *guards)


def _served_by_wagtail(request):
    from wagtail.views import serve  # it loads the page model: not before the apps are ready

    try:
        match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.func is serve


def _make_entry(request, key, generation):
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(GENERATION_KEY, generation, None)
    entry = {"generation": generation, "site": None, "pages": []}
    site = Site.find_for_request(request)
    if site is not None:
        entry["site"] = tuple(getattr(site, name) for name in _SITE_FIELDS)
        entry["pages"] = _support_pages_of(site, request)
    cache.set(key, entry, ROUTES_CACHE_SECONDS)
    return entry


def _support_pages_of(site, request):
    """(URL path, page id, model label, tree URL path) of each live support page of the site
    that Wagtail reaches through pages routing as Wagtail's Page does; deepest first."""
    root = site.root_page
    base_route = swapper.load_model("wagtailcore", "Page").route
    pages = []
    for page in live_support_pages().descendant_of(root, inclusive=True).specific():
        above = page.get_ancestors().specific()
        if any(
            type(ancestor).route is not base_route
            for ancestor in above
            if ancestor.depth >= root.depth
        ):
            continue
        parts = page.get_url_parts(request)
        if parts is None or parts[0] != site.pk:
            continue
        # Whose view restrictions apply: the page's and its ancestors', an alias's by its
        # source (as Page.get_view_restrictions finds them).
        guards = sorted({p.alias_of_id or p.pk for p in (*above, page)})
        pages.append((parts[2], page.pk, page._meta.label, page.url_path, guards))
    pages.sort(key=lambda listed: len(listed[0]), reverse=True)
    return pages
