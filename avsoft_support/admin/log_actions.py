"""Labels and readable messages of the support desk's audit log entries (codes in audit.py).

Registered by the ``register_log_actions`` hook in wagtail_hooks.py; the ticket's history view
and the ticket screen list the entries. ``wagtail.log_actions.log()`` stores an entry for an
unregistered action too; registering gives the history views a label and a readable message.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from wagtail.log_actions import LogFormatter

from ..audit import (
    CLIENT_IMPORT,
    CLIENT_SHARING,
    CLIENT_UNVERIFY,
    CLIENT_VERIFY,
    OTP_RESET,
    TICKET_ANONYMISE,
    TICKET_ASSIGN,
    TICKET_CC,
    TICKET_CORRECT,
    TICKET_CREATE,
    TICKET_CRITICALITY,
    TICKET_ESCALATE,
    TICKET_FILES_PURGE,
    TICKET_FOLLOW,
    TICKET_NOTE,
    TICKET_RATE,
    TICKET_REMIND,
    TICKET_REPLY,
    TICKET_STATUS,
)
from ..models import Criticality, TicketStatus


def _old_new(data, key):
    """Read ``{"old": x, "new": y}`` or ``{key: {"old": x, "new": y}}`` from an entry's data."""
    data = data or {}
    if isinstance(data.get(key), dict):
        data = data[key]
    return data.get("old"), data.get("new")


def _choice_label(choices, value):
    if value in (None, ""):
        return _("none")
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _name(value):
    """A user as logged: {"id": 1, "name": "…"}, or a plain name."""
    if isinstance(value, dict):
        return value.get("name") or ""
    return value or ""


class TicketCreateFormatter(LogFormatter):
    """data: {"number", "client_status", "priority", "attachments"}."""

    label = _("File ticket")
    message = _("Ticket filed")


class TicketReplyFormatter(LogFormatter):
    """data: {"message": <pk>, "from_staff": bool, "attachments": <count>}."""

    label = _("Reply to ticket")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        count = data.get("attachments") or 0
        if data.get("from_staff"):
            if count:
                return ngettext(
                    "Support replied, with %(count)s attached file",
                    "Support replied, with %(count)s attached files",
                    count,
                ) % {"count": count}
            return _("Support replied")
        if count:
            return ngettext(
                "Customer replied, with %(count)s attached file",
                "Customer replied, with %(count)s attached files",
                count,
            ) % {"count": count}
        return _("Customer replied")


class TicketNoteFormatter(LogFormatter):
    """data: {"message": <pk>, "attachments": <count>}."""

    label = _("Add internal note")

    def format_message(self, log_entry):
        count = (log_entry.data or {}).get("attachments") or 0
        if count:
            return ngettext(
                "Internal note added, with %(count)s attached file",
                "Internal note added, with %(count)s attached files",
                count,
            ) % {"count": count}
        return _("Internal note added")


class TicketStatusFormatter(LogFormatter):
    """data: {"old": "new", "new": "in_progress", "reason": optional}."""

    label = _("Change ticket status")

    def format_message(self, log_entry):
        reason = (log_entry.data or {}).get("reason")
        if reason == "no_answer":
            return _("Resolved automatically: the customer did not answer")
        if reason == "auto_close":
            return _("Closed automatically: resolved and not answered")
        old, new = _old_new(log_entry.data, "status")
        if new is None:
            return _("Status changed")
        if old is None:
            return _("Status set to “%(new)s”") % {"new": _choice_label(TicketStatus, new)}
        return _("Status changed from “%(old)s” to “%(new)s”") % {
            "old": _choice_label(TicketStatus, old),
            "new": _choice_label(TicketStatus, new),
        }


class TicketAssignFormatter(LogFormatter):
    """data: {"old": {"id": 1, "name": "…"} | None, "new": {"id": 2, "name": "…"} | None}."""

    label = _("Assign ticket")

    def format_message(self, log_entry):
        old, new = _old_new(log_entry.data, "assignee")
        if _name(new):
            return _("Assigned to %(name)s") % {"name": _name(new)}
        if _name(old):
            return _("Unassigned from %(name)s") % {"name": _name(old)}
        return pgettext("history", "Unassigned")


class TicketCriticalityFormatter(LogFormatter):
    """data: {"old": 3, "new": 1}."""

    label = _("Change ticket criticality")

    def format_message(self, log_entry):
        old, new = _old_new(log_entry.data, "criticality")
        if new is None:
            return _("Criticality changed")
        return _("Criticality changed from “%(old)s” to “%(new)s”") % {
            "old": _choice_label(Criticality, old),
            "new": _choice_label(Criticality, new),
        }


class TicketCorrectFormatter(LogFormatter):
    """data: {"changes": {"subject": ["old", "new"], "product": [...], "product_other": [...],
    "product_version": [...]}}."""

    label = _("Correct ticket details")

    def format_message(self, log_entry):
        names = {
            "subject": _("subject"),
            "product": _("product"),
            "product_other": _("other product"),
            "product_version": _("product version"),
        }
        changes = (log_entry.data or {}).get("changes") or {}
        parts = [
            _("%(field)s “%(old)s” to “%(new)s”")
            % {"field": names.get(name, name), "old": values[0] or "—", "new": values[1] or "—"}
            for name, values in changes.items()
            if isinstance(values, list) and len(values) == 2
        ]
        if not parts:
            return _("Ticket details corrected")
        return _("Corrected: %(changes)s") % {"changes": "; ".join(parts)}


class ClientVerifyFormatter(LogFormatter):
    """data: {"member": "Ivan Petrov", "email", "user_id", "account": "ACME", "account_id",
    "automatic": true when the number matched an account, without a person checking}."""

    label = _("Verify client")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        if not (data.get("member") and data.get("account")):
            return _("Client verified")
        values = {"member": data["member"], "account": data["account"]}
        if data.get("automatic"):
            return _("%(member)s matched %(account)s by invoice number") % values
        return _("%(member)s verified as a client of %(account)s") % values


