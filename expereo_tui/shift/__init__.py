"""Shift features below the UI: handover, export, reply templates, time words."""
