"""Validators shared by models and forms."""

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
