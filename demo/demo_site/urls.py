from django import VERSION as DJANGO_VERSION
from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

admin_urls = wagtailadmin_urls
if DJANGO_VERSION >= (6, 0):
    from django.utils.csp import CSP
    from django.views.decorators.csp import csp_override
    from wagtail.utils.urlpatterns import decorate_urlpatterns

    # The site-wide policy is too strict for Wagtail's admin: it has inline scripts and styles
    # without nonces (date pickers, inline panels), fetches releases.wagtail.org, and frames
    # its previews from the same origin.
    ADMIN_CSP = {
        **settings.SECURE_CSP,
        "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "connect-src": [CSP.SELF, "https://releases.wagtail.org"],
        "frame-ancestors": [CSP.SELF],
    }
    admin_urls = decorate_urlpatterns(list(wagtailadmin_urls.urlpatterns), csp_override(ADMIN_CSP))

urlpatterns = [
    path("admin/", include(admin_urls)),
    path("account/", include("avsoft_support.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
