"""Cases as CSV or JSON: the inbox's export (``E``) and ``expereo-tui cases list --csv/--json``
write the same columns the same way."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, TextIO

from expereo_tui.store.cases import CaseRow

Format = Literal["csv", "json"]
FIELDS = tuple(f.name for f in dataclasses.fields(CaseRow))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): ``=``, ``+``,
#: ``-``, ``@``, tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets a single
    quote in front (OWASP's advice), so ``=HYPERLINK(…)`` is never evaluated."""
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json_value(value: Any) -> Any:
    """A JSON value of its own type: booleans and numbers as such, times in ISO 8601, empty
    text and missing values null (``"unread": false``, never ``"False"``)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return _text(value) or None


def json_case(row: CaseRow) -> dict[str, Any]:
    """One case as the scripting JSON has it: the row's fields typed, and the subject's words
    (``subject_label``) beside the API's enum (``subject``)."""
    from expereo_tui.triage.labels import subject_label

    doc = {k: _json_value(v) for k, v in dataclasses.asdict(row).items()}
    doc["subject_label"] = subject_label(row.subject) or None
    return doc


def write_cases(rows: Sequence[CaseRow], out: TextIO, fmt: Format) -> None:
    """JSON: an array of objects (typed values, empty ones null); CSV: a header row, then one
    row a case."""
    if fmt == "json":
        json.dump([json_case(r) for r in rows], out, indent=2)
        out.write("\n")
        return
    writer = csv.writer(out)
    if rows:
        writer.writerow(FIELDS)
    for r in rows:
        writer.writerow([csv_cell(v) for v in dataclasses.astuple(r)])


def format_of(path: str) -> Format | None:
    """The format a file name asks for: ``.csv`` or ``.json`` (None: neither)."""
    lower = path.strip().lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "json"
    return None


def export_name(view: str) -> str:
    """The file name the export suggests for a view: ``expereo-<view>.csv`` with the view's name
    made a safe file name (letters, digits, ``.``, ``_``, ``-``; anything else, ``/`` too,
    becomes ``-``): the view "P1/P2" suggests ``expereo-p1-p2.csv``, not a folder."""
    import re

    stem = re.sub(r"[^a-z0-9._-]+", "-", view.lower()).strip("-.")
    return f"expereo-{stem or 'cases'}.csv"
