from django import template
from django.conf import settings

from ..conf import support_settings
from ..models import MemberProfile, SupportPage

register = template.Library()


@register.simple_tag(takes_context=True)
def support_tickets_url(context):
    """The URL of the site's support page (the member's ticket list), or "" when there is none."""
    page = SupportPage.objects.live().first()
    if page is None:
        return ""
    return page.get_url(request=context.get("request")) or ""


def _display_name(user):
    profile = MemberProfile.objects.filter(user=user).only("full_name").first()
    return (profile and profile.full_name) or user.get_full_name() or user.get_username()


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
    widget = {
        "request": request,
        "next": next_url,
        "registration_open": support_settings.REGISTRATION_OPEN,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "on_login_page": in_member_area and match.url_name == "login",
    }
    if user is not None and user.is_authenticated:
        widget.update(member=user, member_name=_display_name(user))
    return widget
