"""Which ticket a mail belongs to: the signed code in reply addresses and Message-IDs.

Every mail about a ticket carries the ticket's code twice, so a reply finds its ticket
whichever of the two survives the customer's mail client and mail server:

* ``Reply-To: support+t42-<mac>@example.com`` (plus addressing on the site's reply address);
* ``Message-ID: <t42-<mac>.<random>@example.com>``, with ``In-Reply-To`` and ``References``
  naming the ticket's thread ``<t42-<mac>@example.com>`` so that mail clients group every
  mail about one ticket into one conversation.

The code is the ticket's primary key and an HMAC of it under SECRET_KEY (SECRET_KEY_FALLBACKS
still accepted after a key rotation): it cannot be guessed for another ticket, and it is
lower-case hex, since some mail servers lower-case the local part. It identifies a ticket,
not a person: the sender is checked separately (inbound.receive).
"""

import re
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "avsoft_support.mail_threads"
MAC_LENGTH = 16
CODE_RE = re.compile(rf"\bt(?P<pk>[0-9]{{1,18}})-(?P<mac>[0-9a-f]{{{MAC_LENGTH}}})\b")


def _mac(pk, secret=None):
    return salted_hmac(SALT, str(pk), secret=secret, algorithm="sha256").hexdigest()[:MAC_LENGTH]


def ticket_code(ticket):
    """The signed code of a ticket, e.g. ``t42-0123456789abcdef``."""
    return f"t{ticket.pk}-{_mac(ticket.pk)}"


def _domain(address):
    return address.rpartition("@")[2] or "localhost"


def reply_address(ticket, base_address):
    """``support+<code>@example.com`` for ``base_address`` ``support@example.com``."""
    local, _at, domain = base_address.rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{ticket_code(ticket)}@{domain}"


def thread_id(ticket, domain):
    """The Message-ID every mail about the ticket refers to (a thread root nobody sent)."""
    return f"<{ticket_code(ticket)}@{domain}>"


def new_message_id(ticket, domain):
    return f"<{ticket_code(ticket)}.{secrets.token_hex(8)}@{domain}>"


def thread_headers(ticket, *, reply_to_base, from_address):
    """The headers that make a mail about ``ticket`` answerable and threaded.

    ``reply_to_base``: the site's reply address, or "" when replies by e-mail are off (then
    the mail is still threaded, but carries no Reply-To).
    """
    domain = _domain(reply_to_base or from_address)
    root = thread_id(ticket, domain)
    headers = {
        "Message-ID": new_message_id(ticket, domain),
        "In-Reply-To": root,
        "References": root,
    }
    if reply_to_base:
        headers["Reply-To"] = reply_address(ticket, reply_to_base)
    return headers


def _verified_pk(pk, mac):
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(mac, _mac(pk, secret=key)) for key in keys)


def find_code(values):
    """The first signed code in ``values`` (addresses, Message-IDs): ``(pk, valid)``.

    ``(None, False)`` when no value carries a code at all; ``(pk, False)`` when one does but its
    signature is wrong, which is a forgery or a mangled address, never a ticket.
    """
    seen_forged = None
    for value in values:
        for match in CODE_RE.finditer((value or "").lower()):
            pk = int(match["pk"])
            if _verified_pk(pk, match["mac"]):
                return pk, True
            seen_forged = seen_forged or pk
    return seen_forged, False
