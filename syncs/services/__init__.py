"""Writes of the syncs app: quota ledger, API call records, credentials, connecting, pulling."""
