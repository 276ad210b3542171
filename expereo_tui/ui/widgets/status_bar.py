"""The one-line status bar: profile, sync freshness, read budget, queued writes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from expereo_tui.sync.events import FirstSyncProgress, SyncError, SyncState, SyncStatus
from expereo_tui.ui import themes
from expereo_tui.ui.format import relative
from expereo_tui.ui.safe_text import safe

_ROLE = {  # colours from the theme (ui/themes.py)
    SyncStatus.FRESH: "sync-fresh",
    SyncStatus.SYNCING: "sync-syncing",
    SyncStatus.STALE: "sync-warning",
    SyncStatus.OFFLINE: "sync-error",
    SyncStatus.RATE_LIMITED: "sync-warning",
    SyncStatus.UNAUTHORISED: "sync-error",
    SyncStatus.FORBIDDEN: "sync-error",
    SyncStatus.PAUSED: "sync-warning",
    SyncStatus.ERROR: "sync-error",
}

#: what the poll was doing, in words (codes from ``Poller.STAGES``)
_STAGE_WORDS = {
    "token": "getting a token",
    "accounts": "listing accounts",
    "sites": "listing sites",
    "services": "listing services",
    "invoices": "listing invoices",
    "inventory-store": "saving inventory",
    "cases": "listing cases",
    "cases-store": "saving cases",
    "threads": "fetching a thread",
    "threads-store": "saving a thread",
    "events": "announcing changes",
    "meta": "saving sync state",
    "loop": "scheduling",
}


def sync_error_line(error: SyncError | None) -> str:
    """One line saying what failed, from the code and fields the sync engine gives."""
    if error is None:
        return "unexpected failure"
    what = safe(error.path, one_line=True) or "a list"
    match error.code:
        case "off-origin":
            host = safe(error.host, one_line=True) or "another server"
            return f"{what} links to {host}"
        case "repeated":
            return f"{what} repeats a page"
        case "bad-link":
            return f"{what} has an unreadable next link"
    stage = _STAGE_WORDS.get(error.stage, error.stage)
    return f"{error.kind or 'failure'} while {stage}"


#: the lists a person waits for during the first sync, in the order they come
FIRST_SYNC_SHOWN = ("cases", "sites", "services")


def first_sync_line(progress: FirstSyncProgress, *, compact: bool = False) -> str:
    """ "first sync: cases 2,400 / 10,000 · sites 0 / 5,000 · services 0 / 20,000" (a list
    whose total the API did not tell shows its count alone); ``compact``, for a narrow
    terminal: "first sync: cases 24% · sites 0% · services 0%"."""
    parts = []
    for name in FIRST_SYNC_SHOWN:
        p = progress.of(name)
        if p is None:
            continue
        if p.total is None:
            parts.append(f"{name} {p.done:,}")
        elif compact:
            parts.append(f"{name} {min(100, int(100 * p.done / p.total)) if p.total else 100}%")
        else:
            parts.append(f"{name} {p.done:,} / {p.total:,}")
    return "first sync: " + " · ".join(parts)


def _retry_in(state: SyncState, now: float) -> str:
    if state.next_attempt is None:
        return ""
    return f" · retrying in {max(0, round(state.next_attempt - now))}s"


def data_age(last_success: float, now: float) -> str:
    """How old the data is, in steps a person needs (``now``, ``<1m``, ``4m``, ``3h``): the
    text changes once a minute at most, so the bar is not repainted every second."""
    seconds = now - last_success
    if seconds < 5:
        return "now"
    return "<1m" if seconds < 60 else relative(last_success, now)


def next_change(state: SyncState | None, now: float) -> float | None:
    """Seconds until :func:`describe` may say something else without a sync event: a retry
    countdown ticks each second, a data age at its next step; None when nothing moves."""
    if state is None:
        return None
    if state.next_attempt is not None and state.next_attempt > now:
        return 1.0
    if not state.last_success:
        return None
    seconds = max(0.0, now - state.last_success)
    for step in (5.0, 60.0):
        if seconds < step:
            return step - seconds
    for size in (31_536_000, 604_800, 86_400, 3_600, 60):
        if seconds >= size:
            return size - seconds % size
    return 60.0


def describe(state: SyncState | None, now: float, *, compact: bool = False) -> str:
    """The sync state in a few words a person reads at a glance (``compact``: fewer, for a
    narrow terminal)."""
    if state is None:
        return "offline viewing (no connection configured)"
    when = data_age(state.last_success, now) if state.last_success else ""
    ago = f"updated {when} ago" if when and when != "now" else "updated just now"
    if not state.last_success:
        ago = "never updated"
    retry = ""
    if state.next_attempt:
        wait = relative(now, state.next_attempt)
        retry = ", retrying" if state.next_attempt - now < 1 else f", retry in {wait}"
    match state.status:
        case SyncStatus.FRESH:
            return ago
        case SyncStatus.SYNCING:
            if state.progress is not None:
                return first_sync_line(state.progress, compact=compact)
            return f"syncing… ({ago})"
        case SyncStatus.STALE:
            return f"STALE: {ago}"
        case SyncStatus.OFFLINE:
            return f"OFFLINE{retry} ({ago})"
        case SyncStatus.RATE_LIMITED:
            return f"RATE-LIMITED{retry} ({ago})"
        case SyncStatus.UNAUTHORISED:
            if state.missing_scope:  # the token endpoint refused scopes the key lacks
                scopes = safe(state.missing_scope, one_line=True).split()
                if len(scopes) == 1:
                    return f"UNAUTHORISED: remove scope {scopes[0]} from profile"
                short = ", ".join(s.removeprefix("customerapi/") for s in scopes)
                return f"UNAUTHORISED: remove scopes {short}"
            return f"UNAUTHORISED: check the client secret{retry}"
        case SyncStatus.FORBIDDEN:
            return f"MISSING SCOPE {safe(state.missing_scope, one_line=True)}".rstrip()
        case SyncStatus.PAUSED:
            return f"PAUSED (p resumes) — {ago}"
        case SyncStatus.ERROR:
            return f"sync error: {sync_error_line(state.error)}{_retry_in(state, now)}"
    return str(state.status)


class StatusBar(Static):
    """Shows what the app knows about its freshness; the app calls :meth:`show` when a sync
    event arrives and when the data age's text is due to change (never on a fixed tick).
    A line equal to the one shown is not painted again."""

    painted = 0  # how many times a new line was painted (tests: no repaint without change)

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        refresh = getattr(self.app, "refresh_status", None)
        if refresh is not None:
            self.call_after_refresh(refresh)

    def show(
        self,
        *,
        profile: str,
        state: SyncState | None,
        now: float,
        read_budget: tuple[float, int] | None,
        queued: int,
        failed: int,
        decide: int = 0,
        poller: bool = True,
        store_problem: str | None = None,
        team: str | None = None,
    ) -> None:
        line = Text()
        line.append(f" {profile} ", style="bold reverse")
        line.append("  ")
        status = state.status if state else SyncStatus.OFFLINE
        if store_problem:  # the store's condition (disk full, read-only) outranks the sync's
            line.append(store_problem, style=themes.style("sync-error"))
        else:
            # 80 columns: the first sync's counts as percentages, the budget still in view
            narrow = state is not None and state.progress is not None and self.size.width < 100
            line.append(
                describe(state, now, compact=narrow),
                style=themes.style(_ROLE[status]) if status in _ROLE else "",
            )
        if state and not poller:
            line.append("  (another window refreshes)", style="dim")
        if team:  # team mode: who refreshes for the team, or the team store away
            away = team.startswith("team store away")
            line.append(f"  {team}", style=themes.style("sync-error") if away else "dim")
        if state and state.skipped:
            noun = "item" if state.skipped == 1 else "items"
            line.append(f"  {state.skipped} {noun} skipped", style=themes.style("attention"))
        if read_budget is not None:
            left, cap = read_budget
            line.append(
                f"  budget {int(left)}/{cap}",
                style="dim" if left > cap * 0.2 else themes.style("attention"),
            )
        if queued:
            line.append(f"  ⇡ {queued} queued", style=themes.style("send-queued"))
        if failed:
            line.append(f"  ✗ {failed} failed", style=themes.style("send-failed"))
        if decide:  # the outbox cannot know whether these arrived: the user decides
            line.append(f"  ? {decide} need your decision (O)", style=themes.style("attention"))
        if line == getattr(self, "_line", None):
            return
        self._line = line
        self.painted += 1
        self.update(line, layout=False)  # one line, the screen's width: the layout holds
