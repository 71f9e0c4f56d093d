"""Member-area and download routes. A site includes them at a prefix of its choice."""

from django.urls import path  # noqa: F401

app_name = "avsoft_support"

urlpatterns = []
