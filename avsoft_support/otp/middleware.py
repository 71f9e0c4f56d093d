"""The staff gate: every Wagtail admin request of a signed-in user must have passed the second
factor."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from . import devices, session
from .urls_staff import UNVERIFIED_ALLOWED
from .urls_staff import app_name as otp_namespace


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
        if not session.staff_gate_applies(request.user):
            return None
        step = "verify" if devices.user_has_confirmed_device(request.user) else "enrol"
        target = reverse(f"{otp_namespace}:{step}")
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
