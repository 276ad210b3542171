"""The case screen: thread, compose panel, send check, external editor."""
