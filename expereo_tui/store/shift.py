"""What one engineer keeps for a shift, local to the profile and never sent to the API: pins
(a short handover note on a case), snoozes (a case parked until a time or until the provider
writes) and saved views (a named filter and sort).

Each lives in its own small table (migration ``_v_shift``) and survives restarts; a snooze that
wakes is deleted in the same transaction that finds it due, so of several instances on one
profile exactly one announces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .cases import SORT_COLUMNS
from .database import Table
from .query import CaseQuery

# the messages the provider wrote (MessageType Expereo): a new one wakes an "until they write"
_PROVIDER_MESSAGES = (
    "(SELECT count(*) FROM messages m WHERE m.case_id = {case} "
    "AND json_extract(m.raw, '$.type') = 'Expereo')"
)


@dataclass(frozen=True)
class Pin:
    """A handover note on a case."""

    case_id: str
    note: str
    updated: float


@dataclass(frozen=True)
class Snooze:
    """A parked case: it wakes at ``until`` (if set) or when the provider writes (if asked)."""

    case_id: str
    until: float | None
    until_provider: bool
    created: float


@dataclass(frozen=True)
class Wake:
    """A snooze that ended: ``reason`` is ``time`` or ``provider``."""

    case_id: str
    reason: str


@dataclass(frozen=True)
class SavedView:
    """A named filter and sort saved from the app."""

    name: str
    query: CaseQuery


# CaseQuery fields a view keeps (ids of snoozed cases are worked out when the view is shown)
_SET_FIELDS = ("statuses", "priorities", "types")
_VALUE_FIELDS = ("service_id", "site_id", "account_id", "text", "unread_only")


def query_to_dict(query: CaseQuery) -> dict[str, Any]:
    """The JSON form of a view's query (what config and the store hold)."""
    data: dict[str, Any] = {name: sorted(getattr(query, name)) for name in _SET_FIELDS}
    data.update({name: getattr(query, name) for name in _VALUE_FIELDS})
    data["sort"] = [[column, desc] for column, desc in query.sort]
    return {k: v for k, v in data.items() if v not in ([], None, "", False)}


def query_from_dict(data: dict[str, Any]) -> CaseQuery:
    """A view's query from its JSON form; ValueError names what is wrong."""
    unknown = set(data) - {*_SET_FIELDS, *_VALUE_FIELDS, "sort"}
    if unknown:
        raise ValueError(f"unknown view field(s): {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for name in _SET_FIELDS:
        if name in data:
            values = data[name]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{name} must be a list of text")
            kwargs[name] = frozenset(values)
    for name in _VALUE_FIELDS:
        if name in data:
            kwargs[name] = data[name]
    if "sort" in data:
        sort = []
        for item in data["sort"]:
            column, desc = (item, False) if isinstance(item, str) else tuple(item)
            if column not in SORT_COLUMNS:
                raise ValueError(f"cannot sort on {column!r}; one of {', '.join(SORT_COLUMNS)}")
            sort.append((str(column), bool(desc)))
        kwargs["sort"] = tuple(sort)
    return CaseQuery(**kwargs)


class ShiftStore(Table):
    """The ``pins``, ``snoozes`` and ``saved_views`` tables."""

    # -- pins ---------------------------------------------------------------------------------
    def pin(self, case_id: str, note: str) -> None:
        """Set (or replace) a case's handover note; an empty note removes it."""
        note = note.strip()
        with self._tx() as db:
            if not note:
                db.execute("DELETE FROM pins WHERE case_id = ?", (case_id,))
                return
            db.execute(
                "INSERT OR REPLACE INTO pins (case_id, note, updated) VALUES (?, ?, ?)",
                (case_id, note, self.clock()),
            )

    def pin_note(self, case_id: str) -> str | None:
        rows = self._rows("SELECT note FROM pins WHERE case_id = ?", (case_id,))
        return str(rows[0]["note"]) if rows else None

    def pins(self) -> list[Pin]:
        """Every pin, oldest first."""
        return [
            Pin(r["case_id"], r["note"], float(r["updated"]))
            for r in self._rows("SELECT case_id, note, updated FROM pins ORDER BY updated, case_id")
        ]

    # -- snoozes ------------------------------------------------------------------------------
    def snooze(self, case_id: str, *, until: float | None, until_provider: bool = False) -> None:
        """Park a case until ``until`` and/or until the provider writes (at least one)."""
        if until is None and not until_provider:
            raise ValueError("a snooze needs a time or 'until the provider writes'")
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO snoozes (case_id, until, until_provider, "
                f"provider_messages, created) VALUES (?, ?, ?, {_PROVIDER_MESSAGES.format(case='?')}, ?)",
                (case_id, until, int(until_provider), case_id, self.clock()),
            )

    def unsnooze(self, case_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM snoozes WHERE case_id = ?", (case_id,)).rowcount > 0

    def snoozes(self) -> list[Snooze]:
        """Every parked case, soonest wake first (those waiting on the provider alone last)."""
        return [
            Snooze(
                r["case_id"],
                None if r["until"] is None else float(r["until"]),
                bool(r["until_provider"]),
                float(r["created"]),
            )
            for r in self._rows(
                "SELECT case_id, until, until_provider, created FROM snoozes "
                "ORDER BY until IS NULL, until, case_id"
            )
        ]

    def snoozed_ids(self) -> frozenset[str]:
        return frozenset(r["case_id"] for r in self._rows("SELECT case_id FROM snoozes"))

    def wake_due(self, now: float) -> list[Wake]:
        """End the snoozes that are due (their time came, or the provider wrote since) and
        return them; found and deleted in one transaction, so each wakes exactly once."""
        if not self._rows(self._DUE, (now, now)):  # the usual case: a read, no write
            return []  # (a write would stale the in-memory inbox and wake other instances)
        with self._tx() as db:
            rows = db.execute(self._DUE, (now, now)).fetchall()
            db.executemany("DELETE FROM snoozes WHERE case_id = ?", [(r[0],) for r in rows])
        return [Wake(r[0], r[1]) for r in rows]

    _DUE = (
        "SELECT case_id, CASE WHEN until IS NOT NULL AND until <= ? THEN 'time' "
        "ELSE 'provider' END AS reason FROM snoozes WHERE (until IS NOT NULL AND until <= ?)"
        f" OR (until_provider AND {_PROVIDER_MESSAGES.format(case='snoozes.case_id')}"
        " > provider_messages) ORDER BY case_id"
    )

    # -- saved views --------------------------------------------------------------------------
    def save_view(self, name: str, query: CaseQuery) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a view needs a name")
        with self._tx() as db:
            db.execute(
                "INSERT INTO saved_views (name, query, created) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET query = excluded.query",
                (name, json.dumps(query_to_dict(query)), self.clock()),
            )

    def delete_view(self, name: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM saved_views WHERE name = ?", (name,)).rowcount > 0

    def views(self) -> list[SavedView]:
        """Saved views in the order they were first saved (one unreadable is skipped)."""
        views = []
        for r in self._rows("SELECT name, query FROM saved_views ORDER BY created, name"):
            try:
                views.append(SavedView(r["name"], query_from_dict(json.loads(r["query"]))))
            except (ValueError, TypeError):
                continue
        return views

    # -- what the handover report needs -------------------------------------------------------
    def changed_since(self, since_ts: str) -> list[str]:
        """Cases whose last change is at or after ``since_ts`` (store.ts text), newest first."""
        rows = self._rows(
            "SELECT id FROM cases WHERE last_modified >= ? ORDER BY last_modified DESC, id",
            (since_ts,),
        )
        return [str(r["id"]) for r in rows]
