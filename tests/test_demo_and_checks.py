"""The demo command, the deploy check of the demo's production settings, and our system checks."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from avsoft_support.checks import check_attachment_storage, check_middleware
from avsoft_support.models import ClientAccount, ClientInvoiceNumber, Product, SupportPage

ROOT = Path(__file__).resolve().parent.parent


def _counts():
    return (
        get_user_model().objects.count(),
        TOTPDevice.objects.count(),
        SupportPage.objects.count(),
        Product.objects.count(),
        ClientAccount.objects.count(),
        ClientInvoiceNumber.objects.count(),
    )


@pytest.mark.django_db
def test_demo_command_twice_duplicates_nothing(capsys):
    call_command("support_demo", home_model="testapp.HomePage")
    first = _counts()
    out = capsys.readouterr().out
    call_command("support_demo", home_model="testapp.HomePage")
    assert _counts() == first
    assert first[:3] == (4, 3, 1)
    # The printed secrets are those of the stored devices, and the invoice number is shown.
    device = TOTPDevice.objects.get(user__username="support")

    assert base64.b32encode(device.bin_key).decode() in out
    assert "INV-2026-0042" in out
    page = SupportPage.objects.get()
    assert page.url_path.endswith("/support/")
    assert "Регламент" in page.intro


def run_in_demo(args, var_dir, settings_module="demo_site.settings", **extra_env):
    """Run Python in demo/ as `make demo` would: its own settings and var folder, SQLite."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEMO_VAR_DIR": str(var_dir),
        **extra_env,
    }
    env.pop("DATABASE_URL", None)
    # The browser tests' conftest allows async-unsafe ORM calls in this process; not there.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(  # noqa: S603 (our own fixed arguments)
        [sys.executable, *args],
        cwd=ROOT / "demo",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_of_demo_production_settings_is_clean(tmp_path):
    result = run_in_demo(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        "demo_site.settings_production",
        DJANGO_SECRET_KEY="x" * 20 + "-Production-Secret-Key-For-The-Check-0123456789",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_demo_manage_py_works_on_a_fresh_clone_without_demo_var(tmp_path):
    """`make test` runs the demo's makemigrations check before anything has made demo/var/."""
    var_dir = tmp_path / "var"
    # Which system check runs first varies between runs; connecting right away does not.
    connect = "import django; django.setup()\nfrom django.db import connection; connection.ensure_connection()\n"
    result = run_in_demo(["-c", connect], var_dir)
    assert result.returncode == 0, result.stderr
    result = run_in_demo(["manage.py", "makemigrations", "--check", "--dry-run"], var_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    # Without the folder, SQLite fails either in a system check or in the history check (a warning).
    assert "unable to open database file" not in result.stderr
    assert "No changes detected" in result.stdout
    assert (var_dir / "db.sqlite3").exists()


def test_demo_mail_files_are_readable(tmp_path):
    """A person confirming an account on the demo reads the link straight from the file."""
    send = (
        "import django; django.setup()\n"
        "from django.core.mail import EmailMultiAlternatives\n"
        "m = EmailMultiAlternatives('Подтвердите адрес', "
        "'Откройте ссылку:\\nhttp://127.0.0.1:8000/account/confirm/abc/\\n', to=['anna@example.com'])\n"
        "m.attach_alternative('<p>Откройте ссылку</p>', 'text/html'); m.send()\n"
    )
    result = run_in_demo(["-c", send], tmp_path)
    assert result.returncode == 0, result.stderr
    [written] = (tmp_path / "mail").iterdir()
    text = written.read_text(encoding="utf-8")
    assert text.startswith(
        "Subject: Подтвердите адрес\nFrom: support@demo.example\nTo: anna@example.com\n"
    )
    assert "Откройте ссылку:\nhttp://127.0.0.1:8000/account/confirm/abc/\n" in text
    assert "Content-Type: multipart/alternative" in text  # the raw message follows


def test_missing_attachment_storage_is_an_error():
    with override_settings(
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    ):
        errors = check_attachment_storage(None)
    assert [e.id for e in errors] == ["avsoft_support.E001"]


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


def test_private_attachment_storage_passes_the_check():
    assert check_attachment_storage(None) == []


def test_otp_middleware_missing_or_misplaced_is_an_error():
    from django.conf import settings

    without = [m for m in settings.MIDDLEWARE if m != "django_otp.middleware.OTPMiddleware"]
    with override_settings(MIDDLEWARE=without):
        assert [e.id for e in check_middleware(None)] == ["avsoft_support.E002"]
    no_gate = [
        m for m in settings.MIDDLEWARE if m != "avsoft_support.otp.middleware.StaffOTPMiddleware"
    ]
    with override_settings(MIDDLEWARE=no_gate):
        assert [e.id for e in check_middleware(None)] == ["avsoft_support.E004"]
    misplaced = ["django_otp.middleware.OTPMiddleware", *without]
    with override_settings(MIDDLEWARE=misplaced):
        assert [e.id for e in check_middleware(None)] == ["avsoft_support.E003"]
    assert check_middleware(None) == []
