"""The page a mail's rating link opens: the choice made, an optional comment, and a button.

Opening the link records nothing (mail scanners and link previews open links): only the
button (POST, with Django's CSRF check) does. No login is needed: the signed link stands for
the ticket's author, to whom it was mailed. See ratings.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .. import ratings
from ..csp import customer_csp
from ..forms.ratings import RatingForm
from ..models import RatingScore, RatingSource
from ..models.pages import find_support_page

TEMPLATE = "avsoft_support/ratings/rate.html"
FAILED_TEMPLATE = "avsoft_support/ratings/link_failed.html"


def _ticket_url(request, ticket):
    page = ticket.support_page.specific if ticket.support_page_id else None
    if page is None or not page.live:
        page = find_support_page()
    return page.ticket_url(ticket, request) if page is not None else ""


@login_not_required
@never_cache
@customer_csp
def rate(request, token, score):
    if score not in RatingScore.values:
        raise Http404
    try:
        ticket = ratings.ticket_for_token(token)
    except ratings.InvalidLink as error:
        problem = "expired" if error.expired else "invalid"
        return render(request, FAILED_TEMPLATE, {"problem": problem}, status=400)
    context = {"ticket": ticket, "ticket_url": _ticket_url(request, ticket)}
    rating = ratings.rating_of(ticket)
    if rating is not None:
        # Used already: the rating stays as it was given.
        return render(request, TEMPLATE, {**context, "rating": rating})
    if not ratings.can_be_rated(ticket):
        return render(request, TEMPLATE, {**context, "reopened": True})
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                ratings.record_rating(
                    ticket,
                    form.cleaned_data["score"],
                    form.cleaned_data["comment"],
                    ticket.author,
                    RatingSource.EMAIL,
                )
            except ratings.AlreadyRated as already:
                return render(request, TEMPLATE, {**context, "rating": already.rating})
            except ratings.NotResolved:
                return render(request, TEMPLATE, {**context, "reopened": True})
            messages.success(request, _("Thank you for your rating."))
            return redirect(request.path)
    else:
        form = RatingForm(initial={"score": score})
    return render(request, TEMPLATE, {**context, "form": form})
