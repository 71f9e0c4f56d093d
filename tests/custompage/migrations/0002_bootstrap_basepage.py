"""The base page's locale and translation key, nullable, filled in for the pages wagtailcore's
migrations made (the root and the welcome page), as Wagtail's own basepage test app does."""

from django.db import migrations
from wagtail.models import (
    BootstrapLocaleField,
    BootstrapTranslatableModel,
    BootstrapTranslationKeyField,
)


class Migration(migrations.Migration):
    dependencies = [
        ("custompage", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        BootstrapLocaleField("custompage.BasePage"),
        BootstrapTranslationKeyField("custompage.BasePage"),
        BootstrapTranslatableModel("custompage.BasePage"),
    ]