class ClientUnverifyFormatter(LogFormatter):
    """data: {"member": "Ivan Petrov", "account": "ACME" | None, "status": "claimed"}."""

    label = _("Withdraw client verification")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        if data.get("member") and data.get("account"):
            return _("Verification of %(member)s as a client of %(account)s withdrawn") % {
                "member": data["member"],
                "account": data["account"],
            }
        if data.get("member"):
            return _("Verification of %(member)s withdrawn") % {"member": data["member"]}
        return _("Client verification withdrawn")


class ClientImportFormatter(LogFormatter):
    """data: {"created": bool, "line": <line number in the file>}."""

    label = _("Import clients")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        if data.get("created"):
            return _("Created by a CSV import (line %(line)s)") % {"line": data.get("line", "")}
        return _("Updated by a CSV import (line %(line)s)") % {"line": data.get("line", "")}


class OTPResetFormatter(LogFormatter):
    """data: {"devices": <count removed>}."""

    label = _("Reset two-factor authentication")
    message = _("Two-factor authentication reset")


class TicketAnonymiseFormatter(LogFormatter):
    """data: {"attachments": <count of the customer's files deleted>}."""

    label = _("Anonymise ticket")

    def format_message(self, log_entry):
        count = (log_entry.data or {}).get("attachments") or 0
        if count:
            return ngettext(
                "The customer deleted their account: the ticket is no longer linked to them, "
                "and %(count)s file they attached was deleted",
                "The customer deleted their account: the ticket is no longer linked to them, "
                "and %(count)s files they attached were deleted",
                count,
            ) % {"count": count}
        return _("The customer deleted their account: the ticket is no longer linked to them")


class TicketFilesPurgeFormatter(LogFormatter):
    """data: {"attachments": <count>, "days": <the retention period>}."""

    label = _("Delete attached files after the retention period")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        count = data.get("attachments") or 0
        return ngettext(
            "%(count)s attached file deleted: the ticket was closed more than %(days)s days ago",
            "%(count)s attached files deleted: the ticket was closed more than %(days)s days ago",
            count,
        ) % {"count": count, "days": data.get("days", "")}


class TicketEscalateFormatter(LogFormatter):
    """data: {"kind": "due_soon" | "overdue", "due": <ISO time>}."""

    label = _("Report a first response due")

    def format_message(self, log_entry):
        if (log_entry.data or {}).get("kind") == "overdue":
            return _("First response overdue: reported to the assignee or the support addresses")
        return _("First response due soon: reported to the assignee or the support addresses")


class TicketRemindFormatter(LogFormatter):
    """data: {"resolve_at": <ISO time the ticket is resolved without an answer>}."""

    label = _("Remind the customer")
    message = _("The customer was reminded that the ticket is waiting for their answer")


class TicketFollowFormatter(LogFormatter):
    """data: {"follow": bool} (following.py)."""

    label = _("Follow ticket")

    def format_message(self, log_entry):
        if (log_entry.data or {}).get("follow"):
            return _("A colleague of the customer follows the ticket")
        return _("A colleague of the customer stopped following the ticket")


class TicketCCFormatter(LogFormatter):
    """data: {"added": address} or {"removed": address} (following.py)."""

    label = _("Copy an address in")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        if "added" in data:
            return _("The customer copied %(email)s in") % {"email": data["added"]}
        return _("The customer stopped copying %(email)s in") % {"email": data.get("removed", "")}


class TicketRateFormatter(LogFormatter):
    """data: {"score": "good" | "bad", "source": "email" | "page"} (ratings.py)."""

    label = _("Rate ticket")

    def format_message(self, log_entry):
        if (log_entry.data or {}).get("score") == "good":
            return _("The customer rated the resolution good")
        return _("The customer rated the resolution bad")


class ClientSharingFormatter(LogFormatter):
    """data: {"share_tickets": bool, "by_member": true} (clients/sharing.py)."""

    label = _("Switch company ticket sharing")

    def format_message(self, log_entry):
        if (log_entry.data or {}).get("share_tickets"):
            return _("The account's administrator let its members see each other's tickets")
        return _("The account's administrator stopped sharing its members' tickets")


FORMATTERS = {
    TICKET_FOLLOW: TicketFollowFormatter,
    TICKET_CC: TicketCCFormatter,
    TICKET_RATE: TicketRateFormatter,
    CLIENT_SHARING: ClientSharingFormatter,
    TICKET_CREATE: TicketCreateFormatter,
    TICKET_REPLY: TicketReplyFormatter,
    TICKET_NOTE: TicketNoteFormatter,
    TICKET_STATUS: TicketStatusFormatter,
    TICKET_ASSIGN: TicketAssignFormatter,
    TICKET_CRITICALITY: TicketCriticalityFormatter,
    TICKET_CORRECT: TicketCorrectFormatter,
    CLIENT_VERIFY: ClientVerifyFormatter,
    CLIENT_UNVERIFY: ClientUnverifyFormatter,
    CLIENT_IMPORT: ClientImportFormatter,
    OTP_RESET: OTPResetFormatter,
    TICKET_ANONYMISE: TicketAnonymiseFormatter,
    TICKET_FILES_PURGE: TicketFilesPurgeFormatter,
    TICKET_ESCALATE: TicketEscalateFormatter,
    TICKET_REMIND: TicketRemindFormatter,
}


def register_log_actions(actions):
    """Called by the ``register_log_actions`` hook with Wagtail's LogActionRegistry."""
    for action, formatter in FORMATTERS.items():
        actions.register_action(action)(formatter)
