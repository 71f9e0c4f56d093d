"""The member's own data: consent to its processing, a copy of it, and deleting it.

Consent
-------
When a site's Support settings name a live privacy policy page, registration asks for consent
(forms.account.RegistrationForm). The profile records when, and what was consented to as
``consent_version``: ``"page:<page id>/rev:<revision id>"``, the policy page and its live
revision at that moment, so staff can open exactly the text the member read (the page's
history keeps every revision). Members who registered before a policy existed are not asked
afterwards: their profile keeps an empty version.

A copy of the data
------------------
``write_member_archive`` writes one ZIP: ``profile.json`` (account, profile, client status,
consent), ``tickets.json`` (the member's tickets with their public conversation: never an
internal note, and the files' metadata) and the files of that conversation under
``attachments/<ticket number>/<name>``. Five queries, however many tickets.

Deleting the account
--------------------
``delete_member``, in one transaction: the files the member attached are deleted (rows now,
files after the commit), their tickets stay as the company's support record but linked to
nobody (``Ticket.author`` becomes None; staff screens say "Deleted user"), each with a log
entry saying why; what the desk kept of their mails (sender address, the mail as received) and
their name in verification log entries are wiped; then the user is deleted, and their profile
with it.
"""

import io
import json
import os
import zipfile
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from wagtail.models import ModelLogEntry, Site

from .audit import CLIENT_UNVERIFY, CLIENT_VERIFY, TICKET_ANONYMISE, log_separately
from .models import (
    Attachment,
    ClientStatus,
    InboundMail,
    MemberProfile,
    Message,
    PendingMail,
    SupportSettings,
    Ticket,
    TicketFollower,
)
from .tickets import clean_file_name, delete_attachments

# Consent ----------------------------------------------------------------------------------------


def privacy_policy_page(site):
    """The live privacy policy page a site's Support settings name, or None. Reads only: no
    settings row is created for a site that has none."""
    if site is None:
        return None
    support_settings = (
        SupportSettings.objects.filter(site=site).select_related("privacy_policy_page").first()
    )
    page = support_settings.privacy_policy_page if support_settings is not None else None
    return page if page is not None and page.live else None


def privacy_policy_page_for_request(request):
    return privacy_policy_page(Site.find_for_request(request))


def consent_version(page):
    """What consenting under ``page`` now means: the page and its live revision."""
    revision = page.live_revision_id or page.latest_revision_id or 0
    return f"page:{page.pk}/rev:{revision}"


def record_consent(profile, page, now=None):
    """Set (not save) the profile's consent to the processing of data under ``page``."""
    profile.consent_given_at = now or timezone.now()
    profile.consent_version = consent_version(page)


# A copy of the data -----------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value is not None else None


def archive_file_name(user, now=None):
    """The download's name: ``support-data-<login>-<date>.zip``, in safe characters."""
    login = "".join(
        char if char.isascii() and (char.isalnum() or char in "-_.") else "_"
        for char in user.get_username()
    )
    date = timezone.localdate(now or timezone.now())
    return f"support-data-{login.strip('._') or user.pk}-{date:%Y-%m-%d}.zip"


def profile_data(user, profile):
    """The account and profile fields, the client status and the consent, for profile.json."""
    data = {
        "account": {
            "username": user.get_username(),
            "email": getattr(user, "email", "") or "",
            "first_name": getattr(user, "first_name", "") or "",
            "last_name": getattr(user, "last_name", "") or "",
            "date_joined": _iso(getattr(user, "date_joined", None)),
            "last_login": _iso(user.last_login),
        },
        "profile": None,
    }
    if profile is not None:
        data["profile"] = {
            "full_name": profile.full_name,
            "company": profile.company,
            "phone": profile.phone,
            "invoice_number": profile.invoice_number,
            "client_status": profile.client_status,
            "client_status_label": str(ClientStatus(profile.client_status).label),
            "client_account": profile.client_account.company if profile.client_account else None,
            "verified_at": _iso(profile.verified_at),
            "email_confirmed_at": _iso(profile.email_confirmed_at),
            "pending_email": profile.pending_email,
            "created_at": _iso(profile.created_at),
            "consent": {
                "given_at": _iso(profile.consent_given_at),
                "version": profile.consent_version,
            },
        }
    return data


