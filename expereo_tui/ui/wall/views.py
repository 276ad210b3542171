"""Saved views on the NOC wall: the views a profile names in ``wall_views`` join the wall's
cycle, each as a table of its cases (snoozed ones left out, as in the inbox)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text

from expereo_tui.store.shift import query_from_dict
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.triage.labels import subject_label
from expereo_tui.ui.format import priority_text, relative, status_text
from expereo_tui.ui.safe_text import literal, safe

COLUMNS = ("Changed", "Pri", "Case", "Status", "Subject", "Service")


def chosen_views(options: Any, store: Store) -> list[tuple[str, CaseQuery]]:
    """The views named in ``wall_views``, in that order: from the config's views, else saved
    in the app; a name that is neither is left out."""
    known: dict[str, CaseQuery] = {v.name: v.query for v in store.shift.views()}
    for name, data in options.views:
        try:
            known[name] = query_from_dict(data)
        except ValueError:
            continue
    return [(name, known[name]) for name in options.wall_views if name in known]


def view_rows(store: Store, query: CaseQuery, now: float, limit: int) -> list[list[Text]]:
    """The first ``limit`` cases of a view, as wall table rows."""
    shown = replace(query, hidden_ids=store.shift.snoozed_ids())
    return [
        [
            Text(relative(r.last_modified_date, now)),
            priority_text(r.priority),
            literal(r.id),
            status_text(r.status),
            Text(subject_label(safe(r.subject))),
            literal(r.service_name or r.service_id, one_line=True),
        ]
        for r in store.cases.inbox_page(shown, limit=limit)
    ]
