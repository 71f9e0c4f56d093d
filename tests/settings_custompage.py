"""The test settings with a site's own base page model (WAGTAIL_PAGE_MODEL), as Wagtail's own
``runtests.py --custompage`` does: the app must work when ``wagtailcore.Page`` is swapped out."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

# The site's own pages take the place of the test app's home page (a child of wagtailcore.Page).
INSTALLED_APPS = ["tests.custompage" if app == "tests.testapp" else app for app in INSTALLED_APPS]
WAGTAIL_PAGE_MODEL = "custompage.BasePage"
AVSOFT_SUPPORT_SUPPORTPAGE_MODEL = "custompage.CustomSupportPage"
