"""Password recovery: Django's views with our templates, e-mails and limits."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from ...conf import app_settings
from ...csp import customer_csp
from ...forms.account import (
    PasswordResetForm,
)
from ...ratelimit import attempt, limits_for
from .common import (
    refuse,
    site_name,
    template,
)


@method_decorator(customer_csp, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = template("password_reset_form")
    form_class = PasswordResetForm
    subject_template_name = "avsoft_support/emails/account_password_reset_subject.txt"
    email_template_name = "avsoft_support/emails/account_password_reset_message.txt"
    html_email_template_name = "avsoft_support/emails/account_password_reset_message.html"
    success_url = reverse_lazy("avsoft_support:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if seconds := attempt(*limits_for(self.request, "password_reset", email)):
            form = self.form_class(initial={"email": email})
            return refuse(
                self.request, self.template_name, self.get_context_data(form=form), seconds
            )
        self.from_email = app_settings.FROM_EMAIL
        self.extra_email_context = {"site_name": site_name(self.request)}
        return super().form_valid(form)


@method_decorator(customer_csp, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = template("password_reset_done")


@method_decorator(customer_csp, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = template("password_reset_confirm")
    success_url = reverse_lazy("avsoft_support:password_reset_complete")


@method_decorator(customer_csp, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = template("password_reset_complete")
