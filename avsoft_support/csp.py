"""The Content-Security-Policy of our customer pages (the support page, the member area).

A site that has a policy of its own keeps it on our pages too: its base template, which our
pages extend, carries its inline scripts and styles (with its nonce), and replacing its policy
with ours blocked them there. So our pages send the site's policy with what they need added
(``merge``). A site without a policy gets ours (``POLICY``), so that the login and ticket
forms are protected either way. ``AVSOFT_SUPPORT_CSP`` picks another way: a dict is used as
it is for our pages; ``False`` (or ``{}``) leaves the response to the site, for a policy we
cannot see from a view (django-csp, a proxy adding the header).

Django 6 writes the header in its ContentSecurityPolicyMiddleware, which fills the nonce
sentinel (``CSP.NONCE``) with the same nonce its ``csp`` context processor gives templates
as ``{{ csp_nonce }}``; the site's ``SECURE_CSP`` is the site's policy. Django 5.2 has neither:
there we write the header ourselves and the site's policy is a header already on the response.
The site's report-only policy is never touched.
"""

from functools import wraps

from django import VERSION as DJANGO_VERSION
from django.conf import settings

HEADER = "Content-Security-Policy"
NONE = "'none'"
SELF = "'self'"

# Our policy when the site has none: nothing inline, nothing from elsewhere. Our pages have no
# images of their own (the TOTP QR code is inline SVG, which img-src does not govern).
POLICY = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [SELF],
}

# What our pages load or do, merged into a site's policy: the directive to write, the
# directives a browser consults for that kind of request (most specific first, ending in the
# fallback), and the sources we need there. Our scripts and stylesheets are files of our own
# (`<script src>`, `<link rel=stylesheet>`); the login box fetches the login page for a CSRF
# cookie; our forms post to the site itself.
# 'strict-dynamic' in a site's script-src makes browsers ignore 'self': such a site names its
# policy for our pages in AVSOFT_SUPPORT_CSP.
NEEDS = [
    ("script-src", ("script-src-elem", "script-src", "default-src"), [SELF]),
    ("style-src", ("style-src-elem", "style-src", "default-src"), [SELF]),
    ("connect-src", ("connect-src", "default-src"), [SELF]),
    ("form-action", ("form-action",), [SELF]),
]
# Directives of ours added even where the site's policy is silent: who may frame the login
# and ticket forms (clickjacking) restricts nothing the site's own templates load or run.
ALWAYS = {"frame-ancestors": [SELF]}


def _sources(value):
    """A directive's sources as a list, as Django's build_policy reads a setting's value."""
    if value is True:  # a directive without sources ("sandbox")
        return []
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def merge(site_policy):
    """The site's policy with what our pages need added, directive by directive.

    Nothing of the site's is dropped, and its nonce sentinel stays for the middleware to fill.
    A directive that governs one of our needs gets our sources it lacks ('none' gives way to
    them); where the site sets only the fallback (default-src), the specific directive is
    written as the fallback's sources plus ours, so the rest of what default-src governs stays
    as strict. Where the site's policy is silent on a kind of request (no directive and no
    default-src) it allows it, so ours is met and nothing is added: adding a directive there
    would block whatever the site's templates load of that kind.
    """
    policy = {
        name: value
        for name, value in site_policy.items()
        if value is not None and value is not False
    }
    for target, consulted, ours in NEEDS:
        governing = next((name for name in consulted if name in policy), None)
        if governing is None:
            continue
        sources = [s for s in _sources(policy[governing]) if s != NONE]
        missing = [s for s in ours if s not in sources]
        if missing:
            written = target if governing == "default-src" else governing
            policy[written] = sources + missing
    for name, ours in ALWAYS.items():
        policy.setdefault(name, ours)
    return policy


def _our_policy(site_policy):
    """What our pages send, given the site's policy (empty: none); None leaves the response be."""
    # Read here, not through conf.app_settings: the import contract keeps csp and conf
    # independent leaves.
    chosen = getattr(settings, "AVSOFT_SUPPORT_CSP", None)
    if chosen is not None:
        return chosen or None
    return merge(site_policy) if site_policy else POLICY


if DJANGO_VERSION >= (6, 0):
    from django.views.decorators.csp import csp_override

    def customer_csp(view_func):
        # Worked out per request (the site's settings may change, in tests at least) and handed
        # to Django's own override, which the middleware reads when it writes the header.
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            policy = _our_policy(settings.SECURE_CSP)
            view = csp_override(policy)(view_func) if policy else view_func
            return view(request, *args, **kwargs)

        return wrapped

else:

    def _parse(header):
        """A policy header as {directive: [sources]}; the first of a repeated directive counts."""
        policy = {}
        for part in header.split(";"):
            if tokens := part.split():
                policy.setdefault(tokens[0].lower(), tokens[1:])
        return policy

    def _header(policy):
        return "; ".join(
            " ".join([name, *_sources(value)])
            for name, value in policy.items()
            if value is not None and value is not False
        )

    def customer_csp(view_func):
        # No CSP middleware before Django 6: the header is written here, merged with one the
        # response already carries (the only form a site's policy can take at this point).
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            response = view_func(request, *args, **kwargs)
            policy = _our_policy(_parse(response.headers.get(HEADER, "")))
            if policy:
                response.headers[HEADER] = _header(policy)
            return response

        return wrapped
