"""The Content-Security-Policy of our customer pages beside the site's own.

Without a site policy our pages send ours; with one, they send the site's with what they need
added, and the nonce in the header is the one the site's base template prints. The site's
report-only policy is never touched.
"""

import re
from pathlib import Path

import django
import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from avsoft_support.csp import customer_csp, merge

needs_django_csp = pytest.mark.skipif(
    django.VERSION < (6, 0), reason="Django's own CSP (SECURE_CSP, the nonce) arrived in 6.0"
)

NONCE_SITE_TEMPLATES = Path(__file__).parent / "templates" / "csp_site"

OURS = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
# Pages a logged-in member opens: the support page and its form, the member area, the QR setup.
CUSTOMER_PAGES = ("/support/", "/support/new/", "/account/profile/", "/account/two-factor/setup/")


def directives(header):
    """A policy header as {directive: [sources]}, as a browser reads it."""
    policy = {}
    for part in header.split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def printed_nonce(response):
    """The nonce the site's base template printed into its inline script."""
    match = re.search(r'<script nonce="([^"]+)">', response.content.decode())
    assert match, "the site's template printed no nonce"
    return match.group(1)


def use_nonce_site_templates(settings):
    """The site's base template with nonce'd inline script and style first in DIRS, and the csp
    context processor that gives templates `csp_nonce` (Django 6)."""
    engine = settings.TEMPLATES[0]
    processors = engine["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **engine,
            "DIRS": [NONCE_SITE_TEMPLATES, *engine["DIRS"]],
            "OPTIONS": {
                **engine["OPTIONS"],
                "context_processors": [*processors, "django.template.context_processors.csp"],
            },
        }
    ]


@pytest.fixture
def nonce_site(settings):
    use_nonce_site_templates(settings)
    return settings


@pytest.fixture
def logged_in(client, member, support_page):
    client.force_login(member)
    return client


def test_without_a_site_policy_our_pages_send_ours_and_the_site_pages_none(logged_in):
    # Django 6: the test settings have the middleware and no SECURE_CSP; 5.2: our decorator.
    for path in CUSTOMER_PAGES:
        response = logged_in.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == OURS, path
    assert "Content-Security-Policy" not in logged_in.get("/")


@needs_django_csp
def test_with_a_site_policy_our_pages_send_it_with_what_they_need_added(logged_in, nonce_site):
    from django.utils.csp import CSP

    nonce_site.SECURE_CSP = {
        "default-src": [CSP.NONE],
        "script-src": [CSP.NONCE, "https://cdn.example.com"],
        "style-src": [CSP.SELF, CSP.NONCE, "https://fonts.example.com"],
        "img-src": [CSP.SELF, "https://images.example.com"],
        "frame-ancestors": [CSP.NONE],
        "report-uri": "/csp-reports/",
        "upgrade-insecure-requests": True,
    }

    home = logged_in.get("/")
    nonce = printed_nonce(home)
    # The site's own page: its policy as it wrote it.
    assert home["Content-Security-Policy"] == (
        f"default-src 'none'; script-src 'nonce-{nonce}' https://cdn.example.com; "
        f"style-src 'self' 'nonce-{nonce}' https://fonts.example.com; "
        "img-src 'self' https://images.example.com; frame-ancestors 'none'; "
        "report-uri /csp-reports/; upgrade-insecure-requests"
    )

    for path in CUSTOMER_PAGES:
        response = logged_in.get(path)
        assert response.status_code == 200, path
        nonce = printed_nonce(response)
        assert directives(response["Content-Security-Policy"]) == {
            "default-src": ["'none'"],
            # Our script files added to the site's nonce and CDN.
            "script-src": [f"'nonce-{nonce}'", "https://cdn.example.com", "'self'"],
            # 'self' is there already: unchanged.
            "style-src": ["'self'", f"'nonce-{nonce}'", "https://fonts.example.com"],
            "img-src": ["'self'", "https://images.example.com"],
            # The site's stricter framing rule stays.
            "frame-ancestors": ["'none'"],
            "report-uri": ["/csp-reports/"],
            "upgrade-insecure-requests": [],
            # default-src 'none' would stop the login box fetching the login page: that one
            # kind of request is allowed to the site itself, default-src stays 'none'.
            "connect-src": ["'self'"],
        }, path


@needs_django_csp
def test_where_the_site_sets_only_default_src_nothing_of_it_is_narrowed(logged_in, settings):
    from django.utils.csp import CSP

    # A script-src 'self' of ours here would block the site's CDN scripts on our pages.
    settings.SECURE_CSP = {"default-src": [CSP.SELF, "https://cdn.example.com"]}
    for path in CUSTOMER_PAGES:
        assert logged_in.get(path)["Content-Security-Policy"] == (
            "default-src 'self' https://cdn.example.com; frame-ancestors 'self'"
        ), path


