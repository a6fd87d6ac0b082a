"""Create the first admin account for `make run`, showing its password exactly once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = (
        f"Create the superuser '{ADMIN_USERNAME}' with a random password and print it, unless a "
        "superuser already exists."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            existing = User.objects.filter(is_superuser=True).order_by("pk").first()
            if existing is not None:
                username = existing.get_username()
                self.stdout.write(
                    f"Admin user '{username}' exists. Forgot its password? "
                    f"Run: python manage.py changepassword {username}"
                )
                return
            if User.objects.filter(**{User.USERNAME_FIELD: ADMIN_USERNAME}).exists():
                raise CommandError(
                    f"A user '{ADMIN_USERNAME}' exists but is not a superuser. Create a superuser "
                    "with: python manage.py createsuperuser"
                )
            # The password is printed here and nowhere else; it is never stored in clear.
            password = secrets.token_urlsafe(15)
            User.objects.create_superuser(
                **{User.USERNAME_FIELD: ADMIN_USERNAME}, email="", password=password
            )
        self.stdout.write(self.style.SUCCESS("Created the admin user. This password is shown only once:"))
        self.stdout.write(f"  username: {ADMIN_USERNAME}\n  password: {password}")
