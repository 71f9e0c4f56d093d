"""The demo as it would run in production: `manage.py check --deploy` is clean with these."""

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

_smtp = {"host": os.environ.get("EMAIL_HOST", "localhost")}
if DJANGO_VERSION >= (6, 1):  # noqa: F405
    MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": _smtp}
    }
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp["host"]
