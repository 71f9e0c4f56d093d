"""The e-mail channel, outbound: the customer's receipt, the assignee's mails, and the threading
headers, reply address and reply marker every ticket mail carries."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from avsoft_support import background, mail_threads, notifications, tickets
from avsoft_support.mail import render_mail
from avsoft_support.models import Ticket, TicketStatus
from tests.utils import hrefs, select, tasks_framework, text_of

SUPPORT = ["support@example.com", "duty@example.com"]
REPLY_BASE = "help@example.com"
MARKER = "##- Please type your reply above this line -##"
# Monday 7 December 2026, 12:00 in Moscow (tests.settings.TIME_ZONE).
DUE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def replies_by_mail(support_settings):
    """The site takes replies by e-mail, from customers and from staff."""
    support_settings.reply_address = REPLY_BASE
    support_settings.staff_replies_by_email = True
    support_settings.save()
    return support_settings


@pytest.fixture
def agent(make_staff):
    user = make_staff("agent", first_name="Anna", last_name="Agent", support_group=True)
    user.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    return user


@pytest.fixture
def boss(make_staff):
    return make_staff("boss", first_name="Olga", last_name="Boss", support_group=True)


@pytest.fixture
def run(django_capture_on_commit_callbacks, mailoutbox):
    """Run ``action`` in a transaction, then the mails it leaves for after the commit: returns
    the mails sent."""

    def run(action, *args, **kwargs):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        run.result = result
        return mailoutbox[before:]

    return run


@pytest.fixture
def file_ticket(member, make_ticket, support_page, run):
    """File a ticket as ``member``; returns it and the mails it sent."""

    def file(author=None, due=DUE, **data):
        def action():
            ticket = make_ticket(author or member, **data)
            # The senders read the ticket afresh after the commit: a fixed target date.
            Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
            return ticket

        mails = run(action)
        return run.result, mails

    return file


def html_of(mail):
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    return html


def admin_link(ticket):
    return f"http://testserver/admin/support/tickets/edit/{ticket.pk}/"


def customer_link(ticket):
    return f"http://localhost/support/{ticket.number}/"


def first_paragraph(html):
    return text_of(select(html, "body > p")[0])


# The receipt ------------------------------------------------------------------------------------


def test_a_new_ticket_mails_support_once_and_the_customer_a_receipt(file_ticket, member):
    ticket, (to_support, receipt) = file_ticket(files=[("trace.log", b"abc")])

    assert to_support.to == SUPPORT
    assert to_support.subject == f"New ticket {ticket.number}: Export stops"
    assert receipt.to == [member.email]
    assert receipt.subject == f"We have received your ticket {ticket.number}: Export stops"
    html = html_of(receipt)
    for part in (receipt.body, html):
        assert f"Thank you. We have received your ticket {ticket.number} “Export stops”." in part
        assert "We will answer by Monday, 7 December, 12:00." in part
        # The same facts, first message and files as support's mail.
        assert "Potential client" in part and "Windows 11" in part
        assert "It stops at 50%." in part and "Opened a big file." in part
        assert "trace.log" in part
        # The customer's link, never the admin's.
        assert customer_link(ticket) in part
        assert "/admin/" not in part
        # No reply address: answer on the page, as the other customer mails say.
        assert "Please answer on the ticket page rather than by replying to this e-mail." in part
        assert MARKER not in part
    assert customer_link(ticket) in hrefs(html)
    assert f"<title>Ticket {ticket.number}</title>" in html


@pytest.mark.parametrize(
    ("profile", "says", "invoice_link"),
    [
        ({}, "Tickets are answered in turn. If your company has bought from us", True),
        (
            {"client_status": "claimed", "invoice_number": "INV-7"},
            "We are checking the invoice or order number you gave. Once it is confirmed, "
            "you are served as a current client.",
            False,
        ),
        ({"client_status": "current"}, "As a current client, you are served first.", False),
    ],
)
def test_the_receipt_says_what_happens_next_by_client_status(
    file_ticket, make_member, profile, says, invoice_link
):
    customer = make_member("customer", **profile)
    ticket, (_support, receipt) = file_ticket(author=customer)

    assert ticket.client_status == profile.get("client_status", "potential")
    html = html_of(receipt)
    invoice_page = "http://localhost/account/profile/invoice/"
    for part in (receipt.body, text_of(html)):
        assert says in part
        assert (invoice_page in part) is invoice_link
    assert (invoice_page in hrefs(html)) is invoice_link


def test_the_receipt_without_a_target_date_says_none(file_ticket):
    _ticket, (_support, receipt) = file_ticket(due=None)
    assert "We will answer by" not in receipt.body
    assert "We will answer by" not in html_of(receipt)


@override_settings(LANGUAGE_CODE="ru")
def test_the_receipt_in_russian_has_the_number_subject_date_and_link(file_ticket):
    subject = "Экспорт отчёта останавливается"
    ticket, (_support, receipt) = file_ticket(subject=subject)

    html = html_of(receipt)
    for part in (receipt.subject, receipt.body, html):
        assert ticket.number in part and subject in part
    for part in (receipt.body, html):
        # The target date in Russian words, in the site's time zone.
        assert "7 декабря" in part and "12:00" in part
        assert customer_link(ticket) in part
    assert customer_link(ticket) in hrefs(html)
    assert f"<title>Обращение № {ticket.number}</title>" in html


# Threading, the reply address and the marker ----------------------------------------------------


def every_kind_of_ticket_mail(file_ticket, run, member, agent, boss):
    """One ticket through all its mails: filed, assigned, answered, status set, answered back.
    Returns the ticket and [(who, mail)], who being "customer" or "staff"."""
    ticket, mails = file_ticket()
    mails += run(tickets.assign, ticket, agent, boss)
    mails += run(tickets.add_message, ticket, agent, "Try **5.2.2**.", from_staff=True)
    mails += run(tickets.set_status, ticket, TicketStatus.WAITING, agent)
    mails += run(tickets.add_message, ticket, member, "Still broken.")
    assert [m.to for m in mails] == [
        SUPPORT,  # the new ticket
        [member.email],  # its receipt
        [agent.email],  # the assignment
        [member.email],  # the staff reply
        [member.email],  # the status
        SUPPORT,  # the customer's reply...
        [agent.email],  # ...and to the assignee
    ]
    return ticket, [("customer" if m.to == [member.email] else "staff", m) for m in mails]


def assert_threaded(ticket, mail, domain):
    headers = mail.message()
    message_id = str(headers["Message-ID"])
    assert mail_threads.CODE_RE.search(message_id)
    assert mail_threads.find_code([message_id]) == (ticket.pk, True)
    root = mail_threads.thread_id(ticket, domain)
    assert str(headers["In-Reply-To"]) == root
    assert str(headers["References"]) == root
    return message_id


def test_with_a_reply_address_every_ticket_mail_is_answerable(
    file_ticket, run, member, agent, boss, replies_by_mail
):
    ticket, mails = every_kind_of_ticket_mail(file_ticket, run, member, agent, boss)

    plus_address = mail_threads.reply_address(ticket, REPLY_BASE)
    assert plus_address.startswith("help+t") and plus_address.endswith("@example.com")
    message_ids = set()
    for who, mail in mails:
        message_ids.add(assert_threaded(ticket, mail, "example.com"))
        assert mail.reply_to == [plus_address]
        assert str(mail.message()["Reply-To"]) == plus_address
        html = html_of(mail)
        # The marker opens both parts; the parser cuts the reply there.
        assert mail.body.startswith(MARKER + "\n\n"), mail.subject
        assert first_paragraph(html) == MARKER, mail.subject
        if who == "customer":
            link, invitation = customer_link(ticket), "Reply to this mail, or"
        else:
            link, invitation = admin_link(ticket), "Reply to this mail to answer the customer, or"
        assert f"{invitation} answer on the ticket page: {link}" in mail.body, mail.subject
        assert f"{invitation} answer on the ticket page: {link}" in text_of(html), mail.subject
        assert link in hrefs(html)
        assert "rather than by replying to this e-mail" not in mail.body
    # Each recipient group its own mail, each mail its own Message-ID.
    assert len(message_ids) == len(mails)


def test_without_a_reply_address_mails_are_threaded_but_ask_for_the_page(
    file_ticket, run, member, agent, boss
):
    ticket, mails = every_kind_of_ticket_mail(file_ticket, run, member, agent, boss)

    # Threaded under the sender's domain (DEFAULT_FROM_EMAIL is support@example.com).
    assert len({assert_threaded(ticket, mail, "example.com") for _who, mail in mails}) == 7
    for who, mail in mails:
        assert mail.reply_to == []
        assert "Reply-To" not in mail.message()
        html = html_of(mail)
        for part in (mail.body, html):
            assert "##-" not in part
            assert "Reply to this mail" not in part
        if who == "staff":
            assert f"Open the ticket: {admin_link(ticket)}" in mail.body
    receipt, staff_reply = (mail for who, mail in mails if mail.subject.startswith(("We", "Sup")))
    for mail in (receipt, staff_reply):
        assert "Please answer on the ticket page rather than by replying to this e-mail." in (
            mail.body
        )


def test_staff_are_not_asked_to_reply_by_mail_while_the_site_refuses_it(
    file_ticket, run, member, agent, boss, replies_by_mail
):
    replies_by_mail.staff_replies_by_email = False
    replies_by_mail.save()
    ticket, mails = every_kind_of_ticket_mail(file_ticket, run, member, agent, boss)

    for who, mail in mails:
        # Still threaded and still recognised if answered.
        assert mail.reply_to == [mail_threads.reply_address(ticket, REPLY_BASE)]
        if who == "customer":
            assert mail.body.startswith(MARKER)
        else:
            assert MARKER not in mail.body and MARKER not in html_of(mail)
            assert "Reply to this mail" not in mail.body
            assert f"Open the ticket: {admin_link(ticket)}" in mail.body


def test_mails_about_one_ticket_share_a_thread_and_two_tickets_do_not(
    file_ticket, run, member, agent, boss, replies_by_mail
):
    first, first_mails = file_ticket()
    first_mails += run(tickets.add_message, first, agent, "Answer.", from_staff=True)
    second, second_mails = file_ticket(subject="Import fails")

    def references(mails):
        return {str(mail.message()["References"]) for mail in mails}

    assert len(references(first_mails)) == 1
    assert len(references(second_mails)) == 1
    assert references(first_mails) != references(second_mails)
    assert {tuple(mail.reply_to) for mail in second_mails} == {
        (mail_threads.reply_address(second, REPLY_BASE),)
    }


# The assignee -----------------------------------------------------------------------------------


def test_a_customer_reply_also_goes_to_the_assignee_once(file_ticket, run, member, agent, boss):
    ticket, _mails = file_ticket()
    run(tickets.assign, ticket, agent, boss)

    mails = run(tickets.add_message, ticket, member, "Here is the **log**.")

    assert [m.to for m in mails] == [SUPPORT, [agent.email]]
    to_assignee = mails[1]
    assert to_assignee.subject == f"Customer reply on ticket {ticket.number}: Export stops"
    assert "Here is the **log**." in to_assignee.body
    assert admin_link(ticket) in hrefs(html_of(to_assignee))
    assert customer_link(ticket) not in to_assignee.body


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"email": "Duty@Example.com"}, "already mailed as a support address"),
        ({"email": ""}, "no address"),
        ({"is_active": False}, "deactivated"),
    ],
)
def test_a_customer_reply_is_not_sent_to_the_assignee_twice_or_nowhere(
    file_ticket, run, member, make_staff, boss, fields, why
):
    assignee = make_staff("duty", support_group=True, **fields)
    ticket, _mails = file_ticket()
    run(tickets.assign, ticket, assignee, boss)

    mails = run(tickets.add_message, ticket, member, "More.")

    assert [m.to for m in mails] == [SUPPORT], why


def test_assigning_tells_the_new_assignee(file_ticket, run, agent, boss, replies_by_mail):
    ticket, _mails = file_ticket(files=[("trace.log", b"abc")])
    run(tickets.add_message, ticket, boss, "SECRET NOTE", from_staff=True, internal=True)

    [mail] = run(tickets.assign, ticket, agent, boss)

    assert run.result is True
    assert mail.to == [agent.email]
    assert mail.subject == f"Ticket {ticket.number} is assigned to you: Export stops"
    assert_threaded(ticket, mail, "example.com")
    html = html_of(mail)
    for part in (mail.body, html):
        assert f"Olga Boss assigned ticket {ticket.number} to you." in part
        assert "It stops at 50%." in part and "trace.log" in part
        assert admin_link(ticket) in part
        assert "SECRET NOTE" not in part
        assert customer_link(ticket) not in part
    assert admin_link(ticket) in hrefs(html)


def test_an_assignment_by_nobody_in_particular_says_so(file_ticket, run, agent):
    ticket, _mails = file_ticket()
    [mail] = run(tickets.assign, ticket, agent, None)
    assert f"Ticket {ticket.number} has been assigned to you." in mail.body


def test_taking_a_ticket_oneself_or_unassigning_mails_nobody(file_ticket, run, agent, boss):
    ticket, _mails = file_ticket()
    assert run(tickets.assign, ticket, agent, agent) == []
    assert run.result is True
    assert run(tickets.assign, ticket, None, boss) == []
    assert run.result is True
    # No change, no mail either.
    run(tickets.assign, ticket, agent, boss)
    assert run(tickets.assign, ticket, agent, boss) == []
    assert run.result is False


def test_a_ticket_reassigned_before_the_mail_went_mails_only_the_last_assignee(
    file_ticket, run, agent, boss, make_staff
):
    other = make_staff("other", support_group=True)
    ticket, _mails = file_ticket()

    def reassign():
        tickets.assign(ticket, agent, boss)
        tickets.assign(ticket, other, boss)

    assert [m.to for m in run(reassign)] == [[other.email]]


def test_an_internal_note_mails_nobody_even_with_replies_by_mail(
    file_ticket, run, agent, boss, replies_by_mail
):
    ticket, _mails = file_ticket()
    run(tickets.assign, ticket, agent, boss)
    assert (
        run(tickets.add_message, ticket, agent, "between us", from_staff=True, internal=True) == []
    )


@pytest.mark.skipif(
    background.task is None, reason="no tasks framework (Django 5.2 without django-tasks)"
)
def test_the_assignment_mail_goes_through_the_tasks_framework(file_ticket, run, agent, boss):
    Task, task_enqueued = tasks_framework()

    ticket, _mails = file_ticket()
    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((task_result.task.module_path, task_result.args))

    task_enqueued.connect(receiver)
    try:
        run(tickets.assign, ticket, agent, boss)
    finally:
        task_enqueued.disconnect(receiver)
    assert isinstance(notifications.send_ticket_assigned, Task)
    assert seen == [
        ("avsoft_support.notifications.send_ticket_assigned", [ticket.pk, agent.pk, boss.pk])
    ]


# mail.render_mail's headers ---------------------------------------------------------------------


def test_render_mail_takes_headers_and_makes_reply_to_the_reply_to_list(file_ticket):
    ticket, _mails = file_ticket()
    context, _site = notifications._context(ticket, ticket.messages.get())

    mail = render_mail(
        "ticket_created",
        SUPPORT,
        context,
        headers={"Message-ID": "<t1-x.y@example.com>", "reply-to": "help+t1-x@example.com"},
    )

    assert mail.reply_to == ["help+t1-x@example.com"]
    assert mail.extra_headers == {"Message-ID": "<t1-x.y@example.com>"}
    message = mail.message()
    assert str(message["Reply-To"]) == "help+t1-x@example.com"
    assert str(message["Message-ID"]) == "<t1-x.y@example.com>"

    plain = render_mail("ticket_created", SUPPORT, context)
    assert plain.reply_to == [] and plain.extra_headers == {}
