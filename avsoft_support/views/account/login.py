"""Login (page and corner box) and logout."""

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, View

from ...conf import app_settings
from ...csp import customer_csp
from ...forms.account import (
    RATE_LIMITED,
    LoginForm,
)
from ...otp import devices as otp_devices
from ...otp import session as otp_session
from .common import (
    template,
    typed_values,
)


def csrf_passes(request):
    """Django's own CSRF check (origin, referer, token), asked as a yes-or-no question.

    A POST without a token is the corner widget used without JavaScript: we answer it with the
    login page, not the 403 page. Django still logs the rejection as it logs any.
    """
    return CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is None


class LocalRedirectMixin(auth_views.RedirectURLMixin):
    """Django's ``next`` handling, with the one rule for what counts as a local address."""

    def get_redirect_url(self):
        requested = self.request.POST.get(
            self.redirect_field_name, self.request.GET.get(self.redirect_field_name)
        )
        return otp_session.local_redirect(self.request, requested)


@method_decorator(
    # The corner widget posts here from cached pages that carry no token; post() runs
    # Django's CSRF check itself and never authenticates a request that fails it.
    [
        csrf_exempt,
        login_not_required,
        sensitive_post_parameters("password"),
        never_cache,
        customer_csp,
    ],
    name="dispatch",
)
class LoginView(LocalRedirectMixin, FormView):
    template_name = template("login")
    form_class = LoginForm

    def get_default_redirect_url(self):
        return resolve_url(app_settings.LOGIN_REDIRECT_URL)

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return HttpResponseRedirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not csrf_passes(request):
            form = self.form_class(request, initial=typed_values(request, ["username"]))
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
            otp_session.begin_pending_login(
                self.request, user, user.backend, self.get_success_url()
            )
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
class LogoutView(LocalRedirectMixin, View):
    """Logout is a POST, always answered by a redirect: to a safe ``next``, else home.

    A GET (a typed or bookmarked address) logs nobody out: members get a page with the
    button, visitors go home.
    """

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(self.get_default_redirect_url())
        return render(request, template("logout"), {"next": self.get_redirect_url()})

    def post(self, request, *args, **kwargs):
        auth_logout(request)
        return HttpResponseRedirect(self.get_success_url())

    def get_default_redirect_url(self):
        return resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
