"""Mail the backend refused is kept whole and sent later, once: mail.send_mail, outbox.py and
support_send_pending_mail, with a real backend that fails (tests/testapp/mail.py)."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from avsoft_support import background, outbox
from avsoft_support.mail import render_mail, send_mail
from avsoft_support.models import PendingMail
from avsoft_support.models.outbox import CLAIM_TIMEOUT, retry_delay
from tests.db_faults import failing_inserts
from tests.testapp.mail import failing_mail

pytestmark = pytest.mark.django_db

HEADERS = {
    "Message-ID": "<ticket-42.1@example.com>",
    "References": "<ticket-42@example.com>",
    "Reply-To": "support+t42-abc@example.com",
    "Auto-Submitted": "auto-generated",
}
SECRET_LINE = "open this link"


@pytest.fixture
def user(make_member):
    return make_member("anna", full_name="Anna Smirnova")


def context(user):
    return {
        "user": user,
        "link": "https://example.com/confirm/xyz/",
        "days": 3,
        "site_name": "Test",
    }


def send(user, **kwargs):
    return send_mail("account_confirm", [user.email], context(user), headers=HEADERS, **kwargs)


def later(delta=timedelta(days=2)):
    """As if ``delta`` had passed: every waiting mail's schedule and claim move back by it."""
    PendingMail.objects.update(next_attempt_at=F("next_attempt_at") - delta)
    PendingMail.objects.exclude(claimed_until=None).update(claimed_until=F("claimed_until") - delta)


def run_command(*args):
    out = StringIO()
    call_command("support_send_pending_mail", *args, stdout=out)
    return out.getvalue()


def as_sent(message):
    """What a mail is, for comparing the one sent late with the one rendered at first."""
    return {
        "from": message.from_email,
        "to": message.to,
        "cc": message.cc,
        "reply_to": message.reply_to,
        "subject": message.subject,
        "body": message.body,
        "alternatives": [tuple(alternative) for alternative in message.alternatives],
        "headers": message.extra_headers,
    }


def test_a_refused_mail_is_kept_whole_and_the_log_names_only_the_error(user, caplog):
    caplog.set_level(logging.INFO, logger="avsoft_support")
    before = timezone.now()
    with failing_mail(always=True):
        assert send(user) == 0
    assert mail.outbox == []

    pending = PendingMail.objects.get()
    expected = render_mail("account_confirm", [user.email], context(user), headers=HEADERS)
    assert as_sent(pending.email_message()) == as_sent(expected)
    assert pending.reply_to == ["support+t42-abc@example.com"]
    assert pending.headers["Message-ID"] == "<ticket-42.1@example.com>"
    assert pending.alternatives[0][1] == "text/html"
    assert (pending.name, pending.attempts, pending.last_error) == (
        "account_confirm",
        1,
        "SMTPServerDisconnected",
    )
    assert pending.failed_at is None and pending.claimed_until is None
    first_delay = retry_delay(1)
    assert before + first_delay <= pending.next_attempt_at <= timezone.now() + first_delay

    [record] = [r for r in caplog.records if r.name == "avsoft_support.mail"]
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    assert "account_confirm" in logged and "SMTPServerDisconnected" in logged
    # Neither the mail nor the server's answer (which may quote it) reaches the log.
    assert SECRET_LINE not in logged and "Confirm your" not in logged
    assert user.email not in logged and "test backend" not in logged


def test_a_mail_that_goes_out_keeps_nothing(user):
    with failing_mail():
        assert send(user) == 1
    assert len(mail.outbox) == 1
    assert not PendingMail.objects.exists()


def test_the_kept_mail_goes_out_once_when_due_exactly_as_rendered(user):
    expected = render_mail("account_confirm", [user.email], context(user), headers=HEADERS)
    with failing_mail(1) as backend:
        send(user)
        assert run_command() == ""  # not due yet: nothing tried
        assert backend.sends == 1
        later()
        assert run_command() == "1 sent, 0 to be tried again later, 0 given up.\n"
        assert run_command() == ""  # a second run finds nothing
    [sent] = mail.outbox
    assert as_sent(sent) == as_sent(expected)
    assert not PendingMail.objects.exists()


def test_a_mail_that_fails_again_waits_twice_as_long_then_goes(user, caplog):
    caplog.set_level(logging.INFO, logger="avsoft_support")
    with failing_mail(1, 2) as backend:
        send(user)
        later()
        start = timezone.now()
        report = outbox.send_pending_mail()
        assert (report.sent, report.retrying, report.gave_up) == (0, 1, 0)
        pending = PendingMail.objects.get()
        assert (pending.attempts, pending.last_error) == (2, "ConnectionRefusedError")
        assert pending.claimed_until is None
        assert start + retry_delay(2) <= pending.next_attempt_at
        assert retry_delay(2) == 2 * retry_delay(1)
        assert outbox.send_pending_mail().attempted == 0  # not due again yet
        assert backend.sends == 2
        later()
        assert outbox.send_pending_mail().sent == 1
    assert len(mail.outbox) == 1
    assert not PendingMail.objects.exists()
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "avsoft_support.outbox")
    assert "attempt 2" in logged and "ConnectionRefusedError" in logged
    assert SECRET_LINE not in logged and "test backend" not in logged


