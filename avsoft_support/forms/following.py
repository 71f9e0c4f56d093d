"""The author's form for copying a colleague in on a ticket (following.py checks the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CCForm(forms.Form):
    email = forms.EmailField(
        label=_("Colleague's e-mail address"),
        max_length=254,
        help_text=_(
            "They get this ticket's e-mails. They see the ticket only if they can log in "
            "as a member of your company while it shares its tickets."
        ),
        error_messages={
            "required": _("Enter an e-mail address."),
            "invalid": _("Enter a valid e-mail address."),
        },
    )
