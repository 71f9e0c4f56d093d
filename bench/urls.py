"""The test site's URLs plus the benchmark's floor: a bare view returning 25 of the member's
tickets in one query (no template, no page routing, no permission checks)."""

from django.http import HttpResponse
from django.urls import path
from django.utils.html import escape

from avsoft_support.models import Ticket
from tests.urls import urlpatterns as site_urlpatterns


def bare_ticket_list(request):
    rows = Ticket.objects.filter(author_id=request.user.pk).order_by("-last_activity_at", "-pk")
    cells = "".join(
        f"<tr><td>{escape(number)}</td><td>{escape(subject)}</td><td>{status}</td></tr>"
        for number, subject, status in rows.values_list("number", "subject", "status")[:25]
    )
    return HttpResponse(f"<!doctype html><table>{cells}</table>")


urlpatterns = [path("bench/bare/", bare_ticket_list), *site_urlpatterns]
