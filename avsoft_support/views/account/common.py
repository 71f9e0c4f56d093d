"""What the member area's views share: templates, the login URL, account mails and refusals."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from wagtail.models import Site

from ...conf import app_settings
from ...mail import send_mail
from ...ratelimit import too_many_attempts_message

UserModel = get_user_model()
logger = logging.getLogger(__name__)

LOGIN_URL = "avsoft_support:login"
CONFIRM_SALT = "avsoft_support.account.confirm-email"
# What a confirmation link confirms: a new registration, or a member's new address.
REGISTRATION, EMAIL_CHANGE = "r", "c"

member_required = login_required(login_url=LOGIN_URL)


def template(name):
    return f"avsoft_support/account/{name}.html"


def site_name(request):
    site = Site.find_for_request(request)
    return (
        (site and site.site_name)
        or getattr(settings, "WAGTAIL_SITE_NAME", "")
        or request.get_host()
    )


def login_url(next_url):
    """The member area's login URL with ``next``, or None when the site has no login view."""
    for name in (getattr(settings, "LOGIN_URL", None), LOGIN_URL):
        try:
            url = resolve_url(name) if name else None
        except NoReverseMatch:
            url = None
        if url:
            return f"{url}?{urlencode({'next': next_url})}"
    return None


def send_account_email(request, name, to, context):
    """Send ``emails/account_<name>_*`` (subject, plain text and HTML) to one address."""
    context = {"site_name": site_name(request), **context}
    try:
        send_mail(f"account_{name}", [to], context)
    except Exception:
        # As Django's password reset does: the page still answers; "send again" is offered there.
        logger.exception("Could not send the account_%s e-mail", name)


def send_confirmation(request, user, email, kind):
    token = signing.dumps({"u": str(user.pk), "e": email, "k": kind}, salt=CONFIRM_SALT)
    link = request.build_absolute_uri(reverse("avsoft_support:confirm_email", args=[token]))
    name = "confirm" if kind == REGISTRATION else "email_change"
    days = max(1, app_settings.EMAIL_CONFIRMATION_MAX_AGE // 86400)
    send_account_email(request, name, email, {"user": user, "link": link, "days": days})


def refuse(request, template, context, seconds):
    """The page again, without touching the data, saying when to come back (HTTP 429)."""
    context = {**context, "refusal": too_many_attempts_message(seconds)}
    return render(request, template, context, status=429)


def typed_values(request, names):
    return {name: request.POST.get(name, "") for name in names}
