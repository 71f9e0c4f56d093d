"""The support desk's data. Imports nothing above the models; see ``__getattr__`` below."""

from importlib import import_module

from .calendar import CalendarDay
from .canned import CannedReply
from .clients import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    is_invoice_number,
    member_display_name,
    normalize_invoice_number,
    profile_of,
    user_display_name,
)
from .followers import TicketFollower
from .help import HelpArticleMixin, HelpArticleStat, help_article_page_types
from .inbound import InboundMail, InboundOutcome
from .outbox import PendingMail
from .pages import SupportPageBase
from .products import Product
from .ratings import Rating, RatingScore, RatingSource
from .settings import SupportSettings
from .tickets import Attachment, Criticality, Message, Ticket, TicketStatus

__all__ = [
    "Attachment",
    "CalendarDay",
    "CannedReply",
    "HelpArticleMixin",
    "HelpArticleStat",
    "InboundMail",
    "InboundOutcome",
    "ClientAccount",
    "ClientInvoiceNumber",
    "ClientStatus",
    "Criticality",
    "MemberProfile",
    "Message",
    "PendingMail",
    "Product",
    "Rating",
    "RatingScore",
    "RatingSource",
    "SupportPage",
    "SupportPageBase",
    "SupportPageMixin",
    "SupportSettings",
    "Ticket",
    "TicketFollower",
    "TicketStatus",
    "help_article_page_types",
    "is_invoice_number",
    "member_display_name",
    "normalize_invoice_number",
    "profile_of",
    "user_display_name",
]


def __getattr__(name):
    # ``from avsoft_support.models import SupportPage`` keeps working for sites, although the
    # page type lives in avsoft_support.pages (its routes use forms and the domain, which sit
    # above the models). Resolved on first use, once every model is loaded; nothing in the app
    # itself goes this way.
    if name in ("SupportPage", "SupportPageMixin"):
        return getattr(import_module("avsoft_support.pages"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
