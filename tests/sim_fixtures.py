"""Pytest fixtures around the simulator (owned by the simulator work, issue #2)."""
