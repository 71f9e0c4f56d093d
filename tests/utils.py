"""Helpers for the tests: plain functions, imported where they are used (fixtures live in
conftest.py)."""

import re
from pathlib import Path

from django.core.files.storage import storages
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from avsoft_support.conf import app_settings

PASSWORD = "Correct-Horse-7-Battery"


def link_in_mail(message, path_prefix):
    """The first link in an e-mail's plain text whose path starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


# Staff second factor (django-otp). Admin pages need an OTP-verified session: use `otp_login`
# (or the `staff_client` fixture) rather than `client.force_login` alone.


def totp_token(device, drift=0):
    """The code the device's authenticator app shows now (`drift=1`: the next time step)."""
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{token:0{device.digits}d}"


def otp_login(client, user):
    """Log the test client in as `user` with a verified second factor (creates a device if none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def stored_attachment_files():
    """Every file in the private attachment storage, as relative paths."""

    root = Path(storages[app_settings.ATTACHMENT_STORAGE].location)
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def ticket_form_data(product=None, **overrides):
    """What a member types into the new-ticket form, all fields valid."""
    data = {
        "subject": "Export to PDF stops at 50%",
        "product": str(product.pk) if product is not None else "other",
        "product_other": "" if product is not None else "Old Tool",
        "product_version": "5.2.1 build 1234",
        "os_version": "Windows 11 23H2",
        "criticality": "2",
        "description": "The export stops.\n\n```\nERROR 42 at export.c:17\n```",
        "steps_to_problem": "Opened report.avs, pressed Export.",
        "steps_to_reproduce": "1. Open report.avs\n2. File > Export > PDF",
        "invoice_number": "",
    }
    data.update(overrides)
    return data


# Staff side in the admin (triage, ticket screen, clients). `verified_staff_client` is a member
# of the "Support staff" group (made by migration 0002) with a verified second factor.
