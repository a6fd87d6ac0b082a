"""The live transport: publish, throttles, the outbox between processes and group names (no app imported)."""
