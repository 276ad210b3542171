"""Connections to the team store (psycopg 3, async).  Imported only in team mode."""

from __future__ import annotations

from typing import Any

from .settings import TeamSettings


class TeamUnavailable(Exception):
    """The team store cannot be reached or refused us; the message is safe to show (it holds
    no password) and says what the server said."""


async def connect(settings: TeamSettings, *, autocommit: bool = True) -> Any:
    """A new ``psycopg.AsyncConnection`` to the team store (the password as a keyword, never in
    the URL).  Raises TeamUnavailable with libpq's reason."""
    import psycopg

    try:
        kwargs: dict[str, Any] = dict(settings.connect_kwargs())
        return await psycopg.AsyncConnection.connect(settings.url, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        raise TeamUnavailable(_reason(exc, settings)) from None


def _reason(exc: BaseException, settings: TeamSettings) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    if settings.password:
        text = text.replace(settings.password, "***")
    return f"team store {settings.describe()} unreachable: {text}"
