"""Help articles while a member types a new ticket, in Chromium: the live region fills as the
subject is typed, the list works by keyboard, "This answered my question" is counted, and the
step without JavaScript shows the same articles and keeps what was typed."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from avsoft_support.models import HelpArticleStat, Ticket


def field(scope, label):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\W*$"))


@pytest.fixture
def pdf_article(site):
    from tests.testapp.models import HelpPage

    for title, body in [
        ("Продление лицензии", "<p>Ключ лицензии приходит по почте.</p>"),
        ("Установка на Astra Linux", "<p>Пакет deb.</p>"),
    ]:
        site.root_page.add_child(instance=HelpPage(title=title, body=body))
    return site.root_page.add_child(
        instance=HelpPage(
            title="Экспорт в PDF",
            body="<p>Файл → Экспорт → PDF.</p>",
            search_description="Как сохранить отчёт в PDF.",
        )
    )


def test_typing_the_subject_shows_the_article_and_answered_is_counted(
    logged_in_context, live_server, support_page, support_settings, member, pdf_article
):
    context = logged_in_context(member)
    page = context.new_page()
    page.goto(f"{live_server.url}/support/new/")
    main = page.locator("main")
    results = main.locator("[data-avs-help-results]")
    expect(results).to_have_attribute("aria-live", "polite")
    expect(results).to_be_empty()

    # Typed key by key, as a member would: the list appears after a pause in typing.
    field(main, "Subject").press_sequentially("экспорт PDF", delay=30)
    article_link = results.get_by_role("link", name=re.compile("^Экспорт в PDF"))
    expect(article_link).to_be_visible()
    expect(article_link).to_have_attribute("href", pdf_article.url)
    expect(results).to_contain_text("Как сохранить отчёт в PDF.")
    expect(results.get_by_role("link")).to_have_count(1)

    # Keyboard: Enter in the subject asks at once (no reload, nothing filed) and moves the
    # focus to the list; Tab reaches "This answered my question"; Enter sends it.
    field(main, "Subject").press("Enter")
    expect(article_link).to_be_focused()
    expect(page).to_have_url(f"{live_server.url}/support/new/")
    page.keyboard.press("Tab")
    answered = results.get_by_role("button", name=re.compile("^This answered my question"))
    expect(answered).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/support/")
    expect(page.get_by_text("No ticket was filed")).to_be_visible()
    assert HelpArticleStat.objects.get(page=pdf_article).answered_count == 1
    assert Ticket.objects.count() == 0
    context.close()


def test_without_javascript_the_step_shows_articles_and_keeps_the_text(
    browser, live_server, support_page, support_settings, member, pdf_article
):
    client = Client()
    client.force_login(member)
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(
        [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in client.cookies.items()
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/support/new/")
    main = page.locator("main")
    field(main, "Subject").fill("экспорт PDF")
    field(main, "Description of the problem").fill("Отчёт не сохраняется.")
    main.get_by_role("button", name="See related articles").click()

    results = main.locator("[data-avs-help-results]")
    expect(results.get_by_role("link", name=re.compile("^Экспорт в PDF"))).to_be_visible()
    expect(field(main, "Subject")).to_have_value("экспорт PDF")
    expect(field(main, "Description of the problem")).to_have_value("Отчёт не сохраняется.")
    assert Ticket.objects.count() == 0

    results.get_by_role("button", name=re.compile("^This answered my question")).click()
    expect(page).to_have_url(f"{live_server.url}/support/")
    assert HelpArticleStat.objects.get(page=pdf_article).answered_count == 1
    context.close()
