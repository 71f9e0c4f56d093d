"""Support settings refuse values that would quietly break the desk, and are read through the
cache."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avsoft_support.models import SupportSettings
from avsoft_support.models import settings as settings_module


def test_defaults_are_the_regulations(support_settings):
    assert support_settings.attachment_max_size == 307_200
    assert support_settings.attachments_per_message == 5
    assert (
        support_settings.sla_current_hours,
        support_settings.sla_claimed_working_days,
        support_settings.sla_potential_working_days,
    ) == (4, 1, 2)
    support_settings.full_clean()


@pytest.mark.parametrize("field", ["attachment_max_size", "attachments_per_message"])
def test_zero_limits_are_refused(support_settings, field):
    setattr(support_settings, field, 0)
    with pytest.raises(ValidationError) as error:
        support_settings.full_clean()
    assert list(error.value.message_dict) == [field]


def test_each_support_address_must_be_an_e_mail(support_settings):
    support_settings.notification_emails = (
        "desk@example.com\n\n  lead@example.com \nsupport at example"
    )
    with pytest.raises(ValidationError) as error:
        support_settings.full_clean()
    assert error.value.message_dict == {
        "notification_emails": ["Not an e-mail address: support at example"]
    }

    support_settings.notification_emails = "desk@example.com\n\n  lead@example.com \n"
    support_settings.full_clean()
    assert support_settings.notification_email_list == ["desk@example.com", "lead@example.com"]


# Read through the cache (every customer page and every filing reads them) ---------------------

NEW = "/support/new/"


@pytest.fixture
def member_client(client, member, support_page, support_settings):
    client.force_login(member)
    return client


def settings_reads(captured):
    return [q for q in captured if 'FROM "avsoft_support_supportsettings"' in q["sql"]]


def test_pages_read_the_settings_once_then_from_the_cache(member_client, support_settings):
    with CaptureQueriesContext(connection) as first:
        assert member_client.get(NEW).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert member_client.get(NEW).status_code == 200
    assert len(settings_reads(first)) == 1
    assert settings_reads(second) == []
    SupportSettings.forget(support_settings.site_id)
    with CaptureQueriesContext(connection) as third:
        assert member_client.get(NEW).status_code == 200
    assert len(settings_reads(third)) == 1


def test_a_saved_change_shows_on_the_next_page(member_client, support_settings):
    assert "at most 300 KB" in member_client.get(NEW).content.decode()
    changed = SupportSettings.objects.get(pk=support_settings.pk)  # as the admin form saves
    changed.attachment_max_size = 1000
    changed.attachments_per_message = 1
    changed.save()
    assert "Up to 1 file of any format, at most 1,000 bytes." in (
        member_client.get(NEW).content.decode()
    )
    changed.delete()  # the defaults again, made anew for the site
    assert "at most 300 KB" in member_client.get(NEW).content.decode()
    assert SupportSettings.objects.filter(site_id=support_settings.site_id).count() == 1


def test_the_site_kept_with_them_follows_its_changes(site, support_settings):
    assert SupportSettings.for_site_id(site.pk).site.hostname == site.hostname
    site.hostname = "support.example.org"
    site.save()
    with CaptureQueriesContext(connection) as read:
        assert SupportSettings.for_site_id(site.pk).site.hostname == "support.example.org"
        assert SupportSettings.for_site_id(site.pk).site.hostname == "support.example.org"
    assert len(read) == 1
    assert SupportSettings.for_site_id(site.pk + 1000) is None


def test_a_copy_read_before_the_commit_goes_at_the_commit(
    site, support_settings, django_capture_on_commit_callbacks
):
    """Between the save and its commit another request may read the old row and keep it: the
    commit drops the entry again."""
    stale = SupportSettings.objects.get(pk=support_settings.pk)
    with django_capture_on_commit_callbacks(execute=True):
        changed = SupportSettings.objects.get(pk=support_settings.pk)
        changed.attachments_per_message = 2
        changed.save()
        cache.set(SupportSettings.cache_key(site.pk), stale)  # the other request's read
        assert SupportSettings.for_site(site).attachments_per_message == 5
    assert SupportSettings.for_site(site).attachments_per_message == 2


def test_an_entry_kept_by_another_release_is_not_read(site, support_settings, monkeypatch):
    """The key names the model's fields: an instance pickled without a field a release added
    is never read back."""
    SupportSettings.for_site(site)
    key = SupportSettings.cache_key(site.pk)
    assert cache.get(key) is not None
    monkeypatch.setattr(settings_module, "_FIELDS_DIGEST", "another")
    assert SupportSettings.cache_key(site.pk) != key
    assert cache.get(SupportSettings.cache_key(site.pk)) is None
