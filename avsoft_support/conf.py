"""The app's settings: ``AVSOFT_SUPPORT_<NAME>`` in the site's settings, else the default here.

Read them as ``app_settings.NAME`` so that ``override_settings`` in tests takes effect.
"""

from django.conf import settings

DEFAULTS = {
    # Member area
    "REGISTRATION_OPEN": True,
    # How long an e-mail confirmation link stays valid, in seconds (3 days).
    "EMAIL_CONFIRMATION_MAX_AGE": 3 * 24 * 3600,
    # Brute-force limits: (attempts, window in seconds), counted in the cache.
    "RATE_LIMITS": {
        "login_ip": (20, 15 * 60),
        "login_account": (5, 15 * 60),
        "register_ip": (10, 60 * 60),
        "register_account": (5, 60 * 60),
        "password_reset_ip": (10, 60 * 60),
        "password_reset_account": (3, 60 * 60),
        "confirmation_resend_ip": (5, 60 * 60),
        "confirmation_resend_account": (3, 60 * 60),
        # Polite replies to refused incoming mail: one an hour per address, so two mail
        # robots (or a forged sender) never get a conversation going.
        "inbound_bounce_account": (1, 60 * 60),
        # Help-article suggestions while a member types a ticket (one request per pause in
        # typing), and their "this answered my question" clicks.
        "help_suggestions_ip": (300, 60),
        "help_suggestions_account": (60, 60),
        "help_answered_ip": (60, 60 * 60),
        "help_answered_account": (20, 60 * 60),
    },
    # Cache alias that holds the rate-limit counters.
    "RATE_LIMIT_CACHE": "default",
    # Where to go after login when no safe ``next`` is given (URL or URL name).
    "LOGIN_REDIRECT_URL": "avsoft_support:profile",
    # Tickets
    # Storage alias (settings.STORAGES) for attachments: must not be served under MEDIA_URL.
    "ATTACHMENT_STORAGE": "avsoft_support_attachments",
    # Permanent redirects from one company's old site addresses (auth.php, personal/user.php,
    # ...): only a site that had those addresses wants them.
    "LEGACY_REDIRECTS": False,
    # Address that notifications come from (None: DEFAULT_FROM_EMAIL).
    "FROM_EMAIL": None,
    # A mail the backend refused is kept (PendingMail) and tried again by
    # support_send_pending_mail: this many attempts in all, the first retry after this many
    # seconds, each further one after twice as long, at most MAIL_RETRY_MAX_DELAY.
    "MAIL_RETRY_ATTEMPTS": 10,
    "MAIL_RETRY_DELAY": 120,
    "MAIL_RETRY_MAX_DELAY": 6 * 3600,
    # Help articles: page types ("app_label.ModelName") whose pages are suggested on the
    # new-ticket form, besides those that mix in HelpArticleMixin (docs/help-articles.md).
    "HELP_ARTICLE_PAGE_TYPES": [],
    # Ratings: how long the good/bad links in a resolved ticket's mail stay valid, in
    # seconds (30 days). A link records one rating; the ticket page offers the same.
    "RATING_LINK_MAX_AGE": 30 * 24 * 3600,
    # Company sharing: how many addresses a ticket's author may copy in (CC).
    "MAX_CC_ADDRESSES": 10,
    # Staff side
    # Seconds between the ticket screen's presence polls ("… is also viewing this ticket", "a
    # new reply arrived"); an agent stops counting as viewing a minute after their last one.
    "PRESENCE_POLL_INTERVAL": 25,
    # Seconds between counts of the queue's counters (menu badge, dashboard); in between,
    # ticket changes move the cached counts by one (queue_cache.py). 0: counted on every page.
    "QUEUE_COUNTS_CACHE_SECONDS": 30,
    # The staff ticket list counts matching tickets only this far (past the page shown), then
    # says "1,000+": a COUNT over the whole table on every page costs more as tickets grow.
    "LISTING_COUNT_LIMIT": 1000,
    # The admin asks for a second factor (from whom: STAFF_OTP_PERMISSIONS). Turn off for
    # local development only.
    "STAFF_OTP_REQUIRED": True,
    # Who must use a second factor in the admin: superusers always, and every admin user with
    # any of these permissions (from any group or given directly). By default whoever can see
    # customers' tickets or client data, which is the "Support staff" group; editors without
    # them are not asked. ["wagtailadmin.access_admin"] asks every admin user.
    "STAFF_OTP_PERMISSIONS": [
        "avsoft_support.view_ticket",
        "avsoft_support.change_ticket",
        "avsoft_support.delete_ticket",
        "avsoft_support.add_clientaccount",
        "avsoft_support.view_clientaccount",
        "avsoft_support.change_clientaccount",
        "avsoft_support.delete_clientaccount",
        "avsoft_support.view_memberprofile",
        "avsoft_support.change_memberprofile",
        "avsoft_support.verify_client",
    ],
}


class AppSettings:
    """Not the per-site ``models.SupportSettings`` (editors' Support settings): these are the
    site owner's, in settings.py."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown avsoft_support setting: {name}")
        value = getattr(settings, f"AVSOFT_SUPPORT_{name}", DEFAULTS[name])
        if name == "RATE_LIMITS":
            value = {**DEFAULTS["RATE_LIMITS"], **value}
        return value


app_settings = AppSettings()


# The apps the support desk needs in INSTALLED_APPS (check avsoft_support.E008).
REQUIRED_APPS = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
]
