"""The single shared paths under the pages and the admin: rate limits, the one way a mail is
sent, the member profile of a user, and who may do what."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory, override_settings
from django.utils import translation

from avsoft_support.mail import send_mail
from avsoft_support.models import MemberProfile, member_display_name
from avsoft_support.permissions import assignable_users, can_change_tickets, can_verify
from avsoft_support.ratelimit import attempt, limits_for
from avsoft_support.sanitize import render_markdown

# Rate limits ---------------------------------------------------------------------------------

LIMITS = {"login_ip": (3, 60), "login_account": (2, 60)}


def request_from(address):
    return RequestFactory().post("/account/login/", REMOTE_ADDR=address)


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS=LIMITS)
def test_limits_for_pairs_the_address_and_the_account():
    ip_limit, account_limit = limits_for(request_from("10.0.0.7"), "login", " Anna@Example.com ")
    assert (ip_limit.name, ip_limit.limit) == ("login_ip", (3, 60))
    assert (account_limit.name, account_limit.limit) == ("login_account", (2, 60))

    # The same address and the same account (however typed) share their counters...
    same_ip, same_account = limits_for(request_from("10.0.0.7"), "login", "anna@example.com")
    assert (same_ip.key, same_account.key) == (ip_limit.key, account_limit.key)
    # ...another address or account, and another form, do not.
    other_ip, other_account = limits_for(request_from("10.0.0.8"), "login", "boris")
    assert other_ip.key != ip_limit.key and other_account.key != account_limit.key
    register_ip, _register_account = limits_for(request_from("10.0.0.7"), "register", "anna")
    assert register_ip.key != ip_limit.key
    # The account reaches the cache only as a hash.
    assert "anna" not in account_limit.key.lower()


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS=LIMITS)
def test_refused_attempts_are_not_counted():
    request = request_from("10.0.0.7")
    anna = limits_for(request, "login", "anna")

    assert [attempt(*anna) for _ in range(2)] == [0, 0]
    # Anna's account is at its limit: refused, with the wait.
    waits = [attempt(*anna) for _ in range(5)]
    assert all(55 <= wait <= 60 for wait in waits), waits

    # The address counted 2 attempts, not 7: one more, for another account, still goes through;
    # then the address is at its limit too.
    boris = limits_for(request, "login", "boris")
    assert attempt(*boris) == 0
    assert attempt(*boris) > 0
    # Another address is not affected.
    assert attempt(*limits_for(request_from("10.0.0.8"), "login", "vera")) == 0


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS={"login_ip": (1, 1), "login_account": (1, 1)})
def test_after_the_window_the_attempt_goes_through():
    limits = limits_for(request_from("10.0.0.7"), "login", "anna")
    assert attempt(*limits) == 0
    assert attempt(*limits) == 1  # refused: wait a second

    time.sleep(1.2)  # the window (and its cache keys) ends

    assert attempt(*limits) == 0
    assert attempt(*limits) == 1  # a new window, counted from this attempt


# Mail -----------------------------------------------------------------------------------------


@pytest.fixture
def ticket_context(member, make_ticket):
    """What the ticket_created mail is rendered with, from a real ticket."""
    ticket = make_ticket(member, subject="Export <b>fails</b> & stops")
    message = ticket.messages.get()
    return {
        "ticket": ticket,
        "message": message,
        "body_html": render_markdown(message.body),
        "attachments": list(message.attachments.all()),
        "customer_name": member_display_name(ticket.author),
        "site_name": "AVSoft support",
        "ticket_url": "",
        "admin_url": "http://testserver/admin/tickets/1/",
    }


def test_send_mail_renders_the_three_templates_into_one_mail(ticket_context, mailoutbox, settings):
    ticket = ticket_context["ticket"]

    sent = send_mail(
        "ticket_created", ["support@example.com", "", "duty@example.com"], ticket_context
    )

    assert sent == 1
    [message] = mailoutbox
    assert message.to == ["support@example.com", "duty@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    # The subject template, on one line, not escaped (it is plain text).
    assert message.subject == f"New ticket {ticket.number}: Export <b>fails</b> & stops"
    # The text template.
    assert message.body.startswith(f"A new ticket {ticket.number} has been filed.")
    assert "Subject: Export <b>fails</b> & stops" in message.body
    assert "Customer: Ivan Petrov <member@example.com>" in message.body
    assert "It stops at 50%." in message.body
    assert "Open the ticket: http://testserver/admin/tickets/1/" in message.body
    # The HTML template, as the one alternative, escaped.
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert html.startswith("<!DOCTYPE html>")
    assert '<h1 style="font-size:18px">Export &lt;b&gt;fails&lt;/b&gt; &amp; stops</h1>' in html
    assert "<p>It stops at 50%.</p>" in html
    assert '<a href="http://testserver/admin/tickets/1/">Open the ticket</a>' in html
    assert "AVSoft support" in html


def test_send_mail_comes_from_the_apps_own_address_when_set(ticket_context, mailoutbox):
    with override_settings(AVSOFT_SUPPORT_FROM_EMAIL="desk@avsoft.example"):
        assert send_mail("ticket_created", ["support@example.com"], ticket_context) == 1
    assert [m.from_email for m in mailoutbox] == ["desk@avsoft.example"]


def test_send_mail_in_a_language_leaves_the_active_one_alone(ticket_context, mailoutbox):
    ticket = ticket_context["ticket"]
    translation.activate("en")

    send_mail("ticket_created", ["support@example.com"], ticket_context, language="ru")

    [message] = mailoutbox
    assert message.subject == f"Новое обращение № {ticket.number}: Export <b>fails</b> & stops"
    assert message.body.startswith(f"Поступило новое обращение № {ticket.number}.")
    assert translation.get_language() == "en"


@pytest.mark.parametrize("recipients", [[], ["", None]])
def test_send_mail_to_nobody_sends_nothing(ticket_context, recipients, mailoutbox):
    assert send_mail("ticket_created", recipients, ticket_context) == 0
    assert mailoutbox == []


# The member profile of a user -----------------------------------------------------------------


def test_for_user_returns_the_saved_profile_with_the_callers_user(
    make_member, django_assert_num_queries
):
    make_member(username="anna", full_name="Anna Smirnova", company="Acme")
    user = get_user_model().objects.get(username="anna")  # as a request loads it
    with django_assert_num_queries(1):
        profile = MemberProfile.objects.for_user(user)
        assert profile.user is user  # no second query for the user
    with django_assert_num_queries(0):  # the page and the corner box read it once
        assert MemberProfile.objects.for_user(user) == profile
    assert profile.pk == MemberProfile.objects.get(user=user).pk
    assert (profile.full_name, profile.company, profile.display_name) == (
        "Anna Smirnova",
        "Acme",
        "Anna Smirnova",
    )


def test_for_user_without_a_profile_is_unsaved_named_after_the_user(django_user_model):
    named = django_user_model.objects.create_user(
        "nina", "nina@example.com", "x", first_name="Nina", last_name="Orlova"
    )
    unnamed = django_user_model.objects.create_user("oleg", "oleg@example.com", "x")

    profile = MemberProfile.objects.for_user(named)
    assert profile.pk is None
    assert profile.user is named
    assert (profile.full_name, profile.display_name) == ("Nina Orlova", "Nina Orlova")
    assert str(profile) == "Nina Orlova"
    assert profile.client_status == "potential"
    assert MemberProfile.objects.for_user(unnamed).display_name == "oleg"

    # Reading never creates a row.
    assert MemberProfile.objects.count() == 0
    assert not MemberProfile.objects.filter(user__in=[named, unnamed]).exists()


def test_display_name_falls_back_to_the_users_name_then_login(django_user_model):
    user = django_user_model.objects.create_user(
        "petr", "petr@example.com", "x", first_name="Petr", last_name="Ivanov"
    )
    profile = MemberProfile.objects.create(user=user, full_name="")
    assert profile.display_name == "Petr Ivanov"
    user.first_name = user.last_name = ""
    assert profile.display_name == "petr"
    profile.full_name = "Pyotr I."
    assert profile.display_name == "Pyotr I."


# Permissions ---------------------------------------------------------------------------------


@pytest.fixture
def people(make_member, make_staff, support_staff, django_user_model):
    """Everyone the checks tell apart, by role."""
    agent = django_user_model.objects.create_user("agent", "agent@example.com", "x")
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="avsoft_support", codename="change_ticket")
    )
    retired = make_staff(username="retired", is_active=False)
    retired.groups.set(support_staff.groups.all())
    return {
        "member": make_member(),
        "admin_only": make_staff(username="editor"),  # may use the admin, not the desk
        "support_staff": support_staff,
        "superuser": make_staff(username="boss", superuser=True),
        "agent": django_user_model.objects.get(pk=agent.pk),  # change_ticket alone
        "retired": retired,  # in the support group, no longer active
    }


@pytest.mark.parametrize(
    "role, may_change, may_verify",
    [
        ("member", False, False),
        ("admin_only", False, False),
        ("support_staff", True, True),
        ("superuser", True, True),
        ("agent", True, False),
        ("retired", False, False),
    ],
)
def test_who_may_change_tickets_and_verify_clients(people, role, may_change, may_verify):
    user = people[role]
    assert can_change_tickets(user) is may_change
    assert can_verify(user) is may_verify


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_nobody_may_change_tickets_or_verify(nobody):
    assert can_change_tickets(nobody) is False
    assert can_verify(nobody) is False


def test_tickets_are_assigned_to_active_people_who_may_change_them(people):
    assert list(assignable_users().values_list("username", flat=True)) == [
        "agent",
        "boss",
        "supportstaff",
    ]
