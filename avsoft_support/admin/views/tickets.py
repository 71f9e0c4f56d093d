"""Tickets in the Wagtail admin: the triage list, the ticket screen, and the snippet views that
check permissions before they look a ticket up.

The ticket screen (conversation, reply form, controls for status, assignee and criticality, the
customer with their client status) answers at the Ticket viewset's "edit" URL
(``avsoft_support_tickets:edit``), so every link to a ticket's admin page lands on it. Every
change goes through tickets.py, which logs it.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import registry as log_registry
from wagtail.snippets.views import snippets as snippet_views

from ... import tickets, triage
from ...clients.status import find_account
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
from ...permissions import assignable_users, can_verify, can_work_on_tickets
from ...views.attachments import attachment_response
from .. import presence
from ..columns import (
    ClientStatusColumn,
    CustomerColumn,
    ProductColumn,
    SLADueColumn,
    TicketStatusColumn,
)
from ..forms import StaffReplyForm, TicketControlsForm, VerifyMemberForm
from ..search import CaseVariantSearchMixin


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


class TicketIndexView(CaseVariantSearchMixin, snippet_views.IndexView):
    """The triage list: current clients first, then criticality, then the longest waiting."""

    default_ordering = triage.TRIAGE_ORDERING

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="snippet"),
            Column(
                "number", label=gettext_lazy("Number"), sort_key="number", classname="avs-nowrap"
            ),
            self._get_title_column("subject", classname="avs-subject"),
            CustomerColumn("customer", label=gettext_lazy("Customer")),
            ClientStatusColumn(
                "client_status", label=gettext_lazy("Client status"), sort_key="priority"
            ),
            TicketStatusColumn("status", label=gettext_lazy("Status"), sort_key="status"),
            # The due time beside the status: on a laptop screen it must not be the column
            # that scrolls out of view.
            SLADueColumn(
                "sla_due_at", label=gettext_lazy("First response due"), sort_key="sla_due_at"
            ),
            Column(
                "get_criticality_display", label=gettext_lazy("Criticality"), sort_key="criticality"
            ),
            ProductColumn("product", label=gettext_lazy("Product and version")),
            DateColumn(
                "last_activity_at", label=gettext_lazy("Last activity"), sort_key="last_activity_at"
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

    def get_edit_url(self):
        return reverse(self.edit_url_name, args=[self.object.pk])

    # Header --------------------------------------------------------------------------------

    def get_page_title(self):
        return _("Ticket %(number)s") % {"number": self.object.number or self.object.pk}

    def get_page_subtitle(self):
        return self.object.subject

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Tickets")},
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

    def get_reply_form(self, data=None, files=None, initial=None):
        return StaffReplyForm(
            data, files, initial=initial, support_settings=self.support_settings, prefix="reply"
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
            },
            assignees=self.assignees(),
            prefix="controls",
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

    def get_context_data(self, reply_form=None, controls_form=None, newer_messages=(), **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = self.object
        profile = self.profile
        canned = list(CannedReply.objects.only("pk", "title", "text"))
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
                "history_url": reverse(self.history_url_name, args=[ticket.pk]),
                "recent_history": self.get_recent_history(),
                "attachment_url_name": self.attachment_url_name,
                "overdue": triage.is_overdue(ticket),
                "edit_url": self.get_edit_url(),
                "canned_replies": canned,
                "canned_texts": {str(reply.pk): reply.text for reply in canned},
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

    def post(self, request, *args, **kwargs):
        if not self.can_change:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "reply":
            return self.post_reply()
        if action == "controls":
            return self.post_controls()
        messages.error(request, _("Nothing was changed: the form sent an unknown action."))
        return HttpResponseRedirect(self.get_edit_url())

    def post_reply(self):
        request = self.request
        if "insert_canned" in request.POST:
            return self.insert_canned_reply()
        form = self.get_reply_form(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("The message was not sent. Correct the errors below."))
            return self.render_to_response(self.get_context_data(reply_form=form), status=400)

        ticket = self.object
        seen = form.cleaned_data.get("seen")
        newer = []
        with transaction.atomic():
            if seen is not None:
                # Under the ticket's lock, as add_message takes it: a reply that arrives
                # meanwhile is either seen here or comes after this one.
                list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk"))
                newer = presence.newer_public_messages(ticket, seen, request.user)
            # A note is never held back: it reaches no customer.
            message = None if newer and not form.is_internal else self.add_reply(form)
        if message is None:
            return self.hold_reply(form, newer)
        if newer:
            # A note is never held back, but the agent learns what came meanwhile.
            messages.warning(request, presence.collision_notice(newer, ticket))
        if form.is_internal:
            messages.success(request, _("Internal note added."))
        else:
            messages.success(request, _("Reply sent to the customer."))
        return HttpResponseRedirect(f"{self.get_edit_url()}#message-{message.pk}")

    def add_reply(self, form):
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
        new_status = form.cleaned_data.get("status_after")
        if new_status:
            ticket.refresh_from_db()
            if new_status != ticket.status:
                # A public reply's mail states the new status: one mail, not two.
                tickets.set_status(ticket, new_status, request.user, notify=form.is_internal)
        return message

    def hold_reply(self, form, newer):
        """A public reply over a newer message: not sent. The screen again, the typed text and
        the status change kept, the newer messages marked, and the form now naming the newest
        message, so that sending again sends it."""
        request = self.request
        data = form.cleaned_data
        initial = {
            "kind": data["kind"],
            "body": data["body"],
            "status_after": data.get("status_after") or "",
            "seen": max(message.pk for message in newer),
        }
        if data.get("files"):
            messages.warning(
                request, _("Browsers do not keep chosen files: choose them again before sending.")
            )
        return self.render_to_response(
            self.get_context_data(
                reply_form=self.get_reply_form(initial=initial), newer_messages=newer
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
            body = f"{body.rstrip()}\n\n{canned.text}".strip() if body.strip() else canned.text
        initial = {
            "kind": request.POST.get(prefix + "kind") or StaffReplyForm.REPLY,
            "body": body,
            "status_after": request.POST.get(prefix + "status_after", ""),
            # Still what the agent saw: a reply that came meanwhile still holds this one back.
            "seen": request.POST.get(prefix + "seen", ""),
        }
        if request.FILES:
            messages.warning(
                request, _("Browsers do not keep chosen files: choose them again before sending.")
            )
        form = self.get_reply_form(initial=initial)
        return self.render_to_response(self.get_context_data(reply_form=form))

    def post_controls(self):
        request = self.request
        form = self.get_controls_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was changed. Correct the errors below."))
            return self.render_to_response(self.get_context_data(controls_form=form), status=400)

        ticket = self.object
        data = form.cleaned_data
        changed = False
        with transaction.atomic():
            changed |= tickets.assign(ticket, data["assignee"], request.user)
            changed |= tickets.set_criticality(ticket, data["criticality"], request.user)
            if data["status"] != ticket.status:
                tickets.set_status(ticket, data["status"], request.user)
                changed = True
        if changed:
            messages.success(request, _("Ticket updated."))
        else:
            messages.success(request, _("Nothing to change."))
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
