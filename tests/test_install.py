"""The install guide, followed on a fresh `wagtail start` site with the built wheel.

A new site owner's path: the wheel (not this checkout) on the path, the README's marked code
blocks applied by scripts/apply-install-guide, `migrate`, a support page added, the pages
asked for, and `check --deploy` with the site's production settings. When the guide changes,
this test follows it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils import build_wheel

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.install

SERVE_PAGES = """
from django.test import Client
from wagtail.models import Page, Site
import avsoft_support
from avsoft_support.models import SupportPage

print("APP", avsoft_support.__file__)
home = Site.objects.get(is_default_site=True).root_page
home.add_child(instance=SupportPage(title="Support", slug="support"))
client = Client()
for path in ("/", "/support/", "/account/login/", "/account/register/"):
    response = client.get(path)
    print("PAGE", path, response.status_code, response.headers.get("Content-Security-Policy", ""))
    if path == "/":
        body = response.content.decode()
        print("LOGIN_BOX", 'name="password"' in body and "avs-login-box" in body)
"""


def run(args, cwd, env=None, timeout=300):
    result = subprocess.run(  # noqa: S603 (our own fixed arguments)
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    """A `wagtail start` site with the wheel installed for it and the guide applied."""
    tmp = tmp_path_factory.mktemp("install")
    lib, site = tmp / "lib", tmp / "site"
    wheel = build_wheel(tmp)
    run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", lib, wheel], tmp)
    site.mkdir()
    run([BIN / "wagtail", "start", "mysite", site], cwd=tmp)
    run([sys.executable, ROOT / "scripts" / "apply-install-guide", ROOT / "README.md", site,
         "mysite"], cwd=tmp)  # fmt: skip
    # What a site owner keeps out of version control: the production secrets.
    (site / "mysite" / "settings" / "local.py").write_text(
        'SECRET_KEY = "install-test-only-' + "x" * 50 + '"\nALLOWED_HOSTS = ["testserver"]\n'
    )
    return site


def site_env(site, settings_module):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH"))
    }
    # The wheel first, so that it, and not this checkout, is what the site imports.
    env["PYTHONPATH"] = str(site.parent / "lib")
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    return env


def test_the_guide_gives_a_working_site(site_dir):
    env = site_env(site_dir, "mysite.settings.dev")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], site_dir, env)
    out = run([sys.executable, "manage.py", "shell", "-c", SERVE_PAGES], site_dir, env)

    app_path = next(line for line in out.splitlines() if line.startswith("APP "))
    assert str(site_dir.parent / "lib") in app_path  # the wheel, not the checkout
    pages = {
        line.split()[1]: line.split(maxsplit=3)[2:]
        for line in out.splitlines()
        if line.startswith("PAGE ")
    }
    assert {path: status for path, (status, *_rest) in pages.items()} == {
        "/": "200",
        "/support/": "200",
        "/account/login/": "200",
        "/account/register/": "200",
    }
    assert "LOGIN_BOX True" in out  # the box is in the site's own base template


def test_check_deploy_with_the_sites_production_settings_has_nothing_about_the_app(site_dir):
    env = site_env(site_dir, "mysite.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=site_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    # The site's own deployment warnings (HSTS, SSL redirect, ...) are the site's business.
    assert "avsoft_support." not in output, output
    assert "Traceback" not in output, output
