from django import template
from django.conf import settings
from wagtail.models import Site

from ..conf import app_settings
from ..models import MemberProfile
from ..models.pages import SupportPageBase, find_support_page

register = template.Library()


@register.simple_tag(takes_context=True)
def support_tickets_url(context):
    """The URL of the support page (the member's ticket list): this site's first, else any;
    "" when there is none."""
    request = context.get("request")
    page = context.get("page")
    if not (isinstance(page, SupportPageBase) and page.live):
        # Not on a support page already: look this site's up (no lookup on the support pages).
        site = Site.find_for_request(request) if request is not None else None
        page = (find_support_page(site) if site is not None else None) or find_support_page()
    if page is None:
        return ""
    return page.get_url(request=request) or ""


@register.inclusion_tag("avsoft_support/widgets/login_box.html", takes_context=True)
def support_login_widget(context):
    """The corner login box.

    For visitors it holds nothing that depends on who asks (no CSRF token, no session data), so
    anonymous pages stay cacheable; login-widget.js adds the token from the cookie on submit.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    in_member_area = match is not None and match.namespace == "avsoft_support"
    # Coming back to a member-area page (login, reset, profile) after logging in or out makes
    # no sense: the login view's own default applies instead.
    next_url = request.get_full_path() if request is not None and not in_member_area else ""
    # A page only its member may see (a ticket, the form) sends them to the support page.
    # (SupportPageMixin.members_only leaves a callable: the URL is made only here.)
    logout_next = getattr(request, "avsoft_support_logout_next", None)
    logout_next = (logout_next() if callable(logout_next) else logout_next) or next_url
    widget = {
        "request": request,
        # The page being served: when it is a support page, "My tickets" needs no lookup.
        "page": context.get("page"),
        "next": next_url,
        "logout_next": logout_next,
        "registration_open": app_settings.REGISTRATION_OPEN,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "on_login_page": in_member_area and match.url_name == "login",
    }
    if user is not None and user.is_authenticated:
        widget.update(member=user, member_name=MemberProfile.objects.for_user(user).display_name)
    return widget
