"""The customer pages run the same number of queries however much data there is."""

import django
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avsoft_support import tickets
from avsoft_support.models import Ticket


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user(
        "agent", "agent@example.com", "x", first_name="Olga"
    )
    user.user_permissions.add(Permission.objects.get(codename="change_ticket"))
    return django_user_model.objects.get(pk=user.pk)


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def add_messages(ticket, member, staff, count):
    for index in range(count):
        author, from_staff = (staff, True) if index % 2 else (member, False)
        tickets.add_message(
            ticket,
            author,
            f"Message {index}",
            [SimpleUploadedFile(f"file{index}.txt", b"x" * 10)],
            from_staff=from_staff,
        )


def test_ticket_list_with_1_and_60_tickets(
    client, member, staff, make_ticket, support_page, django_assert_num_queries
):
    first = make_ticket(member, subject="Ticket 0")
    tickets.add_message(first, staff, "answer", from_staff=True)
    client.force_login(member)
    client.get("/support/")  # warm the site caches every later request finds warm
    with_one = count_queries(client, "/support/")

    for index in range(1, 60):
        ticket = make_ticket(
            member, subject=f"Ticket {index}", product=None if index % 3 else first.product
        )
        if index % 2:
            tickets.add_message(ticket, staff, "answer", from_staff=True)
    assert Ticket.objects.count() == 60

    with django_assert_num_queries(with_one):
        response = client.get("/support/")
    assert response.content.decode().count('class="avs-ticket-row') == 20
    with django_assert_num_queries(with_one):
        client.get("/support/?page=3&show=all")
    with django_assert_num_queries(with_one):
        client.get("/support/?show=open")


def test_ticket_page_with_1_and_40_messages_with_files(
    client, member, staff, make_ticket, support_page, django_assert_num_queries
):
    ticket = make_ticket(member, files=[("first.txt", b"1")])
    client.force_login(member)
    path = f"/support/{ticket.number}/"
    client.get(path)
    with_one = count_queries(client, path)

    add_messages(ticket, member, staff, 39)
    assert ticket.messages.count() == 40

    with django_assert_num_queries(with_one):
        response = client.get(path)
    content = response.content.decode()
    assert content.count('class="avs-message-item ') == 40
    assert content.count("/account/attachments/") == 40


def test_new_ticket_form_does_not_grow_with_products(
    client, member, support_page, django_assert_num_queries
):
    from avsoft_support.models import Product

    Product.objects.create(name="P0")
    client.force_login(member)
    client.get("/support/new/")
    with_one = count_queries(client, "/support/new/")
    for index in range(1, 30):
        Product.objects.create(name=f"P{index}")
    with django_assert_num_queries(with_one):
        client.get("/support/new/")


@pytest.mark.skipif(django.VERSION < (6, 1), reason="fetch modes arrived in Django 6.1")
def test_no_lazy_loads_in_what_the_pages_show(member, staff, make_ticket, support_page):
    """With FETCH_RAISE, touching anything the templates show that was not fetched would raise."""
    from django.db.models import FETCH_RAISE

    ticket = make_ticket(member, files=[("a.txt", b"a")])
    add_messages(ticket, member, staff, 3)

    for item in Ticket.objects.for_member(member).member_list().fetch_mode(FETCH_RAISE):
        assert all((item.number, item.subject, item.product_name, item.get_status_display()))
        assert item.has_unseen_reply in (True, False)

    for message in ticket.messages.public().conversation().fetch_mode(FETCH_RAISE):
        assert message.body
        if message.from_staff:
            assert message.author.first_name == "Olga"
        for attachment in message.attachments.all():
            assert all((attachment.pk, attachment.original_name, attachment.size))
