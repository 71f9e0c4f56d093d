"""A reply by e-mail becomes a message on its ticket, exactly as a reply on the support page does.

``receive_mail(raw)`` reads one raw RFC 822 message and records what became of it in an
``InboundMail`` row:

* **duplicate**: a message already read (same Message-ID, or the same bytes when it has none)
  changes nothing: the row it made the first time is returned;
* **dropped**: automatic mail (out-of-office, bulk, mailer-daemon, delivery reports) is kept
  out of tickets and never answered, so two robots cannot mail each other forever;
* **refused**: no ticket code, a forged code, a ticket that is gone, a sender who is neither the
  ticket's author nor (when the site allows it) support staff, a closed ticket, nothing to add;
  the ticket is untouched and the sender gets at most one polite reply an hour, and only a
  sender the desk knows (a forged From must not turn us into a spam relay);
* **added**: ``tickets.add_message`` adds the reply (so it reopens a resolved ticket and answers
  a waiting one as a web reply does, and notifies the same people), with the quoted history and
  signature cut off, the whole original kept for staff, and the files that fit the site's
  attachment limits; files that do not are listed in a reply to the sender.
* **filed**: a mail that names no ticket, when the site's Support settings accept new tickets
  by e-mail and it comes from the confirmed address of an active user, becomes a new ticket
  through ``tickets.create_ticket`` (the web form's own path): the subject, the text cut and
  the files limited as for a reply. The product, versions and steps the form asks for are
  left empty, and the receipt asks for them. Otherwise such mail is refused as before.

The row and the message are written in one transaction: if anything fails (a storage error,
a crash), nothing is saved and the message stays unprocessed in the mailbox for the next run.
The text is stored as typed and shown through sanitize.py, like web text.
"""

import hashlib
import logging
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import Site

from .. import notifications, tickets
from ..mail import from_email, send_mail
from ..mail_threads import find_code
from ..models import (
    InboundMail,
    InboundOutcome,
    MemberProfile,
    SupportSettings,
    Ticket,
    TicketStatus,
)
from ..models.pages import find_support_page
from ..permissions import can_change_tickets
from ..ratelimit import RateLimit
from .parse import parse_mail

logger = logging.getLogger("avsoft_support.inbound")

# The longest message the web form takes (forms.tickets): the rest is kept for staff only.
MAX_BODY = 50000
# Ticket.subject's length.
MAX_SUBJECT = 200

# Reason codes kept on InboundMail.reason.
NO_TICKET = "no_ticket"
FORGED_CODE = "forged_code"
UNKNOWN_TICKET = "unknown_ticket"
FOREIGN_SENDER = "foreign_sender"
STAFF_REPLIES_OFF = "staff_replies_off"
TICKET_CLOSED = "ticket_closed"
EMPTY = "empty"

# Refusals worth telling the sender about (mail "inbound_refused" says which one).
_ANSWERED = {NO_TICKET, FOREIGN_SENDER, STAFF_REPLIES_OFF, TICKET_CLOSED, EMPTY}


def mail_key(mail, raw):
    """What makes a message the same message: its Message-ID, else its bytes."""
    basis = f"id:{mail.message_id}" if mail.message_id else f"raw:{hashlib.sha256(raw).hexdigest()}"
    return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


def receive_mail(raw, *, source=""):
    """Read one raw message; returns its ``InboundMail`` row (``.duplicate`` tells a repeat)."""
    mail = parse_mail(raw)
    key = mail_key(mail, raw)
    known = InboundMail.objects.filter(key=key).first()
    if known is not None:
        known.duplicate = True
        return known
    row = InboundMail(
        key=key,
        header_message_id=mail.message_id[:998],
        source=source[:255],
        sender=mail.sender[:320],
        subject=mail.subject[:255],
        original_text=mail.text,
    )
    try:
        row = _decide(mail, row)
    except IntegrityError:
        # The same message, read at the same moment by another run: that run has it.
        known = InboundMail.objects.filter(key=key).first()
        if known is None:
            raise
        known.duplicate = True
        return known
    row.duplicate = False
    logger.info(
        "Incoming mail %s: %s%s", row.pk, row.outcome, f" ({row.reason})" if row.reason else ""
    )
    return row


