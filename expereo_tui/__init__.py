"""expereo-tui: a terminal app for network operations on the expereoOne customer API."""

__version__ = "0.1.0"
