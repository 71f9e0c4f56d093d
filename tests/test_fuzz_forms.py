"""Every form of the desk, the customer's and the staff's, driven through real requests (the
Django test client) with whatever can be typed or sent: NUL and other control characters,
right-to-left overrides, markup, huge strings up to the fields' limits and past them, odd file
names and small files.

Whatever comes in, the answer is a page: never a server error, never Django's bare "Bad
Request (400)", never a redirect off the site. And nothing is half saved: a form either saved
everything (the ticket, its message and each of its files) or nothing, and no file stays in the
storage without its row.

Each example runs in its own transaction (Hypothesis's Django TestCase), on the data the class
sets up once; the files a saved example wrote are deleted after it. Marked ``fuzz``: the first
SQLite run of scripts/run-tests runs it, the PostgreSQL and LTS runs leave it out.
"""

import csv
import io
import os
from urllib.parse import urlsplit

import pytest
import swapper
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from wagtail.models import Locale, Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from avsoft_support import tickets
from avsoft_support.conf import app_settings
from avsoft_support.models import (
    Attachment,
    CannedReply,
    ClientAccount,
    ClientInvoiceNumber,
    MemberProfile,
    Message,
    Product,
    SupportSettings,
    Ticket,
    TicketStatus,
)
from tests.conftest import support_staff_group
from tests.utils import PASSWORD, otp_login, stored_attachment_files

pytestmark = pytest.mark.fuzz

User = get_user_model()

# Hypothesis's own settings for every form: no deadline (a request's time varies), no example
# database (nothing written into the checkout), and no health check about slow or large data
# (huge strings are the point).
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The examples of each form below add up to more than 10,000; AVSOFT_FUZZ_SCALE (a factor,
# default 1) runs more or fewer of them, say 0.1 while writing a test.
SCALE = float(os.environ.get("AVSOFT_FUZZ_SCALE", "1"))


def fuzz(count):
    """The settings of a form's test: ``count`` examples (times AVSOFT_FUZZ_SCALE)."""
    return settings(FUZZ, max_examples=max(1, int(count * SCALE)))


# What people and robots paste: NUL and other controls, line breaks of every kind, the bidi
# overrides, zero-width characters, combining marks, markup, template syntax and Markdown.
SPECIAL = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\u2028",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200f",
    "\ufeff",
    "\u0301",
    "\U0001f600",
    "Ж",
    "ё",
    "<script>alert(1)</script>",
    "<b>",
    "&amp;",
    '"',
    "'",
    "%",
    "%s",
    "%(x)s",
    "\\",
    "/",
    "..",
    "{{ x }}",
    "{% x %}",
    "```",
    "**",
    "[a](javascript:alert(1))",
    ";",
    ",",
    "@",
    "INV-1",
]
PIECES = st.one_of(st.sampled_from(SPECIAL), st.characters(exclude_categories=("Cs",)))


def junk(min_size=0, max_size=30):
    return st.lists(PIECES, min_size=min_size, max_size=max_size).map("".join)


SHORT = junk()


