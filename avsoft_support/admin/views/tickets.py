"""Tickets in the Wagtail admin: the triage list, the ticket screen, and the snippet views that
check permissions before they look a ticket up.

The ticket screen (conversation, reply form, controls for status, assignee and criticality, the
customer with their client status) answers at the Ticket viewset's "edit" URL
(``avsoft_support_tickets:edit``), so every link to a ticket's admin page lands on it. Every
change goes through tickets.py, which logs it.
"""

import datetime
import hashlib

from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import registry as log_registry
from wagtail.snippets.views import snippets as snippet_views

from ... import tickets, triage
from ...clients.status import find_account, verify_with_new_account
from ...conf import app_settings
from ...models import (
    Attachment,
    CannedReply,
    ClientAccount,
    Message,
    SupportSettings,
    Ticket,
    profile_of,
)
from ...permissions import assignable_users, can_manage_clients, can_verify, can_work_on_tickets
from ...search_index import search_tickets
from ...views.attachments import attachment_response
from .. import presence
from ..bulk_actions import bulk_action_buttons_html
from ..columns import (
    AssigneeColumn,
    CheckboxColumn,
    ClientStatusColumn,
    CriticalityColumn,
    CustomerColumn,
    InlineRowsTable,
    LastCustomerActivityColumn,
    ProductColumn,
    SLADueColumn,
    TextColumn,
    TicketStatusColumn,
    TicketTitleColumn,
    kept,
    row_menu,
)
from ..filters import TicketFilterSet
from ..forms import (
    NewClientAccountForm,
    StaffReplyForm,
    TicketControlsForm,
    TicketDetailsForm,
    VerifyMemberForm,
)
from ..pagination import CappedPaginator
from ..search import TicketIndexSearchMixin


class PermissionBeforeLookupMixin:
    """The view's own permission check, made before Wagtail's setup() looks the ticket up:
    without it, someone with no ticket permissions could tell existing ids (a redirect) from
    missing ones (404)."""

    def setup(self, request, *args, **kwargs):
        self.request = request
        if self.permission_required is not None and not self.user_has_permission(
            self.permission_required
        ):
            raise PermissionDenied
        if self.any_permission_required is not None and not self.user_has_any_permission(
            self.any_permission_required
        ):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)


class TicketHistoryView(PermissionBeforeLookupMixin, snippet_views.HistoryView):
    pass


class TicketInspectView(PermissionBeforeLookupMixin, snippet_views.InspectView):
    """Every field read-only: times in the site's time zone, "—" for what is not set (Wagtail
    shows raw UTC times and the word "None")."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class TicketDeleteView(PermissionBeforeLookupMixin, snippet_views.DeleteView):
    pass


class TicketUsageView(PermissionBeforeLookupMixin, snippet_views.UsageView):
    pass


def queue_query(query):
    """The listing's query string as the ticket screen carries it (``?queue=``): its filters,
    search, order and page, without Wagtail's own fragment flag."""
    data = QueryDict(query or "", mutable=True)
    data.pop("_w_filter_fragment", None)
    return data.urlencode()


# The triage list's filter form as rendered, per language, values, errors and choices.
_FILTERS_HTML = {}


def filters_html(filters):
    """The filter drilldown of the list's header, rendered once per language, filter values
    (and their errors) and choices: eight fields through Wagtail's field template cost every
    triage page about 7 ms (10,000 tickets), for markup that changes only with those."""
    fields = [
        (
            field.name,
            repr(field.value()),
            [str(error) for error in field.errors],
            [(str(value), str(label)) for value, label in getattr(field.field, "choices", ())],
        )
        for field in filters.form
    ]
    key = hashlib.sha256(repr((get_language(), fields)).encode()).hexdigest()
    return kept(
        _FILTERS_HTML,
        key,
        lambda: render_to_string("avsoft_support/admin/tickets/filters.html", {"filters": filters}),
    )


