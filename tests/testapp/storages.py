"""Storages that fail like real ones do, for the fault tests (no mocks of our own code)."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.test import override_settings


class FailOnNthSaveStorage(FileSystemStorage):
    """A file system storage whose ``fail_on``-th save raises OSError, as a full disk does.

    Django keeps one instance per alias while the STORAGES setting stands, so the count runs
    across requests and calls within one ``override_settings``.
    """

    def __init__(self, fail_on=1, **kwargs):
        self.fail_on = fail_on
        self.saves = 0
        super().__init__(**kwargs)

    def _save(self, name, content):
        self.saves += 1
        if self.saves == self.fail_on:
            raise OSError(28, "No space left on device (test storage)")
        return super()._save(name, content)


def attachment_storage_failing_on(save, location=None):
    """``override_settings`` making the attachment storage raise on its ``save``-th save; on
    disk where it was, or at ``location``."""
    alias = "avsoft_support_attachments"
    options = {**settings.STORAGES[alias].get("OPTIONS", {}), "fail_on": save}
    if location is not None:
        options["location"] = str(location)
    return override_settings(
        STORAGES={
            **settings.STORAGES,
            alias: {"BACKEND": "tests.testapp.storages.FailOnNthSaveStorage", "OPTIONS": options},
        }
    )
