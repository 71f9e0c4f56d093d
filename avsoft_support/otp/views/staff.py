"""The second factor in the Wagtail admin (namespace ``avsoft_support_otp``, see
``urls_staff.py``): verify, enrol (first device or a replacement), backup codes, manage, and a
superuser's reset of another user's devices. StaffOTPMiddleware sends unverified admin users to
verify or enrol.
"""

import django_otp
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from ...audit import OTP_RESET
from .. import devices, session
from ..forms import CodeForm
from .shared import backup_code_used_message, qr_context, requested_next, sensitive_code

ADMIN_NAMESPACE = "avsoft_support_otp"


def _admin_url(name, next_url=None):
    url = reverse(f"{ADMIN_NAMESPACE}:{name}")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@sensitive_code
class StaffVerifyView(FormView):
    """The second step of every admin login: a code from the app or a backup code."""

    template_name = "avsoft_support/otp/admin/verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.next_url = session.safe_next(request, requested_next(request), "wagtailadmin_home")
        if session.is_verified(request.user):
            return redirect(self.next_url)
        if not devices.user_has_confirmed_device(request.user):
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
        session.verify_session(request, form.device)
        session.security_logger.info("Second factor passed by staff user id %s", request.user.pk)
        used_backup = backup_code_used_message(form.device)
        if used_backup:
            messages.warning(request, used_backup)
        if not devices.user_requires_otp(request.user):
            # Came in with a backup code and has no authenticator app (any more): set one up.
            return redirect(_admin_url("enrol", self.next_url))
        return redirect(self.next_url)

    def form_invalid(self, form):
        if form.code_check is not None:
            session.log_failed_code(
                self.request, self.request.user, "admin verify", form.code_check
            )
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
        self.next_url = session.safe_next(request, requested_next(request), "wagtailadmin_home")
        self.first_device = not devices.user_has_confirmed_device(user)
        if not self.first_device and not session.is_verified(user):
            return redirect(_admin_url("verify", self.next_url))
        self.device = devices.pending_totp_device(user)
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
        context.update(qr_context(self.device))
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
        session.confirm_totp_device(request, form.device)
        session.security_logger.info(
            "Authenticator app %s by staff user id %s",
            "enrolled" if self.first_device else "replaced",
            request.user.pk,
        )
        if self.first_device:
            session.stash_backup_codes(request, devices.generate_backup_codes(request.user))
            return redirect(_admin_url("backup_codes", self.next_url))
        messages.success(
            request,
            _("Your new authenticator app is set up; the old one no longer works."),
        )
        return redirect(_admin_url("manage"))

    def form_invalid(self, form):
        if form.code_check is not None:
            session.log_failed_code(self.request, self.request.user, "admin enrol", form.code_check)
        return super().form_invalid(form)


class StaffOTPAdminMixin(WagtailAdminTemplateMixin):
    """Admin-layout pages of a user who has passed the second factor (when they have one).

    The staff gate already keeps unverified users out; this also holds when the gate is
    switched off for development.
    """

    header_icon = "key"

    def dispatch(self, request, *args, **kwargs):
        if devices.user_has_confirmed_device(request.user) and not session.is_verified(
            request.user
        ):
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
            codes=session.pop_backup_codes(self.request),
            next=session.safe_next(self.request, requested_next(self.request), "wagtailadmin_home"),
            manage_url=_admin_url("manage"),
            **kwargs,
        )


class StaffManageView(StaffOTPAdminMixin, TemplateView):
    template_name = "avsoft_support/otp/admin/manage.html"
    page_title = gettext_lazy("Two-factor authentication")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            device=devices.confirmed_totp_device(user),
            backup_codes_left=devices.remaining_backup_codes(user),
            enrol_url=_admin_url("enrol"),
            regenerate_url=_admin_url("regenerate_backup_codes"),
            users_url=reverse("wagtailusers_users:index"),
            **kwargs,
        )


class StaffRegenerateBackupCodesView(View):
    """POST only: new backup codes replace the old ones and are shown once."""

    def dispatch(self, request, *args, **kwargs):
        if devices.user_has_confirmed_device(request.user) and not session.is_verified(
            request.user
        ):
            return redirect(_admin_url("verify", _admin_url("manage")))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        session.stash_backup_codes(request, devices.generate_backup_codes(request.user))
        session.security_logger.info(
            "Backup codes regenerated by staff user id %s", request.user.pk
        )
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
        user_devices = list(django_otp.devices_for_user(self.target, confirmed=None))
        return super().get_context_data(
            target=self.target,
            has_app=any(isinstance(d, TOTPDevice) and d.confirmed for d in user_devices),
            backup_codes_left=devices.remaining_backup_codes(self.target),
            has_devices=bool(user_devices),
            users_url=reverse("wagtailusers_users:index"),
            **kwargs,
        )

    def post(self, request, user_id):
        count = devices.delete_devices(self.target)
        log(
            instance=self.target,
            action=OTP_RESET,
            user=request.user,
            data={"devices": count},
        )
        session.security_logger.warning(
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
