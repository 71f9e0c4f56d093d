"""The demo for editors and agents: the editor may publish the support page (no moderation
workflow between them and a one-line help-text fix), and the demo's SQLite waits for a
concurrent writer (autosave and preview) instead of failing with "database is locked"."""

import json

from tests.test_demo_and_checks import demo_var_dir, run_in_demo  # noqa: F401 (a fixture)

DEMO_EDITOR = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from avsoft_support.models import SupportPage

editor = get_user_model().objects.get(username="editor")
page = SupportPage.objects.get()
permissions = page.permissions_for_user(editor)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
print(json.dumps({
    "can_edit": permissions.can_edit(),
    "can_publish": permissions.can_publish(),
    "options": settings.DATABASES["default"]["OPTIONS"],
    "journal": journal,
}))
"""


def test_the_demo_editor_publishes_support_pages_and_sqlite_waits_for_writers(demo_var_dir):  # noqa: F811
    for args in (["manage.py", "migrate", "--noinput"], ["manage.py", "support_demo"]):
        done = run_in_demo(args, demo_var_dir)
        assert done.returncode == 0, done.stdout + done.stderr
    checked = run_in_demo(["-c", DEMO_EDITOR], demo_var_dir)
    assert checked.returncode == 0, checked.stderr
    state = json.loads(checked.stdout)
    assert (state["can_edit"], state["can_publish"]) == (True, True)
    assert state["options"]["timeout"] >= 5
    assert state["options"]["transaction_mode"] == "IMMEDIATE"
    assert state["journal"] == "wal"
