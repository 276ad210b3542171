"""The local SQLite cache: entities, read state, drafts, outbox, sync watermarks.  No Textual."""
