"""Second-factor views: the staff side in the Wagtail admin, and the members' opt-in TOTP.

Staff (admin URLs, namespace ``avsoft_support_otp``, see ``urls_admin_otp.py``):
verify, enrol (first device or a replacement), backup codes, manage, and a superuser's reset of
another user's devices. StaffOTPMiddleware sends unverified admin users to verify or enrol.

Members (``urls_member_otp.py``, names ``member_otp_*`` in the member area's namespace):
an overview, setup, backup codes, disable, and the verify step of a pending login.
"""

import django_otp
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from .. import otp
from ..conf import support_settings
from ..csp import customer_csp
from ..forms.otp import CodeForm

ADMIN_NAMESPACE = "avsoft_support_otp"

sensitive_code = method_decorator(sensitive_post_parameters("code"), name="dispatch")


def _admin_url(name, next_url=None):
    url = reverse(f"{ADMIN_NAMESPACE}:{name}")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _requested_next(request):
    return request.POST.get("next") or request.GET.get("next") or ""


def _qr_context(device):
    return {
        "device": device,
        "qr_svg": otp.qr_code_svg(
            device, title=_("QR code for your authenticator app (the secret key is below)")
        ),
        "secret": otp.secret_for_display(device),
    }


def _backup_code_used_message(device):
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        return ngettext(
            "You used a backup code. %(count)d backup code is left.",
            "You used a backup code. %(count)d backup codes are left.",
            left,
        ) % {"count": left}
    return None


# Staff: the admin side


@sensitive_code
class StaffVerifyView(FormView):
    """The second step of every admin login: a code from the app or a backup code."""

    template_name = "avsoft_support/otp/admin/verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.next_url = otp.safe_next(request, _requested_next(request), "wagtailadmin_home")
        if otp.is_verified(request.user):
            return redirect(self.next_url)
        if not otp.user_has_confirmed_device(request.user):
            return redirect(_admin_url("enrol", self.next_url))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            next=self.next_url, page_title=_("Two-factor authentication"), **kwargs
        )

    def form_valid(self, form):
        request = self.request
        otp.verify_session(request, form.device)
        otp.security_logger.info("Second factor passed by staff user id %s", request.user.pk)
        used_backup = _backup_code_used_message(form.device)
        if used_backup:
            messages.warning(request, used_backup)
        if not otp.user_requires_otp(request.user):
            # Came in with a backup code and has no authenticator app (any more): set one up.
            return redirect(_admin_url("enrol", self.next_url))
        return redirect(self.next_url)

    def form_invalid(self, form):
        if form.code_check is not None:
            otp.log_failed_code(self.request, self.request.user, "admin verify", form.code_check)
        return super().form_invalid(form)


@sensitive_code
class StaffEnrolView(WagtailAdminTemplateMixin, FormView):
    """Set up the authenticator app: the first device at first login, or a replacement.

    A replacement needs a verified session; the old device is deleted only when the new one
    has been confirmed with a code. The first enrolment has the login page's layout (no menu
    before the second factor), a replacement the admin's.
    """

    form_class = CodeForm
    template_name = "avsoft_support/otp/admin/enrol.html"
    header_icon = "key"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        self.next_url = otp.safe_next(request, _requested_next(request), "wagtailadmin_home")
        self.first_device = not otp.user_has_confirmed_device(user)
        if not self.first_device and not otp.is_verified(user):
            return redirect(_admin_url("verify", self.next_url))
        self.device = otp.pending_totp_device(user)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        if self.first_device:
            return _("Set up two-factor authentication")
        return _("Replace your authenticator app")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": _admin_url("manage"), "label": _("Two-factor authentication")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "device": self.device}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_qr_context(self.device))
        context.update(
            next=self.next_url,
            first_device=self.first_device,
            layout="avsoft_support/otp/admin/layout_login.html"
            if self.first_device
            else "avsoft_support/otp/admin/layout_admin.html",
            manage_url=_admin_url("manage"),
        )
        return context

    def form_valid(self, form):
        request = self.request
        otp.confirm_totp_device(request, form.device)
        otp.security_logger.info(
            "Authenticator app %s by staff user id %s",
            "enrolled" if self.first_device else "replaced",
            request.user.pk,
        )
        if self.first_device:
            otp.stash_backup_codes(request, otp.generate_backup_codes(request.user))
            return redirect(_admin_url("backup_codes", self.next_url))
        messages.success(
            request,
            _("Your new authenticator app is set up; the old one no longer works."),
        )
        return redirect(_admin_url("manage"))

    def form_invalid(self, form):
        if form.code_check is not None:
            otp.log_failed_code(self.request, self.request.user, "admin enrol", form.code_check)
        return super().form_invalid(form)


