"""Member-area and download routes. A site includes them at a prefix of its choice."""

from django.urls import include, path

from .otp import urls_member as otp_urls_member
from .views.account import company, data, login, password, profile, registration
from .views.attachments import attachment_download
from .views.ratings import rate

app_name = "avsoft_support"

urlpatterns = [
    # The prefix alone (/account/) leads on to the personal section rather than a 404.
    path("", profile.account_root, name="account"),
    # Ticket attachments (owner only; the name just makes the URL readable).
    path("attachments/<int:pk>/<str:name>", attachment_download, name="attachment_download"),
    # One-click rating from a resolved ticket's mail (signed link; records only on POST).
    path("rate/<str:token>/<str:score>/", rate, name="rate"),
    path("register/", registration.RegisterView.as_view(), name="register"),
    # Before confirm/<token>/: tokens always contain a colon, so they never read "resend".
    path("confirm/resend/", registration.ResendConfirmationView.as_view(), name="confirm_resend"),
    path("confirm/sent/", registration.ConfirmSentView.as_view(), name="confirm_sent"),
    path("confirm/<str:token>/", registration.confirm_email, name="confirm_email"),
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", login.LogoutView.as_view(), name="logout"),
    path("password-reset/", password.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/done/",
        password.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/complete/",
        password.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        password.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("profile/", profile.profile, name="profile"),
    path("profile/email/", profile.change_email, name="change_email"),
    path("profile/invoice/", profile.invoice_number, name="invoice_number"),
    path("profile/password/", profile.PasswordChangeView.as_view(), name="password_change"),
    # The account's administrator switches company ticket sharing.
    path("profile/company/", company.company_sharing, name="company_sharing"),
    # The member's own data: a ZIP copy of it, and deleting the account.
    path("profile/data/", data.download_data, name="download_data"),
    path("profile/delete/", data.delete_account, name="delete_account"),
    path("deleted/", data.account_deleted, name="account_deleted"),
    # The member's own, optional, second factor (names member_otp_*).
    path("two-factor/", include(otp_urls_member)),
]
