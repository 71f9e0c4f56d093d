"""Help articles on the new-ticket form: the suggestions fragment, the step without JavaScript,
and "this answered my question". The support page's routes call these (``pages.py``); which
pages are suggested is ``avsoft_support.help_articles``.

What the member typed is only ever a search query here: it is not stored, logged or put in a
URL (the fragment is fetched with POST, so the text stays out of access logs and caches).
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from wagtail.models import Site

from .. import help_articles
from ..ratelimit import attempt, limits_for, too_many_attempts_message

# The name of the form's "See related articles" button (the step without JavaScript).
SEE_ARTICLES = "see_articles"
# The article's id, posted by a "This answered my question" button.
ARTICLE = "article"
# Articles this browser session has counted already: a second click counts no more.
ANSWERED_SESSION_KEY = "avsoft_support_help_answered"
SUGGESTIONS_TEMPLATE = "avsoft_support/help/suggestions.html"


def _private(response):
    add_never_cache_headers(response)
    return response


def typed_texts(page, request):
    """The subject and description as typed, under the ticket form's own field names."""
    form_class = page.get_ticket_form_class()
    prefix = getattr(form_class, "prefix", None)
    names = [f"{prefix}-{name}" if prefix else name for name in ("subject", "description")]
    return [request.POST.get(name, "") for name in names]


def find_articles(request, page, texts):
    return help_articles.suggest(Site.find_for_request(request), *texts)


def suggestions(page, request):
    """The fragment of suggested articles for what the member has typed so far (POST)."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    context = {"answered_url": page.route_url("help_answered", request)}
    status = 200
    if seconds := attempt(*limits_for(request, "help_suggestions", str(request.user.pk))):
        context["refused"] = too_many_attempts_message(seconds)
        status = 429
    else:
        texts = typed_texts(page, request)
        context["articles"] = find_articles(request, page, texts)
        context["searched"] = bool(help_articles.query_from(*texts))
    response = TemplateResponse(request, SUGGESTIONS_TEMPLATE, context, status=status)
    if status == 429:
        response["Retry-After"] = str(seconds)
    return _private(response)


def form_as_typed(page, request, profile):
    """The ticket form, unbound, showing what was posted: the step shows no errors yet."""
    form = page.get_ticket_form(request, profile)
    form.initial = {
        name: field.widget.value_from_datadict(request.POST, request.FILES, form.add_prefix(name))
        for name, field in form.fields.items()
        if not isinstance(field, forms.FileField)
    }
    return form


def form_with_articles(page, request, profile):
    """Without JavaScript: the form again with all that was typed, and the articles for it.

    Browsers cannot put chosen files back into a file field, so the page says so when the
    member had chosen any (the button sits before the file field to make that rare)."""
    texts = typed_texts(page, request)
    if seconds := attempt(*limits_for(request, "help_suggestions", str(request.user.pk))):
        messages.error(request, too_many_attempts_message(seconds))
        articles = []
    else:
        articles = find_articles(request, page, texts)
    return page.render_ticket_form(
        request,
        form_as_typed(page, request, profile),
        profile,
        help_articles=articles,
        help_searched=bool(help_articles.query_from(*texts)),
        help_step=True,
        help_files_dropped=bool(request.FILES),
    )


def answered(page, request):
    """The member says an article answered their question: count it for the article and take
    them to their tickets, filing nothing. Only a live, public help article of this site
    counts; each once per session."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    if request.method != "POST":
        return HttpResponseRedirect(page.route_url("new", request))
    try:
        article_id = int(request.POST.get(ARTICLE, ""))
    except ValueError:
        raise Http404 from None
    article = help_articles.is_article(article_id, Site.find_for_request(request))
    if article is None:
        raise Http404
    counted = request.session.get(ANSWERED_SESSION_KEY, [])
    if article.pk not in counted:
        if seconds := attempt(*limits_for(request, "help_answered", str(request.user.pk))):
            messages.error(request, too_many_attempts_message(seconds))
            return HttpResponseRedirect(page.route_url("new", request))
        help_articles.count_answered(article)
        request.session[ANSWERED_SESSION_KEY] = [*counted, article.pk][-50:]
    messages.success(
        request,
        _("We are glad “%(title)s” answered your question. No ticket was filed.")
        % {"title": article.title},
    )
    return HttpResponseRedirect(page.route_url("index", request))
