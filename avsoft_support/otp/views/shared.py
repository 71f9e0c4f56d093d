"""What the staff and the member views of the second factor share."""

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice

from .. import devices

sensitive_code = method_decorator(sensitive_post_parameters("code"), name="dispatch")


def requested_next(request):
    return request.POST.get("next") or request.GET.get("next") or ""


def qr_context(device):
    return {
        "device": device,
        "qr_svg": devices.qr_code_svg(
            device, title=_("QR code for your authenticator app (the secret key is below)")
        ),
        "secret": devices.secret_for_display(device),
    }


def backup_code_used_message(device):
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        return ngettext(
            "You used a backup code. %(count)d backup code is left.",
            "You used a backup code. %(count)d backup codes are left.",
            left,
        ) % {"count": left}
    return None
