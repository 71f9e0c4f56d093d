"""System checks for the settings a site must have for the app to work."""

from pathlib import Path

import swapper
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, storages

from .conf import app_settings
from .models.pages import SupportPageBase


@checks.register()
def check_attachment_storage(app_configs, **kwargs):
    alias = app_settings.ATTACHMENT_STORAGE
    if alias not in settings.STORAGES:
        return [
            checks.Error(
                f"STORAGES has no '{alias}' entry for support attachments.",
                hint="Add a private storage (not served under MEDIA_URL) to STORAGES, or set "
                "AVSOFT_SUPPORT_ATTACHMENT_STORAGE to an existing alias.",
                id="avsoft_support.E001",
            )
        ]
    if alias == "default":
        return [_public_attachments_warning(f"'{alias}' is the site's public media storage.")]
    storage = storages[alias]
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location).resolve()
        for name in ("MEDIA_ROOT", "STATIC_ROOT"):
            root = getattr(settings, name, None)
            if root and location.is_relative_to(Path(root).resolve()):
                # The web server serves these folders: files there skip the owner check.
                return [_public_attachments_warning(f"'{alias}' stores files inside {name}.")]
    return []


def _public_attachments_warning(reason):
    return checks.Warning(
        f"Support attachments may be publicly reachable: {reason}",
        hint="Give attachments a storage of their own outside MEDIA_ROOT and STATIC_ROOT "
        "(or a private bucket); they are served only by the download view.",
        id="avsoft_support.W002",
    )


@checks.register()
def check_middleware(app_configs, **kwargs):
    errors = []
    middleware = list(settings.MIDDLEWARE)
    otp = "django_otp.middleware.OTPMiddleware"
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if otp not in middleware:
        errors.append(
            checks.Error(
                f"{otp} is missing from MIDDLEWARE.",
                hint="Add it right after AuthenticationMiddleware.",
                id="avsoft_support.E002",
            )
        )
    elif auth in middleware and middleware.index(otp) < middleware.index(auth):
        errors.append(
            checks.Error(
                f"{otp} must come after {auth}.",
                id="avsoft_support.E003",
            )
        )
    gate = "avsoft_support.otp.middleware.StaffOTPMiddleware"
    if otp in middleware and (
        gate not in middleware or middleware.index(gate) < middleware.index(otp)
    ):
        # Without the gate, staff reach the admin with a password alone.
        errors.append(
            checks.Error(
                f"{gate} is missing from MIDDLEWARE or comes before {otp}.",
                hint="Add it right after django-otp's OTPMiddleware.",
                id="avsoft_support.E004",
            )
        )
    return errors


@checks.register()
def check_staff_otp(app_configs, **kwargs):
    if not app_settings.STAFF_OTP_REQUIRED and not settings.DEBUG:
        return [
            checks.Warning(
                "AVSOFT_SUPPORT_STAFF_OTP_REQUIRED is off while DEBUG is False: "
                "staff can enter the admin without a second factor.",
                hint="Turn it off for local development only.",
                id="avsoft_support.W001",
            )
        ]
    return []


@checks.register()
def check_support_page_model(app_configs, **kwargs):
    """A site with its own base page (WAGTAIL_PAGE_MODEL) needs its own support page on the mixin:
    ours is built on Wagtail's Page, which that site has swapped out."""
    base_page = swapper.is_swapped("wagtailcore", "Page")
    support_page = swapper.is_swapped("avsoft_support", "SupportPage")
    if base_page and not support_page:
        app_label, _dot, base_name = base_page.rpartition(".")
        return [
            checks.Error(
                f"WAGTAIL_PAGE_MODEL is '{base_page}', but the support page is still "
                "avsoft_support.SupportPage, which is built on Wagtail's own Page.",
                hint=f"Define your own support page on your base page, e.g. in {app_label}/"
                "models.py: 'from avsoft_support.pages import SupportPageMixin' and "
                f"'class SupportPage(SupportPageMixin, {base_name}): ...', then in settings: "
                f"AVSOFT_SUPPORT_SUPPORTPAGE_MODEL = '{app_label}.SupportPage' "
                "(and run makemigrations).",
                id="avsoft_support.E005",
            )
        ]
    if support_page:
        try:
            model = apps.get_model(support_page)
        except (LookupError, ValueError):
            return []  # Django reports a swappable setting naming no model (models.E001/E002).
        # SupportPageMixin's data half (models/pages.py): every page on the mixin has it.
        if not issubclass(model, SupportPageBase):
            return [
                checks.Error(
                    f"AVSOFT_SUPPORT_SUPPORTPAGE_MODEL names '{support_page}', which is not a "
                    "subclass of avsoft_support.pages.SupportPageMixin.",
                    hint="Name a page model defined as "
                    "'class SupportPage(SupportPageMixin, YourBasePage)'.",
                    id="avsoft_support.E006",
                )
            ]
    return []