@needs_django_csp
def test_the_site_report_only_policy_passes_through_untouched(logged_in, settings):
    from django.utils.csp import CSP

    settings.SECURE_CSP_REPORT_ONLY = {
        "default-src": [CSP.NONE],
        "script-src": ["https://cdn.example.com"],
        "report-uri": "/csp-reports/",
    }
    expected = "default-src 'none'; script-src https://cdn.example.com; report-uri /csp-reports/"
    for site_policy in ({}, {"default-src": [CSP.SELF]}):
        settings.SECURE_CSP = site_policy
        for path in ("/", *CUSTOMER_PAGES):
            response = logged_in.get(path)
            assert response["Content-Security-Policy-Report-Only"] == expected, path


@needs_django_csp
def test_a_site_names_the_policy_for_our_pages(logged_in, settings):
    from django.utils.csp import CSP

    settings.SECURE_CSP = {"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]}
    settings.AVSOFT_SUPPORT_CSP = {"default-src": [CSP.SELF], "frame-ancestors": [CSP.NONE]}
    for path in CUSTOMER_PAGES:
        header = logged_in.get(path)["Content-Security-Policy"]
        assert header == "default-src 'self'; frame-ancestors 'none'", path
    assert logged_in.get("/")["Content-Security-Policy"] == "default-src 'self'; script-src 'self'"


@needs_django_csp
def test_a_site_leaves_our_pages_its_own_policy_as_it_is(logged_in, settings):
    from django.utils.csp import CSP

    settings.AVSOFT_SUPPORT_CSP = False
    settings.SECURE_CSP = {"default-src": [CSP.NONE]}
    assert logged_in.get("/support/")["Content-Security-Policy"] == "default-src 'none'"
    settings.SECURE_CSP = {}
    assert "Content-Security-Policy" not in logged_in.get("/support/")


@pytest.mark.parametrize(
    ("site_policy", "sent"),
    [
        # 'none' gives way to what our pages need: it means no sources, and cannot stand
        # beside one.
        (
            {"script-src": ["'none'"], "form-action": ["'none'"]},
            {"script-src": ["'self'"], "form-action": ["'self'"], "frame-ancestors": ["'self'"]},
        ),
        # The directive a browser consults for <script src> is script-src-elem when set.
        (
            {"script-src-elem": ["https://cdn.example.com"], "script-src": ["'self'"]},
            {
                "script-src-elem": ["https://cdn.example.com", "'self'"],
                "script-src": ["'self'"],
                "frame-ancestors": ["'self'"],
            },
        ),
        # Silent on scripts and styles (no default-src): the site allows them, so does ours.
        (
            {"frame-ancestors": ["https://partner.example.com"], "sandbox": True},
            {"frame-ancestors": ["https://partner.example.com"], "sandbox": True},
        ),
        # A directive the site switched off (None/False) is as good as absent.
        (
            {"default-src": ["'self'"], "script-src": None, "frame-ancestors": False},
            {"default-src": ["'self'"], "frame-ancestors": ["'self'"]},
        ),
    ],
)
def test_what_our_pages_add_to_a_site_policy(site_policy, sent):
    assert merge(site_policy) == sent


@pytest.mark.skipif(django.VERSION >= (6, 0), reason="Django 6 reads the site's SECURE_CSP")
def test_before_django_6_a_header_on_the_response_is_merged_with_ours(settings):
    def site_view(request):
        response = HttpResponse("A site's own support page")
        response["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'sha256-abc=' https://cdn.example.com; img-src *"
        )
        return response

    request = RequestFactory().get("/support/")
    assert customer_csp(site_view)(request)["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'sha256-abc=' https://cdn.example.com 'self'; "
        "img-src *; style-src 'self'; connect-src 'self'; frame-ancestors 'self'"
    )
    # Without a site header: ours.
    plain = customer_csp(lambda request: HttpResponse("ours"))(request)
    assert plain["Content-Security-Policy"] == OURS
    # AVSOFT_SUPPORT_CSP = False: the site's header as it is, and none of ours.
    settings.AVSOFT_SUPPORT_CSP = False
    assert customer_csp(site_view)(request)["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'sha256-abc=' https://cdn.example.com; img-src *"
    )
    assert "Content-Security-Policy" not in customer_csp(lambda r: HttpResponse("x"))(request)
