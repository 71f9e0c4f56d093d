"""Our system checks: each misconfiguration gets a named check whose hint says what to add.

Most run in this process with the settings changed; the two that matter before any model can
load (a missing storage alias, missing apps) also run `manage.py check` in a fresh process on
settings that lack them, as a site would.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.files.storage import InvalidStorageError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from avsoft_support.checks import (
    REQUIRED_APPS,
    check_attachment_storage,
    check_languages,
    check_middleware,
    check_rate_limit_cache,
    check_staff_otp_permissions,
)
from avsoft_support.models import Attachment

ROOT = Path(__file__).resolve().parent.parent

OTP = "django_otp.middleware.OTPMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
GATE = "avsoft_support.otp.middleware.StaffOTPMiddleware"
LOCALE = "django.middleware.locale.LocaleMiddleware"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"


def check_in_fresh_process(tmp_path, settings_body):
    """`python -m django check` on the test settings changed by `settings_body`."""
    (tmp_path / "site_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n" + textwrap.dedent(settings_body)
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# E001, W002: the attachments storage


WITHOUT_ATTACHMENT_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def test_missing_attachment_storage_is_an_error(db):
    with override_settings(STORAGES=WITHOUT_ATTACHMENT_STORAGE):
        [error] = check_attachment_storage(None)
        with pytest.raises(SystemCheckError, match=r"avsoft_support\.E001"):
            call_command("check")
    assert error.id == "avsoft_support.E001"
    assert "to STORAGES as 'avsoft_support_attachments'" in error.hint


def test_the_attachment_storage_is_looked_up_when_used(db):
    """The model loads without the alias (so E001 can speak); a file fails only when used,
    and the storage follows STORAGES."""
    storage = Attachment._meta.get_field("file").storage
    with override_settings(STORAGES=WITHOUT_ATTACHMENT_STORAGE), pytest.raises(InvalidStorageError):
        storage.exists("anything")
    private = Path(storage.location)
    assert private.name == "private"
    assert not storage.exists("anything")


def test_missing_attachment_storage_is_reported_by_manage_py_check(tmp_path):
    """Before, importing the models raised InvalidStorageError and no check ever ran."""
    result = check_in_fresh_process(
        tmp_path,
        """
        STORAGES = {k: v for k, v in STORAGES.items() if k != "avsoft_support_attachments"}
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "avsoft_support.E001" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("alias", "storage_location", "reason"),
    [
        ("default", None, "'default' is the site's public media storage."),
        ("avsoft_support_attachments", "media/support", "stores files inside MEDIA_ROOT."),
        ("avsoft_support_attachments", "static", "stores files inside STATIC_ROOT."),
    ],
)
def test_attachments_in_public_storage_are_a_warning(
    settings, tmp_path, alias, storage_location, reason
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.AVSOFT_SUPPORT_ATTACHMENT_STORAGE = alias
    storages_setting = {**settings.STORAGES}
    if storage_location:
        storages_setting[alias] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / storage_location)},
        }
    settings.STORAGES = storages_setting
    [warning] = check_attachment_storage(None)
    assert warning.id == "avsoft_support.W002"
    assert warning.msg.endswith(reason)
    assert "storage of their own outside MEDIA_ROOT and STATIC_ROOT" in warning.hint


def test_private_attachment_storage_passes_the_check():
    assert check_attachment_storage(None) == []


# E002-E004: django-otp's middleware and the staff gate


def test_otp_middleware_missing_or_misplaced_is_an_error(settings):
    middleware = list(settings.MIDDLEWARE)
    without = [m for m in middleware if m != OTP]
    with override_settings(MIDDLEWARE=without):
        [error] = check_middleware(None)
    assert error.id == "avsoft_support.E002"
    assert error.hint == f"Add {OTP} to MIDDLEWARE right after {AUTH}."

    with override_settings(MIDDLEWARE=[m for m in middleware if m != GATE]):
        [error] = check_middleware(None)
    assert error.id == "avsoft_support.E004"
    assert error.hint == f"Add {GATE} to MIDDLEWARE right after {OTP}."

    with override_settings(MIDDLEWARE=[OTP, *without]):
        [error] = check_middleware(None)
    assert error.id == "avsoft_support.E003"
    assert error.hint == f"Move {OTP} to right after {AUTH} in MIDDLEWARE."

    assert check_middleware(None) == []


# E008: the apps the app needs


