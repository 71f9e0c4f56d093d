"""The customer's ticket pages, served as routes of a SupportPage (see models/pages.py).

Each function takes the page and the request. A member sees only their own tickets: every
lookup goes through ``Ticket.objects.for_member(user)`` and anything else answers 404, to
anonymous visitors too (who get a 404 that offers the login).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .. import conversation
from ..conf import support_settings
from ..forms.tickets import ReplyForm, TicketForm
from ..models import MemberProfile, SupportSettings, Ticket, TicketStatus

THANKS_SESSION_KEY = "avsoft_support_thanks"
LIST_FILTERS = ("all", "open", "closed")


def _reverse_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def login_url(next_url):
    """The member area's login URL with ``next``, or None when the site has no login view."""
    url = _reverse_or_none(getattr(settings, "LOGIN_URL", None) or "avsoft_support:login")
    if url is None:
        url = _reverse_or_none("avsoft_support:login")
    if url is None:
        return None
    return f"{url}?{urlencode({'next': next_url})}"


def _private(response):
    # A member's pages are theirs alone: no shared cache may keep them.
    add_never_cache_headers(response)
    return response


def _profile_for(user):
    profile = MemberProfile.objects.filter(user=user).first()
    if profile is None:
        name = user.get_full_name() or user.get_username()
        profile, _created = MemberProfile.objects.get_or_create(
            user=user, defaults={"full_name": name}
        )
    return profile


def _member_ticket(request, number):
    """The member's own ticket with this number, or None."""
    return (
        Ticket.objects.for_member(request.user)
        .select_related("product")
        .filter(number=number)
        .first()
    )


def _not_found(page, request, number):
    """The 404 for a ticket that is not the asker's (or does not exist): the same answer either
    way, in the site's look; a visitor also gets the way in, back to the ticket itself."""
    next_url = page.route_url("ticket", request, number=number)
    login = None if request.user.is_authenticated else login_url(next_url)
    response = page.render(
        request,
        template=page.ticket_not_found_template,
        context_overrides=_page_context(page, request, login_url=login),
    )
    response.status_code = 404
    return _private(response)


def _members_only(page, request):
    """Mark a page that only its member may see: logging out from it goes to the support
    page, not back here to a 404 (the corner widget reads this)."""
    request.avsoft_support_logout_next = page.route_url("index", request)


def _page_context(page, request, **extra):
    return {
        "support_page": page,
        "index_url": page.route_url("index", request),
        "new_ticket_url": page.route_url("new", request),
        "registration_open": support_settings.REGISTRATION_OPEN,
        **extra,
    }


# Index: intro, filing rules and the member's ticket list ------------------------------------


def ticket_index(page, request):
    if not request.user.is_authenticated:
        return page.render(
            request,
            context_overrides=_page_context(
                page, request, login_url=login_url(request.get_full_path())
            ),
        )

    show = request.GET.get("show", "all")
    if show not in LIST_FILTERS:
        show = "all"
    mine = Ticket.objects.for_member(request.user)
    counts = mine.aggregate(
        all=Count("pk"),
        open=Count("pk", filter=Q(status__in=TicketStatus.open_values())),
        closed=Count("pk", filter=Q(status__in=TicketStatus.closed_values())),
    )
    tickets = member_ticket_list(request.user)
    if show == "open":
        tickets = tickets.open()
    elif show == "closed":
        tickets = tickets.closed()
    paginator = Paginator(tickets, page.tickets_per_page)
    # The counts above already know the total: no second COUNT query.
    paginator.count = counts[show]
    tickets_page = paginator.get_page(request.GET.get("page"))
    page_url = page.get_url(request) or ""
    ticket_list = list(tickets_page.object_list)
    for ticket in ticket_list:
        ticket.customer_url = page_url + page.reverse_subpage("ticket", kwargs={"number": ticket.number})
    filters = [
        {"value": value, "label": label, "count": counts[value], "current": value == show}
        for value, label in (
            ("all", _("All")),
            ("open", _("Open")),
            ("closed", _("Resolved and closed")),
        )
    ]
    return _private(
        page.render(
            request,
            context_overrides=_page_context(
                page,
                request,
                tickets_page=tickets_page,
                tickets=ticket_list,
                show=show,
                filters=filters,
                counts=counts,
            ),
        )
    )


# New ticket ------------------------------------------------------------------------------------


def new_ticket(page, request):
    if not request.user.is_authenticated:
        url = login_url(request.get_full_path())
        return HttpResponseRedirect(url or page.route_url("index", request))

    _members_only(page, request)
    profile = _profile_for(request.user)
    site_settings = SupportSettings.for_request(request)
    form_kwargs = {"page": page, "profile": profile, "support_settings": site_settings}
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            ticket = conversation.create_ticket(
                author=request.user,
                profile=profile,
                data=form.cleaned_data,
                files=form.cleaned_data["attachments"],
                support_settings=site_settings,
                support_page=page,
            )
            request.session[THANKS_SESSION_KEY] = ticket.number
            return HttpResponseRedirect(page.ticket_url(ticket, request))
    else:
        form = TicketForm(**form_kwargs)
    return _private(
        page.render(
            request,
            template=page.ticket_form_template,
            context_overrides=_page_context(page, request, form=form, profile=profile),
        )
    )


