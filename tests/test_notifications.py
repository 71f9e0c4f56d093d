"""Ticket e-mails: who gets which, plain text and HTML, links, and only after the commit."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from avsoft_support import background, notifications, tickets
from avsoft_support.models import SupportPage, SupportSettings, Ticket, TicketStatus
from tests.utils import assert_in_html, hrefs, select, tasks_framework, text_of, ticket_form_data

SUPPORT = ["support@example.com", "duty@example.com"]


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("agent", "agent@example.com", "x")
    user.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def file_ticket(member, make_ticket, support_page, django_capture_on_commit_callbacks):
    def file(**data):
        with django_capture_on_commit_callbacks(execute=True):
            return make_ticket(member, **data)

    return file


def html_of(mail):
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    return html


def test_new_ticket_goes_to_the_support_addresses(file_ticket, mailoutbox, settings):
    ticket = file_ticket(files=[("trace.log", b"abc")], invoice_number="")

    # Support's mail, then the customer's receipt (tests/test_mail_outbound_channel.py).
    mail, receipt = mailoutbox
    assert receipt.to == ["member@example.com"]
    assert mail.to == SUPPORT
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL
    assert mail.subject == f"New ticket {ticket.number}: Export stops"
    admin_link = "http://testserver" + reverse("avsoft_support_tickets:edit", args=[ticket.pk])
    for part in (mail.body, html_of(mail)):
        assert ticket.number in part
        assert "Ivan Petrov" in part and "member@example.com" in part
        assert "Potential client" in part
        assert "AVSoft Analyzer" in part and "5.2.1" in part and "Windows 11" in part
        assert "It stops at 50%." in part
        assert "Opened a big file." in part
        assert "trace.log" in part
        assert admin_link in part
    assert admin_link in hrefs(html_of(mail))


def mail_as_read(mail):
    """What a recipient gets, but the Message-ID (new for every mail)."""
    headers = {k: v for k, v in mail.extra_headers.items() if k != "Message-ID"}
    return (
        mail.subject,
        mail.from_email,
        mail.to,
        mail.reply_to,
        headers,
        mail.body,
        mail.alternatives,
    )


@pytest.mark.django_db(transaction=True)
def test_the_mails_of_a_filed_ticket_are_those_a_task_worker_would_send(
    client, member, support_page, support_settings, product, mailoutbox
):
    """Filed in its own transaction, the ticket's mails go out as it commits, from the rows the
    request has in hand: the same mails a task worker sends from the database."""
    client.force_login(member)
    files = [SimpleUploadedFile(name, b"x" * 10, "text/plain") for name in ("b.log", "a.txt")]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            support_page.url + "new/", ticket_form_data(product, attachments=files)
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get(author=member)
    at_filing = [mail_as_read(mail) for mail in mailoutbox]
    assert [mail.to for mail in mailoutbox] == [SUPPORT, ["member@example.com"]]
    assert "b.log" in mailoutbox[0].body and "a.txt" in mailoutbox[0].body
    # Nothing written was read back for them.
    read_back = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(('SELECT "avsoft_support_message"', 'SELECT "avsoft_support_att'))
    ]
    assert read_back == []

    mailoutbox.clear()
    worker = getattr(notifications.send_ticket_created, "call", notifications.send_ticket_created)
    assert worker(ticket.pk) == 2
    assert [mail_as_read(mail) for mail in mailoutbox] == at_filing


def test_nothing_is_sent_before_the_commit(
    member, make_ticket, support_page, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_ticket(member)
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mailoutbox] == [SUPPORT, ["member@example.com"]]


def test_a_rolled_back_ticket_mails_nobody(
    member, make_ticket, support_page, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_ticket(member)
        raise RuntimeError("rollback")
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.skipif(
    background.task is None, reason="no tasks framework (Django 5.2 without django-tasks)"
)
def test_mails_go_through_the_tasks_framework(file_ticket, mailoutbox):
    Task, task_enqueued = tasks_framework()

    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((task_result.task.module_path, task_result.args))

    task_enqueued.connect(receiver)
    try:
        ticket = file_ticket()
    finally:
        task_enqueued.disconnect(receiver)
    assert isinstance(notifications.send_ticket_created, Task)
    assert seen == [("avsoft_support.notifications.send_ticket_created", [ticket.pk])]


def test_customer_reply_goes_to_support(
    file_ticket, member, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, member, "Here is **more**.")
    [mail] = mailoutbox
    assert mail.to == SUPPORT
    assert mail.subject == f"Customer reply on ticket {ticket.number}: Export stops"
    assert "Here is **more**." in mail.body
    assert_in_html("<strong>more</strong>", html_of(mail))


def test_staff_reply_goes_to_the_customer_with_a_link(
    file_ticket, staff, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(
            ticket,
            staff,
            "Try this: <script>alert(1)</script> [x](javascript:alert(2))",
            from_staff=True,
        )
    [mail] = mailoutbox
    assert mail.to == ["member@example.com"]
    assert mail.subject == f"Support replied to your ticket {ticket.number}: Export stops"
    link = f"http://localhost/support/{ticket.number}/"
    assert link in mail.body
    html = html_of(mail)
    assert link in hrefs(html)
    assert "Hello Ivan Petrov," in mail.body
    assert select(html, "script") == []
    assert not [
        value
        for element in select(html, "*")
        for value in element.attrs.values()
        if "javascript:" in str(value)
    ]
    assert "<script>alert(1)</script>" in text_of(html)  # shown as the text it was
    # Support's admin link is for staff only.
    assert "/admin/" not in mail.body and "/admin/" not in html


def test_internal_note_mails_nobody(
    file_ticket, staff, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, staff, "between us", from_staff=True, internal=True)
    assert mailoutbox == []


def test_status_change_by_staff_goes_to_the_customer(
    file_ticket, staff, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.set_status(ticket, TicketStatus.RESOLVED, staff)
    [mail] = mailoutbox
    assert mail.to == ["member@example.com"]
    assert mail.subject == f"Your ticket {ticket.number} is now: Resolved"
    assert "changed from “New” to “Resolved”" in mail.body
    assert "reply on the ticket page and the ticket opens again" in mail.body
    assert f"http://localhost/support/{ticket.number}/" in hrefs(html_of(mail))


def test_customer_closing_their_ticket_mails_nobody(
    file_ticket, member, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.set_status(ticket, TicketStatus.CLOSED, member)
    assert mailoutbox == []


def test_no_support_addresses_no_support_mail_and_a_warning(
    file_ticket, support_settings, mailoutbox, caplog
):
    support_settings.notification_emails = ""
    support_settings.save()
    with caplog.at_level("WARNING", logger="avsoft_support.notifications"):
        ticket = file_ticket()
    # The customer's receipt still goes.
    assert [m.to for m in mailoutbox] == [["member@example.com"]]
    assert f"no support address was mailed about ticket {ticket.number}" in caplog.text


def test_mails_carry_no_secrets(
    file_ticket, staff, member, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = file_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, staff, "SECRET NOTE", from_staff=True, internal=True)
        tickets.add_message(ticket, staff, "Public answer", from_staff=True)
        tickets.add_message(ticket, member, "Thanks")
    for mail in mailoutbox:
        for part in (mail.subject, mail.body, html_of(mail)):
            assert "SECRET NOTE" not in part
            assert member.password not in part


def test_admin_link_is_left_out_without_the_staff_views(file_ticket, settings):
    ticket = file_ticket()
    settings.ROOT_URLCONF = "avsoft_support.urls"
    assert notifications.staff_ticket_url(ticket) == ""


@pytest.fixture
def other_site(site, support_page):
    """A second Wagtail site with its own support page and its own support address."""
    from wagtail.models import Page, Site

    from tests.testapp.models import HomePage

    home = Page.get_first_root_node().add_child(instance=HomePage(title="Other", slug="other-home"))
    other = Site.objects.create(
        hostname="help.other.example", port=80, root_page=home, site_name="Other"
    )
    page = home.add_child(instance=SupportPage(title="Help desk", slug="helpdesk"))
    desk = SupportSettings.for_site(other)
    desk.notification_emails = "desk@other.example"
    desk.save()
    return other, page


def staff_reply_mail(ticket, staff, mailoutbox, capture, body="Fixed."):
    """The one mail a public staff reply sends the customer."""
    mailoutbox.clear()
    with capture(execute=True):
        tickets.add_message(ticket, staff, body, from_staff=True)
    [mail] = mailoutbox
    return mail


def test_a_ticket_filed_on_another_site_mails_that_sites_desk_with_its_links(
    client,
    member,
    staff,
    product,
    support_settings,
    other_site,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _other, page = other_site
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/helpdesk/new/", ticket_form_data(product), HTTP_HOST="help.other.example"
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.support_page.pk == page.pk
    mail, receipt = mailoutbox
    assert mail.to == ["desk@other.example"]
    assert f"http://help.other.example/helpdesk/{ticket.number}/" in receipt.body

    mail = staff_reply_mail(ticket, staff, mailoutbox, django_capture_on_commit_callbacks)
    assert f"http://help.other.example/helpdesk/{ticket.number}/" in mail.body
    assert "http://localhost/" not in mail.body


def test_when_the_filing_page_is_gone_links_go_to_its_sites_other_support_page(
    member, staff, make_ticket, other_site, mailoutbox, django_capture_on_commit_callbacks
):
    _other, page = other_site
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(member, support_page=page)
    assert [m.to for m in mailoutbox] == [["desk@other.example"], [member.email]]
    page.unpublish()
    second = page.get_parent().add_child(instance=SupportPage(title="Desk", slug="desk"))

    mail = staff_reply_mail(ticket, staff, mailoutbox, django_capture_on_commit_callbacks)
    assert f"http://help.other.example/desk/{ticket.number}/" in mail.body

    second.unpublish()
    mail = staff_reply_mail(ticket, staff, mailoutbox, django_capture_on_commit_callbacks)
    # No live support page left on that site: any live one shows the member their tickets.
    assert f"http://localhost/support/{ticket.number}/" in mail.body
