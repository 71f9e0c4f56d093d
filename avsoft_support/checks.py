"""System checks for the settings a site must have for the app to work."""

from pathlib import Path

import swapper
from django.apps import apps
from django.conf import global_settings, settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import FileSystemStorage, storages
from django.utils.module_loading import import_string

from .auth import BACKEND, user_field_names
from .conf import REQUIRED_APPS, app_settings
from .models.pages import SupportPageBase


@checks.register()
def check_attachment_storage(app_configs, **kwargs):
    alias = app_settings.ATTACHMENT_STORAGE
    if alias not in settings.STORAGES:
        return [
            checks.Error(
                f"STORAGES has no '{alias}' entry for support attachments.",
                hint=f"Add a private storage (outside MEDIA_ROOT, not served under MEDIA_URL) "
                f"to STORAGES as '{alias}', or set AVSOFT_SUPPORT_ATTACHMENT_STORAGE to an "
                "existing alias.",
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
                hint=f"Add {otp} to MIDDLEWARE right after {auth}.",
                id="avsoft_support.E002",
            )
        )
    elif auth in middleware and middleware.index(otp) < middleware.index(auth):
        errors.append(
            checks.Error(
                f"{otp} must come after {auth}.",
                hint=f"Move {otp} to right after {auth} in MIDDLEWARE.",
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
                hint=f"Add {gate} to MIDDLEWARE right after {otp}.",
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


@checks.register()
def check_login_throttle_backend(app_configs, **kwargs):
    """Every authenticate() must pass the login throttle first (avsoft_support/auth.py): after
    a backend that checks passwords it comes too late to stop a right one."""
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if backends[:1] == [BACKEND]:
        return []
    others = [path for path in backends if path != BACKEND]
    line = "AUTHENTICATION_BACKENDS = [{}]".format(
        ", ".join(f'"{path}"' for path in [BACKEND, *others])
    )
    where = "not first in" if BACKEND in backends else "missing from"
    return [
        checks.Error(
            f"{BACKEND} is {where} AUTHENTICATION_BACKENDS: logins outside the member area "
            "(such as Wagtail's admin login) escape the login rate limits.",
            hint=f"Put it first: {line}",
            id="avsoft_support.E007",
        )
    ]


@checks.register()
def check_registration_user_model(app_configs, **kwargs):
    """Registration (a UserCreationForm) fills only the user model's login and e-mail fields,
    and the member area keeps the address in a field called ``email``."""
    if not app_settings.REGISTRATION_OPEN:
        return []
    UserModel = get_user_model()
    username_field, email_field = user_field_names()
    problems = []
    if email_field != "email":
        problems.append(
            f"its e-mail field is '{email_field}', not 'email'"
            if email_field
            else "it has no e-mail field"
        )
    filled = {username_field, email_field, "password"}
    unfilled = [
        field.name
        for field in UserModel._meta.concrete_fields
        if field.name not in filled
        and not (field.primary_key or field.null or field.has_default())
        and not field.empty_strings_allowed
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ]
    if unfilled:
        problems.append("registration cannot fill its required field(s) " + ", ".join(unfilled))
    if not problems:
        return []
    return [
        checks.Warning(
            f"Member registration cannot work with the user model {UserModel._meta.label}: "
            + "; ".join(problems)
            + ".",
            hint="Set AVSOFT_SUPPORT_REGISTRATION_OPEN = False and create accounts yourselves, "
            "or give the user model an 'email' field and defaults for the others.",
            id="avsoft_support.W003",
        )
    ]


# What the app's code and admin need besides itself: django-otp and its two device types (the
# authenticator app and the backup codes), Wagtail's routable pages (the support page's
# routes) and site settings (Support settings).
@checks.register()
def check_required_apps(app_configs, **kwargs):
    """Without them nothing fails at startup: the admin login or a support page does, later."""
    missing = [name for name in REQUIRED_APPS if not apps.is_installed(name)]
    if not missing:
        return []
    return [
        checks.Error(
            "INSTALLED_APPS lacks what avsoft_support needs: {}.".format(", ".join(missing)),
            hint="Add to INSTALLED_APPS: {}.".format(", ".join(f'"{name}"' for name in missing)),
            id="avsoft_support.E008",
        )
    ]


@checks.register()
def check_rate_limit_cache(app_configs, **kwargs):
    """The login, registration and password-reset limits count attempts in this cache."""
    setting = "AVSOFT_SUPPORT_RATE_LIMIT_CACHE"
    alias = app_settings.RATE_LIMIT_CACHE
    if alias not in settings.CACHES:
        return [
            checks.Error(
                f"CACHES has no '{alias}' entry for the rate-limit counters ({setting}).",
                hint=f"Add a cache that all processes share (such as Redis) to CACHES as "
                f"'{alias}', or set {setting} to an existing alias.",
                id="avsoft_support.E009",
            )
        ]
    if settings.DEBUG:
        return []
    try:
        backend = import_string(settings.CACHES[alias]["BACKEND"])
    except (ImportError, KeyError):
        return []  # Not ours to report: Django cannot open that cache at all.
    if issubclass(backend, DummyCache):
        reason = "a dummy cache: no attempt is ever counted, so the limits never apply"
    elif issubclass(backend, LocMemCache):
        reason = (
            "a local-memory cache: each server process counts on its own (several processes "
            "multiply the limits) and a restart forgets the counts"
        )
    else:
        return []
    return [
        checks.Warning(
            f"The rate-limit counters ({setting} = '{alias}') are in {reason}.",
            hint=f"Point {setting} at a cache all processes share, such as Redis "
            "(django.core.cache.backends.redis.RedisCache) or the database cache.",
            id="avsoft_support.W004",
        )
    ]


@checks.register()
def check_languages(app_configs, **kwargs):
    """LocaleMiddleware picks any language in LANGUAGES that a browser asks for."""
    locale = "django.middleware.locale.LocaleMiddleware"
    if locale not in settings.MIDDLEWARE:
        return []
    if list(settings.LANGUAGES) != list(global_settings.LANGUAGES):
        return []
    return [
        checks.Warning(
            f"{locale} is in MIDDLEWARE while LANGUAGES is Django's default list of "
            f"{len(global_settings.LANGUAGES)} languages: visitors get whichever their "
            "browser asks for, with the support pages only partly translated.",
            hint="Set LANGUAGES to the site's languages, e.g. "
            'LANGUAGES = [("en", "English"), ("ru", "Русский")].',
            id="avsoft_support.W005",
        )
    ]


def _declared_permissions():
    """ "app_label.codename" of every permission an installed model declares."""
    names = set()
    for model in apps.get_models():
        opts = model._meta
        names.update(
            f"{opts.app_label}.{action}_{opts.model_name}" for action in opts.default_permissions
        )
        names.update(f"{opts.app_label}.{codename}" for codename, _name in opts.permissions)
    return names


@checks.register()
def check_staff_otp_permissions(app_configs, **kwargs):
    """A name that matches no permission silently asks no one (but superusers) for a code."""
    setting = "AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS"
    names = app_settings.STAFF_OTP_PERMISSIONS
    if isinstance(names, str):
        problem = f"{setting} is a string, not a list of permission names"
    else:
        unknown = sorted(set(names) - _declared_permissions())
        if not unknown:
            return []
        problem = "{} names permissions no installed model declares: {}".format(
            setting, ", ".join(map(repr, unknown))
        )
    return [
        checks.Warning(
            f"{problem}; only the admin users holding one of the others (and superusers) "
            "must use a second factor.",
            hint=f'Give {setting} a list of "app_label.codename" names, e.g. '
            '["avsoft_support.view_ticket", "avsoft_support.change_ticket"]; '
            '["wagtailadmin.access_admin"] asks every admin user.',
            id="avsoft_support.W006",
        )
    ]


@checks.register()
def check_help_article_page_types(app_configs, **kwargs):
    """Each name in the setting must be a page type: a typo would fail every suggestion."""
    from wagtail.models import Page

    setting = "AVSOFT_SUPPORT_HELP_ARTICLE_PAGE_TYPES"
    names = app_settings.HELP_ARTICLE_PAGE_TYPES
    if isinstance(names, str):
        wrong = [names]
    else:
        wrong = []
        for name in names:
            try:
                model = apps.get_model(name)
            except (LookupError, ValueError):
                wrong.append(name)
            else:
                if not issubclass(model, Page):
                    wrong.append(name)
    if not wrong:
        return []
    return [
        checks.Error(
            "{} names what is not a page type: {}".format(setting, ", ".join(map(repr, wrong))),
            hint=f'Give {setting} a list of "app_label.ModelName" page types, e.g. '
            '["blog.ArticlePage"], or mix HelpArticleMixin into the page type instead.',
            id="avsoft_support.E020",
        )
    ]


@checks.register()
def check_queue_counts_window(app_configs, **kwargs):
    """The queue's counters are counted once per window of this many seconds (queue_cache.py):
    anything but a whole number of seconds would fail every admin page."""
    setting = "AVSOFT_SUPPORT_QUEUE_COUNTS_CACHE_SECONDS"
    value = app_settings.QUEUE_COUNTS_CACHE_SECONDS
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return []
    return [
        checks.Error(
            f"{setting} must be a whole number of seconds, 0 or more: {value!r}",
            hint=f"Set {setting} to e.g. 30 (the default), or 0 to count on every admin page.",
            id="avsoft_support.E021",
        )
    ]
