"""The ticket's own rules: filing, replying, notes, status, assignee and criticality, each in
one transaction.

The support page, the staff screens and the bulk actions all go through these functions, so that
a ticket changes the same way wherever the change is made. Each writes a Wagtail log entry and
leaves its e-mails to ``notifications``, which sends them only once the transaction commits.

Two requests changing one ticket at the same moment take turns: each function that changes one
locks its row in the transaction and reads the ticket again under the lock (``_lock``), so that
neither undoes what the other did (a reply after a resolve still reopens the ticket; the first
response is set once; the last activity is the latest).

Status rules
------------
* A public staff reply sets ``first_response_at`` (once) and ``last_staff_reply_at``, clears
  ``sla_due_at`` (nothing of ours is due any more) and moves a *new* or *customer replied*
  ticket to *in progress*: someone is working on it.
* A customer reply to a ticket *in progress*, *waiting for customer* or *resolved* moves it to
  *customer replied* (a resolved one reopens): the ball is back with support, and unless an
  earlier target is still pending, ``sla_due_at`` becomes the next-response target counted
  from the reply (sla.next_response_due, the targets of the ticket's site). A *new* ticket stays
  new, with its first-response target.
* A *closed* ticket is final for the customer: ``add_message`` refuses a customer reply
  (``TicketClosed``); the customer files a new ticket instead. Staff may still write on it.
* Internal notes change nothing the customer sees (not even the last activity) and notify
  nobody.
* ``set_status``: staff (who may change tickets, permissions.can_change_tickets) may set any
  status; the customer who filed the ticket may only close it; anyone else gets
  ``PermissionDenied``. The desk itself (``system=True``, escalation.py) resolves and closes
  tickets nobody answered.
* ``assign`` and ``set_criticality`` are the staff's. ``assign`` tells the new assignee by
  mail, unless they assigned the ticket to themselves; unassigning and ``set_criticality``
  notify nobody.
"""

import hashlib
import logging
import os
import unicodedata
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from . import notifications, search_index
from .audit import (
    CLIENT_VERIFY,
    TICKET_ASSIGN,
    TICKET_CORRECT,
    TICKET_CREATE,
    TICKET_CRITICALITY,
    TICKET_NOTE,
    TICKET_REPLY,
    TICKET_STATUS,
    log,
    log_separately,
)
from .clients import status as client_status
from .models import (
    Attachment,
    ClientStatus,
    Criticality,
    Message,
    Product,
    Ticket,
    TicketStatus,
    user_display_name,
)
from .permissions import can_change_tickets
from .sla import first_response_due, next_response_due, settings_of_ticket

logger = logging.getLogger(__name__)


class TicketClosed(Exception):
    """A customer tried to reply to a closed ticket."""


