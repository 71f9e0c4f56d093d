"""The support desk's action codes in Wagtail's audit log, and the one way we write an entry.

Who writes what:

* tickets.py: ticket.create, ticket.reply (customer or staff), ticket.note, ticket.status,
  ticket.assign, ticket.criticality, ticket.correct (staff corrected subject, product, version);
* clients/status.py: client.verify (by staff, or marked automatic when a number matches an
  account), client.unverify;
* clients/csv_import.py: client.import;
* otp/views/staff.py: otp.reset, on the user whose devices a superuser removed;
* member_data.py: ticket.anonymise, on each ticket of a member who deleted their account;
* retention.py: ticket.files_purge, on each closed ticket whose files were deleted;
* escalation.py: ticket.escalate (a first response soon due or overdue was reported),
  ticket.remind (the customer was reminded), and through tickets.py the ticket.status of
  the tickets it resolves and closes (no user, with a reason).

Labels and readable messages for the history views are in admin/log_actions.py.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from wagtail.log_actions import get_active_log_context, registry
from wagtail.models import ModelLogEntry

TICKET_CREATE = "avsoft_support.ticket.create"
TICKET_REPLY = "avsoft_support.ticket.reply"
TICKET_NOTE = "avsoft_support.ticket.note"
TICKET_STATUS = "avsoft_support.ticket.status"
TICKET_ASSIGN = "avsoft_support.ticket.assign"
TICKET_CRITICALITY = "avsoft_support.ticket.criticality"
TICKET_CORRECT = "avsoft_support.ticket.correct"
CLIENT_VERIFY = "avsoft_support.client.verify"
CLIENT_UNVERIFY = "avsoft_support.client.unverify"
CLIENT_IMPORT = "avsoft_support.client.import"
OTP_RESET = "avsoft_support.otp.reset"
TICKET_ANONYMISE = "avsoft_support.ticket.anonymise"
TICKET_FILES_PURGE = "avsoft_support.ticket.files_purge"
TICKET_ESCALATE = "avsoft_support.ticket.escalate"
TICKET_REMIND = "avsoft_support.ticket.remind"
# following.py, ratings.py, clients/sharing.py (docs/company-sharing-and-ratings.md)
TICKET_FOLLOW = "avsoft_support.ticket.follow"
TICKET_CC = "avsoft_support.ticket.cc"
TICKET_RATE = "avsoft_support.ticket.rate"
CLIENT_SHARING = "avsoft_support.client.sharing"


def log(instance, action, user=None, uuid=None, data=None):
    """Wagtail's ``log()``, the same entry, without reading back what is in hand.

    Wagtail saves an entry through ``full_clean()``, whose foreign-key checks read the content
    type and the user from the database again (two SELECTs per entry, on every ticket filed
    or changed): the content type comes from Django's cache and the user is the one acting.
    Everything else is validated as Wagtail does it, the registered action included. A model
    with a log model of its own (pages) goes through Wagtail unchanged.
    """
    registry.scan_for_actions()
    if registry.get_log_model_for_instance(instance) is not ModelLogEntry:
        return registry.log(instance, action, user=user, uuid=uuid, data=data)
    if instance.pk is None:
        raise ValueError(
            f"Attempted to log an action for object {instance!r} with empty primary key"
        )
    context = get_active_log_context()
    entry = ModelLogEntry(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        label=ModelLogEntry.objects.get_instance_title(instance),
        action=action,
        timestamp=timezone.now(),
        data=data or {},
        user=user or context.user,
        uuid=uuid or context.uuid,
        object_id=str(instance.pk),
    )
    entry.full_clean(exclude=["content_type", "user"])
    # Model.save itself: BaseLogEntry.save() would run full_clean() again, with the reads.
    models.Model.save(entry)
    return entry


def log_separately(instance, action, user, data=None):
    """Log with an entry of its own.

    Wagtail runs each admin request in one LogContext, and its history views show only the
    latest entry per (uuid, action), across all objects. Entries of the same action in one
    request (two status changes of one ticket, a bulk action, a verification logged on the
    account and on each ticket) would hide each other, so each gets its own uuid.
    """
    return log(instance, action, user=user, uuid=uuid.uuid4(), data=data)
