"""One append-only audit log: who did what to which object, with the old and new values."""
