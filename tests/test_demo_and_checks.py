"""The demo project: its command, its manage.py on a fresh clone, its mail files and the deploy
check of its production settings. Our system checks are tested in test_checks.py.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


# What the demo command made, read back through the demo's own settings and database, before
# and after running it a second time.
DEMO_RERUN = """
import base64, io, json
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import Page, Site
from avsoft_support.models import (
    CalendarDay, ClientAccount, ClientInvoiceNumber, Product, Rating, SupportPage,
    SupportSettings, Ticket,
)

def counts():
    return [
        get_user_model().objects.count(),
        TOTPDevice.objects.count(),
        SupportPage.objects.count(),
        Product.objects.count(),
        ClientAccount.objects.count(),
        ClientInvoiceNumber.objects.count(),
        Page.objects.count(),
        CalendarDay.objects.count(),
    ]

first = counts()
call_command("support_demo", stdout=io.StringIO())
page = SupportPage.objects.get()
print(json.dumps({
    "first": first,
    "second": counts(),
    "support_secret": base64.b32encode(
        TOTPDevice.objects.get(user__username="support").bin_key
    ).decode(),
    "url_path": page.url_path,
    "intro": page.intro,
    "support_groups": list(
        get_user_model().objects.get(username="support").groups.values_list("name", flat=True)
    ),
    "working_time": [
        str(value) for value in SupportSettings.objects.values_list(
            "time_zone", "working_day_start", "working_day_end"
        ).get()
    ],
    "calendar_years": [day.year for day in CalendarDay.objects.dates("date", "year")],
    "shared_with": {
        name: sorted(
            Ticket.objects.shared_with(get_user_model().objects.get(username=name))
            .values_list("author__username", flat=True)
        )
        for name in ("maria", "sergey", "member")
    },
    "ratings": Rating.objects.count(),
    "privacy": [
        (policy.url_path, policy.live, policy.title)
        for policy in [
            SupportSettings.for_site(Site.objects.get(is_default_site=True)).privacy_policy_page
        ]
        if policy is not None
    ],
}))
"""


@pytest.fixture
def demo_var_dir(tmp_path):
    """A fresh DEMO_VAR_DIR; in memory (/dev/shm) where there is one, because migrating a new
    SQLite file on disk waits on a sync per migration (twice as slow)."""
    shm = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a private folder in it)
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="avsoft_support_demo_", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_demo_command_twice_duplicates_nothing(demo_var_dir):
    """The command lives in the demo project (demo/home/management/), not in the app's wheel:
    run as `make demo` runs it, on a fresh database."""
    migrate = run_in_demo(["manage.py", "migrate", "--noinput"], demo_var_dir)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    demo = run_in_demo(["manage.py", "support_demo"], demo_var_dir)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    rerun = run_in_demo(["-c", DEMO_RERUN], demo_var_dir)
    assert rerun.returncode == 0, rerun.stderr
    state = json.loads(rerun.stdout)

    assert state["second"] == state["first"]
    # Six accounts; TOTP devices for the superuser and the support account only (the editor
    # and the members need none); one support page.
    assert state["first"][:3] == [6, 2, 1]
    # The two members of the demo client company see each other's tickets; the demo's other
    # member sees none of theirs. Past tickets carry ratings for the satisfaction report.
    assert state["shared_with"] == {"maria": ["sergey"], "sergey": ["maria"], "member": []}
    assert state["ratings"] > 50
    # The printed secrets are those of the stored devices, and the invoice number is shown.
    assert state["support_secret"] in demo.stdout
    assert "INV-2026-0042" in demo.stdout
    assert state["url_path"].endswith("/support/")
    assert "Регламент" in state["intro"]
    # The Russian demo names the support group in Russian (staff read it in the admin).
    assert state["support_groups"] == ["Служба поддержки"]
    # Working time: 09:00-18:00 in Moscow, on the production calendar of this year and the next.
    assert state["working_time"] == ["Europe/Moscow", "09:00:00", "18:00:00"]
    this_year = datetime.now(ZoneInfo("Europe/Moscow")).year
    assert state["calendar_years"] == [this_year, this_year + 1]
    # A privacy policy page, named in the Support settings: registration asks for consent.
    [(privacy_path, privacy_live, privacy_title)] = state["privacy"]
    assert privacy_path.endswith("/privacy/")
    assert privacy_live
    assert privacy_title == "Политика обработки персональных данных"

    # Service levels as `make demo` runs them: the showcase tickets are escalated and closed,
    # the 300 past tickets mail nobody, and a second run does nothing again.
    sla = run_in_demo(["manage.py", "support_run_sla"], demo_var_dir)
    assert sla.returncode == 0, sla.stdout + sla.stderr
    done = dict(line.split(": ", 1) for line in sla.stdout.splitlines() if ": " in line)
    assert sorted(v for v in done.values() if "first response" in v or "overdue" in v) == [
        "reported overdue",
        "warned: first response due soon",
    ]
    assert "closed: resolved and not answered" in done.values()
    assert "Task id=" not in sla.stderr
    # Each mail's readable file starts with its decoded subject.
    subjects = sorted(
        path.read_text(encoding="utf-8").splitlines()[0]
        for path in (demo_var_dir / "mail").glob("*.log")
    )
    assert len(subjects) == 3, subjects
    assert any("истёк: Сервер не отвечает после перезагрузки" in line for line in subjects)
    assert any("закрыто: Отчёт открывается с пустыми полями" in line for line in subjects)
    again = run_in_demo(["manage.py", "support_run_sla"], demo_var_dir)
    assert again.stdout.strip().endswith("Took 0 action(s).")


# A member files a ticket on the demo; the assignee is set; then the member's reply comes back
# through the demo's inbox. Run in the demo project with its own settings and mail files.
DEMO_FILE_TICKET = """
import django
django.setup()
from django.contrib.auth import get_user_model
from avsoft_support import tickets
from avsoft_support.models import MemberProfile, Product, SupportSettings, SupportPage
from wagtail.models import Site

