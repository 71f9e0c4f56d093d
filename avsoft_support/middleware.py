"""Request gates: the staff OTP gate and the old site's addresses."""


class StaffOTPMiddleware:
    """Every Wagtail admin request of a signed-in user must have passed the second factor.

    An authenticated admin user whose session is not OTP-verified is sent from any admin URL
    to the verify step (or to enrolment when they have no device yet), with the page they
    asked for as a checked ``next``. Open to them: Wagtail's login, logout, password reset,
    JavaScript catalogue and icon sprite, static files, and our verify and enrol views.
    Anonymous visitors and users without admin access get Wagtail's own handling.

    "Under the admin" is decided by where the site mounted it (the URL of
    ``wagtailadmin_home``), and the allow-list by URL names, so no path is hard-coded.
    Needs django-otp's OTPMiddleware before it (system check avsoft_support.E002/E003).
    """

    ALLOWED_URL_NAMES = frozenset(
        {
            "wagtailadmin_login",
            "wagtailadmin_logout",
            "wagtailadmin_javascript_catalog",
            "wagtailadmin_sprite",
            "wagtailadmin_password_reset",
            "wagtailadmin_password_reset_done",
            "wagtailadmin_password_reset_confirm",
            "wagtailadmin_password_reset_complete",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings
        from django.shortcuts import redirect
        from django.urls import NoReverseMatch, reverse
        from django.utils.http import urlencode

        from . import otp
        from .urls_admin_otp import UNVERIFIED_ALLOWED
        from .urls_admin_otp import app_name as otp_namespace

        try:
            admin_home = reverse("wagtailadmin_home")
        except NoReverseMatch:  # a URLconf (e.g. per host) without the admin
            return None
        if not request.path.startswith(admin_home):
            return None
        match = request.resolver_match
        if match is not None:
            if match.url_name in self.ALLOWED_URL_NAMES and not match.namespaces:
                return None
            if otp_namespace in match.namespaces and match.url_name in UNVERIFIED_ALLOWED:
                return None
        if settings.STATIC_URL and request.path.startswith(str(settings.STATIC_URL)):
            return None
        if not otp.staff_gate_applies(request.user):
            return None
        step = "verify" if otp.user_has_confirmed_device(request.user) else "enrol"
        target = reverse(f"{otp_namespace}:{step}")
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


class LegacyRedirectMiddleware:
    """The old site's addresses, printed in the support regulations, answer with a 301.

        /auth.php?register=yes                  -> avsoft_support:register
        /auth.php (anything else)               -> avsoft_support:login
        /personal/user.php?forgot_password=yes  -> avsoft_support:password_reset
        /personal/user.php?register=yes         -> avsoft_support:register
        /personal/user.php (login=yes, other)   -> avsoft_support:login
        /support/ticket_list.php                -> the first live support page

    Only GET and HEAD are redirected. A target the site does not have (no member area URLs,
    no support page) lets the request through. ``AVSOFT_SUPPORT_LEGACY_REDIRECTS = False``
    turns it off.
    """

    ACCOUNT_PATHS = ("/auth.php", "/personal/user.php")
    TICKET_LIST_PATH = "/support/ticket_list.php"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .conf import support_settings

        if support_settings.LEGACY_REDIRECTS and request.method in ("GET", "HEAD"):
            target = self.target_for(request)
            if target:
                from django.http import HttpResponsePermanentRedirect

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
            from wagtail.models import Site

            from .models.pages import find_support_page

            # This site's support page first: on a multi-site install each has its own.
            page = find_support_page(Site.find_for_request(request)) or find_support_page()
            return page.get_url(request) if page is not None else None
        return None

    @staticmethod
    def _reverse(name):
        from django.urls import NoReverseMatch, reverse

        try:
            return reverse(name)
        except NoReverseMatch:
            return None
