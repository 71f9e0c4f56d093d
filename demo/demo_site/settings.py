"""Settings of the demo site: SQLite and e-mail files under demo/var/, Russian by default.

DEMO_LANGUAGE=en runs it in English.
"""

import os
from pathlib import Path

from django import VERSION as DJANGO_VERSION

DEMO_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", DEMO_DIR / "var"))
# SQLite cannot create its file in a missing folder, and `manage.py check` on a fresh clone
# asks the database about JSON support before anything else has made demo/var/.
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "home",
    "avsoft_support",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "avsoft_support.otp.middleware.StaffOTPMiddleware",
    "avsoft_support.middleware.LegacyRedirectMiddleware",
    "avsoft_support.middleware.SupportPageRoutingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "demo_site.urls"
WSGI_APPLICATION = "demo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [DEMO_DIR / "demo_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ]
        },
    }
]

if DJANGO_VERSION >= (6, 0):
    from django.utils.csp import CSP

    # The site's own Content-Security-Policy, sent by every page (the home page included).
    # The support pages and the member area send it too, with what they need added (see
    # avsoft_support/csp.py). An inline script of the site's templates carries the nonce:
    # <script nonce="{{ csp_nonce }}">, which the csp context processor provides. data:
    # images: Wagtail's admin stylesheet, which its userbar loads on the site's pages, has some.
    MIDDLEWARE.insert(1, "django.middleware.csp.ContentSecurityPolicyMiddleware")
    TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:"],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.SELF],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.SELF],
    }

# SQLite for the demo (the production profile uses PostgreSQL). Autosave and preview write at
# the same moment: writers wait up to 20 s for each other instead of failing with "database is
# locked", each transaction takes the write lock when it begins (no deadlock on upgrading a
# read lock), and WAL lets readers read while one writes.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache",
    }
}

# The language is a setting, not the visitor's browser: no LocaleMiddleware here.
LANGUAGE_CODE = os.environ.get("DEMO_LANGUAGE", "ru")
LANGUAGES = [("ru", "Русский"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Moscow"

LOCALE_PATHS = [DEMO_DIR / "demo_site" / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [DEMO_DIR / "demo_site" / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Attachments: outside MEDIA_ROOT and without a URL; only the download view serves them.
    "avsoft_support_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    },
}

# E-mail goes to files, one per message, in demo/var/mail/: the text first, then the raw MIME.
if DJANGO_VERSION >= (6, 1):
    MAILERS = {
        "default": {
            "BACKEND": "demo_site.mail.ReadableFileEmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
else:
    EMAIL_BACKEND = "demo_site.mail.ReadableFileEmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = "support@demo.example"

# The login throttle first: every authenticate() (the admin login too) shares the member
# area's login limits.
AUTHENTICATION_BACKENDS = [
    "avsoft_support.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "avsoft_support:login"
# The demo stands in for the company whose old site had /auth.php and /personal/user.php:
# its printed regulations still point there (off by default in the app).
AVSOFT_SUPPORT_LEGACY_REDIRECTS = True

WAGTAIL_SITE_NAME = "AVSoft (демонстрационный сайт)"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_GRAVATAR_PROVIDER_URL = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "avsoft_support": {"handlers": ["console"], "level": "INFO"},
        # The immediate task backend logs two lines per mail; the mail's own line is enough.
        "django.tasks": {"level": "WARNING"},
    },
}
