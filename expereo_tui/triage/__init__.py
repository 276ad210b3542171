"""Triage intelligence over the store: SLA clocks, whose turn it is, incident clusters, and the
checks before a message goes out.  Pure functions of store rows and an injected time; no
widgets, no network."""
