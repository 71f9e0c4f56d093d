"""The demo as it would run in production: `manage.py check --deploy` is clean with these.

Without any of the variables below this is one machine's site (the demo's SQLite, file cache,
local attachments). Each variable moves one piece off the app server, so that several app
servers serve the same users (docs/production.md; `make demo-prod` sets them all):

- ``DATABASE_URL``: the database, e.g. ``postgres://user@db.internal:5432/support``.
- ``REDIS_URL``: Redis as the default cache (the rate-limit counters, the presence of agents on
  a ticket) and the sessions' cache in front of the database, e.g. ``redis://cache:6379/0``.
- ``DEMO_PROD_TASKS=database``: mail and other tasks go to a queue in the database, run by
  ``manage.py db_worker`` (django-tasks-db) instead of inside the request.
- ``AWS_STORAGE_BUCKET_NAME`` (with ``AWS_S3_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_S3_REGION_NAME``): attachments in a private S3 bucket.
- ``EMAIL_HOST``: the SMTP server; ``DEMO_PROD_MAIL_DIR`` instead writes mail to files there.
- ``DEMO_PROD_SERVE_STATIC=1``: the app servers serve the collected static files (WhiteNoise),
  for a setup without a web server in front.
- ``DEMO_PROD_LOCAL_HTTP=1``: plain http on loopback (no HTTPS redirect, no secure-only
  cookies), for trying the profile and the load test on 127.0.0.1 only, never on a network.
"""

import os

from .settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "support.example.com").split(",")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "https://support.example.com")

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if DJANGO_VERSION >= (6, 0):  # noqa: F405
    from django.utils.csp import CSP

    # Browsers that read the policy's frame-ancestors ignore X-Frame-Options: DENY there too.
    SECURE_CSP = {**SECURE_CSP, "frame-ancestors": [CSP.NONE]}  # noqa: F405
AVSOFT_SUPPORT_STAFF_OTP_REQUIRED = True

if os.environ.get("DEMO_PROD_LOCAL_HTTP") == "1":
    # Loopback only: a browser or the load test talks plain http to 127.0.0.1, where an HTTPS
    # redirect and secure-only cookies would lock everyone out. Never set on a network.
    SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    # Persistent connections with a health check: no connect per request.
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=600, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Wagtail's search index on PostgreSQL uses its full-text fields.
        INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.postgres"]  # noqa: F405

if os.environ.get("REDIS_URL"):
    # One cache for every process of every server: the login and registration limits
    # (AVSOFT_SUPPORT_RATE_LIMIT_CACHE is "default") count each attempt once, wherever it came.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("DEMO_PROD_CACHE_PREFIX", "avs"),
        }
    }
    # Sessions are rows in the database, read through the shared cache: a server restart or a
    # request on the other server keeps the visitor logged in.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

if os.environ.get("DEMO_PROD_TASKS") == "database":
    # Notifications are enqueued after the commit (notifications.py) and sent by the worker:
    # a slow mail server never holds a request.
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # The same private bucket for every server; files only ever leave it through the download
    # views (no public ACL, no URL of their own). Names are random (attachment_upload_to), so
    # no "does it exist" request before each upload.
    STORAGES = {
        **STORAGES,  # noqa: F405
        "avsoft_support_attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
                "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": True,
            },
        },
    }

if os.environ.get("DEMO_PROD_SERVE_STATIC") == "1":
    MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

_smtp = {"host": os.environ.get("EMAIL_HOST", "localhost")}
_mail_dir = os.environ.get("DEMO_PROD_MAIL_DIR")
if DJANGO_VERSION >= (6, 1):  # noqa: F405
    MAILERS = {
        "default": {
            "BACKEND": "demo_site.mail.ReadableFileEmailBackend",
            "OPTIONS": {"file_path": _mail_dir},
        }
        if _mail_dir
        else {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": _smtp}
    }
elif _mail_dir:
    EMAIL_BACKEND = "demo_site.mail.ReadableFileEmailBackend"
    EMAIL_FILE_PATH = _mail_dir
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp["host"]

if os.environ.get("DEMO_PROD_FLOOR") == "1":
    # The load test's floor: a bare view beside the real pages (demo_site/urls_production.py).
    ROOT_URLCONF = "demo_site.urls_production"

LOGGING = {
    **LOGGING,  # noqa: F405
    # Errors to the console, where gunicorn and the worker write their logs.
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        "django": {"handlers": ["console"], "level": "ERROR"},
    },
}
