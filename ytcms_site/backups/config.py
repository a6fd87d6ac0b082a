"""The STORAGES entry of the backups, built from settings values (imported by settings.py).

No Django import here: settings.py calls this while settings are still being read.
"""

from pathlib import Path


def backup_storage(
    *,
    var_dir: Path,
    s3_bucket_name: str | None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    addressing_style: str = "auto",
) -> dict:
    """Local var/backups by default; the `backups/` prefix of the S3 bucket when one is set.

    On S3 every object is encrypted at rest by S3 (SSE-S3, AES256) and stored as STANDARD_IA
    (infrequent access: backups are written daily and read rarely).
    """
    if s3_bucket_name:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": s3_bucket_name,
                "region_name": region_name,
                "endpoint_url": endpoint_url,
                "location": "backups",
                "default_acl": None,
                # Names are unique (time + random suffix); the verification record is rewritten.
                "file_overwrite": True,
                "querystring_auth": True,
                "signature_version": "s3v4",
                "addressing_style": addressing_style,
                "object_parameters": {"ServerSideEncryption": "AES256", "StorageClass": "STANDARD_IA"},
            },
        }
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(var_dir) / "backups"),
            "allow_overwrite": True,
            # A backup holds every password hash and every encrypted token: owner-only on disk.
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
