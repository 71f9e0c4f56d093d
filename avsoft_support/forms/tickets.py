"""The customer's ticket form and reply form.

Both check attachments on the server against the site's Support settings (the browser checks
them too, through ticket-form.js, before anything is uploaded). A rejected form stores nothing:
the views call conversation.py only with a valid form.
"""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Criticality, Product

OTHER_PRODUCT = "other"


def format_size(num_bytes):
    """A size people read: "300 KB", "1.5 MB", "512 bytes"."""
    if num_bytes < 1024:
        return format_bytes(num_bytes)
    if num_bytes < 1024 * 1024:
        value, unit = num_bytes / 1024, _("%(num)s KB")
    else:
        value, unit = num_bytes / (1024 * 1024), _("%(num)s MB")
    value = round(value, 1)
    shown = number_format(int(value)) if value == int(value) else number_format(value, 1)
    return unit % {"num": shown}


def format_bytes(num_bytes):
    """The exact count, grouped: "307,200 bytes"."""
    return ngettext("%(num)s byte", "%(num)s bytes", num_bytes) % {
        "num": number_format(num_bytes, force_grouping=True)
    }


def format_size_exactly(num_bytes):
    """ "300 KB (307,200 bytes)", or just "1,000 bytes" when that says it all."""
    rounded, exact = format_size(num_bytes), format_bytes(num_bytes)
    if rounded == exact:
        return exact
    return _("%(rounded)s (%(exact)s)") % {"rounded": rounded, "exact": exact}


def attachment_limits_text(support_settings):
    count = support_settings.attachments_per_message
    return ngettext(
        "Up to %(count)s file of any format, at most %(size)s.",
        "Up to %(count)s files of any format, each at most %(size)s.",
        count,
    ) % {"count": count, "size": format_size_exactly(support_settings.attachment_max_size)}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each checked by the form against the site's limits."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            data = []
        elif not isinstance(data, (list, tuple)):
            data = [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in data]
        files = [item for item in files if item]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class DescribedFieldsMixin:
    """Ties each field's help text and its error lines to the input by aria-describedby.

    The ids are the ones ``avsoft_support/includes/field.html`` renders.
    """

    def full_clean(self):
        super().full_clean()
        self._describe_fields()

    def _describe_fields(self):
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.id_for_label}_helptext")
            if self.is_bound:
                ids += [
                    f"{bound.id_for_label}_error_{index}"
                    for index in range(1, len(self.errors.get(name, [])) + 1)
                ]
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)


class AttachmentsMixin:
    """Checks the ``attachments`` field: how many files, and the size of each."""

    def _setup_attachments(self, support_settings, help_text=""):
        self.support_settings = support_settings
        field = self.fields["attachments"]
        limits = attachment_limits_text(support_settings)
        field.help_text = f"{help_text} {limits}".strip() if help_text else limits
        field.widget.attrs.update(
            {
                "data-max-size": support_settings.attachment_max_size,
                "data-max-files": support_settings.attachments_per_message,
                "data-max-size-text": f"{format_size(support_settings.attachment_max_size)}",
                "data-msg-too-large": _(
                    "“{name}” is {size} ({bytes}); each file may be at most {limit}."
                ),
                "data-msg-too-many": _(
                    "You chose {count} files; at most {max} files can be attached to one message."
                ),
                "data-byte-unit": _("bytes"),
                "data-kb-unit": _("KB"),
                "data-mb-unit": _("MB"),
            }
        )

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        limit = self.support_settings.attachment_max_size
        per_message = self.support_settings.attachments_per_message
        errors = []
        if len(files) > per_message:
            errors.append(
                forms.ValidationError(
                    ngettext(
                        "You attached %(count)s files; at most %(max)s file can be attached to one message.",
                        "You attached %(count)s files; at most %(max)s files can be attached to one message.",
                        per_message,
                    ),
                    code="too_many_files",
                    params={"count": len(files), "max": per_message},
                )
            )
        for upload in files:
            if upload.size > limit:
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” is %(size)s; each file may be at most %(limit)s."),
                        code="file_too_large",
                        params={
                            "name": upload.name,
                            "size": format_size_exactly(upload.size),
                            "limit": format_size_exactly(limit),
                        },
                    )
                )
        if errors:
            errors.append(
                forms.ValidationError(
                    _("Files are not kept when the form comes back: please choose them again."),
                    code="choose_again",
                )
            )
            raise forms.ValidationError(errors)
        return files

    def _post_clean(self):
        super()._post_clean()
        # Any other error also sends the form back, and browsers never resend chosen files.
        if self._errors and not self.has_error("attachments") and self.files.getlist(
            self.add_prefix("attachments")
        ):
            self.add_error(
                "attachments",
                forms.ValidationError(
                    _("Files are not kept when the form comes back: please choose them again."),
                    code="choose_again",
                ),
            )


