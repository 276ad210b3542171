"""What a :class:`~expereo_tui.sync.engine.SyncEngine` asks of its team (team mode,
``docs/team.md``).  Alone, an engine has no team and nothing here is used.

The team (``expereo_tui.team``, above this layer) decides, through PostgreSQL, which instance of
an API client polls (the leader) and who sends each queued write; the engine stays the one
caller of the API in its process and keeps its local store, so the screens never know whether
they run alone or in a team.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .events import SyncEvent
    from .sender import OutboxSender


class TeamLink(Protocol):
    async def start(self, *, may_lead: bool, wake: Callable[[], None]) -> None:
        """Join the team (with the engine); ``wake()`` when another instance announces
        changes; ``may_lead``: see :meth:`may_lead`."""
        ...

    async def stop(self) -> None:
        """Leave the team (with the engine)."""
        ...

    def may_lead(self, allowed: bool) -> None:
        """Whether this instance may take the team's lead (not while another process on this
        host holds the profile's poll lock)."""
        ...

    def away(self) -> tuple[float, bool] | None:
        """None while the team store is reachable; else (seconds it has been away, whether
        this instance led when it went): the engine's slow poll then (``team/link.py``)."""
        ...

    def leads(self) -> bool:
        """Whether this instance polls the API now (it holds the team's leader lock, or the
        team store is away and it keeps its own slow poll: see ``docs/team.md``)."""
        ...

    def status_line(self) -> str | None:
        """One line for the status bar about the team (who leads, the team store away), or
        None when there is nothing to say."""
        ...

    def observe(self, event: SyncEvent) -> None:
        """Every event the engine emits (the leader publishes what its poll changed)."""
        ...

    async def after_poll(self) -> None:
        """The leader's poll succeeded: publish what it changed to the team."""
        ...

    async def follow(self) -> bool:
        """Not the leader: bring the local store up to the team's changes (and announce them
        as the engine's events); True when anything changed."""
        ...

    async def send_outbox(self, sender: OutboxSender) -> None:
        """One round of the team's outbox: hand this instance's queued writes to the team and
        send the writes this instance claims, with ``sender`` (its rules hold as they are)."""
        ...

    def queued(self, entry_id: int) -> None:
        """A write was queued in the local outbox (to be handed to the team)."""
        ...

    def decided(self, entry_id: int, again: bool) -> None:
        """The user decided on an entry that needed it (send again: ``again``; else discard);
        the local entry already says so, the team's copy of it is told."""
        ...
