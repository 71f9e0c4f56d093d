"""Admin-side second-factor routes, included under the Wagtail admin by `register_admin_urls`
(wagtail_hooks.py).

Wagtail wraps them in its admin-access check; StaffOTPMiddleware lets unverified users reach
only `verify` and `enrol`.
"""

from django.urls import path

from .views import staff as views

app_name = "avsoft_support_otp"

urlpatterns = [
    path("", views.StaffManageView.as_view(), name="manage"),
    path("verify/", views.StaffVerifyView.as_view(), name="verify"),
    path("enrol/", views.StaffEnrolView.as_view(), name="enrol"),
    path("backup-codes/", views.StaffBackupCodesView.as_view(), name="backup_codes"),
    path(
        "backup-codes/new/",
        views.StaffRegenerateBackupCodesView.as_view(),
        name="regenerate_backup_codes",
    ),
    path("reset/<int:user_id>/", views.StaffResetView.as_view(), name="reset"),
]

# The views an authenticated but unverified admin user may open.
UNVERIFIED_ALLOWED = frozenset({"verify", "enrol"})
