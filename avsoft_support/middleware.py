"""Middleware a site may add: the old site's addresses (a 301 to the new ones), and the support
pages found without walking Wagtail's tree."""

from django.http import HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, reverse
from wagtail.models import Site

from . import routing
from .conf import app_settings
from .models.pages import find_support_page


class LegacyRedirectMiddleware:
    """The old site's addresses, printed in the support regulations, answer with a 301.

        /auth.php?register=yes                  -> avsoft_support:register
        /auth.php (anything else)               -> avsoft_support:login
        /personal/user.php?forgot_password=yes  -> avsoft_support:password_reset
        /personal/user.php?register=yes         -> avsoft_support:register
        /personal/user.php (login=yes, other)   -> avsoft_support:login
        /support/ticket_list.php                -> the first live support page

    Only GET and HEAD are redirected. A target the site does not have (no member area URLs,
    no support page) lets the request through. Off unless the site sets
    ``AVSOFT_SUPPORT_LEGACY_REDIRECTS = True``: these are one old site's addresses, and on any
    other site they would answer paths that site may use itself.
    """

    ACCOUNT_PATHS = ("/auth.php", "/personal/user.php")
    TICKET_LIST_PATH = "/support/ticket_list.php"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if app_settings.LEGACY_REDIRECTS and request.method in ("GET", "HEAD"):
            target = self.target_for(request)
            if target:
                return HttpResponsePermanentRedirect(target)
        return self.get_response(request)

    def target_for(self, request):
        path = request.path_info.rstrip("/").lower() or "/"
        if path in self.ACCOUNT_PATHS:
            flags = {key.lower() for key, value in request.GET.items() if value.lower() == "yes"}
            if "forgot_password" in flags:
                return self._reverse("avsoft_support:password_reset")
            if "register" in flags:
                return self._reverse("avsoft_support:register")
            return self._reverse("avsoft_support:login")
        if path == self.TICKET_LIST_PATH:
            # This site's support page first: on a multi-site install each has its own.
            page = find_support_page(Site.find_for_request(request)) or find_support_page()
            return page.get_url(request) if page is not None else None
        return None

    @staticmethod
    def _reverse(name):
        try:
            return reverse(name)
        except NoReverseMatch:
            return None


class SupportPageRoutingMiddleware:
    """Finds a support page for Wagtail from the cache, in one query instead of four
    (``avsoft_support.routing``): each of its routes (the member's list, a ticket, the form,
    filing) answers sooner. Optional; in MIDDLEWARE above any middleware that looks up the
    Wagtail site (a site already found is left alone, and Wagtail routes). Without it Wagtail
    walks its tree, with the same result."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = routing.route_for_request(request)
        if found is not None:
            # Wagtail's serve view and Site.find_for_request take these as already found.
            request._wagtail_site, request._wagtail_route_for_request = found
        return self.get_response(request)
