"""The second factor in the session: who must still pass it, marking a session verified,
backup codes waiting to be shown, the member login's hand-over, and safe redirects.
"""

import logging
from urllib.parse import urlsplit

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conf import app_settings
from ..permissions import is_admin_user, must_use_second_factor
from .devices import TOTP_DEVICE_NAME, user_has_confirmed_device

security_logger = logging.getLogger("avsoft_support.security")

# Fresh backup codes wait here until the one page that shows them has shown them.
BACKUP_CODES_SESSION_KEY = "avsoft_support_otp_backup_codes"

# The member-area login's hand-over to `member_otp_verify`: after a right password for a user
# with a confirmed TOTP device, the login view stores these instead of logging the user in
# (use `begin_pending_login`).
PENDING_USER_SESSION_KEY = "avsoft_support_pending_otp_user"
PENDING_BACKEND_SESSION_KEY = "avsoft_support_pending_otp_user_backend"
PENDING_NEXT_SESSION_KEY = "avsoft_support_pending_otp_user_next"


def is_verified(user) -> bool:
    """Whether this request's user has passed the second factor (needs OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    # Without OTPMiddleware there is no way to be verified: fail closed.
    return bool(callable(check) and check())


def staff_gate_applies(user) -> bool:
    """True for an admin user whose session must still pass the second factor: one the rule
    requires it of (`must_use_second_factor`), or one who has a device anyway."""
    if is_verified(user):
        return False
    if must_use_second_factor(user):
        return True
    # An editor who turned a second factor on (here or in the member area) is asked for it:
    # otherwise the admin login would be a way round it. Without a device, no one is sent
    # to enrol.
    return (
        app_settings.STAFF_OTP_REQUIRED and is_admin_user(user) and user_has_confirmed_device(user)
    )


def confirm_totp_device(request, device):
    """Make a just-verified pending device the user's only TOTP device and verify the session.

    The old device (when replacing one) is deleted only now, after the new one has proved
    itself with a code.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = TOTP_DEVICE_NAME
        device.save(update_fields=["confirmed", "name"])
    verify_session(request, device)


def verify_session(request, device):
    """Mark the session as having passed the second factor with `device`.

    The session key changes too, as at login: the verified session is a new privilege.
    """
    request.session.cycle_key()
    django_otp.login(request, device)


def stash_backup_codes(request, codes):
    request.session[BACKUP_CODES_SESSION_KEY] = list(codes)


def pop_backup_codes(request):
    return request.session.pop(BACKUP_CODES_SESSION_KEY, None) or []


def log_failed_code(request, user, where, check):
    """A WARNING on `avsoft_support.security`; never the code itself."""
    security_logger.warning(
        "Second factor refused (%s) for user id %s at %s from %s",
        "throttled" if check.throttled else "wrong code",
        user.pk,
        where,
        request.META.get("REMOTE_ADDR", "?"),
    )


# Redirects


def local_redirect(request, candidate):
    """`candidate` stripped as Django checks it, when it stays on this host; else "".

    Django strips the URL before checking it, so "//" plus a vertical tab passes as the bare
    path "//"; redirecting to the unstripped original would send the browser to a host named
    by that whitespace. A "//" with no host names no page either, so it is refused too.
    """
    candidate = (candidate or "").strip()
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    if not urlsplit(candidate).netloc and candidate.replace("\\", "/").startswith("//"):
        return ""
    return candidate


def safe_next(request, candidate, default):
    """`candidate` when it is a local URL of this host, else `default` (a URL or URL name)."""
    if candidate := local_redirect(request, candidate):
        return candidate
    try:
        return resolve_url(default)
    except NoReverseMatch:
        return "/"


# The member-area login hand-over


def begin_pending_login(request, user, backend, next_url=""):
    """Called by the member login after a right password, for a user who `user_requires_otp`.

    The user is not logged in yet; `member_otp_verify` finishes the login after a right code.
    """
    request.session[PENDING_USER_SESSION_KEY] = user._meta.pk.value_to_string(user)
    request.session[PENDING_BACKEND_SESSION_KEY] = backend
    request.session[PENDING_NEXT_SESSION_KEY] = next_url or ""


def pending_login(request):
    """(user, backend, next) of the pending member login, or None when there is none usable."""
    session = request.session
    pk = session.get(PENDING_USER_SESSION_KEY)
    backend = session.get(PENDING_BACKEND_SESSION_KEY)
    next_url = session.get(PENDING_NEXT_SESSION_KEY) or ""
    if pk is None or backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get(pk=user_model._meta.pk.to_python(pk))
    except (user_model.DoesNotExist, ValidationError, ValueError, TypeError):
        return None
    if not user.is_active:
        return None
    return user, backend, next_url


def clear_pending_login(request):
    for key in (PENDING_USER_SESSION_KEY, PENDING_BACKEND_SESSION_KEY, PENDING_NEXT_SESSION_KEY):
        request.session.pop(key, None)
