"""axe-core in Chromium on every customer page, in Russian and in English, and on the app's own
admin screens for a verified support staff member: no serious or critical violation of WCAG 2.0,
2.1 and 2.2 A/AA (target size included).

axe is the axe.min.js that axe-playwright-python bundles, injected with ``page.evaluate``: the
DevTools protocol runs it beside the page's Content-Security-Policy, so the pages are checked as
they are served (no ``bypass_csp``). One browser; each kind of visitor has one context, logged in
by its session cookie, and walks its pages in turn. Each test fails once, at its end, listing
every page's violations: the rule, its help text and the selectors of the failing elements.
"""

import re

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avsoft_support import tickets
from avsoft_support.clients import status as client_status
from avsoft_support.models import ClientAccount, ClientInvoiceNumber
from tests.utils import PASSWORD, totp_token

pytestmark = pytest.mark.django_db(transaction=True)

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    # WCAG 2.2's target size (2.5.8) is off in axe unless asked for.
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
SERIOUS = {"serious", "critical"}
# Violations inside Wagtail's own admin chrome (its sidebar, header, listing and form markup),
# which our templates cannot change: (rule id, regular expression on the node's selector) pairs,
# left out on admin pages only, each with a comment naming the Wagtail element and why. None
# today: Wagtail 8's chrome passes as it is.
WAGTAIL_CHROME_EXCLUSIONS = ()


def axe_violations(page, exclude=()):
    """The serious and critical violations axe finds on the page as it is now.

    ``exclude``: (rule id, selector pattern) pairs left out, for markup that is not ours.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    assert results["passes"], f"axe checked nothing on {page.url}"
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        nodes = [
            node
            for node in violation["nodes"]
            if not any(
                violation["id"] == rule and re.search(pattern, " ".join(map(str, node["target"])))
                for rule, pattern in exclude
            )
        ]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def describe(name, url, violations):
    lines = [f"{name} ({url}):"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"      {' '.join(map(str, node['target']))}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)


FINISH_ANIMATIONS = """() => Promise.race([
    Promise.all(
        document.getAnimations()
            .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
            .map((a) => a.finished.catch(() => null))
    ),
    new Promise((resolve) => setTimeout(resolve, 1500)),
])"""


class Audit:
    """Checks page after page and fails once at the end, listing every page's violations.

    ``exclude``: (rule id, selector pattern) pairs left out on every page of this audit.
    """

    def __init__(self, exclude=()):
        self.exclude = exclude
        self.reports = []

    def check(self, page, name):
        page.wait_for_load_state("load")
        # Axe reads colours as drawn: in the middle of a fade (Wagtail's messages fade in) a
        # half-drawn red failed the contrast rule now and then. Finite animations end first.
        page.evaluate(FINISH_ANIMATIONS)
        violations = axe_violations(page, self.exclude)
        if violations:
            self.reports.append(describe(name, page.url, violations))

    def assert_clean(self):
        assert not self.reports, "axe found serious or critical violations:\n\n" + "\n\n".join(
            self.reports
        )


TOO_BIG = b"z" * (301 * 1024)
CSV_HEADER = "company;invoice_numbers;contact_emails;active\n"
CSV_WITH_ERRORS = CSV_HEADER + "Good Co;G-1;good@example.com;yes\n;X-1;;maybe\n"
CSV_VALID = CSV_HEADER + "Vector LLC;INV-7;buh@vector.example;yes\n"


def submit(page, form="main form.avs-form"):
    """Sends the page's form as it is and waits for the answer."""
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").first.click()


