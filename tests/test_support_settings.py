"""Support settings refuse values that would quietly break the desk."""

import pytest
from django.core.exceptions import ValidationError


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
