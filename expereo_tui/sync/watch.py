"""For an instance that does not poll (another one on this host holds the poll lock): notice
the poller's commits through SQLite's data version and derive the same change events from the
store, so the UI of every instance announces new cases and messages alike."""

from __future__ import annotations

from collections.abc import Callable

from expereo_tui.store.store import CaseQuery, Store

from .events import CaseChange, CasesChanged, OutboxChanged, OutboxStatus, SyncEvent

_Snapshot = dict[str, tuple[object, str | None, str | None]]


class StoreWatcher:
    def __init__(self, store: Store, emit: Callable[[SyncEvent], None]) -> None:
        self.store = store
        self.emit = emit
        self._version = store.data_version()
        self._cases = self._snapshot()
        self._pending = {e.id: e.status for e in store.outbox.outbox()}

    def _snapshot(self) -> _Snapshot:
        rows = self.store.cases.query_cases(CaseQuery(sort=(("id", False),)), limit=1_000_000)
        return {r.id: (r.last_modified_date, r.status, r.priority) for r in rows}

    def check(self) -> bool:
        """Compare with the last look; emit events for what another process changed."""
        version = self.store.data_version()
        if version == self._version:
            return False
        self._version = version
        now = self._snapshot()
        changes = []
        for case_id, (lm, status, prio) in now.items():
            old = self._cases.get(case_id)
            if old is None:
                changes.append(
                    CaseChange(case_id=case_id, is_new=True, new_status=status, new_priority=prio)
                )
            elif old[0] != lm:
                changes.append(
                    CaseChange(
                        case_id=case_id,
                        is_new=False,
                        old_status=old[1],
                        new_status=status,
                        old_priority=old[2],
                        new_priority=prio,
                    )
                )
        if self._cases and changes:
            self.emit(CasesChanged(changes=tuple(changes)))
        self._cases = now
        for entry_id, old_status in list(self._pending.items()):
            entry = self.store.outbox.outbox_entry(entry_id)
            if entry is None or entry.status == old_status:
                continue
            self.emit(
                OutboxChanged(
                    entry_id=entry.id,
                    kind=entry.kind,
                    case_id=entry.case_id,
                    status=OutboxStatus(entry.status),
                    error=entry.last_error,
                    result_id=entry.result_id,
                )
            )
            if entry.status in ("sent", "failed"):
                del self._pending[entry_id]
            else:
                self._pending[entry_id] = entry.status
        for entry in self.store.outbox.outbox():
            self._pending.setdefault(entry.id, entry.status)
        return True

    def track(self, entry_id: int, status: str) -> None:
        self._pending[entry_id] = OutboxStatus(status)
