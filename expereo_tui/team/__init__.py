"""Team mode: several instances of one API client share one poll, one outbox and one picture
through PostgreSQL (docs/team.md).  Nothing here is imported before the first frame, and nothing
here is used when a profile has no ``team_url``: SQLite alone stays the default."""
