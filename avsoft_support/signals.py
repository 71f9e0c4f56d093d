"""Signal receivers, connected by AppConfig.ready()."""

from django.db import transaction
from django.db.models.signals import post_delete

from .models import Attachment


def delete_attachment_file(sender, instance, **kwargs):
    """A deleted attachment (or ticket) takes its file with it, once the deletion is committed."""
    name = instance.file.name
    if name:
        storage = instance.file.storage
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def connect():
    post_delete.connect(
        delete_attachment_file,
        sender=Attachment,
        dispatch_uid="avsoft_support_attachment_file_cleanup",
    )
