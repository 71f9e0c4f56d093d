"""Forms of the staff side (Wagtail admin): reply, ticket controls, verification, CSV import."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import CannedReply, ClientAccount, Criticality, TicketStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked by FileField's own validation."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, (list, tuple)):
            return [single_clean(item, initial) for item in data if item]
        if data:
            return [single_clean(data, initial)]
        return []


class StaffReplyForm(forms.Form):
    REPLY = "reply"
    NOTE = "note"

    kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[
            (REPLY, _("Public reply: the customer sees it and gets an e-mail")),
            (NOTE, _("Internal note: support staff only, nobody is notified")),
        ],
        initial=REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "avs-reply-body"}),
        help_text=_("Markdown: *emphasis*, `code`, blocks of code between ``` lines, lists."),
    )
    canned_reply = forms.ModelChoiceField(
        label=_("Canned reply"),
        queryset=CannedReply.objects.all(),
        required=False,
        empty_label=_("Choose a canned reply…"),
        help_text=_("Insert adds its text to the message, where you can edit it before sending."),
    )
    files = MultipleFileField(label=_("Attach files"), required=False)
    status_after = forms.ChoiceField(
        label=_("Then set the status to"),
        choices=[("", _("Leave as it is"))] + list(TicketStatus.choices),
        required=False,
    )

    def __init__(self, *args, max_size=300 * 1024, max_files=5, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_size = max_size
        self.max_files = max_files
        self.fields["files"].help_text = ngettext(
            "Up to %(count)s file, each at most %(size)s.",
            "Up to %(count)s files, each at most %(size)s.",
            max_files,
        ) % {"count": max_files, "size": filesizeformat(max_size)}

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > self.max_files:
            raise forms.ValidationError(
                ngettext(
                    "Attach at most %(count)s file.",
                    "Attach at most %(count)s files.",
                    self.max_files,
                )
                % {"count": self.max_files}
            )
        too_big = [f.name for f in files if f.size > self.max_size]
        if too_big:
            raise forms.ValidationError(
                _("Each file may be at most %(size)s; too large: %(names)s.")
                % {"size": filesizeformat(self.max_size), "names": ", ".join(too_big)}
            )
        return files

    @property
    def is_internal(self):
        return self.cleaned_data.get("kind") == self.NOTE


class TicketControlsForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Unassigned")
    )
    criticality = forms.TypedChoiceField(
        label=_("Criticality"), choices=Criticality.choices, coerce=int
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = lambda user: (
            (user.get_full_name() or "").strip() or user.get_username()
        )


class VerifyMemberForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Client account"),
        queryset=ClientAccount.objects.filter(active=True),
        empty_label=_("Choose the account…"),
        help_text=_("The member becomes a current client of this account."),
    )


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=TicketStatus.choices)


class ClientImportForm(forms.Form):
    MAX_SIZE = 2 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_(
            "Columns: company, invoice_numbers, contact_emails, active. Separate several numbers "
            "or addresses with ; or , (quote the cell if the file itself uses that separator). "
            "active is yes or no (empty means yes). UTF-8 or Windows-1251."
        ),
    )
    # The file's text, carried from the preview to the confirmation (checked again there).
    content = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > self.MAX_SIZE:
            raise forms.ValidationError(
                _("The file may be at most %(size)s.") % {"size": filesizeformat(self.MAX_SIZE)}
            )
        return upload

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("file")
        if upload:
            raw = upload.read()
            for encoding in ("utf-8-sig", "cp1251"):
                try:
                    cleaned_data["content"] = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                self.add_error("file", _("Save the file as UTF-8 text."))
        elif not cleaned_data.get("content") and not self.has_error("file"):
            self.add_error("file", _("Choose a CSV file."))
        return cleaned_data
