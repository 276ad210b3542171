"""The engine's team (:class:`expereo_tui.sync.team_link.TeamLink`): who polls, the change feed
and the shared outbox, over one :class:`~expereo_tui.team.runtime.TeamRuntime`.

``feed`` (team/feed.py: the leader publishes, followers apply) and ``outbox`` (team/outbox.py:
the shared outbox) do the work; this class only puts them behind the engine's seam.

Who polls (the engine asks :meth:`Team.leads` and :meth:`Team.away` before each cycle):

- The team store reachable: the holder of the team's leader lock polls at its normal rate and
  publishes; every other instance reads the API not at all and follows the change feed.
- The team store away (``away()`` is not None): every instance keeps working from its local
  store and says so.  The instance that led when the store went away keeps polling at its
  normal rate (it cannot know whether another took over, but at most one led).  Every other
  instance does not poll for the first ``2 × max_poll_interval`` (the leader's session, and with
  it its lock, may just be reconnecting), then polls at ``max_poll_interval`` with jitter: N
  instances at one poll each per 300 s stay far inside the one API client's budget, so the team
  store's absence never becomes a 429 storm.  When the store is back, leadership is decided
  again and a follower reads the feed from its last sequence number (cases are never taken back
  in time by an older row).
- An instance of a profile whose host lock another process on the same host holds (two sessions
  of one profile on one jump host) must not lead: the engine says so with :meth:`may_lead`.
"""

from __future__ import annotations

from collections.abc import Callable
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
    async def start(self, *, may_lead: bool, wake: Callable[[], None]) -> None:
        self.may_lead(may_lead)
        if self.feed is not None:
            self.feed.on_change(wake)
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()

    def may_lead(self, allowed: bool) -> None:
        self.runtime.may_lead = allowed and not self.runtime.settings.read_only

    def leads(self) -> bool:
        return self.runtime.online and self.runtime.is_leader

    def away(self) -> tuple[float, bool] | None:
        rt = self.runtime
        if rt.online:
            return None
        since = rt.offline_since if rt.offline_since is not None else rt.clock()
        return max(0.0, rt.clock() - since), rt.led_when_lost

    def status_line(self) -> str | None:
        rt = self.runtime
        if not rt.online:
            why = f" ({rt.problem})" if rt.problem else ""
            doing = "refreshing on its own" if rt.led_when_lost else "working from the local store"
            return f"team store away{why}: {doing}"
        if rt.is_leader:
            return "this instance refreshes for the team"
        return f"{rt.leader} refreshes for the team" if rt.leader else "team: waiting for a leader"

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
