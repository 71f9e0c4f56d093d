"""Consent to the processing of personal data at registration, when the site names a policy."""

import pytest
import swapper
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from avsoft_support.models import MemberProfile, SupportSettings
from tests.test_account_register import registration
from tests.utils import field_value, find_one, otp_login, select, text_of

# The policy page is of the site's base page model: run with a site's own one too.
pytestmark = pytest.mark.custom_base_page

User = get_user_model()
REGISTER = reverse("avsoft_support:register")
CONSENT_ERROR = "Please tick the box to consent to the processing of your personal data"


@pytest.fixture
def policy_page(site):
    """A published privacy policy page, named in the site's Support settings."""
    Page = swapper.load_model("wagtailcore", "Page")
    page = site.root_page.add_child(instance=Page(title="Privacy policy", slug="privacy"))
    page.save_revision().publish()
    page.refresh_from_db()
    support_settings = SupportSettings.for_site(site)
    support_settings.privacy_policy_page = page
    support_settings.save()
    return page


def test_without_a_policy_there_is_no_checkbox_and_nothing_is_stored(client, site):
    response = client.get(REGISTER)
    assert not select(response, 'input[name="consent"]')
    assert client.post(REGISTER, registration()).status_code == 302
    profile = MemberProfile.objects.get(user__username="anna")
    assert profile.consent_given_at is None
    assert profile.consent_version == ""


def test_the_checkbox_links_the_policy_in_its_label(client, policy_page):
    response = client.get(REGISTER)
    checkbox = find_one(response, 'main form input[name="consent"]')
    assert checkbox["type"] == "checkbox"
    label = find_one(response, f'label[for="{checkbox["id"]}"]')
    # Required, marked like every other required field (the asterisk is hidden from readers).
    assert text_of(label) == (
        "I consent to the processing of my personal data under the personal data processing "
        "policy (opens in a new tab) *"
    )
    assert find_one(label, ".avs-required")["aria-hidden"] == "true"
    link = find_one(label, "a")
    assert link["href"] == policy_page.url
    assert link["target"] == "_blank"
    assert "noopener" in link["rel"]
    # The form's other fields are the same as without a policy.
    for name in ("username", "email", "password1", "password2", "full_name", "company", "phone"):
        assert find_one(response, f'main form [name="{name}"]')


def test_refusing_consent_keeps_what_was_typed_and_stores_nothing(client, policy_page):
    response = client.post(REGISTER, registration())
    assert response.status_code == 200
    field_error = find_one(response, "#id_consent_error")
    assert CONSENT_ERROR in text_of(field_error)
    summary = find_one(response, ".avs-error-summary")
    assert CONSENT_ERROR in text_of(summary)
    # The summary links to the checkbox by its plain label: no link inside its link.
    assert not select(summary, "a a")
    form = find_one(response, "main form")
    assert field_value(form, "username") == "anna"
    assert field_value(form, "email") == "anna@example.com"
    assert field_value(form, "full_name") == "Anna Smirnova"
    assert field_value(form, "company") == "Smirnova & Co"
    assert not User.objects.exists()
    assert not MemberProfile.objects.exists()
    assert mail.outbox == []


def test_consent_records_when_and_which_revision(client, policy_page):
    before = timezone.now()
    response = client.post(REGISTER, registration(consent="on"))
    assert response.status_code == 302
    profile = MemberProfile.objects.get(user__username="anna")
    assert before <= profile.consent_given_at <= timezone.now()
    assert policy_page.live_revision_id
    assert profile.consent_version == f"page:{policy_page.pk}/rev:{policy_page.live_revision_id}"
    assert len(mail.outbox) == 1

    # A new revision of the policy: the next member consents to that one.
    policy_page.title = "Privacy policy, 2027"
    policy_page.save_revision().publish()
    policy_page.refresh_from_db()
    client.post(
        REGISTER,
        registration(username="boris", email="boris@example.com", consent="on"),
    )
    boris = MemberProfile.objects.get(user__username="boris")
    assert boris.consent_version == f"page:{policy_page.pk}/rev:{policy_page.live_revision_id}"
    assert boris.consent_version != profile.consent_version


def test_an_unpublished_policy_asks_nothing(client, policy_page):
    policy_page.unpublish()
    response = client.get(REGISTER)
    assert not select(response, 'input[name="consent"]')
    assert client.post(REGISTER, registration()).status_code == 302
    assert MemberProfile.objects.get(user__username="anna").consent_version == ""


def test_the_rate_limit_refusal_still_shows_the_checkbox(client, policy_page, settings):
    settings.AVSOFT_SUPPORT_RATE_LIMITS = {"register_ip": (1, 3600)}
    client.post(REGISTER, registration())
    response = client.post(REGISTER, registration(consent="on"))
    assert response.status_code == 429
    assert find_one(response, 'main form input[name="consent"]')
    assert not User.objects.exists()


def test_members_from_before_the_policy_are_not_asked(client, member, policy_page):
    client.force_login(member)
    response = client.get(reverse("avsoft_support:profile"))
    assert response.status_code == 200
    assert "You consented" not in text_of(find_one(response, "main"))


def test_the_profile_says_when_consent_was_given(client, member):
    profile = member.support_profile
    profile.consent_given_at = timezone.now()
    profile.consent_version = "page:3/rev:7"
    profile.save()
    client.force_login(member)
    main = find_one(client.get(reverse("avsoft_support:profile")), "main")
    assert "You consented to the processing of your personal data on" in text_of(main)


def test_editors_choose_the_policy_page_with_a_page_chooser(client, site, make_staff):
    otp_login(client, make_staff(username="admin", superuser=True))
    response = client.get(f"/admin/settings/avsoft_support/supportsettings/{site.pk}/")
    assert response.status_code == 200
    chooser = find_one(response, 'input[name="privacy_policy_page"]')
    assert chooser["type"] == "hidden"
    assert "Choose a page" in text_of(chooser.find_parent("div", class_="w-field__input"))
    assert field_value(response, "attachment_retention_days") == "0"