@override_settings(AVSOFT_SUPPORT_MAIL_RETRY_ATTEMPTS=3)
def test_after_the_last_attempt_the_mail_is_kept_marked_failed_and_an_error_logged(user, caplog):
    caplog.set_level(logging.INFO, logger="avsoft_support")
    with failing_mail(always=True):
        send(user)
        for _attempt in (2, 3):
            later()
            outbox.send_pending_mail()
        pending = PendingMail.objects.get()
        assert pending.attempts == 3 and pending.failed_at is not None
        assert pending.last_error == "SMTPDataError"  # the third error the backend raised
        later(timedelta(days=365))
        assert outbox.send_pending_mail().attempted == 0  # given up: never tried again
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Gave up on the account_confirm mail" in errors[0].getMessage()
    assert "after 3 attempts" in errors[0].getMessage()

    # Once the server is mended, whoever runs the site sends it after all.
    with failing_mail():
        assert run_command("--retry-failed", "--now") == (
            "1 given-up mail(s) back in the queue.\n1 sent, 0 to be tried again later, 0 given up.\n"
        )
    assert len(mail.outbox) == 1
    assert not PendingMail.objects.exists()


def test_the_delay_doubles_up_to_the_longest(settings):
    settings.AVSOFT_SUPPORT_MAIL_RETRY_DELAY = 60
    settings.AVSOFT_SUPPORT_MAIL_RETRY_MAX_DELAY = 600
    assert [retry_delay(n).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_now_sends_what_is_not_yet_due_and_limit_stops_early(user, make_member):
    other = make_member("boris")
    with failing_mail(1, 2):
        send(user)
        send(other)
        assert (
            run_command("--now", "--limit", "1")
            == "1 sent, 0 to be tried again later, 0 given up.\n"
        )
        assert run_command("--now") == "1 sent, 0 to be tried again later, 0 given up.\n"
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.com", "boris@example.com"]


def test_a_mail_claimed_by_another_runner_is_not_sent_again(user):
    with failing_mail(1):
        send(user)
        later()
        pending = PendingMail.objects.get()
        now = timezone.now()
        # Another runner claimed it (it is sending it right now): only one claim succeeds.
        assert PendingMail.objects.claim(pending.pk, now)
        assert not PendingMail.objects.claim(pending.pk, now)
        assert outbox.send_pending_mail().attempted == 0
        assert mail.outbox == []
        # That runner died before it could finish: after the claim timeout the mail goes.
        later(CLAIM_TIMEOUT + timedelta(seconds=1))
        assert outbox.send_pending_mail().sent == 1
    assert len(mail.outbox) == 1
    assert PendingMail.objects.get_queryset().count() == 0


def test_a_failing_run_tries_each_mail_once_even_with_now(user):
    with failing_mail(always=True) as backend:
        send(user)
        report = outbox.send_pending_mail(ignore_schedule=True)
        assert (report.attempted, backend.sends) == (1, 2)
    assert PendingMail.objects.get().attempts == 2


def test_the_task_sends_the_due_mail(user):
    with failing_mail(1):
        send(user)
        later()
        if background.task is not None:
            result = outbox.send_pending_mail_task.enqueue()  # the immediate backend runs it
            assert result.return_value == 1
        else:
            assert outbox.send_pending_mail_task() == 1
    assert len(mail.outbox) == 1


def test_when_the_mail_cannot_even_be_kept_the_error_is_logged_and_nothing_raises(user, caplog):
    caplog.set_level(logging.INFO, logger="avsoft_support")
    with failing_mail(always=True), failing_inserts(PendingMail):
        assert send(user) == 0
    assert not PendingMail.objects.exists()  # the caller's transaction is still usable
    [record] = [r for r in caplog.records if r.name == "avsoft_support.mail"]
    assert record.levelno == logging.ERROR
    assert "it is lost" in record.getMessage()
    assert SECRET_LINE not in record.getMessage()


def test_a_template_error_still_raises(user):
    # Trying again would not mend a broken template: nothing is kept, the caller hears of it.
    with failing_mail(always=True), pytest.raises(Exception, match="account_nothing"):
        send_mail("account_nothing", [user.email], context(user))
    assert not PendingMail.objects.exists()
