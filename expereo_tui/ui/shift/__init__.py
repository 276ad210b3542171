"""Shift dialogs in the UI: snooze, templates, SLA alerts."""
