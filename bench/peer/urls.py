"""The peer project's URLs: django-helpdesk under /helpdesk/, as its docs mount it, the
Django admin (its staff ticket page links the submitter's admin page), and a bare floor like
ours (bench/urls.py): 25 tickets in one query read off an index, no template. Measured in the
same rounds as the peer's pages, it lets the two runs be compared as multiples of a floor when
the machine's speed drifts between them. The desk's 25 latest rather than the customer's:
helpdesk has no index on the submitter's e-mail, so that query would read the whole table."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import escape


def bare_ticket_list(request):
    from helpdesk.models import Ticket

    if not request.user.is_authenticated:  # the session and the user, as ours reads them
        return HttpResponse(status=403)
    rows = Ticket.objects.order_by("-pk").values_list("pk", "title", "status")[:25]
    cells = "".join(
        f"<tr><td>{pk}</td><td>{escape(title)}</td><td>{status}</td></tr>"
        for pk, title, status in rows
    )
    return HttpResponse(f"<!doctype html><table>{cells}</table>")


urlpatterns = [
    path("bench/bare/", bare_ticket_list),
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
