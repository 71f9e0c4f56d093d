"""Raw replies to ticket mails, and new mails to the support address, built the way a mail
client builds them."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from avsoft_support.mail_threads import reply_address, thread_id

REPLY_BASE = "support@example.com"


def reply_mail(
    ticket,
    sender,
    text="Still broken after the update.",
    *,
    to=None,
    in_reply_to=True,
    attachments=(),
    headers=None,
    message_id=None,
):
    """The raw bytes of ``sender``'s reply to a mail about ``ticket``, with the quoted original
    below the marker as mail clients quote it. ``attachments``: (name, bytes, mime type)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to or reply_address(ticket, REPLY_BASE)
    mail["Subject"] = f"Re: Ticket № {ticket.number}"
    mail["Date"] = formatdate()
    mail["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        mail["In-Reply-To"] = thread_id(ticket, "example.com")
        mail["References"] = thread_id(ticket, "example.com")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(
        f"{text}\n\nOn Fri, 4 Dec 2026 at 12:00, Support <{REPLY_BASE}> wrote:\n"
        "> ##- Please type your reply above this line -##\n"
        "> The reply from support that must not come back.\n"
    )
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


def new_mail(
    sender,
    subject="Export stops at 50%",
    text="The export of the yearly report stops at 50%.",
    *,
    to=REPLY_BASE,
    attachments=(),
    headers=None,
    message_id=None,
):
    """A member's new mail to the support address, with an earlier exchange quoted below it
    as mail clients quote a forwarded conversation. ``attachments``: (name, bytes, mime)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(
        f"{text}\n\nOn Thu, 3 Dec 2026 at 09:00, Olga <olga@customer.example> wrote:\n"
        "> The quoted colleague's mail that must not become the ticket.\n"
    )
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)