User = get_user_model()
member = User.objects.get(username="member")
page = SupportPage.objects.get()
ticket = tickets.create_ticket(
    author=member,
    profile=MemberProfile.objects.get(user=member),
    data={
        "subject": "Отчёт не формируется",
        "product": Product.objects.first(),
        "product_version": "5.2.1",
        "os_version": "Windows 11",
        "description": "Пустой отчёт.",
        "steps_to_reproduce": "1. Открыть отчёт",
    },
    support_settings=SupportSettings.for_site(Site.objects.get(is_default_site=True)),
    support_page=page,
)
tickets.assign(ticket, User.objects.get(username="support"), User.objects.get(username="admin"))
print(ticket.number)
"""

DEMO_READ_TICKET = """
import django, json
django.setup()
from avsoft_support.models import Ticket
ticket = Ticket.objects.get(subject="Отчёт не формируется")  # the demo seeds past tickets too
print(json.dumps([[m.body, m.via_email] for m in ticket.messages.order_by("pk")]))
"""


def test_demo_reply_by_email_through_the_inbox(demo_var_dir):
    """The README's walk: file a ticket, find the receipt and its ready reply in
    demo/var/mail/, write above the marker, move it into demo/var/inbox/new/, fetch."""
    for args in (["manage.py", "migrate", "--noinput"], ["manage.py", "support_demo"]):
        result = run_in_demo(args, demo_var_dir)
        assert result.returncode == 0, result.stdout + result.stderr
    filed = run_in_demo(["-c", DEMO_FILE_TICKET], demo_var_dir)
    assert filed.returncode == 0, filed.stderr
    number = filed.stdout.strip()

    mail_dir = demo_var_dir / "mail"
    receipts = [
        path
        for path in mail_dir.glob("*.log")
        if f"Обращение № {number} получено" in path.read_text(encoding="utf-8")
    ]
    assert len(receipts) == 1
    draft = receipts[0].with_suffix(".reply.eml")
    text = draft.read_text(encoding="utf-8")
    assert (
        "Напишите здесь свой ответ." in text and "##- Напишите ответ выше этой строки -##" in text
    )
    inbox_new = demo_var_dir / "inbox" / "new"
    inbox_new.mkdir(parents=True, exist_ok=True)
    (inbox_new / "reply.eml").write_text(
        text.replace("Напишите здесь свой ответ.", "Отчёт всё ещё пустой, журнал прилагаю."),
        encoding="utf-8",
    )
    before = set(mail_dir.iterdir())

    fetched = run_in_demo(
        ["manage.py", "support_fetch_mail", "--maildir", str(demo_var_dir / "inbox")],
        demo_var_dir,
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "1 handled" in fetched.stdout

    read = run_in_demo(["-c", DEMO_READ_TICKET], demo_var_dir)
    assert json.loads(read.stdout)[-1] == ["Отчёт всё ещё пустой, журнал прилагаю.", True]
    # The assignee (also the demo's support address) has a mail with the reply.
    new_mail = [p.read_text(encoding="utf-8") for p in set(mail_dir.iterdir()) - before]
    assert any("To: support@demo.example" in m and "Отчёт всё ещё пустой" in m for m in new_mail)
    assert not list(inbox_new.iterdir())  # moved to cur/ as processed