# One ticket ------------------------------------------------------------------------------------


def member_ticket_list(user):
    """The member's tickets with what the list shows, newest activity first: one query."""
    return (
        Ticket.objects.for_member(user)
        .select_related("product")
        .order_by("-last_activity_at", "-pk")
    )


def customer_conversation(ticket):
    """The messages a customer sees, in order, with authors and files: two queries."""
    return (
        ticket.messages.public()
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def _ticket_page(page, request, ticket, conversation_messages, reply_form, show_thanks=False):
    return page.render(
        request,
        template=page.ticket_detail_template,
        context_overrides=_page_context(
            page,
            request,
            ticket=ticket,
            conversation=conversation_messages,
            reply_form=reply_form,
            can_reply=ticket.status != TicketStatus.CLOSED,
            reply_url=page.route_url("reply", request, number=ticket.number),
            close_url=page.route_url("close", request, number=ticket.number),
            ticket_url=page.ticket_url(ticket, request),
            show_thanks=show_thanks,
        ),
    )


def _render_ticket(page, request, ticket, reply_form, status=200):
    _members_only(page, request)
    conversation_messages = list(customer_conversation(ticket))
    thanks = request.session.get(THANKS_SESSION_KEY) == ticket.number
    if thanks:
        del request.session[THANKS_SESSION_KEY]
    response = _ticket_page(page, request, ticket, conversation_messages, reply_form, thanks)
    response.status_code = status
    return _private(response)


def ticket_detail(page, request, number):
    ticket = _member_ticket(request, number)
    if ticket is None:
        return _not_found(page, request, number)
    if request.method != "GET" and request.method != "HEAD":
        return HttpResponseNotAllowed(["GET", "HEAD"])
    form = ReplyForm(support_settings=SupportSettings.for_request(request), page=page)
    response = _render_ticket(page, request, ticket, form)
    # The member has now seen every reply so far: the "new reply" marker goes.
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(customer_last_seen_at=now)
    return response


def reply(page, request, number):
    ticket = _member_ticket(request, number)
    if ticket is None:
        return _not_found(page, request, number)
    if request.method != "POST":
        # Someone who followed a login link back here: the ticket and its reply form.
        return HttpResponseRedirect(page.ticket_url(ticket, request))
    form = ReplyForm(
        request.POST,
        request.FILES,
        support_settings=SupportSettings.for_request(request),
        page=page,
    )
    if ticket.status == TicketStatus.CLOSED:
        messages.error(
            request, _("This ticket is closed. Please create a new ticket instead.")
        )
        return HttpResponseRedirect(page.ticket_url(ticket, request))
    if not form.is_valid():
        return _render_ticket(page, request, ticket, form)
    reopened = ticket.status in (TicketStatus.RESOLVED, TicketStatus.WAITING)
    conversation.add_message(
        ticket, request.user, form.cleaned_data["body"], form.cleaned_data["attachments"]
    )
    if reopened:
        messages.success(request, _("Thank you. Your reply has been sent and the ticket is open again."))
    else:
        messages.success(request, _("Thank you. Your reply has been sent."))
    return HttpResponseRedirect(page.ticket_url(ticket, request) + "#conversation-end")


def close(page, request, number):
    ticket = _member_ticket(request, number)
    if ticket is None:
        return _not_found(page, request, number)
    if ticket.status == TicketStatus.CLOSED:
        return HttpResponseRedirect(page.ticket_url(ticket, request))
    if request.method != "POST":
        # Closing cannot be undone: the button on the ticket leads here to confirm it.
        _members_only(page, request)
        response = page.render(
            request,
            template=page.ticket_close_template,
            context_overrides=_page_context(
                page,
                request,
                ticket=ticket,
                close_url=page.route_url("close", request, number=ticket.number),
                ticket_url=page.ticket_url(ticket, request),
            ),
        )
        return _private(response)
    if conversation.set_status(ticket, TicketStatus.CLOSED, request.user):
        messages.success(request, _("The ticket has been closed. Thank you."))
    return HttpResponseRedirect(page.ticket_url(ticket, request))


# Editors' preview of the routes (SupportPageMixin.serve_preview): nothing is stored ----------


def preview_ticket_form(page, request):
    """The form as a member with no invoice number on file sees it, help texts and all."""
    profile = MemberProfile(user=request.user)
    form = TicketForm(page=page, profile=profile, support_settings=SupportSettings.for_request(request))
    return page.render(
        request,
        template=page.ticket_form_template,
        context_overrides=_page_context(page, request, form=form, profile=profile),
    )


def preview_thanks(page, request):
    """A ticket page just after filing, to see the thank-you text: an example ticket, unsaved."""
    now = timezone.now()
    ticket = Ticket(
        number=f"{now.year}-00001",
        subject=_("Example ticket"),
        author=request.user,
        created_at=now,
        last_activity_at=now,
    )
    reply_form = ReplyForm(support_settings=SupportSettings.for_request(request), page=page)
    return _ticket_page(page, request, ticket, [], reply_form, show_thanks=True)
