"""The member's own data in the personal section: a copy of it to download, and deleting the
account (member_data does the work)."""

import logging
import tempfile

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.db.models import ProtectedError, RestrictedError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ...csp import customer_csp
from ...forms.account import DeleteAccountForm
from ...member_data import (
    archive_file_name,
    can_delete_own_account,
    delete_member,
    write_member_archive,
)
from .common import member_required, template

logger = logging.getLogger(__name__)

# Files up to this size stay in memory while the archive is made; bigger ones spill to disk.
ARCHIVE_IN_MEMORY = 10 * 1024 * 1024


@member_required
@never_cache
def download_data(request):
    """One ZIP with the member's profile, tickets and files (member_data.write_member_archive)."""
    archive = tempfile.SpooledTemporaryFile(max_size=ARCHIVE_IN_MEMORY)  # noqa: SIM115 (the response closes it)
    write_member_archive(request.user, archive)
    archive.seek(0)
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=archive_file_name(request.user),
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


@member_required
@never_cache
@customer_csp
@sensitive_post_parameters("password")
def delete_account(request):
    if not can_delete_own_account(request.user):
        return render(request, template("delete_account_staff"), status=403)
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delete_member(request.user)
        except (ProtectedError, RestrictedError, DatabaseError):
            # Nothing was changed (one transaction): say so rather than half-delete.
            logger.exception("Could not delete the account of user %s", request.user.pk)
            messages.error(
                request,
                _(
                    "Your account could not be deleted automatically; nothing was changed. "
                    "Please contact support."
                ),
            )
            return redirect("avsoft_support:profile")
        logout(request)
        return redirect("avsoft_support:account_deleted")
    return render(request, template("delete_account"), {"form": form})


@login_not_required
@customer_csp
def account_deleted(request):
    return render(request, template("account_deleted"))
