import pytest
import swapper
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone, translation
from wagtail.models import Locale, Site

from avsoft_support.models import MemberProfile
from tests.utils import PASSWORD, otp_login

pytest_plugins = ["tests.mailserver"]


def pytest_collection_modifyitems(config, items):
    # The tests that build the demo site run it in a subprocess on its own SQLite database
    # with Django 6.1: the same whatever database or Django version the suite runs on.
    for item in items:
        if "demo_var_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.demo)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    for cache in caches.all():
        cache.clear()
    # Transactional (browser) tests flush the database, and post_migrate makes the content
    # types again under new ids; Wagtail's permission policies keep the old ones (a cached
    # property), so a later test would find nobody holding a ticket permission.
    from django.contrib.contenttypes.models import ContentType
    from wagtail.permissions import policy_registry

    ContentType.objects.clear_cache()
    for registered in (policy_registry.values_by_class, policy_registry.values_by_exact_class):
        for policy in registered.values():
            vars(policy).pop("_content_type", None)
    yield


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates a request's language for the thread and never resets it:
    # a test that asked for Russian pages would leave Russian to the next test.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def site(db):
    """The page tree a site has: root, a home page with the corner widget, the default Site.

    Transactional tests flush Wagtail's root page, Locale and Site, so this rebuilds them.
    The tree is of the active page model: Wagtail's Page and the test app's home page, or a
    site's own base page (tests.settings_custompage) and its home page.
    """
    Page = swapper.load_model("wagtailcore", "Page")
    if swapper.is_swapped("wagtailcore", "Page"):
        from tests.custompage.models import CustomHomePage as HomePage
    else:
        from tests.testapp.models import HomePage

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


def support_staff_group():
    """The "Support staff" group. Migration 0002 makes it; transactional (browser) tests flush
    it, so it is made again here from the same list when missing."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    migration = import_module("avsoft_support.migrations.0002_support_staff_group")
    group, created = Group.objects.get_or_create(name=migration.GROUP_NAME)
    if created:
        for app_label, _model, codename in migration.PERMISSIONS:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


@pytest.fixture
def make_staff(db):
    """An admin user (Wagtail's access_admin permission, or a superuser), by default with a
    confirmed TOTP device; ``support_group=True`` puts them in the "Support staff" group (the
    admin then requires their second factor)."""
    from django.contrib.auth.models import Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(
        username="staff",
        password=PASSWORD,
        superuser=False,
        device=True,
        support_group=False,
        **fields,
    ):
        users = get_user_model().objects
        email = fields.pop("email", f"{username}@example.com")
        if superuser:
            user = users.create_superuser(
                username=username, email=email, password=password, **fields
            )
        else:
            user = users.create_user(username=username, email=email, password=password, **fields)
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="wagtailadmin", codename="access_admin"
                )
            )
        if device:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        if support_group:
            user.groups.add(support_staff_group())
        return user

    return make


@pytest.fixture
def staff_user(make_staff):
    """A staff user with admin access and a confirmed TOTP device (`staff_user.totpdevice_set`)."""
    return make_staff()


@pytest.fixture
def staff_client(client, staff_user):
    """The test client logged in as `staff_user`, second factor passed."""
    return otp_login(client, staff_user)


# Ticketing: a live support page, products, and a helper that files a ticket the way the
# customer form does (through tickets.create_ticket).


@pytest.fixture
def support_page(site):
    # The active support page type: ours, or the site's own (AVSOFT_SUPPORT_SUPPORTPAGE_MODEL).
    SupportPage = swapper.load_model("avsoft_support", "SupportPage")

    page = SupportPage.objects.filter(slug="support").first()
    if page is None:
        page = site.root_page.add_child(
            instance=SupportPage(
                title="Support",
                slug="support",
                intro="<p>We help our clients with every product.</p>",
                filing_rules="<p>One problem per ticket, please.</p>",
            )
        )
    return page


@pytest.fixture
def product(db):
    from avsoft_support.models import Product

    return Product.objects.get_or_create(name="AVSoft Analyzer", defaults={"active": True})[0]


@pytest.fixture
def support_settings(site):
    from avsoft_support.models import SupportSettings

    settings_obj = SupportSettings.for_site(site)
    settings_obj.notification_emails = "support@example.com\nduty@example.com"
    settings_obj.save()
    return settings_obj


@pytest.fixture
def make_ticket(site, support_settings, product):
    """File a ticket as ``author`` (with optional files: a list of (name, bytes))."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from avsoft_support import tickets
    from avsoft_support.models import MemberProfile

    def make(author, subject="Export stops", files=(), support_page=None, **data):
        profile = MemberProfile.objects.get(user=author)
        fields = {
            "subject": subject,
            "product": product,
            "product_other": "",
            "product_version": "5.2.1",
            "os_version": "Windows 11",
            "criticality": 3,
            "description": "It stops at 50%.",
            "steps_to_problem": "Opened a big file.",
            "steps_to_reproduce": "1. Open big.dat\n2. Export",
            **data,
        }
        uploads = [SimpleUploadedFile(name, content) for name, content in files]
        return tickets.create_ticket(
            author=author,
            profile=profile,
            data=fields,
            files=uploads,
            support_settings=support_settings,
            support_page=support_page,
        )

    return make


@pytest.fixture
def support_staff(make_staff):
    """A user in the "Support staff" group, with a confirmed TOTP device."""
    return make_staff(
        username="supportstaff", first_name="Sofia", last_name="Sidorova", support_group=True
    )


@pytest.fixture
def verified_staff_client(client, support_staff):
    """The test client logged in as `support_staff`, OTP-verified (the gate stays on)."""
    return otp_login(client, support_staff)


@pytest.fixture
def make_admin_ticket(db, make_member):
    """A ticket with its first message, straight through the ORM, every field controllable.

    ``client_status`` sets both the author's profile and the ticket's snapshot and priority.
    """
    import itertools
    from datetime import timedelta

    from avsoft_support.models import ClientStatus, Message, Ticket

    counter = itertools.count(1)

    def make(
        author=None,
        subject=None,
        client_status="potential",
        created_at=None,
        sla_due_at=None,
        body="It stops at 50%.",
        **fields,
    ):
        n = next(counter)
        if author is None:
            author = make_member(
                username=f"customer{n}",
                full_name=f"Customer {n}",
                company=f"Company {n}",
                client_status=client_status,
            )
        created_at = created_at or timezone.now() - timedelta(minutes=n)
        ticket = Ticket.objects.create(
            subject=subject or f"Problem number {n}",
            author=author,
            client_status=client_status,
            priority=ClientStatus.priority_of(client_status),
            created_at=created_at,
            last_activity_at=created_at,
            sla_due_at=sla_due_at or created_at + timedelta(hours=4),
            product_version=fields.pop("product_version", "5.2"),
            os_version=fields.pop("os_version", "Windows 11"),
            **fields,
        )
        Message.objects.create(ticket=ticket, author=author, body=body, created_at=created_at)
        return ticket

    return make
