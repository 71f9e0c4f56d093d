"""The test settings with a user model that logs in by e-mail and has no username field, as
Wagtail's own test suite has with ``wagtail.test.emailuser``. ``tests/test_email_user.py`` runs
with these (``DJANGO_SETTINGS_MODULE=tests.settings_emailuser``)."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.emailuser"]
AUTH_USER_MODEL = "emailuser.EmailUser"
