"""Helpers for the tests: plain functions, imported where they are used (fixtures live in
conftest.py)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import django
from bs4.element import Tag
from django.core.files.storage import storages
from django.http import HttpResponseBase
from django.test import SimpleTestCase
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.test.utils import WagtailTestUtils

from avsoft_support.conf import app_settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-Horse-7-Battery"


def link_in_mail(message, path_prefix):
    """The first link in an e-mail's plain text whose path starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


# Staff second factor (django-otp). Admin pages need an OTP-verified session: use `otp_login`
# (or the `staff_client` fixture) rather than `client.force_login` alone.


def totp_token(device, drift=0):
    """The code the device's authenticator app shows now (`drift=1`: the next time step).

    A later step is counted from the device's own drift: a code made just before a 30-second
    boundary and checked just after it is accepted a step late, and django-otp then records a
    drift of -1 and looks for the next code one step earlier (a CI run whose setup code crossed
    23:30:00 refused the "next" code)."""
    if drift:
        drift += device.drift
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


# HTML: assertions on parsed markup, never on substrings of it. A "source" is a response, bytes,
# a string or an element found by `select`/`find_one`.


class _HTMLAssertions(WagtailTestUtils, SimpleTestCase):
    """Django's assertInHTML and Wagtail's assertTagInHTML, for plain pytest functions."""


_html = _HTMLAssertions()


def markup_of(source):
    """The markup of a response, bytes, a string or a parsed element."""
    if isinstance(source, HttpResponseBase):
        source = source.content
    if isinstance(source, bytes):
        return source.decode()
    return str(source)


def parse_page(source):
    """The source parsed with BeautifulSoup (Wagtail's settings: script text kept); an element
    found before stays as it is."""
    if isinstance(source, Tag):
        return source
    return WagtailTestUtils.get_soup(markup_of(source))


def select(source, selector):
    """Every element matching a CSS selector, in document order."""
    return parse_page(source).select(selector)


def find_one(source, selector):
    """The one element matching a CSS selector; fails when there are none or several."""
    found = select(source, selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def text_of(source):
    """The text a reader sees in the source (or an element), whitespace collapsed."""
    return " ".join(parse_page(source).get_text(" ").split())


def definitions(source):
    """The terms of the description lists (<dl>) in the source, each with its description's
    text: {"Status": "Potential client", ...}. Terms may be grouped in <div>s."""
    return {
        text_of(term): text_of(term.find_next_sibling("dd")) for term in select(source, "dl dt")
    }


def label_for(source, field_id):
    """The text of the field's <label>, as a screen reader reads it (aria-hidden parts, like the
    required mark, left out)."""
    label = find_one(source, f'label[for="{field_id}"]')
    return " ".join(
        " ".join(
            string
            for string in label.find_all(string=True)
            if not string.find_parent(attrs={"aria-hidden": "true"})
        ).split()
    )


def links(source):
    """Every link as an (href, text) pair, in document order."""
    return [(link["href"], text_of(link)) for link in select(source, "a[href]")]


def hrefs(source):
    """Where the links in the source lead, in document order."""
    return [href for href, _ in links(source)]


def inline_scripts(source):
    """The <script> elements with code written into the page (what a CSP without
    'unsafe-inline' blocks): no src, and not a data block such as JSON."""
    return [
        script
        for script in select(source, "script")
        if not script.get("src")
        and script.get("type", "text/javascript") in ("text/javascript", "module", "")
    ]


def field_value(source, name):
    """What the form field ``name`` holds: an input's value, a textarea's text, the value of a
    select's chosen option (None when nothing is chosen)."""
    field = find_one(source, f'[name="{name}"]')
    if field.name == "textarea":
        return field.get_text().removeprefix("\n")  # a newline right after <textarea> is dropped
    if field.name == "select":
        chosen = field.select_one("option[selected]")
        return chosen.get("value") if chosen is not None else None
    return field.get("value")


def assert_in_html(needle, haystack, count=None):
    """The element ``needle`` (its attributes and its content, exactly) is in ``haystack``;
    ``count`` times when given (Django's assertInHTML)."""
    _html.assertInHTML(needle, markup_of(haystack), count=count)


def assert_tag_in_html(needle, haystack, count=None):
    """An element with the tag and attributes of ``needle`` (it may have more attributes, and
    its content is not compared) is in ``haystack``; ``count`` times when given (Wagtail's
    assertTagInHTML). A class attribute must match as a whole: to look for one class among
    several, use `select`."""
    _html.assertTagInHTML(needle, markup_of(haystack), count=count, allow_extra_attrs=True)


def assert_no_tag_in_html(needle, haystack):
    assert_tag_in_html(needle, haystack, count=0)


def admin_messages(source):
    """The messages at the top of a Wagtail admin page, as (level, text) pairs."""
    messages = []
    for item in select(source, ".messages [data-w-messages-target='container'] > li"):
        words = " ".join(
            string for string in item.find_all(string=True) if not string.find_parent("button")
        ).split()
        messages.append((" ".join(item.get("class", [])), " ".join(words)))
    return messages


# Never copied: virtualenvs, caches and earlier build output (a stale build/lib would put
# files deleted from the source back into the wheel).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".*cache*",
    ".hypothesis",
    "var",
    "test-results",
    "node_modules",
)


def build_wheel(tmp):
    """Build the package's wheel into ``tmp/dist`` and return its path.

    Built from a copy of the working tree, so that the checkout gets no build/ folder or
    refreshed egg-info, with the build backend already installed (no network).
    """
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp / "dist"
    result = subprocess.run(  # noqa: S603 (our own fixed arguments)
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--no-index",
            "--quiet",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [path] = out.glob("avsoft_support-*.whl")
    return path


def tasks_framework():
    """(Task, task_enqueued) of the tasks framework the app uses: Django's, or the django-tasks
    backport on Django 5.2 (avsoft_support.background)."""
    if django.VERSION >= (6, 0):
        from django.tasks import Task
        from django.tasks.signals import task_enqueued
    else:
        from django_tasks.base import Task
        from django_tasks.signals import task_enqueued
    return Task, task_enqueued