def test_the_check_runs_under_our_policy_and_finds_what_it_should(page, live_server, support_page):
    """The control: on a page sent with our strict policy, axe is injected and reports an
    unlabelled field and a target smaller than 24 × 24 px, each with its selector."""
    response = page.goto(live_server.url + "/support/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
        const main = document.querySelector("main");
        const field = document.createElement("input");
        field.id = "unlabelled";
        const tiny = document.createElement("button");
        tiny.id = "tiny";
        tiny.textContent = "x";
        tiny.style.cssText = "width: 10px; height: 10px; padding: 0; font-size: 6px";
        const other = tiny.cloneNode(true);
        other.id = "tiny-too";
        main.append(field, tiny, other);
    }"""
    )
    found = {v["id"]: [n["target"] for n in v["nodes"]] for v in axe_violations(page)}
    assert found["label"] == [["#unlabelled"]]
    assert ["#tiny"] in found["target-size"]
    assert "#unlabelled" in describe("support page", page.url, axe_violations(page))


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_visitor_pages(browser, live_server, locale, support_page, support_settings, make_member):
    make_member()
    audit = Audit()
    context = browser.new_context(locale=locale)
    page = context.new_page()
    url = live_server.url

    page.goto(url + "/")
    audit.check(page, "home page, visitor (corner login box)")
    page.goto(url + "/support/")
    audit.check(page, "support page, visitor")

    page.goto(url + reverse("avsoft_support:login"))
    audit.check(page, "login page")
    page.locator("main input[name=username]").fill("member")
    page.locator("main input[name=password]").fill("not-the-password")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "login page, wrong password")

    page.goto(url + reverse("avsoft_support:register"))
    audit.check(page, "registration")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "registration, with errors")

    page.goto(url + reverse("avsoft_support:password_reset"))
    audit.check(page, "password reset request")
    page.locator("main input[name=email]").fill("member@example.com")
    submit(page)
    expect(page).to_have_url(url + reverse("avsoft_support:password_reset_done"))
    audit.check(page, "password reset, done")

    context.close()
    audit.assert_clean()


@pytest.fixture
def member_with_tickets(make_member, make_ticket, support_staff, site):
    """A member with an open ticket (a conversation, files both ways) and a closed one; a help
    article the new-ticket form suggests."""
    from tests.testapp.models import HelpPage

    site.root_page.add_child(instance=HelpPage(title="Экспорт в PDF", body="<p>PDF</p>"))
    member = make_member(username="member", full_name="Ivan Petrov")
    ticket = make_ticket(
        member,
        subject="Экспорт останавливается на 50%",
        files=[("support.log", b"log " * 100), ("screenshot.png", b"\x89PNG" + b"0" * 500)],
        steps_to_problem="Opened `big.dat`, pressed **Export**.",
        steps_to_reproduce="1. Open big.dat\n2. Export to PDF\n\nSee https://example.com/kb/42",
    )
    tickets.add_message(
        ticket,
        support_staff,
        "Please attach the log:\n\n```\nC:\\ProgramData\\AVSoft\\support.log\n```",
        [SimpleUploadedFile("export-settings.xml", b"<settings/>")],
        from_staff=True,
    )
    tickets.add_message(ticket, member, "Here it is.")
    closed = make_ticket(member, subject="Old licence question")
    tickets.set_status(closed, "closed", member, notify=False)
    return member, ticket, closed


def ticket_pages(audit, page, url, ticket, closed, every=True):
    """A member's pages with tickets; ``every=False``: the main ones."""
    page.goto(url + "/support/")
    expect(page.locator(".avs-tickets")).to_be_visible()
    audit.check(page, "support page, member with tickets")
    page.goto(url + f"/support/{ticket.number}/")
    expect(page.locator(".avs-attachments").first).to_be_visible()
    audit.check(page, "ticket page (conversation, attachments)")
    page.goto(url + "/support/new/")
    audit.check(page, "new-ticket form")
    # Help articles suggested as the subject is typed (help-suggestions.js, a live region).
    page.locator("main input[name=subject]").fill("экспорт PDF")
    expect(page.locator(".avs-help-suggestions__item").first).to_be_visible()
    audit.check(page, "new-ticket form, help articles suggested")
    # "Send ticket": the form's first button is "See related articles".
    submit(page, "main form.avs-ticket-form .avs-actions")
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "new-ticket form, with errors")
    if every:
        # ticket-form.js lists the chosen files and refuses a too-large one before any upload.
        page.locator("main input[type=file]").set_input_files(
            [
                {"name": "small.log", "mimeType": "text/plain", "buffer": b"log"},
                {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": TOO_BIG},
            ]
        )
        expect(page.locator(".avs-file-errors")).to_be_visible()
        audit.check(page, "new-ticket form, a file too large")
    page.goto(url + reverse("avsoft_support:profile"))
    audit.check(page, "personal section (profile)")
    if not every:
        return
    page.locator("main input[name=full_name]").fill("")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "personal section, with errors")
    page.goto(url + f"/support/{ticket.number}/")
    submit(page, "main form.avs-reply-form")
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "ticket page, empty reply refused")
    page.locator("main textarea[name=body]").fill("Thank you, it works now.")
    submit(page, "main form.avs-reply-form")
    expect(page.locator(".avs-messages")).to_be_visible()
    audit.check(page, "ticket page, reply sent (message)")
    page.goto(url + f"/support/{ticket.number}/close/")
    audit.check(page, "close confirmation")
    page.goto(url + f"/support/{closed.number}/")
    expect(page.locator(".avs-closed-note")).to_be_visible()
    audit.check(page, "closed ticket page")
    page.goto(url + "/support/2000-99999/")
    audit.check(page, "ticket not found")


