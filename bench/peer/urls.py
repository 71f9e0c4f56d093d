"""The peer project's URLs: django-helpdesk under /helpdesk/, as its docs mount it, and the
Django admin (its staff ticket page links the submitter's admin page)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
