"""Help articles suggested while a customer types a new ticket, through Wagtail search.

Only pages are ever searched, never tickets or messages: what the customer typed is the query
and goes nowhere else (not stored, not logged). A page is suggested when it is a help article
(``models.help_article_page_types``), live, public (no view restriction on it or above it:
password, login or group) and in the site of the support page.

The search goes through the site's ``WAGTAILSEARCH_BACKENDS["default"]`` as configured (the
database backend, with PostgreSQL's ``SEARCH_CONFIG`` for Russian stemming, or
Elasticsearch/OpenSearch): this module never picks a backend.
"""

import re

from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from .models import HelpArticleStat, help_article_page_types

MAX_SUGGESTIONS = 5
# What of the typed text makes the query: the subject in full and the start of the
# description are plenty to find an article, and a long text would only make a slow query.
MAX_QUERY_CHARS = 300
MAX_QUERY_WORDS = 30
MIN_QUERY_CHARS = 3

# Words only: punctuation and operators typed by the customer mean nothing to us, and some
# backends would read them as query syntax.
WORD = re.compile(r"\w+", re.UNICODE)


def query_from(*texts):
    """The search query for the typed texts: their words, limited; "" when too little."""
    text = " ".join(str(text or "")[:MAX_QUERY_CHARS] for text in texts)
    words = WORD.findall(text)[:MAX_QUERY_WORDS]
    return " ".join(words) if sum(map(len, words)) >= MIN_QUERY_CHARS else ""


def article_pages(site):
    """Every page that may be suggested on ``site``: live, public help articles in it.

    ``public()`` costs one query (the view restrictions); the rest is one filter."""
    return (
        Page.objects.live()
        .public()
        .type(*help_article_page_types())
        .descendant_of(site.root_page, inclusive=True)
    )


def is_article(page_id, site):
    """The suggestible article with this id on ``site``, or None."""
    return article_pages(site).filter(pk=page_id).first()


def suggest(site, *texts, limit=MAX_SUGGESTIONS):
    """Up to ``limit`` help articles for the typed texts, best first (a list of pages)."""
    query = query_from(*texts)
    if not query:
        return []
    # "or": any typed word may match, the backend ranks pages matching more of them first.
    results = get_search_backend().search(query, article_pages(site), operator="or")
    return list(results[:limit])


def count_answered(page):
    """A customer read ``page`` and needs no ticket: one more for the page."""
    HelpArticleStat.count_answered(page)