def clean_file_name(name, max_length=255):
    """The name to show and to offer on download: no path, no control characters, not too long."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name or name in (".", ".."):
        name = "file"
    if len(name) > max_length:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: max_length - len(ext)] + ext
    return name


def _store_attachments(message, files, saved_names):
    """Write the files to the private storage and create their rows.

    ``saved_names`` collects what was written, so a failed transaction can take the files back.
    """
    rows = []
    for upload in files:
        digest = hashlib.sha256()
        size = 0
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
        upload.seek(0)
        attachment = Attachment(
            message=message,
            original_name=clean_file_name(upload.name),
            size=size,
            content_type=(getattr(upload, "content_type", "") or "")[:255],
            sha256=digest.hexdigest(),
            created_at=message.created_at,
        )
        # upload_to gives a random name; the original name is only ever kept in the row.
        attachment.file.save(attachment.original_name, upload, save=False)
        saved_names.append((attachment.file.storage, attachment.file.name))
        rows.append(attachment)
    if rows:
        Attachment.objects.bulk_create(rows)
    return rows


@contextmanager
def _files_taken_back_on_failure():
    """Yields the list ``_store_attachments`` fills; on any failure the files written so far
    are deleted again, since the rolled-back rows no longer point at them."""
    saved_names = []
    try:
        yield saved_names
    except BaseException:
        for storage, name in saved_names:
            storage.delete(name)
        raise


def _delete_files(names):
    for storage, name in names:
        try:
            storage.delete(name)
        except Exception:
            # The row is gone already; a file left behind is logged, never a failed request.
            logger.exception("Could not delete the attachment file %s", name)


def delete_attachments(attachments):
    """Delete these attachments (a queryset): their rows now, their files once the
    transaction commits, so that a rollback keeps both. Returns how many were deleted."""
    rows = list(attachments.only("pk", "file"))
    names = [(row.file.storage, row.file.name) for row in rows if row.file.name]
    count = Attachment.objects.filter(pk__in=[row.pk for row in rows]).delete()[0]
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    return count


# What the rules read and the functions below write, brought up to date under the row's lock.
_LOCKED_FIELDS = (
    "status",
    "last_activity_at",
    "first_response_at",
    "last_staff_reply_at",
    "closed_at",
    "assignee_id",
    "criticality",
    "sla_due_at",
)


def _lock(ticket):
    """Lock the ticket's row until the transaction ends, and bring ``ticket`` up to date.

    Two requests changing one ticket at once then take turns (PostgreSQL: SELECT ... FOR
    UPDATE; SQLite writes one transaction at a time anyway): the second one sees what the
    first committed, a status or the first response, and its times come after the first's,
    so neither undoes the other. Each request read its ticket when it began, which may be
    before the other one's commit."""
    current = Ticket.objects.select_for_update().filter(pk=ticket.pk).values(*_LOCKED_FIELDS).get()
    for name, value in current.items():
        setattr(ticket, name, value)


def _log_status(ticket, old, new, by, **extra):
    # One request can change the status twice (a staff reply moves a new ticket to in
    # progress, then "then set status"): each change needs its own entry in the history.
    log_separately(ticket, TICKET_STATUS, by, {"old": old, "new": new, **extra})


def create_ticket(
    *, author, profile, data, files=(), support_settings, support_page=None, via_email=False
):
    """File a ticket: the ticket, its first message and its files, in one transaction.

    ``data``: subject, product (a Product or None), product_other, product_version, os_version,
    criticality, description (the first message), steps_to_problem, steps_to_reproduce and,
    optionally, invoice_number (used only while the profile has none). ``support_page``: the
    page it was filed on, whose site the notifications speak for. ``via_email``: filed by
    e-mail (inbound.receive), where the details the form asks for may be missing; the receipt
    asks for them.
    """
    # In a transaction of its own (not inside a caller's), the mails go out as it commits,
    # before anyone could change what was written: they are given the rows in hand.
    own_transaction = not transaction.get_connection().in_atomic_block
    with _files_taken_back_on_failure() as saved_names, transaction.atomic():
        number = (data.get("invoice_number") or "").strip()
        matched = None
        if profile.pk is None:
            profile.save()  # the member's first ticket: the desk now knows them
        if number and not profile.invoice_number:
            matched = client_status.apply_invoice_number(profile, number, by=author)
        now = timezone.now()
        status = profile.client_status
        due = first_response_due(support_settings, status, now)
        product = data.get("product")
        description = data.get("description", "")
        ticket = Ticket(
            subject=data["subject"],
            product=product,
            product_other="" if product is not None else data.get("product_other", ""),
            product_version=data.get("product_version", ""),
            os_version=data.get("os_version", ""),
            criticality=data.get("criticality") or Ticket._meta.get_field("criticality").default,
            steps_to_problem=data.get("steps_to_problem", ""),
            steps_to_reproduce=data.get("steps_to_reproduce", ""),
            author=author,
            client_status=status,
            priority=ClientStatus.priority_of(status),
            invoice_number=profile.invoice_number,
            created_at=now,
            last_activity_at=now,
            sla_due_at=due,
            first_response_due_at=due,
            last_customer_reply_at=now,
            support_page=support_page,
        )
        # The first message's words go in with the ticket's own (and the number's, in the one
        # UPDATE Ticket.save() makes for it), not in an UPDATE of their own.
        search_index.prepare_new_ticket(ticket, first_message=description)
        ticket.save(force_insert=True)
        message = Message(
            ticket=ticket, author=author, body=description, created_at=now, via_email=via_email
        )
        search_index.indexed_with_ticket(message)
        message.save(force_insert=True)
        attachments = _store_attachments(message, files, saved_names)
        log(
            instance=ticket,
            action=TICKET_CREATE,
            user=author,
            data={
                "number": ticket.number,
                "client_status": status,
                "priority": ticket.priority,
                "attachments": len(attachments),
            },
        )
        if matched is not None:
            # The match was logged on the account before this ticket existed.
            log_separately(ticket, CLIENT_VERIFY, author, client_status.match_log_data(profile))
        if own_transaction:
            notifications.ticket_created(ticket, message, attachments, support_settings)
        else:
            notifications.ticket_created(ticket)
    return ticket


