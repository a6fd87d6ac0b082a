"""manage.py rotate_keys: re-encrypt every stored secret with the first key of ENCRYPTION_KEYS."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import ngettext

from core.fields import EncryptedTextField, SecretDecryptionError
from syncs.services.credentials import credentials_recheck_unreadable


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key of ENCRYPTION_KEYS. Rotation: put the "
        "new key first (keep the old ones after it), run this, then drop the old keys."
    )

    def handle(self, *args, **options):
        rows = secrets = 0
        try:
            with transaction.atomic():
                for model in apps.get_models():
                    names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
                    if not names:
                        continue
                    for pk, values in _rows(model, names):
                        changed = {name: value for name, value in zip(names, values, strict=True) if value}
                        if changed:
                            # Loaded with whichever key fits; update() encrypts with the first.
                            model._base_manager.filter(pk=pk).update(**changed)
                            rows += 1
                            secrets += len(changed)
        except SecretDecryptionError as error:
            raise CommandError(f"{error} Nothing was changed.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {secrets} secrets in {rows} rows with the first key.")
        )
        opened = credentials_recheck_unreadable()
        if opened:
            self.stdout.write(
                ngettext(
                    "%(n)d content owner's credential, marked unreadable, opens again",
                    "%(n)d content owners' credentials, marked unreadable, open again",
                    opened,
                )
                % {"n": opened}
                + ": their parked items go out at their change sets' next push."
            )


def _rows(model, names, chunk=500):
    """(pk, decrypted values) in chunks read whole: no server-side cursor outlives an error."""
    rows = model._base_manager.order_by("pk").values_list("pk", *names)
    last = None
    while True:
        batch = list((rows if last is None else rows.filter(pk__gt=last))[:chunk])
        for pk, *values in batch:
            yield pk, values
        if len(batch) < chunk:
            return
        last = batch[-1][0]
