import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from avsoft_support.models import MemberProfile
from tests.testapp.models import HomePage

PASSWORD = "Correct-Horse-7-Battery"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture
def site(db):
    """The page tree a site has: root, a home page with the corner widget, the default Site.

    Transactional tests flush Wagtail's root page, Locale and Site, so this rebuilds them.
    """
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(title="Root", slug="root")
    home = HomePage.objects.filter(slug="home").first()
    if home is None:
        # Wagtail's initial migration adds a plain welcome page: replace it with ours.
        for child in root.get_children():
            child.delete()
        root.refresh_from_db()
        home = root.add_child(instance=HomePage(title="Home", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Test"},
    )
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def make_member(db):
    """A confirmed, active member with a profile."""

    def make(username="member", email=None, password=PASSWORD, full_name="Ivan Petrov", **profile):
        user = get_user_model().objects.create_user(
            username=username, email=email or f"{username}@example.com", password=password
        )
        MemberProfile.objects.create(
            user=user, full_name=full_name, email_confirmed_at=timezone.now(), **profile
        )
        return user

    return make


@pytest.fixture
def member(make_member):
    return make_member()
