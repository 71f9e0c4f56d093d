"""The rating form: on the ticket page and on the page a mail's rating link opens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import RatingScore
from ..ratings import COMMENT_MAX_LENGTH


class RatingForm(forms.Form):
    score = forms.ChoiceField(
        label=_("How did we do?"),
        choices=RatingScore.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose good or bad.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
