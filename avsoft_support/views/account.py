"""The member area: registration with e-mail confirmation, login, logout, password recovery, profile."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.core import signing
from django.db import transaction
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View
from wagtail.models import Site

from ..clients.status import apply_invoice_number
from ..conf import app_settings
from ..csp import customer_csp
from ..forms.account import (
    RATE_LIMITED,
    ChangeEmailForm,
    EmailForm,
    InvoiceNumberForm,
    LoginForm,
    PasswordResetForm,
    ProfileForm,
    RegistrationForm,
    awaits_confirmation,
    email_in_use,
)
from ..mail import send_mail
from ..models import ClientStatus, MemberProfile
from ..otp import devices as otp_devices
from ..otp import session as otp_session
from ..ratelimit import attempt, limits_for, too_many_attempts_message

UserModel = get_user_model()
logger = logging.getLogger(__name__)

LOGIN_URL = "avsoft_support:login"
CONFIRM_SALT = "avsoft_support.account.confirm-email"
# What a confirmation link confirms: a new registration, or a member's new address.
REGISTRATION, EMAIL_CHANGE = "r", "c"

member_required = login_required(login_url=LOGIN_URL)


def _template(name):
    return f"avsoft_support/account/{name}.html"


def _site_name(request):
    site = Site.find_for_request(request)
    return (site and site.site_name) or getattr(settings, "WAGTAIL_SITE_NAME", "") or request.get_host()


def login_url(next_url):
    """The member area's login URL with ``next``, or None when the site has no login view."""
    for name in (getattr(settings, "LOGIN_URL", None), LOGIN_URL):
        try:
            url = resolve_url(name) if name else None
        except NoReverseMatch:
            url = None
        if url:
            return f"{url}?{urlencode({'next': next_url})}"
    return None


def send_account_email(request, name, to, context):
    """Send ``emails/account_<name>_*`` (subject, plain text and HTML) to one address."""
    context = {"site_name": _site_name(request), **context}
    try:
        send_mail(f"account_{name}", [to], context)
    except Exception:
        # As Django's password reset does: the page still answers; "send again" is offered there.
        logger.exception("Could not send the account_%s e-mail", name)


def send_confirmation(request, user, email, kind):
    token = signing.dumps({"u": str(user.pk), "e": email, "k": kind}, salt=CONFIRM_SALT)
    link = request.build_absolute_uri(reverse("avsoft_support:confirm_email", args=[token]))
    name = "confirm" if kind == REGISTRATION else "email_change"
    days = max(1, app_settings.EMAIL_CONFIRMATION_MAX_AGE // 86400)
    send_account_email(request, name, email, {"user": user, "link": link, "days": days})


def _refuse(request, template, context, seconds):
    """The page again, without touching the data, saying when to come back (HTTP 429)."""
    context = {**context, "refusal": too_many_attempts_message(seconds)}
    return render(request, template, context, status=429)


def _typed_values(request, names):
    return {name: request.POST.get(name, "") for name in names}


# Registration and e-mail confirmation


@method_decorator(
    [login_not_required, sensitive_post_parameters("password1", "password2"), never_cache, customer_csp],
    name="dispatch",
)
class RegisterView(FormView):
    template_name = _template("register")
    form_class = RegistrationForm

    def dispatch(self, request, *args, **kwargs):
        if not app_settings.REGISTRATION_OPEN:
            return render(request, _template("registration_closed"))
        if request.user.is_authenticated:
            return redirect("avsoft_support:profile")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Per address, and per e-mail typed: the duplicate-address message must not become a
        # way to test many addresses, nor one address from many machines.
        if seconds := attempt(*limits_for(request, "register", request.POST.get("email", ""))):
            # An unbound form: validating it would still tell which names are taken.
            form = self.form_class(
                initial=_typed_values(request, ["username", "email", "full_name", "company", "phone"])
            )
            return _refuse(request, self.template_name, {"form": form}, seconds)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        with transaction.atomic():
            user = form.save()
        send_confirmation(self.request, user, user.email, REGISTRATION)
        return redirect("avsoft_support:confirm_sent")


@method_decorator([login_not_required, customer_csp], name="dispatch")
class ConfirmSentView(TemplateView):
    template_name = _template("confirm_sent")

    def get_context_data(self, **kwargs):
        days = max(1, app_settings.EMAIL_CONFIRMATION_MAX_AGE // 86400)
        return super().get_context_data(days=days, **kwargs)


@method_decorator([login_not_required, never_cache, customer_csp], name="dispatch")
class ResendConfirmationView(FormView):
    template_name = _template("confirm_resend")
    form_class = EmailForm

    def post(self, request, *args, **kwargs):
        # Per e-mail too: one inbox must not be flooded from many addresses.
        email = request.POST.get("email", "")
        if seconds := attempt(*limits_for(request, "confirmation_resend", email)):
            form = self.form_class(initial=_typed_values(request, ["email"]))
            return _refuse(request, self.template_name, {"form": form}, seconds)
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
    return render(request, _template("confirm_failed"), context, status=status)


# Login and logout


def csrf_passes(request):
    """Django's own CSRF check (origin, referer, token), asked as a yes-or-no question.

    A POST without a token is the corner widget used without JavaScript: we answer it with the
    login page, not the 403 page. Django still logs the rejection as it logs any.
    """
    return CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is None


@method_decorator(
    # The corner widget posts here from cached pages that carry no token; post() runs
    # Django's CSRF check itself and never authenticates a request that fails it.
    [csrf_exempt, login_not_required, sensitive_post_parameters("password"), never_cache, customer_csp],
    name="dispatch",
)
class LoginView(auth_views.RedirectURLMixin, FormView):
    template_name = _template("login")
    form_class = LoginForm

    def get_default_redirect_url(self):
        return resolve_url(app_settings.LOGIN_REDIRECT_URL)

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return HttpResponseRedirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not csrf_passes(request):
            form = self.form_class(request, initial=_typed_values(request, ["username"]))
            # The username is kept: the password is what to type now.
            form.fields["username"].widget.attrs.pop("autofocus", None)
            form.fields["password"].widget.attrs["autofocus"] = True
            return self.render_to_response(self.get_context_data(form=form, csrf_failed=True))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        user = form.get_user()
        if otp_devices.user_requires_otp(user):
            # Members who turned on two-factor log in only after their code (otp/views/member.py).
            otp_session.begin_pending_login(self.request, user, user.backend, self.get_success_url())
            return HttpResponseRedirect(reverse("avsoft_support:member_otp_verify"))
        auth_login(self.request, user)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, RATE_LIMITED):
            response.status_code = 429
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            next=self.get_redirect_url(),
            registration_open=app_settings.REGISTRATION_OPEN,
            **kwargs,
        )