def _record_reply(ticket, from_staff, now):
    """The ticket after a public reply, saved: last activity, first response, and the status
    the reply implies (see the status rules above)."""
    old_status = ticket.status
    ticket.last_activity_at = now
    fields = ["last_activity_at"]
    if from_staff:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        ticket.last_staff_reply_at = now
        ticket.sla_due_at = None  # answered: nothing of ours is due until the customer writes
        fields += ["last_staff_reply_at", "sla_due_at"]
        if old_status in (TicketStatus.NEW, TicketStatus.REPLIED):
            ticket.status = TicketStatus.IN_PROGRESS
    else:
        ticket.last_customer_reply_at = now
        fields.append("last_customer_reply_at")
        if old_status != TicketStatus.NEW:
            ticket.status = TicketStatus.REPLIED
            if ticket.sla_due_at is None:
                # An earlier target still pending stays: a second message does not buy time.
                ticket.sla_due_at = next_response_due(
                    settings_of_ticket(ticket), ticket.client_status, now
                )
                fields.append("sla_due_at")
        # The customer answered: a later wait for them starts with a reminder of its own.
        ticket.waiting_reminder_at = None
        fields.append("waiting_reminder_at")
    if ticket.status != old_status:
        fields.append("status")
    ticket.save(update_fields=fields)


def add_message(
    ticket, author, body, files=(), *, from_staff=False, internal=False, via_email=False
):
    """Add a message (a public reply, or with ``internal=True`` a staff-only note).

    ``via_email``: the reply came by e-mail (inbound.receive); it changes the ticket the same way.
    """
    if internal and not from_staff:
        raise ValueError("Only support staff write internal notes.")
    if not from_staff and ticket.status == TicketStatus.CLOSED:
        raise TicketClosed(ticket.number)
    with _files_taken_back_on_failure() as saved_names, transaction.atomic():
        _lock(ticket)
        if not from_staff and ticket.status == TicketStatus.CLOSED:
            raise TicketClosed(ticket.number)  # closed while the customer was writing
        now = timezone.now()
        message = Message.objects.create(
            ticket=ticket,
            author=author,
            body=body or "",
            from_staff=from_staff,
            is_internal=internal,
            created_at=now,
            via_email=via_email,
        )
        attachments = _store_attachments(message, files, saved_names)
        if internal:
            log(
                instance=ticket,
                action=TICKET_NOTE,
                user=author,
                data={"message": message.pk, "attachments": len(attachments)},
            )
            return message
        old_status = ticket.status
        _record_reply(ticket, from_staff, now)
        log(
            instance=ticket,
            action=TICKET_REPLY,
            user=author,
            data={"message": message.pk, "from_staff": from_staff, "attachments": len(attachments)},
        )
        if ticket.status != old_status:
            reason = "staff_reply" if from_staff else "customer_reply"
            _log_status(ticket, old_status, ticket.status, author, reason=reason)
        if from_staff:
            notifications.staff_replied(message)
        else:
            notifications.customer_replied(message)
    return message


