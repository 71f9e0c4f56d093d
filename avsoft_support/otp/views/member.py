"""The members' own, optional, second factor in the personal section (names ``member_otp_*``
in the member area's namespace, see ``urls_member.py``): an overview, setup, backup codes,
disable, and the verify step of a pending login.
"""

import django_otp
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from ...conf import app_settings
from ...csp import customer_csp
from ...permissions import must_use_second_factor
from .. import devices, session
from ..forms import CodeForm
from .shared import backup_code_used_message, qr_context, sensitive_code


def _member_url(name):
    # Resolved in the namespace of the member area that includes urls_member.
    return reverse(f"avsoft_support:{name}")


def _member_home():
    return app_settings.LOGIN_REDIRECT_URL


def member_view(view):
    """Member pages: logged-in members only, never cached, with the customer CSP."""
    return customer_csp(never_cache(login_required(view)))


class MemberOTPIndexView(TemplateView):
    template_name = "avsoft_support/otp/member/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            enabled=devices.user_requires_otp(user),
            backup_codes_left=devices.remaining_backup_codes(user),
            **kwargs,
        )


@sensitive_code
class MemberOTPSetupView(FormView):
    template_name = "avsoft_support/otp/member/setup.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        if devices.user_requires_otp(request.user):
            return redirect(_member_url("member_otp_index"))
        self.device = devices.pending_totp_device(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "device": self.device}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(qr_context(self.device))
        return context

    def form_valid(self, form):
        request = self.request
        session.confirm_totp_device(request, form.device)
        session.stash_backup_codes(request, devices.generate_backup_codes(request.user))
        session.security_logger.info(
            "Two-factor authentication turned on by user id %s", request.user.pk
        )
        django_messages.success(request, _("Two-factor authentication is on."))
        return redirect(_member_url("member_otp_backup_codes"))

    def form_invalid(self, form):
        if form.code_check is not None:
            session.log_failed_code(
                self.request, self.request.user, "member setup", form.code_check
            )
        return super().form_invalid(form)


class MemberOTPBackupCodesView(TemplateView):
    template_name = "avsoft_support/otp/member/backup_codes.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(codes=session.pop_backup_codes(self.request), **kwargs)


@sensitive_code
class MemberOTPCodeActionView(FormView):
    """A page that asks for a current code before it acts (disable, new backup codes)."""

    form_class = CodeForm
    where = ""

    def dispatch(self, request, *args, **kwargs):
        if not devices.user_requires_otp(request.user):
            return redirect(_member_url("member_otp_index"))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_invalid(self, form):
        if form.code_check is not None:
            session.log_failed_code(self.request, self.request.user, self.where, form.code_check)
        return super().form_invalid(form)


class MemberOTPDisableView(MemberOTPCodeActionView):
    template_name = "avsoft_support/otp/member/disable.html"
    where = "member disable"

    @property
    def staff_locked(self):
        # Not optional for whom the admin requires it (the staff gate's own rule).
        return must_use_second_factor(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff_locked=self.staff_locked, **kwargs)

    def form_valid(self, form):
        request = self.request
        if self.staff_locked:
            return redirect(_member_url("member_otp_index"))
        devices.delete_devices(request.user)
        session.security_logger.info(
            "Two-factor authentication turned off by user id %s", request.user.pk
        )
        django_messages.success(request, _("Two-factor authentication is off."))
        return redirect(_member_url("member_otp_index"))


class MemberOTPRegenerateView(MemberOTPCodeActionView):
    template_name = "avsoft_support/otp/member/regenerate.html"
    where = "member backup codes"

    def form_valid(self, form):
        request = self.request
        session.verify_session(request, form.device)
        session.stash_backup_codes(request, devices.generate_backup_codes(request.user))
        session.security_logger.info("Backup codes regenerated by user id %s", request.user.pk)
        return redirect(_member_url("member_otp_backup_codes"))


@sensitive_code
class MemberOTPVerifyView(FormView):
    """The second step of a member's login, after the member-area login took the password.

    The login view leaves the pending user in the session (see `session.begin_pending_login`);
    a right code logs the user in with the backend that checked the password.
    """

    template_name = "avsoft_support/otp/member/verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.pending = session.pending_login(request)
        if self.pending is None:
            session.clear_pending_login(request)
            if request.user.is_authenticated:
                return redirect(session.safe_next(request, "", _member_home()))
            django_messages.info(request, _("Please log in first."))
            return redirect(self._login_url())
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _login_url():
        try:
            return resolve_url(settings.LOGIN_URL)
        except NoReverseMatch:
            return "/"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.pending[0]}

    def get_context_data(self, **kwargs):
        return super().get_context_data(login_url=self._login_url(), **kwargs)

    def form_valid(self, form):
        request = self.request
        user, backend, next_url = self.pending
        next_url = session.safe_next(request, next_url, _member_home())
        auth_login(request, user, backend=backend)
        django_otp.login(request, form.device)
        session.clear_pending_login(request)
        session.security_logger.info("Member login with second factor, user id %s", user.pk)
        used_backup = backup_code_used_message(form.device)
        if used_backup:
            django_messages.warning(request, used_backup)
        return redirect(next_url)

    def form_invalid(self, form):
        if form.code_check is not None:
            session.log_failed_code(self.request, self.pending[0], "member login", form.code_check)
        return super().form_invalid(form)


member_otp_index = member_view(MemberOTPIndexView.as_view())
member_otp_setup = member_view(MemberOTPSetupView.as_view())
member_otp_backup_codes = member_view(MemberOTPBackupCodesView.as_view())
member_otp_disable = member_view(MemberOTPDisableView.as_view())
member_otp_regenerate = member_view(MemberOTPRegenerateView.as_view())
# Not login_required: the user is not logged in until the code is right.
member_otp_verify = customer_csp(never_cache(MemberOTPVerifyView.as_view()))
