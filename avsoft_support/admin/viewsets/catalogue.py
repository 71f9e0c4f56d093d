"""What the desk offers in its forms: products (in the customer's ticket form) and canned
replies (in the staff's reply form)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import BooleanColumn, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from ...models import CannedReply, Product


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products")
    menu_name = "support-products"
    url_prefix = "support/products"
    url_namespace = "avsoft_support_products"
    list_display = ["name", BooleanColumn("active", label=_("Active"), sort_key="active")]
    list_filter = ["active"]
    search_fields = ["name"]
    search_backend_name = None
    sort_order_field = "sort_order"
    ordering = ["sort_order", "name"]
    copy_view_enabled = False
    panels = [FieldPanel("name"), FieldPanel("active")]


class CannedReplyViewSet(SnippetViewSet):
    model = CannedReply
    icon = "openquote"
    menu_label = _("Canned replies")
    menu_name = "support-canned-replies"
    url_prefix = "support/canned-replies"
    url_namespace = "avsoft_support_canned_replies"
    list_display = ["title", UpdatedAtColumn()]
    search_fields = ["title", "text"]
    search_backend_name = None
    ordering = "title"