@method_decorator([csrf_protect, never_cache, customer_csp], name="dispatch")
class LogoutView(auth_views.RedirectURLMixin, View):
    """Logout is a POST, always answered by a redirect: to a safe ``next``, else home.

    A GET (a typed or bookmarked address) logs nobody out: members get a page with the
    button, visitors go home.
    """

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(self.get_default_redirect_url())
        return render(request, _template("logout"), {"next": self.get_redirect_url()})

    def post(self, request, *args, **kwargs):
        auth_logout(request)
        return HttpResponseRedirect(self.get_success_url())

    def get_default_redirect_url(self):
        return resolve_url(settings.LOGOUT_REDIRECT_URL or "/")


# Password recovery: Django's views with our templates, e-mails and limits.


@method_decorator(customer_csp, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = _template("password_reset_form")
    form_class = PasswordResetForm
    subject_template_name = "avsoft_support/emails/account_password_reset_subject.txt"
    email_template_name = "avsoft_support/emails/account_password_reset_message.txt"
    html_email_template_name = "avsoft_support/emails/account_password_reset_message.html"
    success_url = reverse_lazy("avsoft_support:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if seconds := attempt(*limits_for(self.request, "password_reset", email)):
            form = self.form_class(initial={"email": email})
            return _refuse(self.request, self.template_name, self.get_context_data(form=form), seconds)
        self.from_email = app_settings.FROM_EMAIL
        self.extra_email_context = {"site_name": _site_name(self.request)}
        return super().form_valid(form)


@method_decorator(customer_csp, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = _template("password_reset_done")


@method_decorator(customer_csp, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = _template("password_reset_confirm")
    success_url = reverse_lazy("avsoft_support:password_reset_complete")


@method_decorator(customer_csp, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = _template("password_reset_complete")


# The personal section


@member_required
@never_cache
@customer_csp
def profile(request):
    member = MemberProfile.objects.for_user(request.user)
    form = ProfileForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details are saved."))
        return redirect("avsoft_support:profile")
    context = {
        "form": form,
        "profile": member,
        "client_status_label": ClientStatus(member.client_status).label,
    }
    return render(request, _template("profile"), context)


@member_required
@never_cache
@customer_csp
@sensitive_post_parameters("password")
def change_email(request):
    form = ChangeEmailForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = MemberProfile.objects.for_user(request.user)
        member.pending_email = form.cleaned_data["email"]
        member.save()
        send_confirmation(request, request.user, member.pending_email, EMAIL_CHANGE)
        messages.success(
            request,
            _(
                "We have sent a link to %(email)s. Your address changes when you follow it."
            ) % {"email": member.pending_email},
        )
        return redirect("avsoft_support:profile")
    return render(request, _template("change_email"), {"form": form})


@member_required
@never_cache
@customer_csp
def invoice_number(request):
    member = MemberProfile.objects.for_user(request.user)
    if member.invoice_number:
        messages.info(
            request,
            _("Your invoice/order number is already recorded. To change it, please contact support."),
        )
        return redirect("avsoft_support:profile")
    form = InvoiceNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        apply_invoice_number(member, form.cleaned_data["invoice_number"])
        messages.success(
            request,
            _("Thank you. Your client status: %(status)s.")
            % {"status": ClientStatus(member.client_status).label},
        )
        return redirect("avsoft_support:profile")
    return render(request, _template("invoice_number"), {"form": form})


@method_decorator([member_required, customer_csp], name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = _template("password_change")
    success_url = reverse_lazy("avsoft_support:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)