@pytest.mark.parametrize(
    "missing",
    [
        # Without django_otp and its plugins both, loading the apps fails before any check can
        # run (the admin hooks import the plugins' models): so the plugins and Wagtail's apps
        # together, and django_otp on its own.
        [app for app in REQUIRED_APPS if app != "django_otp"],
        ["django_otp"],
    ],
)
def test_missing_apps_are_one_error_whose_hint_names_each(tmp_path, missing):
    result = check_in_fresh_process(
        tmp_path, f"INSTALLED_APPS = [a for a in INSTALLED_APPS if a not in {missing!r}]\n"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "avsoft_support.E008" in line]
    [hint] = [line for line in result.stderr.splitlines() if "HINT: Add to INSTALLED_APPS" in line]
    assert hint.strip() == "HINT: Add to INSTALLED_APPS: {}.".format(
        ", ".join(f'"{app}"' for app in missing)
    )


def test_without_django_otp_at_all_startup_stops_with_what_to_add(tmp_path):
    # django-otp's device models then belong to no app: nothing can import them, so the app
    # stops Django's setup itself, with E008's words, before a RuntimeError would.
    result = check_in_fresh_process(
        tmp_path, 'INSTALLED_APPS = [a for a in INSTALLED_APPS if not a.startswith("django_otp")]\n'
    )
    assert result.returncode == 1
    [last] = result.stderr.strip().splitlines()[-1:]
    assert last == (
        "django.core.exceptions.ImproperlyConfigured: INSTALLED_APPS lacks what avsoft_support "
        "needs: django_otp, django_otp.plugins.otp_totp, django_otp.plugins.otp_static "
        '(avsoft_support.E008). Add to INSTALLED_APPS: "django_otp", '
        '"django_otp.plugins.otp_totp", "django_otp.plugins.otp_static".'
    )
    assert "RuntimeError" not in result.stderr


# E009, W004: the rate-limit counters' cache


@pytest.mark.parametrize(("backend", "words"), [(LOCMEM, "each server process"), (DUMMY, "never")])
def test_a_per_process_or_dummy_rate_limit_cache_in_production_is_a_warning(
    settings, backend, words
):
    settings.DEBUG = False
    settings.CACHES = {**settings.CACHES, "counters": {"BACKEND": backend}}
    settings.AVSOFT_SUPPORT_RATE_LIMIT_CACHE = "counters"
    [warning] = check_rate_limit_cache(None)
    assert warning.id == "avsoft_support.W004"
    assert words in warning.msg
    assert "AVSOFT_SUPPORT_RATE_LIMIT_CACHE" in warning.hint
    assert "Redis" in warning.hint

    settings.DEBUG = True
    assert check_rate_limit_cache(None) == []


def test_a_shared_rate_limit_cache_passes(settings, tmp_path):
    settings.DEBUG = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    assert check_rate_limit_cache(None) == []


def test_a_rate_limit_cache_alias_missing_from_caches_is_an_error(settings):
    settings.AVSOFT_SUPPORT_RATE_LIMIT_CACHE = "ratelimits"
    [error] = check_rate_limit_cache(None)
    assert error.id == "avsoft_support.E009"
    assert "to CACHES as 'ratelimits'" in error.hint


# W005: LocaleMiddleware with Django's whole list of languages


def test_locale_middleware_without_languages_is_a_warning(settings):
    assert LOCALE in settings.MIDDLEWARE
    assert check_languages(None) == []
    settings.LANGUAGES = global_settings.LANGUAGES
    [warning] = check_languages(None)
    assert warning.id == "avsoft_support.W005"
    assert "Set LANGUAGES to the site's languages" in warning.hint
    assert 'LANGUAGES = [("en", "English"), ("ru", "Русский")]' in warning.hint

    # Without LocaleMiddleware the language is LANGUAGE_CODE, whatever LANGUAGES holds.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != LOCALE]
    assert check_languages(None) == []


# W006: who must use a second factor


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (["Support staff"], "'Support staff'"),
        (["avsoft_support.view_ticket", "avsoft_support.veiw_clientaccount"], "veiw_client"),
        ("avsoft_support.view_ticket", "is a string"),
    ],
)
def test_unknown_second_factor_permissions_are_a_warning(settings, value, named):
    settings.AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS = value
    [warning] = check_staff_otp_permissions(None)
    assert warning.id == "avsoft_support.W006"
    assert named in warning.msg
    assert '"app_label.codename"' in warning.hint
    assert '["wagtailadmin.access_admin"]' in warning.hint


@pytest.mark.parametrize("value", [None, ["wagtailadmin.access_admin"], []])
def test_known_second_factor_permissions_pass(settings, value):
    if value is not None:  # None: the default list
        settings.AVSOFT_SUPPORT_STAFF_OTP_PERMISSIONS = value
    assert check_staff_otp_permissions(None) == []
