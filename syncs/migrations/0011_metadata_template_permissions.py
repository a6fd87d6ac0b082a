from django.contrib.auth.management import create_permissions
from django.db import migrations

# Rights managers write templates and blocks; viewers read them. Which ones is decided by
# content-owner memberships (syncs.metadata_templates.selectors).
MODELS = ("metadatatemplate", "templateblock")
RIGHTS_MANAGER = [f"{verb}_{model}" for model in MODELS for verb in ("view", "add", "change", "delete")]
VIEWER = [f"view_{model}" for model in MODELS]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (("Rights manager", RIGHTS_MANAGER), ("Viewer", VIEWER)):
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="syncs", codename__in=codenames)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Rights manager", "Viewer"]):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="syncs", codename__in=RIGHTS_MANAGER)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0010_metadata_templates"),
        ("channels_app", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
