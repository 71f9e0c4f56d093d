"""The support page: a mixin with the behaviour and a concrete page, as Wagtail's form builder does.

``SupportPageMixin`` serves the customer's ticket pages as routes (RoutablePageMixin). Each step
of a route is a method, so a site's own page type changes one step without copying the rest::

    class MySupportPage(SupportPageMixin, MyBasePage):
        content_panels = MyBasePage.content_panels + SupportPageMixin.content_panels_support

        def file_ticket(self, request, form, profile):
            ticket = super().file_ticket(request, form, profile)
            crm.notify(ticket)
            return ticket

Routes (names for ``reverse_subpage`` / ``{% routablepageurl %}``) and the steps they call:

    ""                 index   ``render_visitor_index`` or ``render_ticket_list``
                               (``get_member_tickets``, ``?tab=company``: ``get_company_tickets``)
    "new/"             new     ``get_ticket_form`` (``get_ticket_form_class``), ``file_ticket``,
                               ``ticket_filed``, ``render_ticket_form``
    "<number>/"        ticket  ``get_visible_ticket``, ``get_reply_form``, ``render_ticket``
    "<number>/reply/"  reply   ``get_reply_form``, ``add_reply``
    "<number>/close/"  close   ``render_close_confirmation``, ``close_ticket``
    "<number>/follow/" follow  ``following.follow`` / ``unfollow`` (members who see it)
    "<number>/cc/"     cc      ``following.add_cc`` / ``remove_cc`` (its author)
    "<number>/rate/"   rate    ``ratings.record_rating`` (its author, once resolved)
    "new/articles/"    help_articles  the help articles for the typed ticket (views/help.py)
    "new/articles/answered/"  help_answered  "this answered my question"

Which tickets a member may reach is decided in one place, ``Ticket.objects`` (own:
``for_member``; shared through their company: ``shared_with``; both: ``visible_to_member``).
The ticket page, its downloads and follow open to whoever sees the ticket; reply, close, CC
and rating stay its author's.

A ticket the member may not reach (or that does not exist) answers ``render_ticket_not_found``: the
same 404 either way, to visitors with the way to log in.
"""

import functools
import logging
from urllib.parse import urlsplit

import swapper
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Exists, OuterRef
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import path, re_path
from wagtail.models import Page, Site

from . import following, ratings, tickets
from .conf import app_settings
from .csp import customer_csp
from .forms.following import CCForm
from .forms.ratings import RatingForm
from .forms.tickets import ReplyForm, TicketForm
from .kept_queries import KeptQuery
from .models import (
    MemberProfile,
    RatingSource,
    SupportSettings,
    Ticket,
    TicketFollower,
    TicketStatus,
    member_display_name,
)
from .models.pages import TICKET_NUMBER, SupportPageBase
from .views import help as help_views
from .views.account.common import login_url

logger = logging.getLogger(__name__)


# What the ticket page shows of a ticket, read with it.
_TICKET_PAGE_RELATED = ("product", "rating", "author", "author__support_profile")


def _shown_ticket(candidates, number):
    """The ticket page's query for the ticket with this number among ``candidates``."""
    # Whether anyone follows it, in the same query: most tickets have no follower, and then
    # the page needs no query for them (get_sharing_context).
    has_followers = Exists(TicketFollower.objects.filter(ticket=OuterRef("pk")))
    # The number is unique: no ORDER BY (first() would add the model's three columns to
    # build and sort by).
    return (
        candidates.select_related(*_TICKET_PAGE_RELATED)
        .for_display()
        .annotate(has_followers=has_followers)
        .filter(number=number)
        .order_by()[:1]
    )


def _first_shown(candidates, number):
    return next(iter(_shown_ticket(candidates, number)), None)


class _MemberById:
    """``Ticket.objects.for_member``'s member, by id: the kept query below is compiled with a
    mark in its place."""

    is_authenticated = True

    def __init__(self, pk):
        self.pk = pk


# The member's own ticket by number, as SupportPageMixin.get_member_tickets finds it.
_OWN_TICKET = KeptQuery(
    Ticket,
    lambda author_id, number: _shown_ticket(
        Ticket.objects.for_member(_MemberById(author_id)), number
    ),
    kinds=("id", "text"),
)

