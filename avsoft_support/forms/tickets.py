"""The customer's ticket form and reply form.

Both check attachments on the server against the site's Support settings (the browser checks
them too, through ticket-form.js, before anything is uploaded). A rejected form stores nothing:
the support page files or adds a message (tickets.py) only with a valid form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..kept_queries import KeptQuery
from ..models import Criticality, Product, is_invoice_number
from .fields import AttachmentsMixin, DescribedFieldsMixin, MultipleFileField

OTHER_PRODUCT = "other"
# The products a ticket names, in their order: the ORM's query compiled once (kept_queries),
# on every new-ticket form and filing.
_ACTIVE_PRODUCTS = KeptQuery(Product, lambda: Product.objects.filter(active=True), kinds=())


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
        self.products = {str(p.pk): p for p in _ACTIVE_PRODUCTS.list()}
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

    # The fields new.html places itself; a subclass's own fields are shown after them.
    known_fields = (
        "subject",
        "product",
        "product_other",
        "product_version",
        "os_version",
        "criticality",
        "description",
        "steps_to_problem",
        "steps_to_reproduce",
        "invoice_number",
        "attachments",
    )

    @property
    def asks_invoice_number(self):
        return "invoice_number" in self.fields

    @property
    def extra_fields(self):
        """Bound fields a site's subclass added (``SupportPageMixin.get_ticket_form_class``)."""
        return [self[name] for name in self.fields if name not in self.known_fields]

    def clean_invoice_number(self):
        number = self.cleaned_data.get("invoice_number", "").strip()
        if number and not is_invoice_number(number):
            raise forms.ValidationError(
                _("Please enter the number as it is written on the invoice or order."),
                code="invalid",
            )
        return number

    def clean_product(self):
        value = self.cleaned_data["product"]
        if value == OTHER_PRODUCT:
            return None
        return self.products[value]

    def clean(self):
        cleaned = super().clean()
        if (
            self.data.get(self.add_prefix("product")) == OTHER_PRODUCT
            and not cleaned.get("product_other", "").strip()
        ):
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

    def clean(self):
        cleaned = super().clean()
        if (
            not (cleaned.get("body") or "").strip()
            and not cleaned.get("attachments")
            and not (self.has_error("attachments"))
        ):
            self.add_error(
                "body",
                forms.ValidationError(_("Write a reply or attach a file."), code="empty_reply"),
            )
        return cleaned
