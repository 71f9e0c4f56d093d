"""The second factor's devices on django-otp: the authenticator app, backup codes, the QR code
and checking a code.

Staff (every admin session) and members who opt in use the same devices: one TOTP device
("Authenticator app") and one static device holding the backup codes. Nothing here touches a
request; ``session.py`` does that.
"""

import math
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Device names are stored data, not interface text: they stay in English.
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def user_requires_otp(user) -> bool:
    """True when the user has a confirmed TOTP device, so a login must ask for a code."""
    if user is None or not user.is_authenticated:
        return False
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def user_has_confirmed_device(user) -> bool:
    """True when the user has any confirmed device (TOTP or backup codes) to verify with."""
    return django_otp.user_has_device(user, confirmed=True)


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
