from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Product(models.Model):
    """A product customers can file tickets about; editors keep the list."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    active = models.BooleanField(
        pgettext_lazy("product", "active"),
        default=True,
        help_text=_("Only active products are offered in the ticket form."),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name