def huge(limit):
    """Strings around a field's limit and past it, made by repeating a piece (cheap to make)."""
    return st.builds(
        lambda piece, length: (piece * (length // len(piece) + 1))[:length],
        junk(min_size=1, max_size=3),
        st.integers(min_value=max(limit - 2, 1), max_value=limit * 2 + 10),
    )


def text(limit=None, valid=None):
    """Anything for a field: short junk, a string near or past ``limit``, or a valid value."""
    options = [SHORT]
    if limit:
        options.append(huge(limit))
    if valid is not None:
        options.append(st.just(valid))
    return st.one_of(*options)


def browser_file_name(name):
    """What a browser sends for a file of that name: a name a file system allows (no NUL or
    "/", at most 255 UTF-16 units, as on NTFS), with quotes and line breaks percent-encoded
    (the HTML standard's multipart encoding); the test client writes the name into the part's
    header as it is. Longer part headers (over 1 KB) are not a browser's: Django answers
    those with a bare 400, as it should."""
    name = name.replace("\x00", "").replace("/", "")[:255]
    while len(name.encode("utf-16-le")) > 2 * 255:
        name = name[:-1]
    if name in ("", ".", ".."):
        return "file"
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


FILE_NAMES = st.one_of(
    junk(min_size=1, max_size=20),
    huge(255),
    st.sampled_from(["a.log", "..", ".", "con.txt", "file", "a.tar.gz", "x" * 300 + ".log"]),
)
FILES = st.lists(
    st.tuples(FILE_NAMES, st.one_of(st.binary(max_size=64), st.just(b"x" * (300 * 1024 + 1)))),
    max_size=6,
)


def uploads(files):
    """The files as the browser sends them, and how many of them Django keeps: it drops a file
    whose name is nothing but characters it removes (controls, zero-width and other format
    characters) without a word, so the form never sees it.

    Such a file is kept small here. Django 6.1's multipart parser skips its part without
    reading it to the end: past about 64 KB the rest of the file is read as the next part's
    headers and the whole request is answered with a bare 400 (a Django bug, not ours; a name
    made only of such characters is rare)."""
    sent, kept = [], 0
    for name, content in files:
        name = browser_file_name(name)
        if MultiPartParser.sanitize_file_name(None, name):
            kept += 1
        else:
            content = content[:64]
        sent.append(SimpleUploadedFile(name, content, content_type="application/octet-stream"))
    return sent, kept


# Every counter far out of reach: the forms, not the limits, are under test.
RATE_LIMITS = dict.fromkeys(
    (
        "login_ip",
        "login_account",
        "register_ip",
        "register_account",
        "password_reset_ip",
        "password_reset_account",
        "confirmation_resend_ip",
        "confirmation_resend_account",
    ),
    (10**9, 60),
)


def build_site():
    """The test app's page tree and default site (as conftest's ``site`` fixture makes it)."""
    from tests.testapp.models import HomePage

    Page = swapper.load_model("wagtailcore", "Page")
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = HomePage.objects.filter(slug="home").first()
    if home is None:
        for child in root.get_children():
            child.delete()
        root.refresh_from_db()
        home = root.add_child(instance=HomePage(title="Home", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Test"},
    )
    site = Site.objects.get(is_default_site=True)
    SupportPage = swapper.load_model("avsoft_support", "SupportPage")
    page = SupportPage.objects.filter(slug="support").first() or site.root_page.add_child(
        instance=SupportPage(title="Support", slug="support")
    )
    return site, page


@override_settings(AVSOFT_SUPPORT_RATE_LIMITS=RATE_LIMITS)
class FormFuzz(TestCase):
    """The world every form works in: a site with its support page, a member with a ticket,
    a support staff member with a second factor, a client account, a canned reply."""

    @classmethod
    def setUpTestData(cls):
        cls.site, cls.page = build_site()
        support_settings = SupportSettings.for_site(cls.site)
        support_settings.notification_emails = "support@example.com"
        support_settings.save()
        cls.product = Product.objects.create(name="AVSoft Analyzer", active=True)
        cls.member = User.objects.create_user("member", "member@example.com", PASSWORD)
        MemberProfile.objects.create(
            user=cls.member, full_name="Ivan Petrov", email_confirmed_at=timezone.now()
        )
        cls.staff = User.objects.create_user(
            "supportstaff", "staff@example.com", PASSWORD, first_name="Sofia"
        )
        cls.staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
        cls.staff.groups.add(support_staff_group())
        cls.ticket = tickets.create_ticket(
            author=cls.member,
            profile=MemberProfile.objects.get(user=cls.member),
            data={
                "subject": "Export stops",
                "product": cls.product,
                "product_version": "5.2",
                "os_version": "Windows 11",
                "criticality": 3,
                "description": "It stops at 50%.",
                "steps_to_reproduce": "Export",
            },
            support_settings=support_settings,
            support_page=cls.page,
        )
        # One session each, made once: an example only sends its cookie.
        client = Client()
        client.force_login(cls.member)
        cls.member_session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        client = otp_login(Client(), cls.staff)
        cls.staff_session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        cls.canned = CannedReply.objects.create(title="Log", text="Please send the log.")
        cls.account = ClientAccount.objects.create(company="Romashka")
        ClientInvoiceNumber.objects.create(account=cls.account, number="INV-1")

    def log_in(self, session_key):
        self.client.cookies[django_settings.SESSION_COOKIE_NAME] = session_key

    # What every answer must be ----------------------------------------------------------------

    def assert_answered(self, response):
        assert response.status_code < 500, response.status_code
        assert b"<h1>Bad Request (400)</h1>" not in response.content
        if response.status_code in (301, 302, 303, 307, 308):
            # Read as a browser reads it: tabs and line breaks dropped, leading controls and
            # spaces stripped, backslashes taken for slashes. The host must stay ours ("//"
            # alone names no host: the browser goes nowhere).
            location = response["Location"]
            seen = "".join(ch for ch in location if ch not in "\t\r\n").lstrip(
                "".join(map(chr, range(33)))
            )
            seen = seen.replace("\\", "/")
            assert urlsplit(seen).netloc in ("", "testserver"), location

    def snapshot(self):
        return {
            "tickets": Ticket.objects.count(),
            "messages": Message.objects.count(),
            "attachments": Attachment.objects.count(),
            "files": stored_attachment_files(),
        }

    def assert_all_or_nothing(self, before, saved, *, tickets=0, messages=0, files=0):
        """Either the form saved all it should (``saved``) or nothing at all; the storage holds
        exactly the files of the attachment rows. Then the files this example wrote go."""
        after = self.snapshot()
        new_files = after["files"] - before["files"]
        try:
            assert before["files"] <= after["files"]
            expected = (tickets, messages, files) if saved else (0, 0, 0)
            assert (
                after["tickets"] - before["tickets"],
                after["messages"] - before["messages"],
                after["attachments"] - before["attachments"],
                len(new_files),
            ) == (*expected, expected[2])
            rows = set(Attachment.objects.values_list("file", flat=True))
            assert new_files <= rows
        finally:
            storage = storages[app_settings.ATTACHMENT_STORAGE]
            for name in new_files:
                storage.delete(name)


class TestCustomerForms(FormFuzz):
    @fuzz(2600)
    @given(
        username=text(254, valid="member"),
        password=text(200, valid=PASSWORD),
        next_url=st.one_of(
            SHORT, st.sampled_from(["/support/", "//evil.example/", "https://evil.example/"])
        ),
    )
    def test_login(self, username, password, next_url):
        response = self.client.post(
            reverse("avsoft_support:login"),
            {"username": username, "password": password, "next": next_url},
        )
        self.assert_answered(response)
        assert response.status_code in (200, 302)

    @fuzz(1900)
    @given(
        username=text(254, valid="member"),
        password=text(200, valid=PASSWORD),
        token=st.one_of(st.none(), st.just("a" * 32), SHORT),
    )
    def test_login_box(self, username, password, token):
        # The corner box posts from cached pages without a token: login-widget.js adds the
        # one from the cookie; without JavaScript (or with a wrong token) there is none.
        client = Client(enforce_csrf_checks=True)
        data = {"username": username, "password": password, "next": "/"}
        if token is not None:
            client.cookies["csrftoken"] = "a" * 32
            data["csrfmiddlewaretoken"] = token
        response = client.post(reverse("avsoft_support:login"), data)
        self.assert_answered(response)
        assert response.status_code in (200, 302)

    @fuzz(700)
    @given(
        fields=st.fixed_dictionaries(
            {
                "username": text(150, valid="anna"),
                "email": text(254, valid="anna@example.com"),
                "password1": text(200, valid=PASSWORD),
                "password2": text(200, valid=PASSWORD),
                "full_name": text(200, valid="Anna Smirnova"),
                "company": text(200, valid=""),
                "phone": text(50, valid=""),
            }
        )
    )
    def test_registration(self, fields):
        users = User.objects.count()
        profiles = MemberProfile.objects.count()
        response = self.client.post(reverse("avsoft_support:register"), fields)
        self.assert_answered(response)
        saved = response.status_code == 302
        assert User.objects.count() - users == (1 if saved else 0)
        assert MemberProfile.objects.count() - profiles == (1 if saved else 0)

    @fuzz(2730)
    @given(email=text(254, valid="member@example.com"))
    def test_password_reset(self, email):
        response = self.client.post(reverse("avsoft_support:password_reset"), {"email": email})
        self.assert_answered(response)
        assert response.status_code in (200, 302)
        assert len(mail.outbox) <= 1

    @fuzz(450)
    @given(
        fields=st.fixed_dictionaries(
            {
                "full_name": text(200, valid="Ivan Petrov"),
                "company": text(200),
                "phone": text(50),
            }
        )
    )
    def test_profile(self, fields):
        self.log_in(self.member_session)
        before = MemberProfile.objects.get(user=self.member)
        response = self.client.post(reverse("avsoft_support:profile"), fields)
        self.assert_answered(response)
        after = MemberProfile.objects.get(user=self.member)
        if response.status_code == 302:
            assert after.full_name == fields["full_name"].strip()
        else:
            assert response.status_code == 200
            assert (after.full_name, after.company, after.phone) == (
                before.full_name,
                before.company,
                before.phone,
            )

    @fuzz(450)
    @given(number=text(64, valid="INV-1"))
    def test_invoice_number(self, number):
        self.log_in(self.member_session)
        response = self.client.post(
            reverse("avsoft_support:invoice_number"), {"invoice_number": number}
        )
        self.assert_answered(response)
        profile = MemberProfile.objects.get(user=self.member)
        if response.status_code == 302:
            assert profile.invoice_number == number.strip()
        else:
            assert response.status_code == 200 and profile.invoice_number == ""

    @fuzz(300)
    @given(
        fields=st.fixed_dictionaries(
            {
                "subject": text(200, valid="Export stops"),
                "product": st.one_of(st.just("PRODUCT"), st.just("other"), SHORT),
                "product_other": text(200, valid=""),
                "product_version": text(100, valid="5.2.1"),
                "os_version": text(200, valid="Windows 11"),
                "criticality": st.one_of(st.sampled_from(["1", "2", "3", "4"]), SHORT),
                "description": text(50000, valid="It stops."),
                "steps_to_problem": text(20000, valid=""),
                "steps_to_reproduce": text(20000, valid="1. Export"),
                "invoice_number": text(64, valid=""),
            }
        ),
        files=FILES,
    )
    def test_new_ticket(self, fields, files):
        self.log_in(self.member_session)
        if fields["product"] == "PRODUCT":
            fields["product"] = str(self.product.pk)
        sent, kept = uploads(files)
        before = self.snapshot()
        response = self.client.post(self.page.url + "new/", {**fields, "attachments": sent})
        self.assert_answered(response)
        saved = response.status_code == 302
        assert saved or response.status_code == 200
        self.assert_all_or_nothing(before, saved, tickets=1, messages=1, files=kept)

    @fuzz(300)
    @given(
        body=text(50000, valid="Still broken."),
        files=FILES,
        status=st.sampled_from(TicketStatus.values),
    )
    def test_reply(self, body, files, status):
        self.log_in(self.member_session)
        Ticket.objects.filter(pk=self.ticket.pk).update(status=status)
        sent, kept = uploads(files)
        before = self.snapshot()
        response = self.client.post(
            f"{self.page.url}{self.ticket.number}/reply/", {"body": body, "attachments": sent}
        )
        self.assert_answered(response)
        # Saved: back to the ticket, at the end of the conversation.
        saved = response.status_code == 302 and response["Location"].endswith("#conversation-end")
        assert saved or response.status_code in (200, 302)
        self.assert_all_or_nothing(before, saved, messages=1, files=kept)

    @fuzz(100)
    @given(
        extra=st.dictionaries(SHORT.filter(bool), SHORT, max_size=3),
        status=st.sampled_from(TicketStatus.values),
    )
    def test_close(self, extra, status):
        self.log_in(self.member_session)
        Ticket.objects.filter(pk=self.ticket.pk).update(status=status)
        response = self.client.post(f"{self.page.url}{self.ticket.number}/close/", extra)
        self.assert_answered(response)
        assert response.status_code == 302
        assert Ticket.objects.get(pk=self.ticket.pk).status == TicketStatus.CLOSED


class TestStaffForms(FormFuzz):
    @fuzz(220)
    @given(
        fields=st.fixed_dictionaries(
            {
                "action": st.one_of(st.just("reply"), SHORT),
                "reply-kind": st.one_of(st.sampled_from(["reply", "note"]), SHORT),
                "reply-body": text(50000, valid="Please send the log."),
                "controls-status": st.one_of(st.sampled_from(["", *TicketStatus.values]), SHORT),
                "controls-loaded_status": st.one_of(st.sampled_from(TicketStatus.values), SHORT),
                "controls-assignee": st.one_of(st.just(""), SHORT),
                "controls-criticality": st.one_of(st.sampled_from(["1", "3", "4"]), SHORT),
                "reply-canned_reply": st.one_of(st.just(""), st.just("CANNED"), SHORT),
            }
        ),
        insert_canned=st.booleans(),
        files=FILES,
    )
    def test_staff_reply_or_note(self, fields, insert_canned, files):
        self.log_in(self.staff_session)
        if fields["reply-canned_reply"] == "CANNED":
            fields["reply-canned_reply"] = str(self.canned.pk)
        if insert_canned:
            fields["insert_canned"] = "1"
        sent, kept = uploads(files)
        before = self.snapshot()
        response = self.client.post(
            reverse("avsoft_support_tickets:edit", args=[self.ticket.pk]),
            {**fields, "reply-files": sent},
        )
        self.assert_answered(response)
        saved = response.status_code == 302 and "#message-" in response["Location"]
        self.assert_all_or_nothing(before, saved, messages=1, files=kept)

    @fuzz(150)
    @given(
        company=text(255, valid="Vector LLC"),
        numbers=st.lists(text(64, valid="INV-2"), max_size=3),
        emails=text(2000, valid="buh@vector.example"),
        notes=text(5000, valid=""),
        active=st.booleans(),
    )
    def test_client_account(self, company, numbers, emails, notes, active):
        self.log_in(self.staff_session)
        accounts = ClientAccount.objects.count()
        invoice_numbers = ClientInvoiceNumber.objects.count()
        data = nested_form_data(
            {
                "company": company,
                "invoice_numbers": inline_formset([{"number": number} for number in numbers]),
                "contact_emails": emails,
                "notes": notes,
                **({"active": "on"} if active else {}),
            }
        )
        response = self.client.post(reverse("avsoft_support_clients:add"), data)
        self.assert_answered(response)
        if response.status_code == 302:
            assert ClientAccount.objects.count() == accounts + 1
            account = ClientAccount.objects.order_by("pk").last()
            assert account.invoice_numbers.count() == len([n for n in numbers if n.strip()])
        else:
            assert response.status_code == 200
            assert ClientAccount.objects.count() == accounts
            assert ClientInvoiceNumber.objects.count() == invoice_numbers

    @fuzz(220)
    @given(
        rows=st.lists(
            st.lists(text(300, valid="INV-9"), min_size=0, max_size=5), min_size=0, max_size=6
        ),
        header=st.booleans(),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "raw"]),
        raw=st.binary(max_size=200),
        name=FILE_NAMES,
        confirm=st.booleans(),
    )
    def test_csv_import(self, rows, header, encoding, raw, name, confirm):
        self.log_in(self.staff_session)
        out = io.StringIO()
        writer = csv.writer(out)
        if header:
            writer.writerow(["company", "invoice_numbers", "contact_emails", "active"])
        writer.writerows(rows)
        content = raw if encoding == "raw" else out.getvalue().encode(encoding, errors="replace")
        accounts = ClientAccount.objects.count()
        url = reverse("avsoft_support_clients:import")
        response = self.client.post(url, {"file": uploads([(name, content)])[0][0]})
        self.assert_answered(response)
        assert ClientAccount.objects.count() == accounts  # a preview saves nothing
        if confirm and response.status_code == 200 and response.context.get("confirm_form"):
            text_content = response.context["confirm_form"].initial["content"]
            response = self.client.post(url, {"content": text_content, "confirm": "1"})
            self.assert_answered(response)
            if response.status_code != 302:
                assert ClientAccount.objects.count() == accounts  # errors: nothing imported
