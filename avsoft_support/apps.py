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
        # checks register themselves; permissions registers Ticket's permission policy.
        from . import checks, permissions, signals  # noqa: F401

        signals.connect()
