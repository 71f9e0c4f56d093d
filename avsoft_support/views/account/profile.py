"""The personal section: details, e-mail change, invoice/order number, password change."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ...clients.status import apply_invoice_number
from ...csp import customer_csp
from ...forms.account import (
    ChangeEmailForm,
    InvoiceNumberForm,
    ProfileForm,
)
from ...models import ClientStatus, MemberProfile
from .common import (
    EMAIL_CHANGE,
    LOGIN_URL,
    member_required,
    send_confirmation,
    template,
)


# A visitor is asked to log in for the personal section itself, not for this bare address,
# so that login lands where the member was going (and never loops back here).
@login_not_required
@never_cache
def account_root(request):
    """The member area's own address: the personal section, or the login that leads there."""
    profile_url = reverse("avsoft_support:profile")
    if request.user.is_authenticated:
        return redirect(profile_url)
    return redirect_to_login(profile_url, LOGIN_URL)


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
    return render(request, template("profile"), context)


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
            _("We have sent a link to %(email)s. Your address changes when you follow it.")
            % {"email": member.pending_email},
        )
        return redirect("avsoft_support:profile")
    return render(request, template("change_email"), {"form": form})


@member_required
@never_cache
@customer_csp
def invoice_number(request):
    member = MemberProfile.objects.for_user(request.user)
    if member.invoice_number:
        messages.info(
            request,
            _(
                "Your invoice/order number is already recorded. To change it, please contact support."
            ),
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
    return render(request, template("invoice_number"), {"form": form})


@method_decorator([member_required, customer_csp], name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = template("password_change")
    success_url = reverse_lazy("avsoft_support:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)