# The thank-you after filing is shown once on the ticket's page. Carried by a short-lived signed
# cookie of its own (on the support page's path), not the session: filing and that page then
# write nothing to the session.
THANKS_COOKIE = "avsoft_support_thanks"
THANKS_SECONDS = 600
LIST_FILTERS = ("all", "open", "closed")
# "My tickets", and the tickets of colleagues shared through the company.
LIST_TABS = ("mine", "company")


# What a member's message may hit on its way in: the attachment storage (a full disk, a
# storage server away) or the database (a lost connection, a failed write). Either way the
# transaction saved nothing, and the member gets the form back with what they typed.
NOT_SAVED_ERRORS = (OSError, DatabaseError)


def _files_not_stored(form, error):
    """The form again, saying that nothing was saved and why, in words."""
    logger.error("Could not save a member's message (%s): nothing was saved", type(error).__name__)
    if isinstance(error, DatabaseError):
        message = _(
            "Your message was not saved because of a fault on our side. Please try again in a "
            "few minutes; if you attached files, choose them again before sending."
        )
    else:
        message = _(
            "Your message was not saved: the attached files could not be stored. Please try "
            "again in a few minutes; choose the files again before sending."
        )
    form.add_error(None, message)


def _private(response):
    # A member's pages are theirs alone: no shared cache may keep them.
    add_never_cache_headers(response)
    return response


def _help_text_panel(page_field, form_field):
    """A help-text field of the page, saying what the ticket form shows while it is empty."""
    if form_field == "attachments":
        hint = gettext_lazy(
            "Left empty, the form shows only the size and number limits of the Support settings."
        )
    else:
        hint = format_lazy(
            gettext_lazy("Left empty, the form shows: “{hint}”"),
            hint=TicketForm.base_fields[form_field].help_text,
        )
    return FieldPanel(page_field, help_text=hint)


