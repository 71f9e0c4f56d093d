"""The personal section's company page: whether the member's company shares its tickets, and
for the member the account names as its administrator, the switch."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ...clients.sharing import set_sharing
from ...csp import customer_csp
from ...models import MemberProfile
from .common import member_required, template


@member_required
@never_cache
@customer_csp
def company_sharing(request):
    profile = (
        MemberProfile.objects.select_related("client_account__administrator__user")
        .filter(user_id=request.user.pk)
        .first()
    )
    account = profile.client_account if profile is not None else None
    if account is None:
        # Not a member of any client account: nothing here is theirs.
        raise Http404
    is_administrator = account.is_administered_by(request.user)
    if request.method == "POST":
        if not is_administrator:
            raise Http404
        on = request.POST.get("share_tickets") == "on"
        if set_sharing(account, on, request.user):
            if on:
                messages.success(request, _("Your company's members now see each other's tickets."))
            else:
                messages.success(
                    request, _("Your company's members no longer see each other's tickets.")
                )
        return redirect("avsoft_support:company_sharing")
    administrator = account.administrator
    context = {
        "account": account,
        "is_administrator": is_administrator,
        "administrator_name": administrator.display_name
        if administrator is not None and administrator.client_account_id == account.pk
        else "",
    }
    return render(request, template("company_sharing"), context)
