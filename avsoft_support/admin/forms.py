"""Forms of the staff side (Wagtail admin): reply, ticket controls, verification, client
accounts and their CSV import."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..forms.fields import AttachmentsMixin, MultipleFileField
from ..models import (
    CannedReply,
    ClientAccount,
    ClientInvoiceNumber,
    Criticality,
    Product,
    TicketStatus,
    is_invoice_number,
    normalize_invoice_number,
    user_display_name,
)
from ..permissions import assignable_users
from ..validators import email_lines, validate_email_lines


def canned_choices(replies, empty_label):
    """Choices of a canned reply select: those without a category first, then one group per
    category (``replies`` in the model's order: category, title)."""
    choices = [("", empty_label)]
    groups = {}
    for reply in replies:
        if reply.category:
            groups.setdefault(reply.category, []).append((reply.pk, reply.title))
        else:
            choices.append((reply.pk, reply.title))
    return choices + list(groups.items())


class StaffReplyForm(AttachmentsMixin, forms.Form):
    attachments_field = "files"

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
    # The newest public message the agent saw when the screen loaded: a reply posted over a
    # newer one is held back (TicketView.post_reply). Missing: nothing to compare, sent.
    seen = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args, support_settings, canned_replies=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The same limits and messages as the customer's forms: the site's Support settings.
        self._setup_attachments(support_settings)
        if canned_replies is not None:
            # Grouped by category in the list (read once, with the screen's other data).
            self.fields["canned_reply"].choices = canned_choices(
                canned_replies, self.fields["canned_reply"].empty_label
            )

    def clean_files(self):
        return self.clean_attached_files()

    @property
    def is_internal(self):
        return self.cleaned_data.get("kind") == self.NOTE


class TicketControlsForm(forms.Form):
    """Status, assignee and criticality: posted with the reply (one form on the screen)."""

    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Unassigned")
    )
    criticality = forms.TypedChoiceField(
        label=_("Criticality"), choices=Criticality.choices, coerce=int
    )
    # What the screen showed when it loaded: only what the agent changed is applied, so a
    # reply's own status change (new to in progress) or a colleague's change meanwhile stays.
    loaded_status = forms.CharField(required=False, widget=forms.HiddenInput)
    loaded_assignee = forms.CharField(required=False, widget=forms.HiddenInput)
    loaded_criticality = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = user_display_name


class TicketDetailsForm(forms.Form):
    """What staff may correct in what the customer filed (tickets.correct_details)."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.all(),
        required=False,
        empty_label=_("Another product (name it below)"),
    )
    product_other = forms.CharField(label=_("Other product"), max_length=200, required=False)
    product_version = forms.CharField(label=_("Product version"), max_length=100)

    def clean(self):
        cleaned_data = super().clean()
        if (
            not cleaned_data.get("product")
            and not (cleaned_data.get("product_other") or "").strip()
        ):
            self.add_error("product_other", _("Choose a product or name another one."))
        return cleaned_data


class NewClientAccountForm(forms.Form):
    """A client account for the customer's company, made from the ticket screen."""

    company = forms.CharField(label=_("Company"), max_length=255)
    invoice_number = forms.CharField(
        label=_("Invoice/order number"),
        max_length=64,
        required=False,
        help_text=_("Added to the account when no other account has it."),
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


class BulkAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Unassigned")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()
        self.fields["assignee"].label_from_instance = user_display_name


class BulkCriticalityForm(forms.Form):
    criticality = forms.TypedChoiceField(
        label=_("Criticality"), choices=Criticality.choices, coerce=int
    )


def decode_csv(raw):
    """The text of an uploaded CSV file (UTF-8 or Windows-1251), or None when it is not text
    in either: NUL bytes mean UTF-16 (Excel's "Unicode text") or a binary file, and PostgreSQL
    refuses NUL in any query."""
    if b"\x00" in raw:
        return None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


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
            text = decode_csv(upload.read())
            if text is None:
                self.add_error("file", _("Save the file as UTF-8 text."))
            else:
                cleaned_data["content"] = text
        elif not cleaned_data.get("content") and not self.has_error("file"):
            self.add_error("file", _("Choose a CSV file."))
        return cleaned_data


class ClientAccountForm(WagtailAdminModelForm):
    """Invoice numbers are unique as people mean them (case, spaces and dashes do not count).
    The administrator is one of the account's own members."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("administrator")
        if field is not None:
            field.queryset = field.queryset.filter(
                client_account_id=self.instance.pk if self.instance.pk else -1
            ).select_related("user")
            if not self.instance.pk:
                field.help_text = _("Save the account first: its members are chosen from then.")

    def clean_contact_emails(self):
        value = self.cleaned_data.get("contact_emails", "")
        validate_email_lines(value)
        return "\n".join(email_lines(value))

    def clean(self):
        cleaned_data = super().clean()
        formset = self.formsets.get("invoice_numbers")
        if formset is None or not formset.is_valid():
            return cleaned_data
        seen = {}
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("number"):
                continue
            normalized = normalize_invoice_number(data["number"])
            if not is_invoice_number(normalized):
                form.add_error("number", _("Enter the number's letters or digits."))
            elif normalized in seen:
                form.add_error("number", _("This number is already in the list above."))
            else:
                seen[normalized] = form
        if seen:
            taken = ClientInvoiceNumber.objects.filter(normalized__in=seen).select_related(
                "account"
            )
            if self.instance.pk:
                taken = taken.exclude(account_id=self.instance.pk)
            for number in taken:
                seen[number.normalized].add_error(
                    "number",
                    _("This number already belongs to %(company)s.")
                    % {"company": number.account.company},
                )
        return cleaned_data
