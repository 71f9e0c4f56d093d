"""Signal receivers, connected by AppConfig.ready()."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete

from . import auth
from .models import Attachment


def delete_attachment_file(sender, instance, **kwargs):
    """A deleted attachment (or ticket) takes its file with it, once the deletion is committed."""
    name = instance.file.name
    if name:
        storage = instance.file.storage
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def count_failed_login(sender, credentials, request=None, **kwargs):
    """Any failed authenticate(), whichever form or view called it, counts for the member
    area's login limits (avsoft_support/auth.py)."""
    auth.count_failed_login(request, credentials)


def reset_login_limit(sender, request, user, **kwargs):
    auth.reset_account_limit(user)


def connect():
    post_delete.connect(
        delete_attachment_file,
        sender=Attachment,
        dispatch_uid="avsoft_support_attachment_file_cleanup",
    )
    user_login_failed.connect(count_failed_login, dispatch_uid="avsoft_support_login_failed")
    user_logged_in.connect(reset_login_limit, dispatch_uid="avsoft_support_login_reset")
