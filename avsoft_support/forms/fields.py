"""Form pieces the customer's and the staff's forms share: several files in one input, their
limits (the site's Support settings), sizes in words, and help texts tied to their fields.

The browser checks the same limits first (ticket-form.js reads the ``data-*`` attributes), so a
file that is too large is refused before it is uploaded.
"""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


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


class DescribedBoundField(forms.BoundField):
    """A field tied to its help text and each of its error lines by aria-describedby.

    The ids are the ones ``avsoft_support/includes/field.html`` renders. Worked out when the
    field is rendered, not when the form is made: a form that is filed and never shown again
    (every ticket filed) never needs them. An ``aria-describedby`` given to ``as_widget`` wins,
    as with Django's own.
    """

    def described_by(self):
        ids = []
        if self.help_text:
            ids.append(f"{self.id_for_label}_helptext")
        if self.form.is_bound:
            ids += [
                f"{self.id_for_label}_error_{index}" for index in range(1, len(self.errors) + 1)
            ]
        return " ".join(ids)

    def build_widget_attrs(self, attrs, widget=None):
        described_by = self.described_by()
        if described_by and not attrs.get("aria-describedby"):
            attrs = {**attrs, "aria-describedby": described_by}
        return super().build_widget_attrs(attrs, widget)


class DescribedFieldsMixin:
    """A form whose fields render with ``DescribedBoundField``."""

    bound_field_class = DescribedBoundField


class AttachmentsMixin:
    """Checks the files field (``attachments_field``): how many files, and the size of each,
    against the site's Support settings."""

    attachments_field = "attachments"

    def _setup_attachments(self, support_settings, help_text=""):
        self.support_settings = support_settings
        field = self.fields[self.attachments_field]
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
        return self.clean_attached_files()

    def clean_attached_files(self):
        files = self.cleaned_data.get(self.attachments_field) or []
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
        name = self.attachments_field
        if self._errors and not self.has_error(name) and self.files.getlist(self.add_prefix(name)):
            self.add_error(
                name,
                forms.ValidationError(
                    _("Files are not kept when the form comes back: please choose them again."),
                    code="choose_again",
                ),
            )
