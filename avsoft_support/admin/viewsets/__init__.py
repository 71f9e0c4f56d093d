"""The Support menu in the Wagtail admin: one group of snippet viewsets, one module per area."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import Menu
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from ..components import SupportMenuItem
from .calendar import CalendarDayViewSet
from .catalogue import CannedReplyViewSet, ProductViewSet
from .clients import ClientAccountViewSet
from .tickets import TicketViewSet


class SupportViewSetGroup(SnippetViewSetGroup):
    """The one "Support" menu item; each entry shows only to users with its permissions."""

    items = (
        TicketViewSet,
        ClientAccountViewSet,
        ProductViewSet,
        CannedReplyViewSet,
        CalendarDayViewSet,
    )
    menu_label = _("Support")
    menu_icon = "clipboard-list"
    menu_name = "support"
    menu_order = 150

    def get_menu_item(self, order=None):
        return SupportMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )
