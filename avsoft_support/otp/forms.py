"""Forms of the second factor: one code field, checked against django-otp devices."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import devices


def _throttled_message(seconds):
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second, then try again.",
        "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


class CodeForm(forms.Form):
    """A code from the authenticator app or, when `allow_backup_codes`, a backup code.

    Checks the code against `device` when given (enrolment, where the device is not confirmed
    yet), else against the user's confirmed devices. After `is_valid()`, `self.code_check` tells
    what happened and `self.device` is the device that took the code.
    """

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    error_messages = {
        "wrong": _(
            "That code is not right. Enter the code your authenticator app shows now, "
            "or a backup code you have not used yet."
        ),
        "wrong_app_only": _(
            "That code is not right. Enter the 6-digit code your authenticator app shows now."
        ),
    }

    def __init__(self, *args, user, device=None, allow_backup_codes=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None
        self.code_check = None
        self.fixed_device = device
        self.allow_backup_codes = allow_backup_codes and device is None
        field = self.fields["code"]
        if self.allow_backup_codes:
            field.help_text = _(
                "The 6-digit code from your authenticator app, or one of your backup codes."
            )
        else:
            field.help_text = _("The 6-digit code your authenticator app shows for this account.")
            field.widget.attrs["inputmode"] = "numeric"

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self.fixed_device is not None:
            self.code_check = devices.check_device_code(self.fixed_device, code)
        elif not self.allow_backup_codes and not devices.normalise_code(code).isdigit():
            self.code_check = devices.CodeCheck()
        else:
            self.code_check = devices.check_code(self.user, code)
        if self.code_check.throttled:
            raise forms.ValidationError(
                _throttled_message(self.code_check.wait_seconds), code="throttled"
            )
        if not self.code_check.ok:
            key = "wrong" if self.allow_backup_codes else "wrong_app_only"
            raise forms.ValidationError(self.error_messages[key], code="wrong")
        self.device = self.code_check.device
        return code

    def full_clean(self):
        super().full_clean()
        # Tie the errors to the field for screen readers (the ids are those the field include
        # and Wagtail's formattedfield give their error text).
        for name, errors in self.errors.items():
            if name in self.fields and errors:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
