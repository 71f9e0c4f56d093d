"""Attachment retention: the files of tickets closed longer than the site's period are deleted
by support_purge_attachments (or its task); the tickets stay."""

import io
from datetime import timedelta

import pytest
import swapper
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import ModelLogEntry, Site

from avsoft_support import background, retention
from avsoft_support.audit import TICKET_FILES_PURGE
from avsoft_support.models import Attachment, Ticket, TicketStatus
from tests.utils import stored_attachment_files


def purge(*args):
    out = io.StringIO()
    call_command("support_purge_attachments", *args, stdout=out)
    return out.getvalue()


def closed(ticket, days_ago, status=TicketStatus.CLOSED):
    when = timezone.now() - timedelta(days=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(status=status, closed_at=when)
    ticket.refresh_from_db()
    return ticket


def paths_of(ticket):
    return set(Attachment.objects.filter(message__ticket=ticket).values_list("file", flat=True))


@pytest.fixture
def world(member, make_ticket, support_settings):
    old = closed(make_ticket(member, subject="Old", files=[("old.log", b"old bytes")]), 400)
    recent = closed(make_ticket(member, subject="Recent", files=[("new.log", b"new")]), 10)
    # Resolved long ago, not closed: it may still be reopened, so its files stay.
    resolved = closed(
        make_ticket(member, subject="Resolved", files=[("res.log", b"r")]),
        400,
        status=TicketStatus.RESOLVED,
    )
    return {
        "settings": support_settings,
        "old": old,
        "recent": recent,
        "resolved": resolved,
        "paths": {name: paths_of(t) for name, t in [("old", old), ("recent", recent)]},
    }


def keep_for(support_settings, days):
    support_settings.attachment_retention_days = days
    support_settings.save()


def test_zero_days_keeps_everything(world):
    before = stored_attachment_files()
    assert purge() == "Deleted 0 file(s) of 0 ticket(s).\n"
    assert Attachment.objects.count() == 3
    assert stored_attachment_files() == before


def test_a_dry_run_lists_and_deletes_nothing(world):
    keep_for(world["settings"], 365)
    before = stored_attachment_files()
    output = purge("--dry-run")
    assert f"{world['old'].number} (closed " in output
    assert "kept 365 days): would delete 1 file(s)" in output
    assert "old.log (9\xa0bytes)" in output
    assert "Would delete 1 file(s) of 1 ticket(s)." in output
    assert world["recent"].number not in output
    assert Attachment.objects.count() == 3
    assert stored_attachment_files() == before
    assert not ModelLogEntry.objects.filter(action=TICKET_FILES_PURGE).exists()


def test_only_tickets_closed_longer_ago_lose_their_files(world, django_capture_on_commit_callbacks):
    keep_for(world["settings"], 365)
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    assert "Deleted 1 file(s) of 1 ticket(s)." in output
    stored = stored_attachment_files()
    assert not world["paths"]["old"] & stored
    assert world["paths"]["recent"] <= stored
    assert set(Attachment.objects.values_list("original_name", flat=True)) == {
        "new.log",
        "res.log",
    }
    # The ticket and its conversation stay; its history says what happened.
    old = Ticket.objects.get(pk=world["old"].pk)
    assert old.messages.count() == 1
    [entry] = ModelLogEntry.objects.filter(action=TICKET_FILES_PURGE)
    assert entry.object_id == str(old.pk)
    assert entry.data == {"attachments": 1, "days": 365}
    # A second run finds nothing more.
    assert purge() == "Deleted 0 file(s) of 0 ticket(s).\n"


def test_a_shorter_period_takes_the_recent_one_too(world, django_capture_on_commit_callbacks):
    keep_for(world["settings"], 7)
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    assert "Deleted 2 file(s) of 2 ticket(s)." in output
    assert set(Attachment.objects.values_list("original_name", flat=True)) == {"res.log"}


def test_the_period_is_the_site_of_the_support_page(
    world, make_ticket, member, support_page, django_capture_on_commit_callbacks
):
    """A ticket filed on a page of a site without a period keeps its files."""
    other_root = support_page.get_parent().add_sibling(
        instance=type(support_page.get_parent().specific)(title="Other", slug="other")
    )
    Site.objects.create(hostname="other.example", root_page=other_root, site_name="Other")
    SupportPage = swapper.load_model("avsoft_support", "SupportPage")
    other_page = other_root.add_child(instance=SupportPage(title="Help", slug="help"))
    elsewhere = closed(
        make_ticket(
            member, subject="Elsewhere", files=[("far.log", b"f")], support_page=other_page
        ),
        400,
    )
    keep_for(world["settings"], 365)
    with django_capture_on_commit_callbacks(execute=True):
        purged = retention.purge_attachments()
    assert [item.ticket.pk for item in purged] == [world["old"].pk]
    assert paths_of(elsewhere)


@pytest.mark.skipif(
    background.task is None, reason="no tasks framework (Django 5.2 without django-tasks)"
)
def test_the_task_purges_too(world, django_capture_on_commit_callbacks):
    keep_for(world["settings"], 365)
    with django_capture_on_commit_callbacks(execute=True):
        result = retention.purge_attachments_task.enqueue()  # the immediate backend runs it
    assert result.return_value == 1
    assert not paths_of(world["old"])
