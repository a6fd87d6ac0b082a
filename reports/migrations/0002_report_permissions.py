from django.contrib.auth.management import create_permissions
from django.db import migrations

# Rights managers import reports (add) and re-run or preview them (change); viewers read them.
# Which reports a user sees is decided by content-owner memberships (reports.selectors).
RIGHTS_MANAGER = ["view_report", "add_report", "change_report", "view_reportrowerror"]
VIEWER = ["view_report", "view_reportrowerror"]


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
                *Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Rights manager", "Viewer"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="reports"))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("channels_app", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
