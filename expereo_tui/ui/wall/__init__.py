"""The NOC wall: its app, screen, views and big numbers."""
