"""The sync engine: the only caller of the API at run time; keeps the store fresh within the
rate budget and sends the outbox.  Knows nothing of Textual: it reports through callbacks."""
