"""Russian is the portal's language: the catalogue covers every string, and pages speak it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "avsoft_support" / "locale" / "ru" / "LC_MESSAGES" / "django.po"

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="GNU gettext is not installed"
)


@needs_gettext
def test_russian_catalogue_has_every_source_string_translated(tmp_path):
    # Extract the strings afresh from a copy of the app, merged into the committed catalogue:
    # a new string left untranslated, or a translation marked fuzzy, shows up here.
    app = tmp_path / "avsoft_support"
    shutil.copytree(ROOT / "avsoft_support", app, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ru", "--no-location"],
        cwd=app,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    stats = subprocess.run(  # noqa: S603
        [
            shutil.which("msgfmt"),
            "--statistics",
            "-o",
            "/dev/null",
            str(app / PO.relative_to(ROOT / "avsoft_support")),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", stats), stats


@pytest.mark.parametrize(
    ("url", "russian", "english"),
    [
        ("/support/", "Ваши обращения", "Your tickets"),
        ("/account/register/", "Фамилия, имя, отчество", "Full name"),
        ("/account/login/", "Забыли пароль?", "Forgot password?"),
        ("/account/password-reset/", "Забыли пароль?", "Forgot your password?"),
    ],
)
def test_anonymous_pages_speak_russian(client, support_page, url, russian, english):
    content = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert russian in content
    assert english not in content


def test_the_ticket_form_speaks_russian(client, member, support_page, support_settings, product):
    client.force_login(member)
    content = client.get("/support/new/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for text in (
        "Создать новое обращение",
        "Точная версия продукта",
        "Операционная система и её версия",
        "Шаги для воспроизведения в нашей лаборатории",
        "Номер счёта или заказа",
        "каждый не больше 300 КБ (307\xa0200 байт)",
    ):
        assert text in content, text
    assert "Create new ticket" not in content