def two_factor_pages(audit, page, url, user):
    """A member turns on two-factor authentication, then logs in with a code."""
    page.goto(url + reverse("avsoft_support:member_otp_index"))
    audit.check(page, "two-factor authentication, off")
    page.goto(url + reverse("avsoft_support:member_otp_setup"))
    audit.check(page, "two-factor setup (QR code)")
    submit(page)  # no code: a wrong one would hold the next try back for a second
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "two-factor setup, no code")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.locator("main input[name=code]").fill(totp_token(device))
    submit(page)
    expect(page.locator(".avs-otp-backup-codes")).to_be_visible()
    audit.check(page, "two-factor backup codes")
    page.goto(url + reverse("avsoft_support:member_otp_index"))
    audit.check(page, "two-factor authentication, on")
    page.goto(url + reverse("avsoft_support:member_otp_regenerate"))
    audit.check(page, "two-factor, new backup codes")
    page.goto(url + reverse("avsoft_support:member_otp_disable"))
    audit.check(page, "two-factor, turn off")

    page.context.clear_cookies()
    page.goto(url + reverse("avsoft_support:login"))
    page.locator("main input[name=username]").fill(user.get_username())
    page.locator("main input[name=password]").fill(PASSWORD)
    submit(page)
    expect(page).to_have_url(url + reverse("avsoft_support:member_otp_verify"))
    audit.check(page, "login, second step (code)")
    page.locator("main input[name=code]").fill("000000")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "login, second step, wrong code")


def test_member_pages(
    logged_in_context,
    live_server,
    support_page,
    support_settings,
    product,
    make_member,
    member_with_tickets,
):
    member, ticket, closed = member_with_tickets
    newcomer = make_member(username="newcomer", full_name="Anna Smirnova")
    audit = Audit()
    url = live_server.url

    context = logged_in_context(newcomer, "ru-RU")
    page = context.new_page()
    page.goto(url + "/")
    expect(page.locator(".avs-login-box__name")).to_be_visible()
    audit.check(page, "home page, member (corner login box)")
    page.goto(url + "/support/")
    expect(page.locator(".avs-empty")).to_be_visible()
    audit.check(page, "support page, member without tickets (empty state)")
    two_factor_pages(audit, page, url, newcomer)
    context.close()

    context = logged_in_context(member, "en-US")
    ticket_pages(audit, context.new_page(), url, ticket, closed, every=False)
    context.close()
    context = logged_in_context(member, "ru-RU")
    ticket_pages(audit, context.new_page(), url, ticket, closed)
    context.close()
    audit.assert_clean()


