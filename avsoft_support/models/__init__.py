from .canned import CannedReply
from .clients import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    normalize_invoice_number,
)
from .pages import SupportPage, SupportPageMixin
from .products import Product
from .settings import SupportSettings
from .tickets import Attachment, Criticality, Message, Ticket, TicketStatus

__all__ = [
    "Attachment",
    "CannedReply",
    "ClientAccount",
    "ClientInvoiceNumber",
    "ClientStatus",
    "Criticality",
    "MemberProfile",
    "Message",
    "Product",
    "SupportPage",
    "SupportPageMixin",
    "SupportSettings",
    "Ticket",
    "TicketStatus",
    "normalize_invoice_number",
]
