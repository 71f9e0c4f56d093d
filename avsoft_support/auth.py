"""Logging in, one way for every door: which account a typed login names, and the throttle
that every ``authenticate()`` passes first (the member login, Wagtail's admin login, any other).

``LoginThrottleBackend``, first in ``AUTHENTICATION_BACKENDS``, refuses a password login whose
client address or account is over its limit (``login_ip``, ``login_account``) before any
backend looks at the password. Failures are counted by the ``user_login_failed`` receiver and a
login resets its account's counter (``signals.py``), so a lockout earned at one door holds at
every other. An attempt the throttle refused is not counted: the window does not grow.
"""

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from .ratelimit import RateLimit, retry_after

BACKEND = "avsoft_support.auth.LoginThrottleBackend"

# The wait the throttle found, set on the request by every password authenticate(): the member
# login answers 429 with it, and the failure receiver leaves a refused attempt uncounted.
RETRY_AFTER_ATTRIBUTE = "avsoft_support_login_retry_after"
# The counters the throttle built for this request's login, kept for the failure receiver so
# that a failed login looks its account up once, not twice.
LIMITS_ATTRIBUTE = "avsoft_support_login_limits"


def user_field_names():
    """The user model's login field and its e-mail field (None when it has none)."""
    UserModel = get_user_model()
    email_field = UserModel.get_email_field_name()
    try:
        UserModel._meta.get_field(email_field)
    except FieldDoesNotExist:
        email_field = None
    return UserModel.USERNAME_FIELD, email_field


def find_user(identifier):
    """The one user a login (USERNAME_FIELD value) or e-mail address names, else None.

    An exact login wins, then a login in another case, then an e-mail address that only one
    account uses.
    """
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    username_field, email_field = user_field_names()
    query = Q(**{f"{username_field}__iexact": identifier})
    if email_field and email_field != username_field:
        query |= Q(**{f"{email_field}__iexact": identifier})
    candidates = list(get_user_model()._default_manager.filter(query)[:10])
    folded = identifier.casefold()

    def email_of(user):
        return str(getattr(user, email_field) or "") if email_field else ""

    for matches in (
        lambda user: str(user.get_username()) == identifier,
        lambda user: str(user.get_username()).casefold() == folded,
        lambda user: email_of(user).casefold() == folded,
    ):
        found = [user for user in candidates if matches(user)]
        if len(found) == 1:
            return found[0]
    return None


def account_limit(account):
    """The ``login_account`` counter of an account: its USERNAME_FIELD value, case-insensitive."""
    return RateLimit.for_account("login_account", str(account))


def login_limits(request, credentials):
    """The counters a password login is held to: the client's address (when there is a
    request) and the account the typed login names, however typed (login or e-mail, any case);
    a login that names no account is counted as typed, so unknown names are limited alike."""
    limits = [RateLimit.for_ip("login_ip", request)] if request is not None else []
    typed = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    typed = str(typed or "").strip()
    if typed:
        user = find_user(typed)
        limits.append(account_limit(user.get_username() if user is not None else typed))
    return limits


def is_password_login(credentials):
    # Remote-user headers, tokens and the like are not password guesses: not ours to count.
    return "password" in credentials


def login_retry_after(request):
    """Seconds the throttle refused this request's login for; 0 when it let it through."""
    return getattr(request, RETRY_AFTER_ATTRIBUTE, 0)


class LoginThrottleBackend:
    """Not a way in: it never returns a user and has no ``get_user()`` or permission methods,
    so sessions, ``force_login`` and permission checks pass it by. It only ever stops a login.
    """

    @sensitive_variables("credentials")
    def authenticate(self, request, **credentials):
        if not is_password_login(credentials):
            return None
        limits = login_limits(request, credentials)
        seconds = retry_after(*limits)
        if request is not None:
            setattr(request, RETRY_AFTER_ATTRIBUTE, seconds)
            setattr(request, LIMITS_ATTRIBUTE, limits)
        if seconds:
            # Django stops at PermissionDenied: no backend after this one sees the password, so
            # the answer is the same whether it is right or wrong. It then sends
            # user_login_failed, which leaves this refusal uncounted.
            raise PermissionDenied
        return None

    @sensitive_variables("credentials")
    async def aauthenticate(self, request, **credentials):
        return await sync_to_async(self.authenticate)(request, **credentials)


def count_failed_login(request, credentials):
    """One failed password login: counted for the address and the account, unless the
    throttle itself refused it."""
    if not is_password_login(credentials):
        return
    if request is not None and login_retry_after(request):
        return
    limits = getattr(request, LIMITS_ATTRIBUTE, None) if request is not None else None
    for limit in limits if limits is not None else login_limits(request, credentials):
        limit.hit()


def reset_account_limit(user):
    """A login clears its account's failures; the address's stay (one account of one's own
    must not reset a spray over many)."""
    account_limit(user.get_username()).reset()
