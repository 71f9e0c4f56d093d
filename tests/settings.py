"""Settings for the test suite: SQLite in memory by default, PostgreSQL with DATABASE_URL."""

import tempfile
from pathlib import Path

import dj_database_url
from django import VERSION as DJANGO_VERSION

BASE_DIR = Path(__file__).resolve().parent
# Real files, in a folder of this test process's own.
MEDIA_ROOT_BASE = Path(tempfile.mkdtemp(prefix="avsoft_support_tests_"))

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "avsoft_support",
    "tests.testapp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "avsoft_support.otp.middleware.StaffOTPMiddleware",
    "avsoft_support.middleware.LegacyRedirectMiddleware",
    "avsoft_support.middleware.SupportPageRoutingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if DJANGO_VERSION >= (6, 0):
    # As a site would: it sends the policy our customer views ask for.
    MIDDLEWARE.insert(0, "django.middleware.csp.ContentSecurityPolicyMiddleware")

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:", conn_max_age=0)}

# Fast hashing in tests only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One test process: a per-process cache for the login counters is what the tests want.
SILENCED_SYSTEM_CHECKS = ["avsoft_support.W004"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Moscow"

STATIC_URL = "/static/"
STATIC_ROOT = MEDIA_ROOT_BASE / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = MEDIA_ROOT_BASE / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Private: outside MEDIA_ROOT, no base URL, served only through the download view.
    "avsoft_support_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT_BASE / "private"), "base_url": None},
    },
}

DEFAULT_FROM_EMAIL = "support@example.com"
if DJANGO_VERSION >= (6, 1):
    # The test runner swaps every mailer for locmem; naming one avoids the EMAIL_* deprecation.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# The login throttle first: every authenticate() (the admin login too) shares the member
# area's login limits.
AUTHENTICATION_BACKENDS = [
    "avsoft_support.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "avsoft_support:login"

WAGTAIL_SITE_NAME = "avsoft_support tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_GRAVATAR_PROVIDER_URL = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"avsoft_support": {"handlers": ["null"], "level": "INFO", "propagate": True}},
}