class TicketForm(DescribedFieldsMixin, AttachmentsMixin, forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("A short summary of the problem, e.g. “Export to PDF stops at 50%”."),
    )
    product = forms.ChoiceField(
        label=_("Product"), help_text=_("The product the problem is about.")
    )
    product_other = forms.CharField(
        label=_("Product name, if not in the list"),
        max_length=200,
        required=False,
        help_text=_("Required when you choose “Other”."),
    )
    product_version = forms.CharField(
        label=_("Exact product version"),
        max_length=100,
        help_text=_("As shown in Help → About, e.g. 5.2.1 build 1234."),
    )
    os_version = forms.CharField(
        label=_("Operating system and version"),
        max_length=200,
        help_text=_("E.g. Windows 11 23H2, Astra Linux 1.7, macOS 14.4."),
    )
    criticality = forms.TypedChoiceField(
        label=_("Criticality"),
        choices=Criticality.choices,
        coerce=int,
        initial=Criticality.NORMAL,
        help_text=_("How badly the problem affects your work."),
    )
    description = forms.CharField(
        label=_("Description of the problem"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50000,
        help_text=_(
            "What happened and what you expected instead. Markdown works: "
            "put logs and code between lines of three backticks (```)."
        ),
    )
    # The regulations ask for these "if possible": a question or a wish has none.
    steps_to_problem = forms.CharField(
        label=_("Steps that led to the problem"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
        help_text=_("If you can: what you did just before the problem appeared."),
    )
    steps_to_reproduce = forms.CharField(
        label=_("Steps to reproduce it in our lab"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        help_text=_("Numbered steps our engineers can repeat to see the problem themselves."),
    )
    invoice_number = forms.CharField(
        label=_("Invoice or order number"),
        max_length=64,
        required=False,
        help_text=_(
            "The number of an invoice or order you received from us. Current clients are "
            "served first, so give it if you have one; you are asked only once."
        ),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    # field name -> the SupportPage field that may replace its help text
    page_help_fields = {
        "subject": "help_subject",
        "product": "help_product",
        "product_version": "help_product_version",
        "os_version": "help_os_version",
        "criticality": "help_criticality",
        "description": "help_description",
        "steps_to_problem": "help_steps_to_problem",
        "steps_to_reproduce": "help_steps_to_reproduce",
        "invoice_number": "help_invoice_number",
    }

    def __init__(self, *args, page=None, profile=None, support_settings, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in Product.objects.filter(active=True)}
        self.fields["product"].choices = [
            ("", _("Choose a product…")),
            *((pk, product.name) for pk, product in self.products.items()),
            (OTHER_PRODUCT, _("Other (type its name below)")),
        ]
        if profile is not None and profile.invoice_number:
            # Asked only while the member has none on file.
            del self.fields["invoice_number"]
        for name, page_field in self.page_help_fields.items():
            text = getattr(page, page_field, "") if page is not None else ""
            if text and name in self.fields:
                self.fields[name].help_text = text
        self._setup_attachments(
            support_settings, getattr(page, "help_attachments", "") if page is not None else ""
        )
        self._describe_fields()

    @property
    def asks_invoice_number(self):
        return "invoice_number" in self.fields

    def clean_product(self):
        value = self.cleaned_data["product"]
        if value == OTHER_PRODUCT:
            return None
        return self.products[value]

    def clean(self):
        cleaned = super().clean()
        if self.data.get(self.add_prefix("product")) == OTHER_PRODUCT and not cleaned.get(
            "product_other", ""
        ).strip():
            self.add_error(
                "product_other",
                forms.ValidationError(
                    _("Enter the product's name: you chose “Other” in the product list."),
                    code="product_other_required",
                ),
            )
        if cleaned.get("product") is not None:
            cleaned["product_other"] = ""
        return cleaned


class ReplyForm(DescribedFieldsMixin, AttachmentsMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50000,
        required=False,
        help_text=_("Markdown works: put logs and code between lines of three backticks (```)."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, support_settings, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_attachments(
            support_settings, getattr(page, "help_attachments", "") if page is not None else ""
        )
        self._describe_fields()

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachments") and not (
            self.has_error("attachments")
        ):
            self.add_error(
                "body",
                forms.ValidationError(
                    _("Write a reply or attach a file."), code="empty_reply"
                ),
            )
        return cleaned
