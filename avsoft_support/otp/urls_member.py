"""Members' own two-factor authentication, for the member area to include (names `member_otp_*`).

The member area's urls.py includes this list into its namespace, for example
``path("two-factor/", include(urls_member))``; the views reverse
``avsoft_support:member_otp_*``.
"""

from django.urls import path

from .views import member as views

urlpatterns = [
    path("", views.member_otp_index, name="member_otp_index"),
    path("setup/", views.member_otp_setup, name="member_otp_setup"),
    path("backup-codes/", views.member_otp_backup_codes, name="member_otp_backup_codes"),
    path("backup-codes/new/", views.member_otp_regenerate, name="member_otp_regenerate"),
    path("disable/", views.member_otp_disable, name="member_otp_disable"),
    path("verify/", views.member_otp_verify, name="member_otp_verify"),
]