def member_tickets(user):
    """The member's tickets with their public conversation and its files: three queries."""
    public_messages = (
        Message.objects.public()
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return (
        Ticket.objects.for_member(user)
        .select_related("product", "rating")
        .prefetch_related(
            Prefetch("messages", queryset=public_messages, to_attr="public_messages"),
            Prefetch(
                "followers",
                queryset=TicketFollower.objects.filter(user__isnull=True).order_by("pk"),
                to_attr="copied_addresses",
            ),
        )
        .order_by("created_at", "pk")
    )


def followed_tickets(user):
    """Colleagues' tickets the member follows (company sharing): number and since when."""
    follows = (
        TicketFollower.objects.filter(user_id=user.pk)
        .select_related("ticket")
        .order_by("created_at", "pk")
    )
    return [{"ticket": f.ticket.number, "since": _iso(f.created_at)} for f in follows]


def _rating_data(ticket):
    rating = getattr(ticket, "rating", None) if ticket.pk else None
    if rating is None:
        return None
    return {
        "score": rating.score,
        "comment": rating.comment,
        "created_at": _iso(rating.created_at),
        "source": rating.source,
    }


def _unique_path(folder, name, taken):
    """``folder/name``, numbered (``name (2).ext``) when that path is taken already."""
    name = clean_file_name(name, max_length=120)
    stem, ext = os.path.splitext(name)
    path, number = f"{folder}/{name}", 1
    while path.casefold() in taken:
        number += 1
        path = f"{folder}/{stem} ({number}){ext}"
    taken.add(path.casefold())
    return path


def _ticket_data(ticket, archive, taken):
    folder = "attachments/" + clean_file_name(ticket.number or str(ticket.pk), max_length=40)
    messages = []
    for message in ticket.public_messages:
        files = []
        for attachment in message.attachments.all():
            entry = {
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "sha256": attachment.sha256,
                "created_at": _iso(attachment.created_at),
                "path": None,
            }
            try:
                with attachment.file.open("rb") as handle:
                    content = handle.read()
            except OSError:
                content = None  # the file is gone from the storage: its metadata still says so
            if content is not None:
                entry["path"] = _unique_path(folder, attachment.original_name, taken)
                archive.writestr(entry["path"], content)
            files.append(entry)
        messages.append(
            {
                "from": "support" if message.from_staff else "customer",
                "support_staff_first_name": (
                    getattr(message.author, "first_name", "") or ""
                    if message.from_staff and message.author
                    else ""
                ),
                "created_at": _iso(message.created_at),
                "by_email": message.via_email,
                "body": message.body,
                "attachments": files,
            }
        )
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "product": ticket.product_name,
        "product_version": ticket.product_version,
        "os_version": ticket.os_version,
        "criticality": ticket.criticality,
        "criticality_label": str(ticket.get_criticality_display()),
        "steps_to_problem": ticket.steps_to_problem,
        "steps_to_reproduce": ticket.steps_to_reproduce,
        "invoice_number": ticket.invoice_number,
        "client_status": ticket.client_status,
        "created_at": _iso(ticket.created_at),
        "last_activity_at": _iso(ticket.last_activity_at),
        "closed_at": _iso(ticket.closed_at),
        "messages": messages,
        "rating": _rating_data(ticket),
        "copied_in": [follower.email for follower in ticket.copied_addresses],
    }


def _json(data):
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"