class TicketIndexView(TicketIndexSearchMixin, snippet_views.IndexView):
    """The triage list: by default only what needs our action, in the queue order
    (triage.QUEUE_ORDERING); saved views above it; one line per ticket."""

    default_ordering = triage.QUEUE_ORDERING
    # No COUNT over every ticket on each page view (admin/pagination.py).
    paginator_class = CappedPaginator
    table_class = InlineRowsTable
    table_classname = "listing avs-queue-table"

    @cached_property
    def _permission_answers(self):
        return {}

    def user_has_permission(self, permission):
        # Ticket permissions are per model, not per ticket: each row's links and menu asked
        # the same four questions again (about 270 checks a page).
        key = ("one", permission)
        if key not in self._permission_answers:
            self._permission_answers[key] = super().user_has_permission(permission)
        return self._permission_answers[key]

    def user_has_any_permission(self, permissions):
        key = ("any", frozenset(permissions))
        if key not in self._permission_answers:
            self._permission_answers[key] = super().user_has_any_permission(permissions)
        return self._permission_answers[key]

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        paginator.count_in_order = self.counts_in_queue_order()
        return paginator

    def counts_in_queue_order(self):
        """Whether the capped count keeps the queue's order: when an index holds this view in
        that order (``TicketFilterSet.read_in_queue_order``), and no search or column order
        is chosen. Counted in that order, the database reads that index alone ("needs our
        action" at 100,000 tickets on SQLite: 0.07 ms; unordered it read a narrower index of
        every ticket, 1.2 ms; one product, 0.09 against 2.0 ms). Any other view is counted
        unordered: in an order no index keeps, every match would be sorted first (all
        statuses of one product: 18 ms)."""
        filters = self.filters
        return bool(
            not self.is_explicitly_ordered
            and not (self.request.GET.get("q") or "").strip()
            and filters is not None
            and filters.is_valid()
            and filters.read_in_queue_order()
        )

    def order_queryset(self, queryset):
        if self.is_explicitly_ordered and self.ordering in self.get_valid_orderings():
            return queryset.order_by(self.ordering, "pk")
        return queryset.order_by(*triage.QUEUE_ORDERING)

    def _object_url(self, url_name, instance):
        """reverse() once per URL name and page rather than once per row and link (a row
        has four: the title, and edit, inspect and delete in its menu)."""
        makers = self.__dict__.setdefault("_url_makers", {})
        if url_name not in makers:
            sample = "918273645"
            head, found, tail = reverse(url_name, args=(sample,)).partition(sample)
            makers[url_name] = (
                (lambda pk: f"{head}{pk}{tail}")
                if found and sample not in tail
                else (lambda pk: reverse(url_name, args=(pk,)))
            )
        return makers[url_name](quote(instance.pk))

    def get_edit_url(self, instance):
        # The ticket screen learns which view it was opened from: "next ticket" and "back to
        # the queue" keep its filters, and the reply box takes the focus.
        if self.edit_url_name and self.user_has_permission("change"):
            return self._object_url(self.edit_url_name, instance) + self._queue_suffix

    def get_inspect_url(self, instance):
        if self.inspect_url_name and self.user_has_any_permission(
            {"add", "change", "delete", "view"}
        ):
            return self._object_url(self.inspect_url_name, instance)

    def get_delete_url(self, instance):
        if self.delete_url_name and self.user_has_permission("delete"):
            return self._object_url(self.delete_url_name, instance)

    @cached_property
    def _menu_words(self):
        # Wagtail's labels, from Wagtail's catalogue (through a variable: not ours to extract),
        # translated once a page rather than once a row.
        words = ("Edit", "Inspect", "Delete", "More options for '%(title)s'")
        return {word: gettext(word) for word in words}

    def _row_links(self, instance):
        """(priority, label, URL, icon) of the row menu's links, as the user may follow them."""
        words = self._menu_words
        links = []
        if edit_url := self.get_edit_url(instance):
            links.append((10, words["Edit"], edit_url, "edit"))
        if inspect_url := self.get_inspect_url(instance):
            links.append((20, words["Inspect"], inspect_url, "info-circle"))
        if delete_url := self.get_delete_url(instance):
            links.append((30, words["Delete"], delete_url, "bin"))
        return links

    def get_list_more_buttons(self, instance):
        """Wagtail's row menu (edit, inspect, delete, as the user may; tickets are never
        copied), with the labels looked up once a page."""
        return [
            MenuItem(label, url=url, icon_name=icon, priority=priority)
            for priority, label, url, icon in self._row_links(instance)
        ]

    @cached_property
    def _plain_row_menus(self):
        # No hook adds or changes listing buttons, and no subclass makes its own.
        view = type(self)
        return (
            not hooks.get_hooks("register_snippet_listing_buttons")
            and not hooks.get_hooks("construct_snippet_listing_buttons")
            and view.get_list_buttons is TicketIndexView.get_list_buttons
            and view.get_list_more_buttons is TicketIndexView.get_list_more_buttons
        )

    def get_list_buttons(self, instance):
        """Wagtail's, written straight from the links when nothing but ours is in the menu:
        building its MenuItem, Button and ButtonWithDropdown objects row by row, and the
        menu from them, was about 5 % of the triage list's time (issue 12)."""
        if not self._plain_row_menus:
            return super().get_list_buttons(instance)
        links = self._row_links(instance)
        if not links:
            return []
        more_options = self._menu_words["More options for '%(title)s'"] % {"title": str(instance)}
        return [row_menu(links, more_options)]

    @cached_property
    def _queue_suffix(self):
        # Asked twice per row (the title's link and the menu's "Edit"): parsed once.
        return "?" + urlencode({"queue": queue_query(self.request.GET.urlencode())})

    def saved_views(self):
        """The views agents switch between: label, URL and whether it is the one shown."""
        current = QueryDict(queue_query(self.request.GET.urlencode()))
        shown = {key: value for key, value in current.items() if key not in ("p", "ordering")}
        views = [
            (gettext_lazy("Needs our action"), {}),
            (gettext_lazy("Mine"), {"status": "open", "assignee": "me"}),
            (gettext_lazy("Unassigned"), {"assignee": "unassigned"}),
            (pgettext_lazy("saved view", "Waiting for customer"), {"status": "waiting"}),
            (gettext_lazy("All open"), {"status": "open"}),
        ]
        index_url = reverse(self.index_url_name)
        return [
            {
                "label": label,
                "url": index_url + ("?" + urlencode(query) if query else ""),
                "active": {k: v for k, v in shown.items() if v} == query,
            }
            for label, query in views
        ]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["saved_views"] = self.saved_views()
        context["queue_order_help"] = triage.QUEUE_ORDER_HELP
        context["bulk_action_buttons_html"] = bulk_action_buttons_html(self.request.user)
        if context.get("filters") and context.get("search_form"):
            context["filters_html"] = filters_html(context["filters"])
        return context

    @cached_property
    def columns(self):
        return [
            CheckboxColumn("bulk_actions", obj_type="snippet"),
            TextColumn(
                "number",
                label=gettext_lazy("Number"),
                sort_key="number",
                classname="avs-col-number",
            ),
            self._get_title_column(
                "subject", column_class=TicketTitleColumn, classname="avs-subject"
            ),
            CustomerColumn(
                "customer", label=gettext_lazy("Customer"), classname="avs-col-customer"
            ),
            ClientStatusColumn(
                "client_status",
                label=gettext_lazy("Client status"),
                sort_key="priority",
                classname="avs-col-client",
                short=True,
            ),
            TicketStatusColumn(
                "status",
                label=gettext_lazy("Status"),
                sort_key="status",
                classname="avs-col-status",
            ),
            SLADueColumn(
                "sla_due_at",
                label=gettext_lazy("Response due"),
                sort_key="sla_due_at",
                classname="avs-col-due",
            ),
            CriticalityColumn(
                "criticality",
                label=gettext_lazy("Criticality"),
                sort_key="criticality",
                classname="avs-col-criticality",
            ),
            ProductColumn(
                "product", label=gettext_lazy("Product and version"), classname="avs-col-product"
            ),
            AssigneeColumn(
                "assignee", label=gettext_lazy("Assignee"), classname="avs-col-assignee"
            ),
            LastCustomerActivityColumn(
                "last_customer_reply_at",
                label=gettext_lazy("Customer wrote"),
                sort_key="last_customer_reply_at",
                classname="avs-col-activity",
            ),
        ]