def _decide(mail, row):
    if mail.automatic:
        return _record(row, InboundOutcome.DROPPED, f"automatic:{mail.automatic}")
    pk, valid = find_code(mail.recipients)
    if pk is None:
        pk, valid = find_code(mail.in_reply_to + mail.references)
    if pk is None:
        return _new_ticket(row, mail)
    if not valid:
        # A forgery or a mangled address: no reply, which would only confirm the address.
        return _refuse(row, mail, FORGED_CODE)
    ticket = Ticket.objects.select_related("author", "support_page").filter(pk=pk).first()
    if ticket is None:
        return _refuse(row, mail, UNKNOWN_TICKET)
    row.ticket = ticket
    site, _page = notifications.site_and_page_of(ticket)
    support_settings = SupportSettings.for_site(site) if site is not None else SupportSettings()

    author, from_staff, reason = _sender_role(mail.sender, ticket, support_settings)
    if reason:
        return _refuse(row, mail, reason, ticket=ticket)
    if not from_staff and ticket.status == TicketStatus.CLOSED:
        return _refuse(row, mail, TICKET_CLOSED, ticket=ticket)

    files, refused = _files(mail.attachments, support_settings)
    body = mail.reply_text[:MAX_BODY]
    if not body.strip() and not files:
        return _refuse(
            row, mail, EMPTY, ticket=ticket, refused=refused, support_settings=support_settings
        )
    with transaction.atomic():
        # The row first: a duplicate stops here, before any file is written.
        row.outcome = InboundOutcome.ADDED
        row.refused_files = refused
        row.save()
        row.message = tickets.add_message(
            ticket, author, body, files, from_staff=from_staff, via_email=True
        )
        row.save(update_fields=["message"])
    if refused:
        _bounce(
            mail,
            "inbound_files_refused",
            ticket=ticket,
            refused=refused,
            support_settings=support_settings,
        )
    return row


def _desk_addressed(mail):
    """The Support settings of the site the mail was written to: the one whose address for
    replies is among its recipients (plus part ignored), else those of the site the mails
    with no ticket link to (notifications.bounce_context)."""
    addressed = {_without_tag(address) for address in mail.recipients}
    for desk in SupportSettings.objects.exclude(reply_address="").select_related("site"):
        if _without_tag(desk.reply_address.lower()) in addressed:
            return desk
    page = find_support_page()
    site = page.get_site() if page is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    return SupportSettings.for_site(site) if site is not None else None


def _without_tag(address):
    local, _at, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _confirmed_member(address):
    """The active user whose confirmed address this is (registration or a confirmed change
    set ``email_confirmed_at``; a change not yet confirmed is not their address), or None;
    also None when two accounts share the address, since nobody could tell whose ticket."""
    if not address:
        return None
    email_field = get_user_model().get_email_field_name()
    users = list(
        get_user_model()
        ._default_manager.filter(
            **{f"{email_field}__iexact": address},
            is_active=True,
            support_profile__email_confirmed_at__isnull=False,
        )
        .select_related("support_profile")[:2]
    )
    return users[0] if len(users) == 1 else None


def _subject(mail):
    subject = " ".join(mail.subject.split())[:MAX_SUBJECT].strip()
    if subject:
        return subject
    # Stored on the ticket, so in the site's language like the desk's mails.
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("No subject (ticket by e-mail)")


