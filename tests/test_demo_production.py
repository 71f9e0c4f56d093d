"""The production profile's settings (docs/production.md) with every shared piece switched on:
`check --deploy` stays clean, and nothing of the state is left on the app server.

Needs the `prod` extra (`make demo-prod` installs it); skipped without it. One subprocess,
no service contacted: the deploy check does not connect to Redis, S3 or the database.
"""

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not all(
        find_spec(name)
        for name in ("dj_database_url", "redis", "storages", "django_tasks_db", "whitenoise")
    ),
    reason="the prod extra is not installed (pip install -e '.[prod]')",
)

SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
print(json.dumps({
    "database": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "sessions": settings.SESSION_ENGINE,
    "tasks": settings.TASKS["default"]["BACKEND"],
    "attachments": settings.STORAGES["avsoft_support_attachments"]["BACKEND"],
    "apps": [app for app in settings.INSTALLED_APPS if app.startswith("django_tasks")],
}))
"""


def test_shared_services_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'demo'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "demo_site.settings_production",
        "DEMO_VAR_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": "x" * 20 + "-Production-Secret-Key-For-The-Check-0123456789",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/avs_unused",
        "REDIS_URL": "redis://127.0.0.1:6379/7",
        "DEMO_PROD_TASKS": "database",
        "AWS_STORAGE_BUCKET_NAME": "attachments",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "DEMO_PROD_SERVE_STATIC": "1",
        "DEMO_PROD_FLOOR": "1",
    }
    env.pop("DEMO_PROD_LOCAL_HTTP", None)
    # The browser tests' conftest allows async-unsafe ORM calls in this process; not there.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603 (our own fixed arguments)
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT / "demo",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {
        "database": "django.db.backends.postgresql",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "sessions": "django.contrib.sessions.backends.cached_db",
        "tasks": "django_tasks_db.DatabaseBackend",
        "attachments": "storages.backends.s3.S3Storage",
        "apps": ["django_tasks_db"],
    }
