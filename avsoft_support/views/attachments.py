"""Attachment downloads: the only way a file leaves the private storage.

``attachment_download`` is the customer's door (route ``avsoft_support:attachment_download``):
whoever may see the ticket (``Ticket.objects.visible_to_member``: its author, and colleagues
while their company shares its tickets) gets the files of its public messages; anyone else,
anonymous included, gets 404. Staff views call ``attachment_response`` behind their own checks (and the
admin's OTP gate), rather than this customer URL.
"""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

from ..models import Attachment, Ticket

# A downloaded file never runs as a page of ours, whatever its content.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def attachment_response(attachment):
    """Stream an attachment as a download with its original name, safely encoded."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        # The type the browser sent on upload is the uploader's word: never trusted here.
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    patch_cache_control(response, private=True, no_store=True)
    return response


def attachment_download(request, pk, name=None):
    """``name`` only makes the URL readable; the file is found by its id and its ticket."""
    if not request.user.is_authenticated:
        raise Http404
    attachment = (
        Attachment.objects.filter(
            pk=pk,
            message__ticket__in=Ticket.objects.visible_to_member(request.user).values("pk"),
            message__is_internal=False,
        )
        .only("pk", "file", "original_name")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
