"""One small handler per host message kind; each takes (message, state) and returns its response,
which the dispatcher sends (see `replies`), or starts work that answers later (invocations)."""