class SupportPageMixin(SupportPageBase):
    """A support page's routes, each step an overridable method."""

    # The editable texts; a site's page type adds them to its own content panels.
    content_panels_support = [
        FieldPanel("intro"),
        FieldPanel("filing_rules"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                *(
                    _help_text_panel(page_field, form_field)
                    for form_field, page_field in TicketForm.page_help_fields.items()
                ),
                _help_text_panel("help_attachments", "attachments"),
            ],
            heading=gettext_lazy("Help texts beside the ticket form"),
        ),
    ]

    ticket_form_class = TicketForm
    reply_form_class = ReplyForm
    # Templates of the routes; a subclass may point them elsewhere.
    ticket_form_template = "avsoft_support/tickets/new.html"
    ticket_detail_template = "avsoft_support/tickets/detail.html"
    ticket_not_found_template = "avsoft_support/tickets/not_found.html"
    ticket_close_template = "avsoft_support/tickets/close.html"
    tickets_per_page = 20

    class Meta:
        abstract = True

    def serve(self, request, view=None, args=None, kwargs=None):
        # Every route of the page is a customer page: it sends our Content-Security-Policy.
        parent_serve = super().serve
        return customer_csp(lambda req: parent_serve(req, view, args, kwargs))(request)

    # Shared ------------------------------------------------------------------------------

    def get_support_context(self, request, **extra):
        """What every route's template gets besides the page itself."""
        return {
            "support_page": self,
            "index_url": self.route_url("index", request),
            "new_ticket_url": self.route_url("new", request),
            "registration_open": app_settings.REGISTRATION_OPEN,
            **extra,
        }

    def render_route(self, request, template=None, status=200, **context):
        response = self.render(
            request,
            template=template,
            context_overrides=self.get_support_context(request, **context),
        )
        response.status_code = status
        return response

    def members_only(self, request):
        """Mark a page that only its member may see: logging out from it goes to the support
        page, not back here to a 404 (the corner widget reads this). The URL is worked out
        only when the widget shows: a filed ticket's redirect never needs it."""
        request.avsoft_support_logout_next = functools.partial(self.route_url, "index", request)

    def get_site_settings(self, request):
        return SupportSettings.for_request(request)

    def get_profile(self, request):
        return MemberProfile.objects.for_user(request.user)

    # Index: intro, filing rules and the member's ticket list ---------------------------------

    @path("", name="index")
    def index_route(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.render_visitor_index(request)
        return self.render_ticket_list(request)

    def render_visitor_index(self, request):
        return self.render_route(request, login_url=login_url(request.get_full_path()))

    def get_member_tickets(self, request):
        """The member's own tickets: those they reply to, close, copy others in on and rate."""
        return Ticket.objects.for_member(request.user)

    def get_company_tickets(self, request):
        """Colleagues' tickets shared with the member through their company."""
        return Ticket.objects.shared_with(request.user)

    def get_visible_tickets(self, request):
        """Every ticket the member may open: their own and those shared with them."""
        return Ticket.objects.visible_to_member(request.user)

    def ticket_url_maker(self, request):
        """number -> the ticket's URL on this page, reversing the route once for a whole list
        rather than once a row."""
        page_url = self._url_for(request)
        sample = "0000-0"
        tail = f"{sample}/"
        url = self.reverse_subpage("ticket", kwargs={"number": sample})
        if url.endswith(tail):
            prefix = page_url + url[: -len(tail)]
            return lambda number: f"{prefix}{number}/"
        return lambda number: page_url + self.reverse_subpage("ticket", kwargs={"number": number})

    def render_ticket_list(self, request):
        show = request.GET.get("show", "all")
        if show not in LIST_FILTERS:
            show = "all"
        tab = request.GET.get("tab", "mine")
        if tab not in LIST_TABS:
            tab = "mine"
        counts = self.get_visible_tickets(request).member_tab_counts(
            request.user, company=tab == "company"
        )
        mine = (
            self.get_company_tickets(request)
            if tab == "company"
            else self.get_member_tickets(request)
        )
        listed = {"open": mine.open(), "closed": mine.closed()}.get(show, mine)
        listed = listed.member_list()
        if tab == "company":
            listed = listed.select_related("author", "author__support_profile")
        paginator = Paginator(listed, self.tickets_per_page)
        # The counts above already know the total: no second COUNT query.
        paginator.count = counts[show]
        tickets_page = paginator.get_page(request.GET.get("page"))
        ticket_list = list(tickets_page.object_list)
        customer_url = self.ticket_url_maker(request)
        for ticket in ticket_list:
            ticket.customer_url = customer_url(ticket.number)
            if tab == "company":
                ticket.author_name = member_display_name(ticket.author)
        filters = [
            {"value": value, "label": label, "count": counts[value], "current": value == show}
            for value, label in (
                ("all", _("All")),
                ("open", _("Open")),
                ("closed", _("Resolved and closed")),
            )
        ]
        return _private(
            self.render_route(
                request,
                tickets_page=tickets_page,
                tickets=ticket_list,
                show=show,
                tab=tab,
                filters=filters,
                counts=counts,
            )
        )

    # New ticket ----------------------------------------------------------------------------

    @path("new/", name="new")
    def new_ticket_route(self, request):
        if not request.user.is_authenticated:
            url = login_url(request.get_full_path())
            return HttpResponseRedirect(url or self.route_url("index", request))
        self.members_only(request)
        profile = self.get_profile(request)
        if request.method == "POST" and help_views.SEE_ARTICLES in request.POST:
            # Without JavaScript: the form as typed, with the help articles for it.
            return _private(help_views.form_with_articles(self, request, profile))
        if request.method == "POST":
            form = self.get_ticket_form(request, profile, request.POST, request.FILES)
            if form.is_valid():
                try:
                    ticket = self.file_ticket(request, form, profile)
                except NOT_SAVED_ERRORS as error:
                    # Nothing was saved (tickets.py took the files written so far back); the
                    # profile in memory may hold what the rollback undid.
                    _files_not_stored(form, error)
                    profile = self.get_profile(request)
                else:
                    return self.ticket_filed(request, ticket)
        else:
            form = self.get_ticket_form(request, profile)
        return _private(self.render_ticket_form(request, form, profile))

    def get_ticket_form_class(self):
        return self.ticket_form_class

    def get_ticket_form(self, request, profile, data=None, files=None):
        return self.get_ticket_form_class()(
            data,
            files,
            page=self,
            profile=profile,
            support_settings=self.get_site_settings(request),
        )

    def file_ticket(self, request, form, profile):
        """Store the ticket, its first message and its files; returns the ticket."""
        support_settings = self.get_site_settings(request)
        # Their site is the request's, which Wagtail's routing has read: the ticket's mails
        # take it from them rather than reading it again.
        site = Site.find_for_request(request)
        if site is not None and support_settings.site_id == site.pk:
            support_settings.site = site
        return tickets.create_ticket(
            author=request.user,
            profile=profile,
            data=form.cleaned_data,
            files=form.cleaned_data["attachments"],
            support_settings=support_settings,
            support_page=self,
        )

    def ticket_filed(self, request, ticket):
        """The answer to a filed ticket: its page, once with the thank-you text."""
        response = HttpResponseRedirect(self.ticket_url(ticket, request))
        response.set_signed_cookie(
            THANKS_COOKIE,
            ticket.number,
            salt=THANKS_COOKIE,
            max_age=THANKS_SECONDS,
            path=self._thanks_path(request),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def _thanks_path(self, request):
        return urlsplit(self.route_url("index", request)).path

    def render_ticket_form(self, request, form, profile, **extra):
        return self.render_route(
            request,
            template=self.ticket_form_template,
            form=form,
            profile=profile,
            help_articles_url=self.route_url("help_articles", request),
            help_answered_url=self.route_url("help_answered", request),
            **extra,
        )

    # Help articles while a ticket is typed (views/help.py, help_articles.py) ------------------

    @path("new/articles/", name="help_articles")
    def help_articles_route(self, request):
        return help_views.suggestions(self, request)

    @path("new/articles/answered/", name="help_answered")
    def help_answered_route(self, request):
        return help_views.answered(self, request)

    # One ticket ----------------------------------------------------------------------------

    def get_member_ticket(self, request, number):
        """The member's own ticket with this number, or None."""
        return (
            self.get_member_tickets(request)
            .select_related("product", "rating")
            .filter(number=number)
            .first()
        )

    def get_visible_ticket(self, request, number):
        """The ticket with this number if the member may see it (their own, or shared with
        them through their company), or None."""
        # Mostly the member's own: looked up by author first, a plain indexed query; the
        # company rule (a UNION of authors, costlier to build and run) only when it is not.
        if (
            type(self).get_member_tickets is SupportPageMixin.get_member_tickets
            and request.user.is_authenticated
        ):
            # The ORM's query, compiled once (kept_queries): building and compiling its some
            # seventy columns was an eighth of the ticket page (issue 12).
            own = _OWN_TICKET.first(request.user.pk, number)
        else:
            own = _first_shown(self.get_member_tickets(request), number)
        return own or _first_shown(self.get_visible_tickets(request), number)

    def render_ticket_not_found(self, request, number):
        """The 404 for a ticket that is not the asker's (or does not exist): the same answer
        either way, in the site's look; a visitor also gets the way in, back to the ticket."""
        next_url = self.route_url("ticket", request, number=number)
        login = None if request.user.is_authenticated else login_url(next_url)
        return _private(
            self.render_route(
                request, template=self.ticket_not_found_template, status=404, login_url=login
            )
        )

    def get_reply_form(self, request, data=None, files=None):
        return self.reply_form_class(
            data, files, support_settings=self.get_site_settings(request), page=self
        )

    def get_sharing_context(self, request, ticket, cc_form=None, rating_form=None):
        """Following, copied addresses and the rating, as the ticket page shows them."""
        is_author = ticket.author_id is not None and ticket.author_id == request.user.pk
        known_unfollowed = getattr(ticket, "has_followers", None) is False
        followers = (
            list(ticket.followers.select_related("user"))
            if ticket.pk and not known_unfollowed
            else []
        )
        rating = ratings.rating_of(ticket) if ticket.pk else None
        # The page asks while the ticket is resolved (the mail's links also work once it is
        # closed): a ticket the member closed themselves is not asked about again.
        can_rate = is_author and rating is None and ticket.status == TicketStatus.RESOLVED
        return {
            "is_author": is_author,
            "is_following": any(f.user_id == request.user.pk for f in followers),
            "copied": [f for f in followers if not f.user_id],
            "followers": [f for f in followers if f.user_id],
            "cc_form": cc_form or (CCForm() if is_author else None),
            "cc_url": self.route_url("cc", request, number=ticket.number),
            "follow_url": self.route_url("follow", request, number=ticket.number),
            "rating": rating,
            "can_rate": can_rate,
            "rating_form": rating_form or (RatingForm() if can_rate else None),
            "rate_url": self.route_url("rate", request, number=ticket.number),
        }

    def render_ticket(
        self, request, ticket, reply_form, status=200, show_thanks=None, **sharing_forms
    ):
        self.members_only(request)
        thanks_cookie = THANKS_COOKIE in request.COOKIES
        if show_thanks is None:
            filed = request.get_signed_cookie(
                THANKS_COOKIE, default=None, salt=THANKS_COOKIE, max_age=THANKS_SECONDS
            )
            show_thanks = filed is not None and filed == ticket.number
        conversation = list(ticket.messages.for_customer()) if ticket.pk else []
        # A colleague reading a shared ticket sees whose messages they are, not "You".
        reader_is_author = not ticket.pk or ticket.author_id == request.user.pk
        customer_name = None
        if not reader_is_author:
            customer_name = member_display_name(ticket.author) if ticket.author else _("Customer")
        response = _private(
            self.render_route(
                request,
                template=self.ticket_detail_template,
                status=status,
                ticket=ticket,
                conversation=conversation,
                customer_name=customer_name,
                reply_form=reply_form,
                **self.get_sharing_context(request, ticket, **sharing_forms),
                can_reply=ticket.status != TicketStatus.CLOSED
                and (not ticket.pk or ticket.author_id == request.user.pk),
                reply_url=self.route_url("reply", request, number=ticket.number),
                close_url=self.route_url("close", request, number=ticket.number),
                ticket_url=self.ticket_url(ticket, request),
                show_thanks=show_thanks,
            )
        )
        if thanks_cookie and show_thanks:
            response.delete_cookie(THANKS_COOKIE, path=self._thanks_path(request), samesite="Lax")
        return response

    @re_path(rf"^{TICKET_NUMBER}/$", name="ticket")
    def ticket_route(self, request, number):
        ticket = self.get_visible_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        if ticket.author_id == request.user.pk:
            # The author's profile came with the ticket: the corner box reads it from there.
            MemberProfile.objects.reuse_loaded(request.user, ticket.author)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = self.render_ticket(request, ticket, self.get_reply_form(request))
        if ticket.author_id == request.user.pk and ticket.has_unseen_reply:
            # The author has now seen every reply so far: the "new reply" marker goes (a
            # colleague looking at it leaves the author's marker alone). Written only when
            # there was something new: no write on every look (issue 12).
            Ticket.objects.filter(pk=ticket.pk).update(customer_last_seen_at=timezone.now())
        return response

    @re_path(rf"^{TICKET_NUMBER}/reply/$", name="reply")
    def reply_route(self, request, number):
        ticket = self.get_member_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        if request.method != "POST":
            # Someone who followed a login link back here: the ticket and its reply form.
            return HttpResponseRedirect(self.ticket_url(ticket, request))
        if ticket.status == TicketStatus.CLOSED:
            messages.error(request, _("This ticket is closed. Please create a new ticket instead."))
            return HttpResponseRedirect(self.ticket_url(ticket, request))
        form = self.get_reply_form(request, request.POST, request.FILES)
        if not form.is_valid():
            return self.render_ticket(request, ticket, form)
        reopened = ticket.status in (TicketStatus.RESOLVED, TicketStatus.WAITING)
        try:
            self.add_reply(request, ticket, form)
        except tickets.TicketClosed:  # closed while the member was writing
            messages.error(request, _("This ticket is closed. Please create a new ticket instead."))
            return HttpResponseRedirect(self.ticket_url(ticket, request))
        except NOT_SAVED_ERRORS as error:
            _files_not_stored(form, error)
            return self.render_ticket(request, ticket, form)
        if reopened:
            messages.success(
                request, _("Thank you. Your reply has been sent and the ticket is open again.")
            )
        else:
            messages.success(request, _("Thank you. Your reply has been sent."))
        return HttpResponseRedirect(self.ticket_url(ticket, request) + "#conversation-end")

    def add_reply(self, request, ticket, form):
        return tickets.add_message(
            ticket, request.user, form.cleaned_data["body"], form.cleaned_data["attachments"]
        )

    @re_path(rf"^{TICKET_NUMBER}/close/$", name="close")
    def close_route(self, request, number):
        ticket = self.get_member_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        if ticket.status == TicketStatus.CLOSED:
            return HttpResponseRedirect(self.ticket_url(ticket, request))
        if request.method != "POST":
            # Closing cannot be undone: the button on the ticket leads here to confirm it.
            return self.render_close_confirmation(request, ticket)
        if self.close_ticket(request, ticket):
            messages.success(request, _("The ticket has been closed. Thank you."))
        return HttpResponseRedirect(self.ticket_url(ticket, request))

    # Following, copying in, rating --------------------------------------------------------

    @re_path(rf"^{TICKET_NUMBER}/follow/$", name="follow")
    def follow_route(self, request, number):
        ticket = self.get_visible_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        if request.method == "POST":
            if request.POST.get("action") == "unfollow":
                if following.unfollow(ticket, request.user):
                    messages.success(request, _("You no longer follow this ticket."))
            elif following.follow(ticket, request.user):
                messages.success(request, _("You follow this ticket: its e-mails come to you too."))
        return HttpResponseRedirect(self.ticket_url(ticket, request) + "#following")

    @re_path(rf"^{TICKET_NUMBER}/cc/$", name="cc")
    def cc_route(self, request, number):
        ticket = self.get_member_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        back = HttpResponseRedirect(self.ticket_url(ticket, request) + "#following")
        if request.method != "POST":
            return back
        if "remove" in request.POST:
            try:
                follower_id = int(request.POST["remove"])
            except ValueError:
                return back
            if following.remove_cc(ticket, follower_id, request.user):
                messages.success(request, _("The address no longer gets this ticket's e-mails."))
            return back
        form = CCForm(request.POST)
        if form.is_valid():
            try:
                following.add_cc(ticket, form.cleaned_data["email"], request.user)
            except ValidationError as error:
                form.add_error("email", error)
        if not form.is_valid():
            return self.render_ticket(
                request, ticket, self.get_reply_form(request), status=400, cc_form=form
            )
        messages.success(request, _("The address gets this ticket's e-mails from now on."))
        return back

    @re_path(rf"^{TICKET_NUMBER}/rate/$", name="rate")
    def rate_route(self, request, number):
        ticket = self.get_member_ticket(request, number)
        if ticket is None:
            return self.render_ticket_not_found(request, number)
        back = HttpResponseRedirect(self.ticket_url(ticket, request) + "#rating")
        if request.method != "POST":
            return back
        form = RatingForm(request.POST)
        if not form.is_valid():
            return self.render_ticket(
                request, ticket, self.get_reply_form(request), status=400, rating_form=form
            )
        try:
            ratings.record_rating(
                ticket,
                form.cleaned_data["score"],
                form.cleaned_data["comment"],
                request.user,
                RatingSource.PAGE,
            )
        except ratings.AlreadyRated:
            messages.info(request, _("Your rating of this ticket was already recorded."))
        except ratings.NotResolved:
            messages.error(request, _("The ticket is open again: rate it once it is resolved."))
        else:
            messages.success(request, _("Thank you for your rating."))
        return back

    def render_close_confirmation(self, request, ticket):
        self.members_only(request)
        return _private(
            self.render_route(
                request,
                template=self.ticket_close_template,
                ticket=ticket,
                close_url=self.route_url("close", request, number=ticket.number),
                ticket_url=self.ticket_url(ticket, request),
            )
        )

    def close_ticket(self, request, ticket):
        """The member closes their ticket; returns whether it changed."""
        return tickets.set_status(ticket, TicketStatus.CLOSED, request.user)

    # Preview: editors see the form and the thank-you text they edit, not only the intro -----

    @property
    def preview_modes(self):
        return [
            ("", gettext_lazy("Support page")),
            ("form", gettext_lazy("New ticket form")),
            ("thanks", gettext_lazy("Ticket page with the thank-you text")),
        ]

    def serve_preview(self, request, mode_name):
        if mode_name == "form":
            # The form as a member with no invoice number on file sees it; nothing is stored.
            profile = MemberProfile(user=request.user)
            return self.render_ticket_form(request, self.get_ticket_form(request, profile), profile)
        if mode_name == "thanks":
            # A ticket page just after filing: an example ticket, unsaved.
            now = timezone.now()
            ticket = Ticket(
                number=f"{now.year}-00001",
                subject=_("Example ticket"),
                author=request.user,
                created_at=now,
                last_activity_at=now,
            )
            return self.render_ticket(
                request, ticket, self.get_reply_form(request), show_thanks=True
            )
        return super().serve_preview(request, mode_name)


class SupportPage(SupportPageMixin, Page):
    """The support page of a site on Wagtail's own base page.

    A site with its own base page (``WAGTAIL_PAGE_MODEL``) defines its support page on the
    mixin instead and names it in ``AVSOFT_SUPPORT_SUPPORTPAGE_MODEL``: this one is then
    swapped out (no table, no checks), as ``auth.User`` is by ``AUTH_USER_MODEL``.
    """

    template = "avsoft_support/pages/support_page.html"
    content_panels = Page.content_panels + SupportPageMixin.content_panels_support
    subpage_types = []

    class Meta:
        verbose_name = gettext_lazy("support page")
        verbose_name_plural = gettext_lazy("support pages")
        swappable = swapper.swappable_setting("avsoft_support", "SupportPage")
