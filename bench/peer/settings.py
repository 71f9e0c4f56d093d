"""A minimal project around django-helpdesk 2.6.1, the peer of issue 12's benchmark.

Only for bench/peer/run.py (run with .venv-peer, made by bench/peer/setup): the apps and
settings the package's own templates and views need, SQLite (run.py makes an in-memory test
database, as bench/run.py does), no teams (pinax-teams is optional), no e-mail out.
"""

import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "bench-peer-not-secret"  # noqa: S105 - a throwaway benchmark project
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.peer.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",  # helpdesk builds its e-mail links from the Site
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-peer-media-")
MEDIA_URL = "/media/"
LOGIN_URL = "/helpdesk/login/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SITE_ID = 1

HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is an optional extra
# HELPDESK_KB_ENABLED stays on (default): 2.6.1's urls.py names `kb` even when it is off.
HELPDESK_PUBLIC_TICKET_QUEUE = "queue-1"
