"""What the desk offers in its forms: products (in the customer's ticket form) and canned
replies (in the staff's reply form)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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
    # Wagtail's "Add %(model_name)s" puts the name in the nominative, ungrammatical in Russian
    # ("Добавить шаблонный ответ" needs the accusative): our own phrase, translated whole.
    add_item_label = pgettext_lazy("add button", "Add a canned reply")
    list_display = ["title", "category", UpdatedAtColumn()]
    list_filter = ["category"]
    search_fields = ["title", "category", "text"]
    search_backend_name = None
    ordering = ["category", "title"]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(add_item_label=self.add_item_label, **kwargs)
