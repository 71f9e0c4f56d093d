"""The search text now holds each word's Snowball stem beside it (search_index.py): the texts
are blanked here and rebuilt right after ``migrate`` by the app's post_migrate receiver
(search_index.backfill), from the tickets and their messages. Only derived data changes."""

from django.db import migrations


def blank_search_text(apps, schema_editor):
    Ticket = apps.get_model("avsoft_support", "Ticket")
    Ticket.objects.using(schema_editor.connection.alias).exclude(search_text="").update(
        search_text=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("avsoft_support", "0014_mine_queue_index"),
    ]

    operations = [
        migrations.RunPython(blank_search_text, migrations.RunPython.noop, elidable=True),
    ]