class StaffOTPAdminMixin(WagtailAdminTemplateMixin):
    """Admin-layout pages of a user who has passed the second factor (when they have one).

    The staff gate already keeps unverified users out; this also holds when the gate is
    switched off for development.
    """

    header_icon = "key"

    def dispatch(self, request, *args, **kwargs):
        if otp.user_has_confirmed_device(request.user) and not otp.is_verified(request.user):
            return redirect(_admin_url("verify", request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [
            *self.breadcrumbs_items,
            {"url": _admin_url("manage"), "label": _("Two-factor authentication")},
        ]
        if self.get_page_title() != items[-1]["label"]:
            items.append({"url": "", "label": self.get_page_title()})
        return items


@method_decorator(never_cache, name="dispatch")
class StaffBackupCodesView(StaffOTPAdminMixin, TemplateView):
    """Shows freshly made backup codes once: they are taken out of the session as they show."""

    template_name = "avsoft_support/otp/admin/backup_codes.html"
    page_title = gettext_lazy("Backup codes")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            codes=otp.pop_backup_codes(self.request),
            next=otp.safe_next(self.request, _requested_next(self.request), "wagtailadmin_home"),
            manage_url=_admin_url("manage"),
            **kwargs,
        )


class StaffManageView(StaffOTPAdminMixin, TemplateView):
    template_name = "avsoft_support/otp/admin/manage.html"
    page_title = gettext_lazy("Two-factor authentication")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            device=otp.confirmed_totp_device(user),
            backup_codes_left=otp.remaining_backup_codes(user),
            enrol_url=_admin_url("enrol"),
            regenerate_url=_admin_url("regenerate_backup_codes"),
            users_url=reverse("wagtailusers_users:index"),
            **kwargs,
        )


class StaffRegenerateBackupCodesView(View):
    """POST only: new backup codes replace the old ones and are shown once."""

    def dispatch(self, request, *args, **kwargs):
        if otp.user_has_confirmed_device(request.user) and not otp.is_verified(request.user):
            return redirect(_admin_url("verify", _admin_url("manage")))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        otp.stash_backup_codes(request, otp.generate_backup_codes(request.user))
        otp.security_logger.info("Backup codes regenerated by staff user id %s", request.user.pk)
        return redirect(_admin_url("backup_codes", _admin_url("manage")))


class StaffResetView(StaffOTPAdminMixin, TemplateView):
    """A superuser removes another user's devices; that user enrols again at next login."""

    template_name = "avsoft_support/otp/admin/reset.html"
    page_title = gettext_lazy("Reset two-factor authentication")

    def dispatch(self, request, user_id):
        if not request.user.is_superuser:
            raise Http404
        self.target = get_object_or_404(get_user_model(), pk=user_id)
        if self.target.pk == request.user.pk:
            messages.error(
                request,
                _("To change your own second factor, replace your authenticator app here."),
            )
            return redirect(_admin_url("manage"))
        return super().dispatch(request, user_id)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailusers_users:index"), "label": _("Users")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        devices = list(django_otp.devices_for_user(self.target, confirmed=None))
        return super().get_context_data(
            target=self.target,
            has_app=any(isinstance(d, TOTPDevice) and d.confirmed for d in devices),
            backup_codes_left=otp.remaining_backup_codes(self.target),
            has_devices=bool(devices),
            users_url=reverse("wagtailusers_users:index"),
            **kwargs,
        )

    def post(self, request, user_id):
        count = otp.delete_devices(self.target)
        log(
            instance=self.target,
            action=otp.RESET_ACTION,
            user=request.user,
            data={"devices": count},
        )
        otp.security_logger.warning(
            "Second factor of user id %s reset by superuser id %s (%s devices removed)",
            self.target.pk,
            request.user.pk,
            count,
        )
        messages.success(
            request,
            _(
                "Two-factor authentication of %(user)s has been reset. They will set up an "
                "authenticator app at their next login."
            )
            % {"user": self.target.get_username()},
        )
        return redirect("wagtailusers_users:index")


# Members: the personal section


def _member_url(name):
    # Resolved in the namespace of the member area that includes urls_member_otp.
    return reverse(f"avsoft_support:{name}")


def _member_home():
    return support_settings.LOGIN_REDIRECT_URL


def member_view(view):
    """Member pages: logged-in members only, never cached, with the customer CSP."""
    return customer_csp(never_cache(login_required(view)))


