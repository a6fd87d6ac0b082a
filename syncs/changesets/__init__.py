"""Change sets: edits of writable fields reviewed, pushed read-modify-write, audited and revertible."""
