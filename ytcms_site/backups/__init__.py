"""Database backups that are proven to restore.

    services.py  backup_create, backups_list, backup_restore, backup_verify, backups_rotate
    engines.py   pg_dump/pg_restore (PostgreSQL) and the online backup API (SQLite)
    store.py     the `backups` storage: dump, manifest (written last), verification record; S3 errors
    config.py    the STORAGES entry settings.py uses

The management commands backup_db, list_backups, restore_db, verify_backup and ops_daily are the
interfaces.

Why not django-dbbackup (5.4.0 was read before writing this): it lists any file whose name parses as
a date, so a dump whose upload was cut short shows up as a backup; it restores only into an alias
of DATABASES, and restores SQLite by writing bytes over the database file while the site may hold
it open (WAL); its rotation keeps the last N files, not days and months; it sets its logger to DEBUG
and adds a handler of its own, around our redaction; it declares Django up to 6.0. What it would
have given us, the pg_dump/pg_restore calls and gzip, is the smallest part of what is here. Nothing is imported here: settings.py imports config.py while settings are being read.
"""
