"""Member-area forms: registration, login, confirmation re-send, profile, e-mail, invoice
number and account deletion."""

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..auth import find_user, login_retry_after, user_field_names
from ..member_data import record_consent
from ..models import MemberProfile, is_invoice_number
from ..ratelimit import too_many_attempts_message

UserModel = get_user_model()
USERNAME_FIELD, EMAIL_FIELD = user_field_names()

RATE_LIMITED = "rate_limited"


def email_in_use(email, exclude_user=None):
    if EMAIL_FIELD is None:
        return False  # a user model without e-mail addresses (check avsoft_support.W003)
    users = UserModel._default_manager.filter(**{f"{EMAIL_FIELD}__iexact": email})
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


def awaits_confirmation(user):
    if user.is_active:
        return False
    profile = MemberProfile.objects.for_user(user)
    return profile.pk is not None and profile.email_confirmed_at is None


def _password_help_text():
    # Django's own help is an HTML list; our field template puts help text in a paragraph.
    return " ".join(password_validation.password_validators_help_texts())


class RegistrationForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send a link to this address; your account works once you follow it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("How our support staff address you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    field_order = list(
        dict.fromkeys(
            [USERNAME_FIELD, "email", "password1", "password2", "full_name", "company", "phone"]
        )
    )

    class Meta(UserCreationForm.Meta):
        model = UserModel
        # The model's own login and e-mail fields: one field when the e-mail is the login (a
        # user model without a username). Whatever else it cannot fill, check W003 reports.
        fields = tuple(dict.fromkeys(name for name in (USERNAME_FIELD, EMAIL_FIELD) if name))
        field_classes = {USERNAME_FIELD: UsernameField} if USERNAME_FIELD != EMAIL_FIELD else {}

    email_taken = False

    def __init__(self, *args, privacy_policy=None, **kwargs):
        """``privacy_policy``: the site's live privacy policy page (member_data), or None.
        With one, registration needs consent to the processing of personal data under it."""
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = _password_help_text()
        if USERNAME_FIELD != EMAIL_FIELD and USERNAME_FIELD in self.fields:
            # The model's own label is Django's "username" («имя пользователя»); the login
            # form, the profile and the regulations call it «логин».
            self.fields[USERNAME_FIELD].label = _("Username")
        self.privacy_policy = privacy_policy
        if privacy_policy is not None:
            # The page shows this label with the policy linked in it (the template
            # account/includes/consent_field.html); the error summary names the field by this
            # plain text.
            self.fields["consent"] = forms.BooleanField(
                label=_(
                    "I consent to the processing of my personal data under the personal data "
                    "processing policy"
                ),
                required=True,
                error_messages={
                    "required": _(
                        "Please tick the box to consent to the processing of your personal "
                        "data: we cannot create an account without it."
                    )
                },
            )

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if (
            username
            and UserModel._default_manager.filter(
                **{f"{USERNAME_FIELD}__iexact": username}
            ).exists()
        ):
            raise ValidationError(
                _("This username is already taken. Please choose another one."),
                code="duplicate_username",
            )
        return username

    def clean_email(self):
        email = UserModel.objects.normalize_email(self.cleaned_data["email"])
        if email_in_use(email):
            # The page then offers the ways back in, the confirmation link among them.
            self.email_taken = True
            raise ValidationError(
                _(
                    "An account with this e-mail address already exists. If it is yours, log "
                    "in or reset your password."
                ),
                code="duplicate_email",
            )
        return email

    def save(self):
        """Create the inactive user and their profile; the confirmation link activates them."""
        user = super().save(commit=False)
        user.is_active = False
        user.save()
        profile = MemberProfile(
            user=user,
            full_name=self.cleaned_data["full_name"],
            company=self.cleaned_data["company"],
            phone=self.cleaned_data["phone"],
        )
        if self.privacy_policy is not None and self.cleaned_data.get("consent"):
            record_consent(profile, self.privacy_policy)
        profile.save()
        return user


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("Wrong username or password. Please try again."),
        "unconfirmed": _(
            "Please confirm your e-mail address first: follow the link in the message we sent "
            "you when you registered."
        ),
        "inactive": _("This account is disabled. Please contact support."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user_cache = None
        self.retry_after = 0
        super().__init__(*args, **kwargs)
        if USERNAME_FIELD == EMAIL_FIELD:
            self.fields["username"].label = _("E-mail")

    def clean(self):
        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not identifier or not password:
            return self.cleaned_data
        user = find_user(identifier)
        # The way every login goes (avsoft_support/auth.py): the throttle backend may refuse
        # before any password is looked at; a failure is counted by user_login_failed and a
        # login resets the account's counter, for the admin login just the same. Django's
        # backends want the USERNAME_FIELD value as it is stored.
        self.user_cache = authenticate(
            self.request,
            username=user.get_username() if user is not None else identifier,
            password=password,
        )
        if self.user_cache is not None:
            return self.cleaned_data
        self.retry_after = login_retry_after(self.request)
        if self.retry_after:
            raise ValidationError(too_many_attempts_message(self.retry_after), code=RATE_LIMITED)
        # Only someone who knows the password learns why an existing account cannot log in.
        if user is not None and not user.is_active and user.check_password(password):
            code = "unconfirmed" if awaits_confirmation(user) else "inactive"
            raise ValidationError(self.error_messages[code], code=code)
        raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")

    def get_user(self):
        return self.user_cache


class EmailForm(forms.Form):
    """One e-mail address: re-sending a confirmation link."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The address you registered with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordResetForm(DjangoPasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The address of your account. We send a link to set a new password there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = MemberProfile
        fields = ["full_name", "company", "phone"]
        labels = {"full_name": _("Full name"), "company": _("Company"), "phone": _("Phone")}
        help_texts = {"full_name": _("How our support staff address you.")}
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail"),
        max_length=254,
        help_text=_(
            "We send a link to the new address; it replaces the old one once you follow it."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        help_text=_("To make sure it is you who asks."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = UserModel.objects.normalize_email(self.cleaned_data["email"])
        current = getattr(self.user, EMAIL_FIELD, "") if EMAIL_FIELD else ""
        if email.casefold() == (current or "").casefold():
            raise ValidationError(_("This is already your e-mail address."), code="same_email")
        if email_in_use(email, exclude_user=self.user):
            raise ValidationError(
                _("Another account already uses this e-mail address."), code="duplicate_email"
            )
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your password is not correct."), code="password_incorrect")
        return password


class DeleteAccountForm(forms.Form):
    """The password and a tick: deleting the account cannot be undone."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        help_text=_("To make sure it is you who asks."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good and cannot be restored"),
        required=True,
        error_messages={"required": _("Please tick the box to confirm the deletion.")},
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your password is not correct."), code="password_incorrect")
        return password


class InvoiceNumberForm(forms.Form):
    invoice_number = forms.CharField(
        label=_("Invoice/order number"),
        max_length=64,
        help_text=_(
            "The number of an invoice or order you received from us. It identifies you as our "
            "client, and clients' tickets are handled first."
        ),
    )

    def clean_invoice_number(self):
        number = self.cleaned_data["invoice_number"].strip()
        if not is_invoice_number(number):
            raise ValidationError(
                _("Please enter the number as it is written on the invoice or order."),
                code="invalid",
            )
        return number