def _new_ticket(row, mail):
    """File the mail as a new ticket when the site accepts them and a confirmed member sent
    it; refuse it as naming no ticket otherwise."""
    desk = _desk_addressed(mail)
    if desk is None or not desk.new_tickets_by_email:
        return _refuse(row, mail, NO_TICKET)
    member = _confirmed_member(mail.sender)
    if member is None:
        return _refuse(row, mail, NO_TICKET)
    files, refused = _files(mail.attachments, desk)
    body = mail.reply_text[:MAX_BODY]
    if not body.strip() and not files:
        return _refuse(row, mail, EMPTY, refused=refused, support_settings=desk)
    # What the form asks for and a mail cannot give stays empty: the receipt asks for it.
    data = {
        "subject": _subject(mail),
        "description": body,
        "product": None,
        "product_other": "",
        "product_version": "",
        "os_version": "",
        "steps_to_problem": "",
        "steps_to_reproduce": "",
    }
    with transaction.atomic():
        # The row first: a duplicate stops here, before any file is written.
        row.outcome = InboundOutcome.FILED
        row.refused_files = refused
        row.save()
        ticket = tickets.create_ticket(
            author=member,
            profile=MemberProfile.objects.for_user(member),
            data=data,
            files=files,
            support_settings=desk,
            support_page=find_support_page(desk.site),
            via_email=True,
        )
        row.ticket = ticket
        row.message = ticket.messages.order_by("pk").first()
        row.save(update_fields=["ticket", "message"])
    if refused:
        _bounce(
            mail,
            "inbound_files_refused",
            ticket=ticket,
            refused=refused,
            support_settings=desk,
            new_ticket=True,
        )
    return row


def _sender_role(sender, ticket, support_settings):
    """``(user, from_staff, refusal)`` for the sender of a reply to ``ticket``."""
    author = ticket.author
    if author is not None and sender and (author.email or "").lower() == sender:
        return author, False, ""
    email_field = get_user_model().get_email_field_name()
    staff = [
        user
        for user in get_user_model()
        ._default_manager.filter(**{f"{email_field}__iexact": sender, "is_active": True})
        .order_by("pk")[:5]
        if can_change_tickets(user)
    ]
    if not staff:
        return None, False, FOREIGN_SENDER
    if not support_settings.staff_replies_by_email:
        return None, False, STAFF_REPLIES_OFF
    return staff[0], True, ""


def _files(attachments, support_settings):
    """The files within the site's limits (the same as the web form's: forms.fields), and a
    list of the refused ones with the reason."""
    accepted, refused = [], []
    limit = support_settings.attachment_max_size
    for attachment in attachments:
        name = tickets.clean_file_name(attachment.name)
        size = len(attachment.content)
        if size > limit:
            refused.append({"name": name, "size": size, "reason": "too_large"})
        elif len(accepted) >= support_settings.attachments_per_message:
            refused.append({"name": name, "size": size, "reason": "too_many"})
        else:
            upload = ContentFile(attachment.content, name=name)
            upload.content_type = attachment.content_type
            accepted.append(upload)
    return accepted, refused


def _record(row, outcome, reason):
    row.outcome = outcome
    row.reason = reason
    row.save()
    return row


def _refuse(row, mail, reason, *, ticket=None, refused=(), support_settings=None):
    row.refused_files = list(refused)
    _record(row, InboundOutcome.REFUSED, reason)
    if reason in _ANSWERED:
        _bounce(
            mail,
            "inbound_refused",
            ticket=ticket,
            reason=reason,
            refused=refused,
            support_settings=support_settings,
        )
    return row


def _known_sender(address):
    email_field = get_user_model().get_email_field_name()
    return get_user_model()._default_manager.filter(**{f"{email_field}__iexact": address}).exists()


def _bounce(
    mail, name, *, ticket=None, reason="", refused=(), support_settings=None, new_ticket=False
):
    """One polite reply to a person the desk knows, at most once an hour per address.
    ``new_ticket``: the mail opened ``ticket`` (rather than answering it)."""
    sender = mail.sender
    if not sender or sender == parseaddr(from_email())[1].lower() or not _known_sender(sender):
        return 0
    limit = RateLimit.for_account("inbound_bounce_account", sender)
    if limit.retry_after():
        return 0
    limit.hit()
    context = {
        "ticket": ticket,
        "reason": reason,
        "refused": list(refused),
        "subject": mail.subject,
        "new_ticket": new_ticket,
        "max_size": support_settings.attachment_max_size if support_settings else 0,
        "max_files": support_settings.attachments_per_message if support_settings else 0,
        **notifications.bounce_context(ticket),
    }
    headers = {"Auto-Submitted": "auto-replied"}
    if mail.message_id:
        headers["In-Reply-To"] = f"<{mail.message_id}>"
        headers["References"] = f"<{mail.message_id}>"
    return send_mail(name, [sender], context, headers=headers)