class TicketView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    model = Ticket
    template_name = "avsoft_support/admin/ticket.html"
    any_permission_required = ["change", "view"]
    index_url_name = None
    edit_url_name = None
    history_url_name = None
    attachment_url_name = None
    presence_url_name = None
    header_icon = "comment"
    recent_history_limit = 8

    # Setup ---------------------------------------------------------------------------------

    @cached_property
    def object(self):
        # Looked up on first use, after PermissionCheckedMixin.dispatch: someone without
        # ticket permissions gets the same answer for an existing ticket and a missing one.
        return get_object_or_404(triage.staff_ticket_queryset(), pk=self.kwargs["pk"])

    @cached_property
    def can_change(self):
        return self.user_has_permission("change")

    @cached_property
    def can_verify(self):
        return can_verify(self.request.user)

    @cached_property
    def profile(self):
        return profile_of(self.object.author)

    @cached_property
    def support_settings(self):
        return SupportSettings.for_request(self.request)

    def get_edit_url(self, pk=None):
        """The ticket screen's URL, still naming the queue it was opened from."""
        url = reverse(self.edit_url_name, args=[pk or self.object.pk])
        return f"{url}?{urlencode({'queue': self.queue})}" if self.from_queue else url

    # The queue the ticket was opened from -------------------------------------------------

    @cached_property
    def queue(self):
        """The listing's query string (filters, search, order, page), or "" when the ticket
        was not opened from the list."""
        request = self.request
        return queue_query(request.POST.get("queue") or request.GET.get("queue") or "")

    @cached_property
    def from_queue(self):
        return "queue" in self.request.GET or "queue" in self.request.POST

    def get_queue_url(self):
        url = reverse(self.index_url_name)
        return f"{url}?{self.queue}" if self.queue else url

    def next_ticket_id(self):
        """The ticket after this one in the view it was opened from (its filters, search and
        order; the default view when none): for "send and go to the next ticket"."""
        data = QueryDict(self.queue)
        queryset = triage.staff_ticket_queryset()
        filterset = TicketFilterSet(data, queryset=queryset, request=self.request)
        queryset = (
            filterset.qs if filterset.is_valid() else queryset.filter(triage.needs_action_q())
        )
        term = (data.get("q") or "").strip()
        if term:
            queryset = search_tickets(queryset, term)
        ordering = data.get("ordering", "")
        if ordering.lstrip("-") in self.sortable_fields:
            queryset = queryset.order_by(ordering, "pk")
        else:
            queryset = queryset.order_by(*triage.QUEUE_ORDERING)
        return triage.next_in_queue(queryset, self.object)

    # What the listing can sort by (TicketIndexView's sort keys).
    sortable_fields = (
        "number",
        "priority",
        "status",
        "sla_due_at",
        "criticality",
        "last_customer_reply_at",
    )

    # Header --------------------------------------------------------------------------------

    def get_page_title(self):
        return _("Ticket %(number)s") % {"number": self.object.number or self.object.pk}

    def get_page_subtitle(self):
        return self.object.subject

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": self.get_queue_url(), "label": _("Tickets")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.object.subject},
        ]

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                _("History"),
                url=reverse(self.history_url_name, args=[self.object.pk]),
                icon_name="history",
            )
        ]

    # Forms ---------------------------------------------------------------------------------

    @cached_property
    def canned_replies(self):
        return list(CannedReply.objects.only("pk", "title", "category", "text"))

    def get_reply_form(self, data=None, files=None, initial=None):
        return StaffReplyForm(
            data,
            files,
            initial=initial,
            support_settings=self.support_settings,
            canned_replies=self.canned_replies,
            prefix="reply",
        )

    def assignees(self):
        ticket = self.object
        users = get_user_model().objects.filter(
            Q(pk__in=assignable_users().values("pk")) | Q(pk=ticket.assignee_id)
        )
        return users.order_by(get_user_model().USERNAME_FIELD)

    def get_controls_form(self, data=None):
        ticket = self.object
        return TicketControlsForm(
            data,
            initial={
                "status": ticket.status,
                "assignee": ticket.assignee_id,
                "criticality": ticket.criticality,
                # What the screen showed: only what the agent changed is applied on sending.
                "loaded_status": ticket.status,
                "loaded_assignee": ticket.assignee_id or "",
                "loaded_criticality": ticket.criticality,
            },
            assignees=self.assignees(),
            prefix="controls",
        )

    def bound_controls_form(self):
        """The controls as posted with the form (one form on the screen), or None when the
        post had none (a client of the old two forms, a read-only screen)."""
        if "controls-status" not in self.request.POST:
            return None
        return self.get_controls_form(self.request.POST)

    @cached_property
    def can_create_account(self):
        return self.can_verify and can_manage_clients(self.request.user, ["add"])

    def get_details_form(self, data=None):
        ticket = self.object
        return TicketDetailsForm(
            data,
            initial={
                "subject": ticket.subject,
                "product": ticket.product_id,
                "product_other": ticket.product_other,
                "product_version": ticket.product_version,
            },
            prefix="details",
        )

    def get_account_form(self, data=None):
        """A client account for the customer's company, when they are not a current client
        yet and the user may create accounts and verify."""
        profile = self.profile
        if profile is None or profile.client_status == "current" or not self.can_create_account:
            return None
        return NewClientAccountForm(
            data,
            initial={"company": profile.company, "invoice_number": profile.invoice_number},
            prefix="account",
        )

    def get_verify_form(self):
        profile = self.profile
        if profile is None or not self.can_verify:
            return None
        guess = find_account(profile.invoice_number) if profile.invoice_number else None
        if guess is None and profile.company:
            guess = ClientAccount.objects.filter(
                active=True, company__iexact=profile.company.strip()
            ).first()
        return VerifyMemberForm(initial={"account": guess.pk if guess else None}, prefix="verify")

    # Context -------------------------------------------------------------------------------

    def get_messages(self):
        # The original of a reply by e-mail comes in the same query (a left join).
        return list(
            Message.objects.filter(ticket=self.object).conversation().select_related("inbound_mail")
        )

    def get_recent_history(self):
        entries = (
            log_registry.get_logs_for_instance(self.object)
            .select_related("user")
            .order_by("-timestamp", "-pk")[: self.recent_history_limit]
        )
        return list(entries)

    def get_context_data(
        self,
        reply_form=None,
        controls_form=None,
        newer_messages=(),
        details_form=None,
        account_form=None,
        **kwargs,
    ):
        context = super().get_context_data(**kwargs)
        ticket = self.object
        profile = self.profile
        canned = self.canned_replies
        conversation = self.get_messages()
        # What the agent sees now: a reply posted over anything newer is held back.
        newest_public = max(
            (message.pk for message in conversation if not message.is_internal), default=None
        )
        context.update(
            {
                "ticket": ticket,
                "object": ticket,
                "profile": profile,
                "conversation": conversation,
                "can_change": self.can_change,
                "can_verify": self.can_verify,
                "reply_form": reply_form or self.get_reply_form(initial={"seen": newest_public}),
                "newest_public_id": newest_public,
                "newer_ids": {message.pk for message in newer_messages},
                "collision_notice": presence.collision_notice(newer_messages, ticket)
                if newer_messages
                else "",
                "viewing_notices": presence.viewing_notices(
                    presence.touch(ticket.pk, self.request.user)
                ),
                "presence_url": reverse(self.presence_url_name, args=[ticket.pk]),
                "presence_interval": app_settings.PRESENCE_POLL_INTERVAL,
                "controls_form": (controls_form or self.get_controls_form())
                if self.can_change
                else None,
                "verify_form": self.get_verify_form(),
                "details_form": (details_form or self.get_details_form())
                if self.can_change
                else None,
                "account_form": account_form or self.get_account_form(),
                "history_url": reverse(self.history_url_name, args=[ticket.pk]),
                "recent_history": self.get_recent_history(),
                "attachment_url_name": self.attachment_url_name,
                "overdue": triage.is_overdue(ticket),
                "edit_url": self.get_edit_url(),
                "canned_replies": canned,
                "canned_texts": {
                    str(reply.pk): reply.fill(ticket, self.request.user) for reply in canned
                },
                "queue": self.queue,
                "from_queue": self.from_queue,
                "queue_url": self.get_queue_url(),
                # Opened from the list: the agent came to answer, the reply box takes the focus.
                "focus_reply": self.from_queue and self.request.method == "GET",
                # Added to Wagtail's keyboard shortcuts dialog by admin.js.
                "shortcuts": {
                    "title": _("Ticket"),
                    "shortcuts": [
                        [_("Send the reply or note"), "Ctrl + Enter"],
                        [_("Send and open the next ticket"), "Ctrl + Shift + Enter"],
                        [_("Write a public reply"), "Alt + R"],
                        [_("Write an internal note"), "Alt + N"],
                    ],
                },
                # An anonymised ticket (the customer deleted their account) has no others.
                "other_tickets_count": Ticket.objects.filter(author_id=ticket.author_id)
                .exclude(pk=ticket.pk)
                .count()
                if ticket.author_id
                else 0,
                "other_tickets_url": reverse(self.index_url_name)
                + "?"
                + urlencode({"q": ticket.author.email, "status": "all"})
                if ticket.author_id and ticket.author.email
                else None,
            }
        )
        return context

    # Actions -------------------------------------------------------------------------------
    #
    # One form on the screen: the message (reply or note) and the controls (status, assignee,
    # criticality) are posted together. "Send" adds the message, then applies what the agent
    # changed in the controls; "Save changes" applies the controls and keeps a typed message
    # on the screen, unsent. A form with errors comes back with everything as typed.

    def post(self, request, *args, **kwargs):
        if not self.can_change:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "controls" or (action == "reply" and "save_only" in request.POST):
            return self.post_controls()
        if action == "reply":
            return self.post_reply()
        if action == "details":
            return self.post_details()
        if action == "create_account":
            return self.post_create_account()
        if action == "controls":
            return self.post_controls()
        messages.error(request, _("Nothing was changed: the form sent an unknown action."))
        return HttpResponseRedirect(self.get_edit_url())

    def typed_reply_form(self):
        """The reply box as posted, unbound: what the agent typed, shown again."""
        post = self.request.POST
        prefix = "reply-"
        return self.get_reply_form(
            initial={
                "kind": post.get(prefix + "kind") or StaffReplyForm.REPLY,
                "body": post.get(prefix + "body", ""),
                # Still what the agent saw: a reply that came meanwhile still holds this back.
                "seen": post.get(prefix + "seen", ""),
            }
        )

    def post_reply(self):
        request = self.request
        if "insert_canned" in request.POST:
            return self.insert_canned_reply()
        form = self.get_reply_form(request.POST, request.FILES)
        controls = self.bound_controls_form()
        reply_ok = form.is_valid()
        controls_ok = controls is None or controls.is_valid()
        if not (reply_ok and controls_ok):
            messages.error(request, _("The message was not sent. Correct the errors below."))
            return self.render_to_response(
                self.get_context_data(reply_form=form, controls_form=controls), status=400
            )

        ticket = self.object
        # Read before the ticket changes: the reply can take it out of the view.
        next_id = self.next_ticket_id() if request.POST.get("then") == "next" else None
        seen = form.cleaned_data.get("seen")
        newer = []
        with transaction.atomic():
            if seen is not None:
                # Under the ticket's lock, as add_message takes it: a reply that arrives
                # meanwhile is either seen here or comes after this one.
                list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk"))
                newer = presence.newer_public_messages(ticket, seen, request.user)
            # A note is never held back: it reaches no customer.
            message = None if newer and not form.is_internal else self.add_reply(form, controls)
        if message is None:
            return self.hold_reply(form, newer, controls)
        if newer:
            # A note is never held back, but the agent learns what came meanwhile.
            messages.warning(request, presence.collision_notice(newer, ticket))
        if form.is_internal:
            messages.success(request, _("Internal note added."))
        else:
            messages.success(request, _("Reply sent to the customer."))
        if next_id is not None:
            return HttpResponseRedirect(self.get_edit_url(next_id))
        if request.POST.get("then") == "next":
            messages.info(request, _("That was the last ticket in this view."))
            return HttpResponseRedirect(self.get_queue_url())
        return HttpResponseRedirect(f"{self.get_edit_url()}#message-{message.pk}")

    def add_reply(self, form, controls=None):
        request = self.request
        ticket = self.object
        message = tickets.add_message(
            ticket,
            request.user,
            form.cleaned_data["body"],
            form.cleaned_data["files"],
            from_staff=True,
            internal=form.is_internal,
        )
        if controls is not None:
            ticket.refresh_from_db()
            # A public reply's mail states the new status: one mail, not two.
            self.apply_controls(controls, notify_status=form.is_internal)
        return message

    def apply_controls(self, form, *, notify_status=True):
        """Apply what the agent changed in the controls (against what the screen showed;
        all of it when the post did not say); returns whether anything changed."""
        request = self.request
        ticket = self.object
        data = form.cleaned_data

        def changed_by_agent(name, value):
            loaded = form.data.get(form.add_prefix(f"loaded_{name}"))
            return loaded is None or str(value if value is not None else "") != loaded

        assignee = data["assignee"]
        changed = False
        with transaction.atomic():
            if changed_by_agent("assignee", assignee.pk if assignee else None):
                changed |= tickets.assign(ticket, assignee, request.user)
            if changed_by_agent("criticality", data["criticality"]):
                changed |= tickets.set_criticality(ticket, data["criticality"], request.user)
            if changed_by_agent("status", data["status"]) and data["status"] != ticket.status:
                tickets.set_status(ticket, data["status"], request.user, notify=notify_status)
                changed = True
        return changed

    def hold_reply(self, form, newer, controls=None):
        """A public reply over a newer message: not sent. The screen again, the typed text and
        the controls kept, the newer messages marked, and the form now naming the newest
        message, so that sending again sends it."""
        request = self.request
        data = form.cleaned_data
        initial = {
            "kind": data["kind"],
            "body": data["body"],
            "seen": max(message.pk for message in newer),
        }
        if data.get("files"):
            messages.warning(
                request, _("Browsers do not keep chosen files: choose them again before sending.")
            )
        return self.render_to_response(
            self.get_context_data(
                reply_form=self.get_reply_form(initial=initial),
                controls_form=controls,
                newer_messages=newer,
            ),
            status=409,
        )

    def insert_canned_reply(self):
        """Without JavaScript: put the canned text under what was typed and show the form again."""
        request = self.request
        prefix = "reply-"
        body = request.POST.get(prefix + "body", "")
        chosen = request.POST.get(prefix + "canned_reply", "").strip()
        # Only a number names a canned reply (anything else once gave a server error).
        canned = (
            CannedReply.objects.filter(pk=chosen).first()
            if chosen.isascii() and chosen.isdigit()
            else None
        )
        if canned is not None:
            text = canned.fill(self.object, request.user)
            body = f"{body.rstrip()}\n\n{text}".strip() if body.strip() else text
        initial = {
            "kind": request.POST.get(prefix + "kind") or StaffReplyForm.REPLY,
            "body": body,
            # Still what the agent saw: a reply that came meanwhile still holds this one back.
            "seen": request.POST.get(prefix + "seen", ""),
        }
        if request.FILES:
            messages.warning(
                request, _("Browsers do not keep chosen files: choose them again before sending.")
            )
        form = self.get_reply_form(initial=initial)
        return self.render_to_response(
            self.get_context_data(reply_form=form, controls_form=self.bound_controls_form())
        )

    def post_controls(self):
        request = self.request
        form = self.get_controls_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was changed. Correct the errors below."))
            return self.render_to_response(
                self.get_context_data(reply_form=self.typed_reply_form(), controls_form=form),
                status=400,
            )
        changed = self.apply_controls(form)
        if changed:
            messages.success(request, _("Ticket updated."))
        else:
            messages.success(request, _("Nothing to change."))
        if request.POST.get("reply-body", "").strip():
            # A message being written stays on the screen, unsent (it used to be lost here).
            messages.info(request, _("Your message is not sent yet: it is still in the box below."))
            self.__dict__.pop("object", None)  # the ticket as it is now
            return self.render_to_response(
                self.get_context_data(reply_form=self.typed_reply_form())
            )
        return HttpResponseRedirect(self.get_edit_url())

    def post_details(self):
        """Staff correct the subject, product or version; the history keeps old and new."""
        request = self.request
        form = self.get_details_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was changed. Correct the errors below."))
            return self.render_to_response(
                self.get_context_data(details_form=form, reply_form=self.typed_reply_form()),
                status=400,
            )
        data = form.cleaned_data
        changed = tickets.correct_details(
            self.object,
            request.user,
            subject=data["subject"],
            product=data["product"],
            product_other=data["product_other"],
            product_version=data["product_version"],
        )
        messages.success(request, _("Ticket corrected.") if changed else _("Nothing to change."))
        return HttpResponseRedirect(self.get_edit_url())

    def post_create_account(self):
        """A client account for the customer's company, and the customer verified as its
        client, without leaving the ticket."""
        request = self.request
        form = self.get_account_form(request.POST)
        if form is None:
            raise PermissionDenied
        if not form.is_valid():
            messages.error(request, _("No account was created. Correct the errors below."))
            return self.render_to_response(
                self.get_context_data(account_form=form, reply_form=self.typed_reply_form()),
                status=400,
            )
        account = verify_with_new_account(
            self.profile,
            form.cleaned_data["company"],
            request.user,
            invoice_number=form.cleaned_data["invoice_number"],
        )
        messages.success(
            request,
            _("Client account %(company)s created; the customer is now its current client.")
            % {"company": account.company},
        )
        return HttpResponseRedirect(self.get_edit_url())


