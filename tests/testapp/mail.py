"""A mail backend that fails like a real one does, for the fault tests (no mocks of our code).

``FlakyEmailBackend`` is Django's locmem backend (sent mail lands in ``mail.outbox``) whose
chosen sends raise what smtplib raises when the server is down or drops the connection. Use it
through ``failing_mail``::

    with failing_mail(1, 3):          # the 1st and 3rd sends fail, the others go out
        ...
    with failing_mail(always=True):   # the server is down
        ...

Each send makes a new backend instance, so the count is kept on the class; ``failing_mail``
starts it afresh. On Django 6.1 the backend is the MAILERS "default" mailer; on 5.2, which has
no MAILERS, it is EMAIL_BACKEND.
"""

import smtplib
from contextlib import contextmanager

from django.conf import settings
from django.core.mail.backends import locmem
from django.test import override_settings

BACKEND = "tests.testapp.mail.FlakyEmailBackend"

# What a mail server does to us, one error after the other.
ERRORS = (
    lambda: smtplib.SMTPServerDisconnected("Connection unexpectedly closed (test backend)"),
    lambda: ConnectionRefusedError(111, "Connection refused (test backend)"),
    lambda: smtplib.SMTPDataError(451, b"4.3.0 Temporary failure (test backend)"),
)


class FlakyEmailBackend(locmem.EmailBackend):
    sends = 0  # send_messages calls since failing_mail began
    fail_on = frozenset()
    always = False
    failures = 0

    def send_messages(self, messages):
        cls = FlakyEmailBackend
        cls.sends += 1
        if cls.always or cls.sends in cls.fail_on:
            error = ERRORS[cls.failures % len(ERRORS)]()
            cls.failures += 1
            raise error
        return super().send_messages(messages)


def mail_backend_settings(backend):
    """The settings that make ``backend`` (a dotted path) the one every mail goes through."""
    if hasattr(settings, "MAILERS"):
        return {"MAILERS": {"default": {"BACKEND": backend}}}
    return {"EMAIL_BACKEND": backend}


@contextmanager
def failing_mail(*fail_on, always=False):
    """Every mail goes through FlakyEmailBackend: the sends numbered ``fail_on`` (from 1)
    raise, or with ``always`` every one; yields the class, whose ``sends`` counts them."""
    FlakyEmailBackend.sends = 0
    FlakyEmailBackend.failures = 0
    FlakyEmailBackend.fail_on = frozenset(fail_on)
    FlakyEmailBackend.always = always
    try:
        with override_settings(**mail_backend_settings(BACKEND)):
            yield FlakyEmailBackend
    finally:
        FlakyEmailBackend.fail_on = frozenset()
        FlakyEmailBackend.always = False
