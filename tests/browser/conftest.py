"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os

import pytest
from django.test import Client

from tests.utils import otp_login

# Sync Playwright runs an event loop in this thread; the ORM calls the tests make around it
# are safe because the live server has its own thread and connection.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture
def logged_in_context(browser, live_server):
    """Opens a browser context already logged in as a user, by the session cookie (no login
    form): ``logged_in_context(user, locale="ru-RU", staff=True)``; staff have passed their
    second factor. The caller closes it."""

    def open_context(user, locale="en-US", staff=False):
        client = Client()
        if staff:
            otp_login(client, user)
        else:
            client.force_login(user)
        context = browser.new_context(locale=locale)
        context.add_cookies(
            [
                {"name": name, "value": morsel.value, "url": live_server.url}
                for name, morsel in client.cookies.items()
            ]
        )
        return context

    return open_context
