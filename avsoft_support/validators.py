"""Validators shared by models and forms."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def email_lines(text):
    """The non-blank lines of a one-address-per-line field, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def validate_email_lines(text):
    """Refuse a one-address-per-line field with any line that is not an e-mail address."""
    bad = []
    for address in email_lines(text):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            _("Not an e-mail address: %(addresses)s") % {"addresses": ", ".join(bad)}
        )


def default_time_zone():
    """The site's TIME_ZONE: the default time zone of a site's support desk."""
    return settings.TIME_ZONE or "UTC"


def validate_time_zone(name):
    """Refuse a time zone name the tz database does not know ("Europe/Moscow" is one)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            _("Unknown time zone: %(name)s. Use a name such as Europe/Moscow.") % {"name": name}
        ) from None
