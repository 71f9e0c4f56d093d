from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AvsoftSupportConfig(AppConfig):
    name = "avsoft_support"
    label = "avsoft_support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers checks and receivers)
