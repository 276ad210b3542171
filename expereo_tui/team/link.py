"""The engine's team (:class:`expereo_tui.sync.team_link.TeamLink`): who polls, the change feed
and the shared outbox, over one :class:`~expereo_tui.team.runtime.TeamRuntime`.

``feed`` (team/feed.py: the leader publishes, followers apply) and ``outbox`` (team/outbox.py:
the shared outbox) do the work; this class only puts them behind the engine's seam.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .runtime import TeamRuntime

if TYPE_CHECKING:
    from expereo_tui.sync.events import SyncEvent
    from expereo_tui.sync.sender import OutboxSender


class Team:
    def __init__(self, runtime: TeamRuntime, *, feed: Any = None, outbox: Any = None) -> None:
        self.runtime = runtime
        self.feed = feed
        self.outbox = outbox

    # -- the engine's seam (sync/team_link.py) ------------------------------------------------
    def leads(self) -> bool:
        return self.runtime.is_leader

    def status_line(self) -> str | None:
        rt = self.runtime
        if not rt.online:
            return rt.problem
        if rt.is_leader:
            return "team: this instance refreshes for the team"
        return f"team: {rt.leader} refreshes" if rt.leader else "team: waiting for a leader"

    def observe(self, event: SyncEvent) -> None:
        if self.feed is not None:
            self.feed.observe(event)

    async def after_poll(self) -> None:
        if self.feed is not None:
            await self.feed.publish()

    async def follow(self) -> bool:
        return bool(self.feed is not None and await self.feed.follow())

    async def send_outbox(self, sender: OutboxSender) -> None:
        if self.outbox is not None:
            await self.outbox.round(sender)

    def queued(self, entry_id: int) -> None:
        if self.outbox is not None:
            self.outbox.queued(entry_id)

    def decided(self, entry_id: int, again: bool) -> None:
        if self.outbox is not None:
            self.outbox.decided(entry_id, again)