def write_member_archive(user, fileobj):
    """Write the member's data as a ZIP archive into ``fileobj`` (a binary file)."""
    profile = MemberProfile.objects.select_related("client_account").filter(user=user).first()
    taken = set()
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.json", _json(profile_data(user, profile)))
        tickets = [_ticket_data(ticket, archive, taken) for ticket in member_tickets(user)]
        archive.writestr(
            "tickets.json", _json({"tickets": tickets, "following": followed_tickets(user)})
        )
    return fileobj


def member_archive_bytes(user):
    """The archive in memory (tests, small accounts)."""
    return write_member_archive(user, io.BytesIO()).getvalue()


# Deleting the account ---------------------------------------------------------------------------


def can_delete_own_account(user):
    """Members delete their own account; staff and admin users are removed by an administrator
    (their tickets, assignments and history belong to the desk)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return False
    return not user.has_perm("wagtailadmin.access_admin")


def _member_attachments(user):
    """The files the member attached: on their own messages, and on the customer's side of
    their tickets (never staff's files or notes, which are the desk's)."""
    return Attachment.objects.filter(
        Q(message__author_id=user.pk, message__from_staff=False)
        | Q(message__ticket__author_id=user.pk, message__from_staff=False)
    )


def _scrub_inbound_mail(user, email):
    """What the desk kept of the member's mails: the sender's address, the mail as received
    (with its signature) and the names of refused files. The ticket messages stay."""
    mails = Q(message__ticket__author_id=user.pk, message__from_staff=False)
    if email:
        mails |= Q(sender__iexact=email)
    return InboundMail.objects.filter(mails).update(sender="", original_text="", refused_files=[])


def _scrub_log_entries(user):
    """Verification entries name the member (and their address): keep the entry, drop those."""
    entries = ModelLogEntry.objects.filter(
        action__in=[CLIENT_VERIFY, CLIENT_UNVERIFY], data__user_id=user.pk
    )
    for entry in entries:
        data = dict(entry.data or {})
        data.pop("member", None)
        data.pop("email", None)
        # update(): save() would check the action again and refresh nothing else anyway.
        ModelLogEntry.objects.filter(pk=entry.pk).update(data=data)


@transaction.atomic
def _drop_pending_mail(email):
    """Mail still waiting for a retry to the member only (a confirmation link, a receipt) goes
    with the account; a mail to them and others loses their address."""
    email = email.strip().lower()
    if not email:
        return
    # One query: `to` is a JSON list, which SQLite cannot search inside.
    drop, keep = [], []
    for row in PendingMail.objects.only("pk", "to"):
        addresses = [address for address in row.to if address.strip().lower() != email]
        if len(addresses) == len(row.to):
            continue
        if addresses:
            row.to = addresses
            keep.append(row)
        else:
            drop.append(row.pk)
    PendingMail.objects.filter(pk__in=drop).delete()
    PendingMail.objects.bulk_update(keep, ["to"])


def delete_member(user):
    """Delete the member's account (see the module's docstring); returns
    ``{"tickets": <anonymised>, "attachments": <deleted>}``."""
    email = getattr(user, "email", "") or ""
    attachments = _member_attachments(user)
    per_ticket = Counter(attachments.values_list("message__ticket_id", flat=True))
    deleted_files = delete_attachments(attachments)
    _scrub_inbound_mail(user, email)
    _scrub_log_entries(user)
    _drop_pending_mail(email)
    tickets = list(Ticket.objects.filter(author_id=user.pk).order_by("pk"))
    # Nobody is copied in on (or follows) a ticket of nobody: its mails stop with it.
    TicketFollower.objects.filter(ticket__author_id=user.pk).delete()
    # The user's deletion sets Ticket.author (and Message.author) to None; the profile goes
    # with the user (CASCADE).
    get_user_model()._default_manager.filter(pk=user.pk).delete()
    for ticket in tickets:
        ticket.author = None
        log_separately(ticket, TICKET_ANONYMISE, None, {"attachments": per_ticket[ticket.pk]})
    return {"tickets": len(tickets), "attachments": deleted_files}