def set_status(ticket, status, by, *, notify=True, system=False, only_from=None, reason=None):
    """Change the status; returns whether it changed. ``notify=False``: the customer learns it
    from another mail (a staff reply sent in the same step states the status).

    ``system=True``: the desk itself changes it (escalation.py's auto-close, ``by=None``); no
    permission is checked. ``only_from``: change it only if it still is this status under the
    lock (the customer may have answered meanwhile). ``reason``: logged with the change."""
    status = TicketStatus(status)
    customer_closing = (
        by is not None and by.pk == ticket.author_id and status == TicketStatus.CLOSED
    )
    if not (system or can_change_tickets(by) or customer_closing):
        raise PermissionDenied("Customers may only close their own tickets.")
    if ticket.status == status:
        return False
    with transaction.atomic():
        _lock(ticket)
        old = ticket.status
        if old == status or (only_from is not None and old != only_from):
            return False  # set so by someone else meanwhile
        now = timezone.now()
        ticket.status = status
        ticket.last_activity_at = now
        ticket.waiting_reminder_at = None
        if status == TicketStatus.CLOSED:
            ticket.closed_at = now
        elif old == TicketStatus.CLOSED:
            ticket.closed_at = None
        ticket.save(
            update_fields=["status", "last_activity_at", "closed_at", "waiting_reminder_at"]
        )
        extra = {"reason": reason} if reason else {}
        _log_status(ticket, old, status, by, **extra)
        if notify and (by is None or by.pk != ticket.author_id):
            notifications.status_changed(ticket, old, status)
    return True


def _person(user):
    return {"id": user.pk, "name": user_display_name(user)} if user else None


def assign(ticket, assignee, by):
    """Assign (or, with None, unassign) a ticket; returns whether anything changed."""
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return False
    with transaction.atomic():
        _lock(ticket)
        if ticket.assignee_id == (assignee.pk if assignee else None):
            return False
        old = ticket.assignee if ticket.assignee_id else None
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee"])
        log_separately(ticket, TICKET_ASSIGN, by, {"old": _person(old), "new": _person(assignee)})
        # Who took a ticket themselves knows it already.
        if assignee is not None and (by is None or by.pk != assignee.pk):
            notifications.ticket_assigned(ticket, assignee, by)
    return True


def correct_details(ticket, by, *, subject, product, product_other, product_version):
    """Staff correct what the customer filed: subject, product (one of ours, or another
    product's name) and version. Logged with each old and new value; returns whether anything
    changed. The customer is not mailed: nothing they need to do."""
    if not can_change_tickets(by):
        raise PermissionDenied("Only support staff correct tickets.")
    new = {
        "subject": subject.strip(),
        "product": product.name if product is not None else "",
        "product_other": "" if product is not None else product_other.strip(),
        "product_version": product_version.strip(),
    }
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update()
            .filter(pk=ticket.pk)
            .values("subject", "product_id", "product_other", "product_version")
            .get()
        )
        old_product = Product.objects.filter(pk=current["product_id"]).first()
        old = {
            "subject": current["subject"],
            "product": old_product.name if old_product is not None else "",
            "product_other": current["product_other"],
            "product_version": current["product_version"],
        }
        changes = {name: [old[name], value] for name, value in new.items() if old[name] != value}
        if not changes:
            return False
        ticket.subject = new["subject"]
        ticket.product = product
        ticket.product_other = new["product_other"]
        ticket.product_version = new["product_version"]
        ticket.save(update_fields=["subject", "product", "product_other", "product_version"])
        log_separately(ticket, TICKET_CORRECT, by, {"changes": changes})
    return True


def set_criticality(ticket, criticality, by):
    """Change how urgent the ticket is; returns whether it changed."""
    criticality = int(criticality)
    if criticality not in Criticality.values or criticality == ticket.criticality:
        return False
    with transaction.atomic():
        _lock(ticket)
        old = ticket.criticality
        if old == criticality:
            return False
        ticket.criticality = criticality
        ticket.save(update_fields=["criticality"])
        log_separately(ticket, TICKET_CRITICALITY, by, {"old": old, "new": criticality})
    return True