class MemberOTPIndexView(TemplateView):
    template_name = "avsoft_support/otp/member/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            enabled=otp.user_requires_otp(user),
            backup_codes_left=otp.remaining_backup_codes(user),
            **kwargs,
        )


@sensitive_code
class MemberOTPSetupView(FormView):
    template_name = "avsoft_support/otp/member/setup.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        if otp.user_requires_otp(request.user):
            return redirect(_member_url("member_otp_index"))
        self.device = otp.pending_totp_device(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "device": self.device}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_qr_context(self.device))
        return context

    def form_valid(self, form):
        request = self.request
        otp.confirm_totp_device(request, form.device)
        otp.stash_backup_codes(request, otp.generate_backup_codes(request.user))
        otp.security_logger.info(
            "Two-factor authentication turned on by user id %s", request.user.pk
        )
        django_messages.success(request, _("Two-factor authentication is on."))
        return redirect(_member_url("member_otp_backup_codes"))

    def form_invalid(self, form):
        if form.code_check is not None:
            otp.log_failed_code(self.request, self.request.user, "member setup", form.code_check)
        return super().form_invalid(form)


class MemberOTPBackupCodesView(TemplateView):
    template_name = "avsoft_support/otp/member/backup_codes.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(codes=otp.pop_backup_codes(self.request), **kwargs)


@sensitive_code
class MemberOTPCodeActionView(FormView):
    """A page that asks for a current code before it acts (disable, new backup codes)."""

    form_class = CodeForm
    where = ""

    def dispatch(self, request, *args, **kwargs):
        if not otp.user_requires_otp(request.user):
            return redirect(_member_url("member_otp_index"))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_invalid(self, form):
        if form.code_check is not None:
            otp.log_failed_code(self.request, self.request.user, self.where, form.code_check)
        return super().form_invalid(form)


class MemberOTPDisableView(MemberOTPCodeActionView):
    template_name = "avsoft_support/otp/member/disable.html"
    where = "member disable"

    @property
    def staff_locked(self):
        # An admin user's second factor is not optional while the staff gate is on.
        return support_settings.STAFF_OTP_REQUIRED and self.request.user.has_perm(
            "wagtailadmin.access_admin"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff_locked=self.staff_locked, **kwargs)

    def form_valid(self, form):
        request = self.request
        if self.staff_locked:
            return redirect(_member_url("member_otp_index"))
        otp.delete_devices(request.user)
        otp.security_logger.info(
            "Two-factor authentication turned off by user id %s", request.user.pk
        )
        django_messages.success(request, _("Two-factor authentication is off."))
        return redirect(_member_url("member_otp_index"))


class MemberOTPRegenerateView(MemberOTPCodeActionView):
    template_name = "avsoft_support/otp/member/regenerate.html"
    where = "member backup codes"

    def form_valid(self, form):
        request = self.request
        otp.verify_session(request, form.device)
        otp.stash_backup_codes(request, otp.generate_backup_codes(request.user))
        otp.security_logger.info("Backup codes regenerated by user id %s", request.user.pk)
        return redirect(_member_url("member_otp_backup_codes"))


@sensitive_code
class MemberOTPVerifyView(FormView):
    """The second step of a member's login, after the member-area login took the password.

    The login view leaves the pending user in the session (see `otp.begin_pending_login`);
    a right code logs the user in with the backend that checked the password.
    """

    template_name = "avsoft_support/otp/member/verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.pending = otp.pending_login(request)
        if self.pending is None:
            otp.clear_pending_login(request)
            if request.user.is_authenticated:
                return redirect(otp.safe_next(request, "", _member_home()))
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
        next_url = otp.safe_next(request, next_url, _member_home())
        auth_login(request, user, backend=backend)
        django_otp.login(request, form.device)
        otp.clear_pending_login(request)
        otp.security_logger.info("Member login with second factor, user id %s", user.pk)
        used_backup = _backup_code_used_message(form.device)
        if used_backup:
            django_messages.warning(request, used_backup)
        return redirect(next_url)

    def form_invalid(self, form):
        if form.code_check is not None:
            otp.log_failed_code(self.request, self.pending[0], "member login", form.code_check)
        return super().form_invalid(form)


member_otp_index = member_view(MemberOTPIndexView.as_view())
member_otp_setup = member_view(MemberOTPSetupView.as_view())
member_otp_backup_codes = member_view(MemberOTPBackupCodesView.as_view())
member_otp_disable = member_view(MemberOTPDisableView.as_view())
member_otp_regenerate = member_view(MemberOTPRegenerateView.as_view())
# Not login_required: the user is not logged in until the code is right.
member_otp_verify = customer_csp(never_cache(MemberOTPVerifyView.as_view()))