class TicketPresenceView(PermissionCheckedMixin, View):
    """The ticket screen's poll (admin.js): records that the agent still has the ticket open
    and answers, as JSON, who else has and whether a public message newer than ``?seen=``
    came meanwhile. A GET that changes nothing but the presence entry in the cache; the same
    queries however many agents or messages."""

    model = Ticket
    any_permission_required = ["change", "view"]

    def get(self, request, pk):
        ticket = get_object_or_404(Ticket.objects.only("pk"), pk=pk)
        viewing = presence.touch(ticket.pk, request.user)
        seen = request.GET.get("seen", "")
        newer = bool(
            seen.isascii()
            and seen.isdigit()
            and len(seen) <= 18  # a number PostgreSQL's bigint can compare
            and Message.objects.filter(ticket=ticket, pk__gt=int(seen))
            .public()
            .exclude(author=request.user)
            .exists()
        )
        notices = presence.viewing_notices(viewing)
        if newer:
            notices.append(_("A new reply arrived while you were on this page: reload to read it."))
        # Never cached: Wagtail's admin URLs all say so.
        return JsonResponse({"viewing": viewing, "newer": newer, "notices": notices})


class StaffAttachmentDownloadView(View):
    """A ticket's file for support staff: never shown inline, never sniffed by the browser."""

    def get(self, request, pk):
        if not can_work_on_tickets(request.user):
            raise PermissionDenied
        return attachment_response(get_object_or_404(Attachment, pk=pk))
