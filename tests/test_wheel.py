"""The wheel a site installs: the app's code, templates, static files, compiled catalogues,
migrations and the LICENSE, and nothing of the demo, the benchmarks or the tests.

It builds a real wheel (about 5 s): slower than most tests, still part of every run, because
what ships is what a site gets.
"""

import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.utils import build_wheel

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "avsoft_support"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The built wheel: its member names and its METADATA."""
    path = build_wheel(tmp_path_factory.mktemp("wheel"))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    return names, metadata


def source_files(folder, pattern="*"):
    return {
        path.relative_to(ROOT).as_posix()
        for path in (APP / folder).rglob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_templates_static_files_and_catalogues(wheel):
    names, _metadata = wheel
    assert "avsoft_support/templates/avsoft_support/pages/support_page.html" in names
    assert "avsoft_support/static/avsoft_support/support.css" in names
    assert "avsoft_support/locale/ru/LC_MESSAGES/django.mo" in names
    assert "avsoft_support/locale/ru/LC_MESSAGES/django.po" in names
    for folder in ("templates", "static", "locale"):
        missing = source_files(folder) - names
        assert not missing, f"not in the wheel: {sorted(missing)}"


def test_the_wheel_holds_every_migration(wheel):
    names, _metadata = wheel
    migrations = source_files("migrations", "*.py")
    assert "avsoft_support/migrations/0001_initial.py" in migrations
    assert migrations <= names, sorted(migrations - names)


def test_the_wheel_holds_the_license(wheel):
    names, metadata = wheel
    # setuptools puts license files in dist-info/licenses/ (PEP 639), older ones beside METADATA.
    licenses = [n for n in names if ".dist-info/" in n and n.rsplit("/", 1)[-1] == "LICENSE"]
    assert licenses, sorted(n for n in names if ".dist-info/" in n)
    assert metadata.get("License-Expression", metadata.get("License")) == "BSD-3-Clause"


def test_the_wheel_holds_nothing_demo_only(wheel):
    names, _metadata = wheel
    top_level = {name.split("/", 1)[0] for name in names if ".dist-info/" not in name}
    assert top_level == {"avsoft_support"}
    # The app's own commands read mail into tickets, send mail that failed again or delete
    # the files of long-closed tickets, and touch nothing else; the demo's and the
    # benchmark's commands (which write demo data) must not ship.
    app_commands = {
        "avsoft_support/management/__init__.py",
        "avsoft_support/management/commands/__init__.py",
        "avsoft_support/management/commands/support_fetch_mail.py",
        "avsoft_support/management/commands/support_purge_attachments.py",
        "avsoft_support/management/commands/support_receive_mail.py",
        # Mails warnings and reminders, resolves and closes unanswered tickets (Support settings).
        "avsoft_support/management/commands/support_run_sla.py",
        # Adds the holidays of a year to the app's own calendar table, nothing else.
        "avsoft_support/management/commands/support_seed_calendar.py",
        "avsoft_support/management/commands/support_send_pending_mail.py",
    }
    assert app_commands <= set(names)
    forbidden = [
        name
        for name in names
        if ("/management/" in name and name not in app_commands)
        or name.startswith(("tests/", "demo/", "bench/", "avsoft_support/tests/"))
        or "support_demo" in name
        or "support_bench" in name
    ]
    assert forbidden == []


def test_the_wheel_metadata_pins_django_only_from_below(wheel):
    _names, metadata = wheel
    # What installing the app requires: the extras (test, prod, load) name other django-* packages.
    requires = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    [django] = [r for r in requires if r.lower().startswith("django") and "otp" not in r.lower()]
    # Wagtail's own requirement decides the newest Django; ours only says where we start.
    assert django.replace(" ", "") == "Django>=5.2"
    classifiers = set(metadata.get_all("Classifier"))
    for version in ("5.2", "6.0", "6.1"):
        assert f"Framework :: Django :: {version}" in classifiers
    assert "Framework :: Wagtail :: 8" in classifiers
    # License-Expression (PEP 639) with a newer setuptools, License before it.
    assert "BSD-3-Clause" in {metadata["License-Expression"], metadata["License"]}
