"""Who reaches what in the admin: the "Support staff" group, editors, customers; and the
editors' side: support pages with preview, the product list."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page
from wagtail.test.utils.form_data import nested_form_data, rich_text

from avsoft_support.models import Product, SupportPage
from tests.test_admin_triage import menu_labels
from tests.utils import otp_login

SUPPORT_URLS = [
    "/admin/support/tickets/",
    "/admin/support/clients/",
    "/admin/support/clients/import/",
    "/admin/support/clients/members/",
    "/admin/support/canned-replies/",
]


def test_the_support_staff_group_holds_exactly_what_staff_need(db):
    group = Group.objects.get(name="Support staff")
    perms = set(group.permissions.values_list("content_type__app_label", "codename"))
    ours = {perm for perm in perms if perm[0] in ("avsoft_support", "wagtailadmin")}
    # (Wagtail's own later migrations may add "choose" image/document permissions to groups.)
    assert ours == {
        ("wagtailadmin", "access_admin"),
        ("avsoft_support", "view_ticket"),
        ("avsoft_support", "change_ticket"),
        ("avsoft_support", "add_clientaccount"),
        ("avsoft_support", "change_clientaccount"),
        ("avsoft_support", "view_clientaccount"),
        ("avsoft_support", "add_clientinvoicenumber"),
        ("avsoft_support", "change_clientinvoicenumber"),
        ("avsoft_support", "view_clientinvoicenumber"),
        ("avsoft_support", "add_product"),
        ("avsoft_support", "change_product"),
        ("avsoft_support", "view_product"),
        ("avsoft_support", "add_cannedreply"),
        ("avsoft_support", "change_cannedreply"),
        ("avsoft_support", "delete_cannedreply"),
        ("avsoft_support", "view_cannedreply"),
        ("avsoft_support", "verify_client"),
        # Migration 0009: the production calendar, to look at (keeping it is a manager's).
        ("avsoft_support", "view_calendarday"),
    }


def test_support_staff_reach_every_support_screen(verified_staff_client, make_admin_ticket):
    ticket = make_admin_ticket()
    for url in [*SUPPORT_URLS, reverse("avsoft_support_tickets:edit", args=[ticket.pk])]:
        assert verified_staff_client.get(url).status_code == 200, url


@pytest.fixture
def editor(make_staff, site):
    """Like Wagtail's "Editors": admin access and page permissions, no support permissions."""
    user = make_staff(username="editor", first_name="Elena", last_name="Editor")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_editors_see_no_support_menu_and_no_tickets(client, editor, make_admin_ticket):
    ticket = make_admin_ticket()
    otp_login(client, editor)
    labels = menu_labels(client.get("/admin/"))
    assert "Support" not in labels and "Tickets" not in labels
    for url in [
        *SUPPORT_URLS,
        reverse("avsoft_support_tickets:edit", args=[ticket.pk]),
        reverse("avsoft_support_tickets:history", args=[ticket.pk]),
        reverse("avsoft_support_tickets:inspect", args=[ticket.pk]),
    ]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url
    response = client.post(
        reverse("avsoft_support_tickets:edit", args=[ticket.pk]),
        {"action": "reply", "reply-kind": "reply", "reply-body": "Hi"},
    )
    assert response.status_code in (302, 403)
    assert ticket.messages.count() == 1


def test_customers_cannot_enter_the_admin(client, member, make_admin_ticket):
    ticket = make_admin_ticket(author=member)
    client.force_login(member)
    for url in (
        "/admin/",
        "/admin/support/tickets/",
        reverse("avsoft_support_tickets:edit", args=[ticket.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_staff_without_the_second_factor_reach_no_ticket(client, support_staff, make_admin_ticket):
    ticket = make_admin_ticket()
    client.force_login(support_staff)  # password only, no OTP step
    for url in (
        "/admin/support/tickets/",
        reverse("avsoft_support_tickets:edit", args=[ticket.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert not response["Location"].startswith("/admin/support/"), url


def test_editors_with_product_permissions_keep_the_product_list(client, editor):
    for codename in ("add_product", "change_product", "view_product"):
        editor.user_permissions.add(Permission.objects.get(codename=codename))
    otp_login(client, editor)
    labels = menu_labels(client.get("/admin/"))
    assert "Products" in labels and "Tickets" not in labels and "Clients" not in labels
    response = client.post("/admin/support/products/add/", {"name": "Analyzer", "active": "on"})
    assert response.status_code == 302
    product = Product.objects.get(name="Analyzer")
    response = client.post(
        f"/admin/support/products/edit/{product.pk}/", {"name": "Analyzer Pro", "active": ""}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.active) == ("Analyzer Pro", False)
    assert client.get("/admin/support/tickets/").status_code == 302


def support_page_form(**overrides):
    data = {
        "title": "Support",
        "slug": "support",
        "intro": rich_text("<p>We answer within a working day.</p>"),
        "filing_rules": rich_text("<p>One problem per ticket.</p>"),
        "thank_you_text": rich_text("<p>Thank you.</p>"),
        "help_subject": "In a few words",
    }
    for name in (
        "product",
        "product_version",
        "os_version",
        "criticality",
        "description",
        "steps_to_problem",
        "steps_to_reproduce",
        "invoice_number",
        "attachments",
    ):
        data.setdefault(f"help_{name}", "")
    data.update(overrides)
    return nested_form_data(data)


def test_editors_create_edit_and_preview_the_support_page(client, editor, site):
    home = site.root_page
    assert GroupPagePermission.objects.filter(group__name="Editors").exists()
    otp_login(client, editor)

    add_url = reverse("wagtailadmin_pages:add", args=["avsoft_support", "supportpage", home.pk])
    assert client.get(add_url).status_code == 200

    # Preview before saving.
    preview_url = reverse(
        "wagtailadmin_pages:preview_on_add", args=["avsoft_support", "supportpage", home.pk]
    )
    response = client.post(preview_url, support_page_form())
    assert response.json() == {"is_valid": True, "is_available": True}
    response = client.get(preview_url)
    assert response.status_code == 200
    assert "We answer within a working day." in response.content.decode()

    response = client.post(add_url, support_page_form())
    assert response.status_code == 302
    page = SupportPage.objects.get(slug="support")
    assert page.get_parent().pk == home.pk

    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url, support_page_form(intro=rich_text("<p>Now within four hours.</p>"))
    )
    assert response.status_code == 302
    page = Page.objects.get(pk=page.pk).specific
    assert "Now within four hours." in page.get_latest_revision_as_object().intro

    edit_preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    response = client.post(
        edit_preview_url, support_page_form(intro=rich_text("<p>Draft text</p>"))
    )
    assert response.json()["is_valid"] is True
    response = client.get(edit_preview_url)
    assert response.status_code == 200
    assert "Draft text" in response.content.decode()
