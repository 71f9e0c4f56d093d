"""The "Support staff" group: the permissions a support desk member needs, and nothing else."""

from django.db import migrations

GROUP_NAME = "Support staff"

# (app_label, model, codename)
PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin"),
    ("avsoft_support", "ticket", "view_ticket"),
    ("avsoft_support", "ticket", "change_ticket"),
    ("avsoft_support", "clientaccount", "add_clientaccount"),
    ("avsoft_support", "clientaccount", "change_clientaccount"),
    ("avsoft_support", "clientaccount", "view_clientaccount"),
    ("avsoft_support", "clientinvoicenumber", "add_clientinvoicenumber"),
    ("avsoft_support", "clientinvoicenumber", "change_clientinvoicenumber"),
    ("avsoft_support", "clientinvoicenumber", "view_clientinvoicenumber"),
    ("avsoft_support", "product", "add_product"),
    ("avsoft_support", "product", "change_product"),
    ("avsoft_support", "product", "view_product"),
    ("avsoft_support", "cannedreply", "add_cannedreply"),
    ("avsoft_support", "cannedreply", "change_cannedreply"),
    ("avsoft_support", "cannedreply", "delete_cannedreply"),
    ("avsoft_support", "cannedreply", "view_cannedreply"),
    ("avsoft_support", "memberprofile", "verify_client"),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # On a fresh database the permissions are only made after all migrations (post_migrate):
    # make this app's now, from the migration state, so the group can hold them.
    app_config = apps.get_app_config("avsoft_support")
    app_config.models_module = True
    create_permissions(
        app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias
    )
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    group, _created = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    for app_label, model, codename in PERMISSIONS:
        permission = Permission.objects.using(db).filter(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)


def remove_group(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("auth", "Group").objects.using(db).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("avsoft_support", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
