"""The demo's URLs plus the load test's floor (settings_production with DEMO_PROD_FLOOR=1).

``/floor/`` is the cheapest page a logged-in member can get from this site: the same
middleware (session, user, second factor, CSP), then 25 of the member's tickets in one query
and a few lines of HTML without a template. `make load` measures it in the same run as the
real pages, so their times can be read as multiples of it.
"""

from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.html import format_html_join

from avsoft_support.models import Ticket

from .urls import urlpatterns as site_urlpatterns


def floor(request):
    if not request.user.is_authenticated:
        raise Http404
    # The same query as bench/urls.py's bare view (the benchmark's floor), which lives on the
    # test site and so cannot be mounted here.
    rows = Ticket.objects.filter(author_id=request.user.pk).order_by("-last_activity_at", "-pk")
    rows = rows.values_list("number", "subject", "status")[:25]
    items = format_html_join("", "<li>{} {} {}</li>", rows)
    return HttpResponse(f"<!doctype html><title>floor</title><ul>{items}</ul>")


urlpatterns = [path("floor/", floor, name="load_floor"), *site_urlpatterns]
