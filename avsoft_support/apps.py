from importlib import import_module

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .conf import REQUIRED_APPS


class AvsoftSupportConfig(AppConfig):
    name = "avsoft_support"
    label = "avsoft_support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self):
        missing = [name for name in REQUIRED_APPS if not self.apps.is_installed(name)]
        if "django_otp" in missing and any(name.startswith("django_otp.") for name in missing):
            # Then django-otp's device models belong to no app and cannot even be imported,
            # so Django would stop at a RuntimeError before check E008 could say this.
            raise ImproperlyConfigured(
                "INSTALLED_APPS lacks what avsoft_support needs: {} (avsoft_support.E008). "
                "Add to INSTALLED_APPS: {}.".format(
                    ", ".join(missing), ", ".join(f'"{name}"' for name in missing)
                )
            )
        super().import_models()
        # The support page type is a model and, through its routes, the customer's ticket
        # pages: it lives above forms and the domain (avsoft_support/pages.py), so the models
        # package cannot import it. Importing it here registers it with the other models.
        import_module(f"{self.name}.pages")

    def ready(self):
        # checks register themselves; permissions registers Ticket's permission policy.
        from . import checks, permissions, signals  # noqa: F401 - checks register on import

        signals.connect()
        permissions.connect()
