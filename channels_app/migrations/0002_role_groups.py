from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEWER_GROUP = "Viewer"
RIGHTS_MANAGER_GROUP = "Rights manager"

CATALOGUE_MODELS = [
    ("channels_app", "contentowner"),
    ("channels_app", "channel"),
    ("channels_app", "membership"),
    ("videos", "video"),
    ("videos", "asset"),
    ("videos", "claim"),
    ("videos", "policy"),
    ("videos", "videocategory"),
]
# What a rights manager may change beyond viewing; object-level roles narrow it further.
# Memberships are granted by administrators (superusers) only.
RIGHTS_MANAGER_EXTRA = [
    ("videos", "change_video"),
    ("channels_app", "change_channel"),
    ("channels_app", "change_contentowner"),
]


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permission(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    view = [permission(app, f"view_{model}") for app, model in CATALOGUE_MODELS]
    viewer, _ = Group.objects.get_or_create(name=VIEWER_GROUP)
    viewer.permissions.set(view)
    manager, _ = Group.objects.get_or_create(name=RIGHTS_MANAGER_GROUP)
    manager.permissions.set(view + [permission(app, code) for app, code in RIGHTS_MANAGER_EXTRA])


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[VIEWER_GROUP, RIGHTS_MANAGER_GROUP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0001_initial"),
        ("videos", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
