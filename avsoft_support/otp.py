"""The second factor on django-otp: devices, backup codes, the QR code, code checks.

Staff (every admin session) and members who opt in use the same devices: one TOTP device
("Authenticator app") and one static device holding the backup codes. Views and the staff gate
call these helpers; nothing here renders a page.
"""

import logging
import math
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conf import support_settings

security_logger = logging.getLogger("avsoft_support.security")

# Device names are stored data, not interface text: they stay in English.
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10

# Wagtail log action recorded on the user when a superuser resets their devices.
RESET_ACTION = "avsoft_support.otp.reset"

# Fresh backup codes wait here until the one page that shows them has shown them.
BACKUP_CODES_SESSION_KEY = "avsoft_support_otp_backup_codes"

# The member-area login's hand-over to `member_otp_verify`: after a right password for a user
# with a confirmed TOTP device, the login view stores these instead of logging the user in
# (use `begin_pending_login`).
PENDING_USER_SESSION_KEY = "avsoft_support_pending_otp_user"
PENDING_BACKEND_SESSION_KEY = "avsoft_support_pending_otp_user_backend"
PENDING_NEXT_SESSION_KEY = "avsoft_support_pending_otp_user_next"
# Also read, so that a login view written with the shorter spelling still works.
_PENDING_BACKEND_ALIASES = (PENDING_BACKEND_SESSION_KEY, "avsoft_support_pending_otp_backend")
_PENDING_NEXT_ALIASES = (PENDING_NEXT_SESSION_KEY, "avsoft_support_pending_otp_next")


# Who needs what


def user_requires_otp(user) -> bool:
    """True when the user has a confirmed TOTP device, so a login must ask for a code."""
    if user is None or not user.is_authenticated:
        return False
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def user_has_confirmed_device(user) -> bool:
    """True when the user has any confirmed device (TOTP or backup codes) to verify with."""
    return django_otp.user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    """Whether this request's user has passed the second factor (needs OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    # Without OTPMiddleware there is no way to be verified: fail closed.
    return bool(callable(check) and check())


def staff_gate_applies(user) -> bool:
    """True for an authenticated admin user who must still pass the second factor."""
    return (
        support_settings.STAFF_OTP_REQUIRED
        and user is not None
        and user.is_authenticated
        and not is_verified(user)
        and user.has_perm("wagtailadmin.access_admin")
    )


# Devices


def confirmed_totp_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def pending_totp_device(user):
    """The user's unconfirmed TOTP device, created on first call and reused until confirmed.

    Reusing it keeps the QR code the same when the enrolment page is reloaded.
    """
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


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


def _new_backup_code():
    # 8 characters of base32 (40 random bits). Never all digits, so a backup code is never
    # mistaken for (and never throttles) the authenticator app's numeric codes.
    while True:
        code = StaticToken.random_token()
        if not code.isdigit():
            return code


def generate_backup_codes(user, count=BACKUP_CODE_COUNT):
    """Replace the user's backup codes with `count` new ones and return them (plain text).

    django-otp stores static tokens as they are; the interface shows them once only.
    """
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        else:
            StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.token_set.all().delete()
            device.confirmed = True
            device.throttle_reset(commit=False)
            device.save()
        codes = [_new_backup_code() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remaining_backup_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def delete_devices(user) -> int:
    """Remove every OTP device of the user (TOTP and backup codes). Returns how many."""
    count = 0
    with transaction.atomic():
        for device in django_otp.devices_for_user(user, confirmed=None):
            device.delete()
            count += 1
    return count


def stash_backup_codes(request, codes):
    request.session[BACKUP_CODES_SESSION_KEY] = list(codes)


def pop_backup_codes(request):
    return request.session.pop(BACKUP_CODES_SESSION_KEY, None) or []


# Enrolment display


def secret_base32(device) -> str:
    return b32encode(device.bin_key).decode("ascii")


def secret_for_display(device) -> str:
    """The secret in groups of four characters, as authenticator apps accept it typed."""
    secret = secret_base32(device).rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def config_url(device) -> str:
    """The otpauth:// URL of the device, naming the site as issuer when OTP_TOTP_ISSUER is unset."""
    issuer = getattr(settings, "WAGTAIL_SITE_NAME", None)
    if getattr(settings, "OTP_TOTP_ISSUER", None) or not isinstance(issuer, str) or not issuer:
        # django-otp's own URL, with OTP_TOTP_ISSUER when the site set it.
        return device.config_url
    issuer = issuer.replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": secret_base32(device).rstrip("="),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(issuer)}"


def qr_code_svg(device, title="") -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no request leaves the page)."""
    qr = segno.make(config_url(device), error="m")
    # Black on white with a quiet zone, whatever the page's theme: scanners need the contrast.
    svg = qr.svg_inline(
        scale=5, dark="#000", light="#fff", title=title or None, svgclass="avs-otp-qr"
    )
    return mark_safe(svg)


# Checking a code


@dataclass
class CodeCheck:
    """The result of checking a code: the device that took it, or why none did."""

    device: object = None
    wait_seconds: int = 0

    @property
    def ok(self):
        return self.device is not None

    @property
    def throttled(self):
        return self.device is None and self.wait_seconds > 0


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _wait_seconds(devices):
    """Seconds until the first of these throttled devices accepts codes again (0: not throttled)."""
    waits = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return 0
        locked_until = (info or {}).get("locked_until")
        seconds = (locked_until - timezone.now()).total_seconds() if locked_until else 1
        waits.append(max(1, math.ceil(seconds)))
    return min(waits) if waits else 0


def check_device_code(device, code) -> CodeCheck:
    """Check a code against one device (confirmed or not), honouring its throttling."""
    code = normalise_code(code)
    wait = _wait_seconds([device])
    if wait:
        return CodeCheck(wait_seconds=wait)
    verified = django_otp.verify_token(device.user, device.persistent_id, code) if code else None
    return CodeCheck(device=verified)


def check_code(user, code) -> CodeCheck:
    """Check a code from the authenticator app (digits) or a backup code against the user's
    confirmed devices.

    Each kind goes only to its own device type (django-otp advises against trying every
    device), so a mistyped backup code does not throttle the authenticator app.
    """
    code = normalise_code(code)
    if not code:
        return CodeCheck()
    model = TOTPDevice if code.isdigit() else StaticDevice
    devices = list(model.objects.devices_for_user(user, confirmed=True).order_by("pk"))
    if not devices:
        return CodeCheck()
    wait = _wait_seconds(devices)
    if wait:
        return CodeCheck(wait_seconds=wait)
    for device in devices:
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return CodeCheck(device=verified)
    return CodeCheck()


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


def safe_next(request, candidate, default):
    """`candidate` when it is a local URL of this host, else `default` (a URL or URL name)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
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
    backend = next((session[key] for key in _PENDING_BACKEND_ALIASES if session.get(key)), None)
    next_url = next((session[key] for key in _PENDING_NEXT_ALIASES if session.get(key)), "")
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
    for key in (PENDING_USER_SESSION_KEY, *_PENDING_BACKEND_ALIASES, *_PENDING_NEXT_ALIASES):
        request.session.pop(key, None)
