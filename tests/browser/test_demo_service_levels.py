"""The demo's service levels in a real browser (issue 10), as `make demo` leaves them after its
first `support_run_sla`: support sees an overdue ticket heading the triage list and every
report with data, the overdue notice is in the mail folder, the member sees the ticket nobody
answered closed, and a reply over a customer's newer message is held with the collision notice.

The demo runs as `make demo` runs it: its own settings, a fresh SQLite database, runserver.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.test_demo_and_checks import ROOT, demo_var_dir, run_in_demo  # noqa: F401 (a fixture)

SESSIONS = """
import json
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from avsoft_support.models import Ticket

User = get_user_model()
cookies = {}
for name in ("support", "member"):
    user = User.objects.get(username=name)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:  # staff pass their second factor
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    cookies[name] = {key: morsel.value for key, morsel in client.cookies.items()}
overdue = Ticket.objects.get(subject="Сервер не отвечает после перезагрузки")
print(json.dumps({"cookies": cookies, "overdue": overdue.pk}))
"""

CUSTOMER_WRITES = """
import django
django.setup()
from django.contrib.auth import get_user_model
from avsoft_support import tickets
from avsoft_support.models import Ticket

ticket = Ticket.objects.get(subject="Сервер не отвечает после перезагрузки")
tickets.add_message(ticket, get_user_model().objects.get(username="member"), "Сервер снова упал.")
"""

REPORTS = ["response-times", "backlog", "volume", "satisfaction"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_server(demo_var_dir):  # noqa: F811
    for args in (
        ["manage.py", "migrate", "--noinput"],
        ["manage.py", "support_demo"],
        ["manage.py", "support_run_sla"],
    ):
        done = run_in_demo(args, demo_var_dir)
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "demo_site.settings",
        "DEMO_VAR_DIR": str(demo_var_dir),
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(  # noqa: S603 (our own fixed arguments)
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT / "demo",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the demo server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", demo_var_dir
    finally:
        server.terminate()
        server.wait(10)


def test_the_demo_shows_the_service_levels(browser, demo_server):
    base, var_dir = demo_server
    made = run_in_demo(["-c", SESSIONS], var_dir)
    assert made.returncode == 0, made.stderr
    state = json.loads(made.stdout)

    def context_of(name):
        context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 800})
        context.add_cookies(
            [
                {"name": key, "value": value, "url": base}
                for key, value in state["cookies"][name].items()
            ]
        )
        return context

    staff = context_of("support")
    page = staff.new_page()

    # The queue opens on what needs action, the most urgent first: an overdue ticket.
    page.goto(f"{base}/admin/support/tickets/")
    first_row = page.locator("table.listing tbody tr").first
    expect(first_row.locator(".avs-sla--overdue")).to_be_visible()

    # Every report has rows and a chart.
    for report in REPORTS:
        page.goto(f"{base}/admin/support/reports/{report}/")
        expect(page.locator("svg[role='img']").first).to_be_visible()
        assert page.locator("table.listing tbody tr").count() > 0, report

    # The overdue notice went to support (demo/var/mail/, one readable file per mail).
    subjects = [
        path.read_text(encoding="utf-8").splitlines()[0] for path in var_dir.glob("mail/*.log")
    ]
    assert any("истёк: Сервер не отвечает после перезагрузки" in line for line in subjects)

    # Collision: the agent writes while the customer answers; the reply is held, text kept.
    page.goto(f"{base}/admin/support/tickets/edit/{state['overdue']}/")
    body = page.locator("textarea[name='reply-body']")
    body.fill("Перезапустите службу, пожалуйста.")
    wrote = run_in_demo(["-c", CUSTOMER_WRITES], var_dir)
    assert wrote.returncode == 0, wrote.stderr
    body.focus()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Пришло, пока вы писали")).to_be_visible()
    expect(page.locator("textarea[name='reply-body']")).to_have_value(
        "Перезапустите службу, пожалуйста."
    )
    staff.close()

    # The member's resolved ticket nobody answered for three weeks is closed.
    member = context_of("member")
    page = member.new_page()
    page.goto(f"{base}/support/")
    row = page.locator("tr", has_text="Отчёт открывается с пустыми полями")
    expect(row).to_contain_text(re.compile("Закрыто"))
    member.close()