def test_personal_data_pages(logged_in_context, live_server, site, support_settings, make_member):
    """Registration with the consent to the privacy policy, and deleting one's account."""
    from tests.testapp.models import HomePage

    policy = site.root_page.add_child(instance=HomePage(title="Политика", slug="privacy"))
    support_settings.privacy_policy_page = policy
    support_settings.save()
    member = make_member()
    audit = Audit()
    url = live_server.url

    context = logged_in_context(member, "ru-RU")
    page = context.new_page()
    page.goto(url + reverse("avsoft_support:delete_account"))
    audit.check(page, "delete my account")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "delete my account, with errors")
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=confirm]").check()
    submit(page)
    expect(page).to_have_url(url + reverse("avsoft_support:account_deleted"))
    audit.check(page, "account deleted")

    page.goto(url + reverse("avsoft_support:register"))
    expect(page.locator("main input[name=consent]")).to_have_count(1)
    audit.check(page, "registration with the consent to the privacy policy")
    submit(page)
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "registration with the consent, with errors")
    context.close()
    audit.assert_clean()


def test_admin_screens(
    logged_in_context,
    live_server,
    support_page,
    support_settings,
    product,
    make_member,
    support_staff,
    member_with_tickets,
):
    member, ticket, _closed = member_with_tickets
    tickets.add_message(ticket, support_staff, "Asked the lab.", from_staff=True, internal=True)
    account = ClientAccount.objects.create(company="Ромашка", contact_emails="buh@romashka.example")
    ClientInvoiceNumber.objects.create(account=account, number="INV-1")
    client_status.apply_invoice_number(member.support_profile, "INV-1")
    claimant = make_member(username="claimant", full_name="Clara Claimed")
    client_status.apply_invoice_number(claimant.support_profile, "UNKNOWN-5")
    audit = Audit(exclude=WAGTAIL_CHROME_EXCLUSIONS)
    url = live_server.url

    # The second step of the sign-in (our page in Wagtail's login layout).
    context = logged_in_context(support_staff, "ru-RU")
    page = context.new_page()
    page.goto(url + reverse("avsoft_support_otp:verify"))
    audit.check(page, "admin: two-factor code")
    context.close()

    context = logged_in_context(support_staff, "ru-RU", staff=True)
    page = context.new_page()
    page.goto(url + reverse("wagtailadmin_home"))
    expect(page.locator("#wagtail-sidebar")).to_have_count(1)
    audit.check(page, "admin: dashboard (support queue panel)")
    triage = reverse("avsoft_support_tickets:list")
    page.goto(url + triage)
    expect(page.locator("table.listing tbody tr")).to_have_count(1)
    audit.check(page, "admin: triage list")
    page.goto(url + f"/admin/bulk/avsoft_support/ticket/set_status/?id={ticket.pk}&next={triage}")
    audit.check(page, "admin: bulk status change")
    page.goto(url + reverse("avsoft_support_tickets:edit", args=[ticket.pk]))
    audit.check(page, "admin: ticket screen")
    submit(page, "main form.avs-reply-form")
    expect(page.locator(".avs-error-summary")).to_be_visible()
    audit.check(page, "admin: ticket screen, empty reply refused")
    page.goto(url + reverse("avsoft_support_clients:list"))
    audit.check(page, "admin: clients list")
    page.goto(url + reverse("avsoft_support_clients:members"))
    audit.check(page, "admin: members and claims")
    page.goto(url + reverse("avsoft_support_clients:verify", args=[claimant.support_profile.pk]))
    audit.check(page, "admin: verify a member")
    page.goto(url + reverse("avsoft_support_clients:import"))
    audit.check(page, "admin: client import")
    for name, text in (("with errors", CSV_WITH_ERRORS), ("preview", CSV_VALID)):
        page.locator("main input[type=file]").set_input_files(
            {"name": "clients.csv", "mimeType": "text/csv", "buffer": text.encode()}
        )
        submit(page, "main form[enctype]")
        expect(page.locator(".avs-import-table")).to_be_visible()
        audit.check(page, f"admin: client import, {name}")
    page.goto(url + reverse("avsoft_support_otp:manage"))
    audit.check(page, "admin: two-factor authentication")
    context.close()
    audit.assert_clean()
