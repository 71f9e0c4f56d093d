"""Registration with e-mail confirmation, and following a confirmation link (a new account or
a changed address)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from ...conf import app_settings
from ...csp import customer_csp
from ...forms.account import (
    EmailForm,
    RegistrationForm,
    awaits_confirmation,
    email_in_use,
)
from ...member_data import privacy_policy_page_for_request
from ...models import MemberProfile
from ...ratelimit import attempt, limits_for
from .common import (
    CONFIRM_SALT,
    EMAIL_CHANGE,
    LOGIN_URL,
    REGISTRATION,
    UserModel,
    refuse,
    send_confirmation,
    template,
    typed_values,
)


@method_decorator(
    [
        login_not_required,
        sensitive_post_parameters("password1", "password2"),
        never_cache,
        customer_csp,
    ],
    name="dispatch",
)
class RegisterView(FormView):
    template_name = template("register")
    form_class = RegistrationForm

    def dispatch(self, request, *args, **kwargs):
        if not app_settings.REGISTRATION_OPEN:
            return render(request, template("registration_closed"))
        if request.user.is_authenticated:
            return redirect("avsoft_support:profile")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def privacy_policy(self):
        """The site's live privacy policy page: registration then asks for consent."""
        return privacy_policy_page_for_request(self.request)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "privacy_policy": self.privacy_policy}

    def get_context_data(self, **kwargs):
        policy = self.privacy_policy
        policy_url = policy.get_url(self.request) if policy is not None else None
        return super().get_context_data(privacy_policy_url=policy_url, **kwargs)

    def post(self, request, *args, **kwargs):
        # Per address, and per e-mail typed: the duplicate-address message must not become a
        # way to test many addresses, nor one address from many machines.
        if seconds := attempt(*limits_for(request, "register", request.POST.get("email", ""))):
            # An unbound form: validating it would still tell which names are taken.
            form = self.form_class(
                initial=typed_values(
                    request, ["username", "email", "full_name", "company", "phone"]
                ),
                privacy_policy=self.privacy_policy,
            )
            return refuse(request, self.template_name, self.get_context_data(form=form), seconds)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        with transaction.atomic():
            user = form.save()
        send_confirmation(self.request, user, user.email, REGISTRATION)
        return redirect("avsoft_support:confirm_sent")


@method_decorator([login_not_required, customer_csp], name="dispatch")
class ConfirmSentView(TemplateView):
    template_name = template("confirm_sent")

    def get_context_data(self, **kwargs):
        days = max(1, app_settings.EMAIL_CONFIRMATION_MAX_AGE // 86400)
        return super().get_context_data(days=days, **kwargs)


@method_decorator([login_not_required, never_cache, customer_csp], name="dispatch")
class ResendConfirmationView(FormView):
    template_name = template("confirm_resend")
    form_class = EmailForm

    def post(self, request, *args, **kwargs):
        # Per e-mail too: one inbox must not be flooded from many addresses.
        email = request.POST.get("email", "")
        if seconds := attempt(*limits_for(request, "confirmation_resend", email)):
            form = self.form_class(initial=typed_values(request, ["email"]))
            return refuse(request, self.template_name, {"form": form}, seconds)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The same answer whether or not an account waits at this address.
        users = UserModel._default_manager.filter(
            email__iexact=form.cleaned_data["email"], is_active=False
        )
        for user in users:
            if awaits_confirmation(user):
                send_confirmation(self.request, user, user.email, REGISTRATION)
        return redirect("avsoft_support:confirm_sent")


def _confirm_registration(request, user, profile, email):
    if (user.email or "").casefold() != email.casefold():
        return "invalid"
    if profile.email_confirmed_at is not None:
        return "used"
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        profile.email_confirmed_at = timezone.now()
        profile.save(update_fields=["email_confirmed_at"])
    messages.success(request, _("Your e-mail address is confirmed. You can log in now."))
    return None


def _confirm_email_change(request, user, profile, email):
    if profile.pending_email.casefold() != email.casefold():
        # Applied already, or replaced by a later request.
        return "used" if (user.email or "").casefold() == email.casefold() else "invalid"
    if email_in_use(email, exclude_user=user):
        return "taken"
    with transaction.atomic():
        user.email = profile.pending_email
        user.save(update_fields=["email"])
        profile.pending_email = ""
        profile.email_confirmed_at = timezone.now()
        profile.save(update_fields=["pending_email", "email_confirmed_at"])
    messages.success(request, _("Your new e-mail address is confirmed."))
    return None


@login_not_required
@never_cache
@customer_csp
def confirm_email(request, token):
    """Follow a confirmation link: activate a new account, or apply a changed address."""
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=app_settings.EMAIL_CONFIRMATION_MAX_AGE
        )
    except signing.SignatureExpired:
        # Authentic but old: its kind still decides which way forward to offer.
        problem, kind = "expired", signing.loads(token, salt=CONFIRM_SALT).get("k")
    except signing.BadSignature:
        problem, kind = "invalid", None
    else:
        kind = data.get("k")
        user = UserModel._default_manager.filter(pk=data.get("u")).first()
        profile = MemberProfile.objects.for_user(user) if user else None
        if profile is None or profile.pk is None:
            problem = "invalid"
        elif kind == REGISTRATION:
            problem = _confirm_registration(request, user, profile, data.get("e", ""))
        elif kind == EMAIL_CHANGE:
            problem = _confirm_email_change(request, user, profile, data.get("e", ""))
        else:
            problem = "invalid"
    if problem is None:
        if kind == EMAIL_CHANGE and request.user.is_authenticated:
            return redirect("avsoft_support:profile")
        return redirect(LOGIN_URL)
    status = 200 if problem == "used" else 400
    context = {"problem": problem, "kind": kind}
    return render(request, template("confirm_failed"), context, status=status)
