from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AvsoftSupportConfig(AppConfig):
    name = "avsoft_support"
    label = "avsoft_support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self):
        super().import_models()
        # The support page type is a model and, through its routes, the customer's ticket
        # pages: it lives above forms and the domain (avsoft_support/pages.py), so the models
        # package cannot import it. Importing it here registers it with the other models.
        import_module(f"{self.name}.pages")

    def ready(self):
        from wagtail.permissions import register_permission_policy

        from . import checks, signals  # noqa: F401  (checks register themselves)
        from .models import Ticket
        from .permissions import TicketPermissionPolicy

        signals.connect()
        # Before the admin's viewsets would make a default policy for Ticket; the domain asks
        # the same policy, with or without the admin loaded.
        register_permission_policy(Ticket, TicketPermissionPolicy(Ticket))
