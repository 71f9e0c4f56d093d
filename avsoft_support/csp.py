"""The Content-Security-Policy our customer pages send: no inline script, nothing from elsewhere."""

from django import VERSION as DJANGO_VERSION

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}

if DJANGO_VERSION >= (6, 0):
    from django.views.decorators.csp import csp_override

    # Django's ContentSecurityPolicyMiddleware writes the header (with its nonce support).
    customer_csp = csp_override(POLICY)
else:
    from functools import wraps

    def _header():
        return "; ".join(f"{name} {' '.join(values)}" for name, values in POLICY.items())

    def customer_csp(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            response = view_func(request, *args, **kwargs)
            response.headers.setdefault("Content-Security-Policy", _header())
            return response

        return wrapped
