"""The peer project's URLs: django-helpdesk under /helpdesk/, as its docs mount it, the
Django admin (its staff ticket page links the submitter's admin page), and the same bare floor
as ours (bench/urls.py): 25 of the customer's tickets in one query, no template. Measured in
the same rounds as the peer's pages, it lets the two runs be compared as multiples of a floor
when the machine's speed drifts between them."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import escape


def bare_ticket_list(request):
    from helpdesk.models import Ticket

    rows = Ticket.objects.filter(submitter_email=request.user.email).order_by("-modified", "-pk")
    cells = "".join(
        f"<tr><td>{pk}</td><td>{escape(title)}</td><td>{status}</td></tr>"
        for pk, title, status in rows.values_list("pk", "title", "status")[:25]
    )
    return HttpResponse(f"<!doctype html><table>{cells}</table>")


urlpatterns = [
    path("bench/bare/", bare_ticket_list),
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
