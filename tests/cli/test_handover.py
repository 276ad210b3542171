"""The handover report: its sections from the store, Markdown and JSON, and the command line."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.cli.main import main
from expereo_tui.locations import config_path
from expereo_tui.shift.handover import build, parse_since, to_json, to_markdown, waiting_on_us
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.triage.turn import US, whose_turn
from tests.sim_fixtures import FIXED_NOW, FakeClock
from tests.store.test_store import fill

HOSTILE = "\x1b]52;c;ZXZpbA==\x07 pwned\nsecond line"


@pytest.fixture
def report_store(tmp_path: Path, sim: Simulator) -> Store:
    store = Store(tmp_path / "data" / "expereo-tui" / "lab.sqlite3", clock=FakeClock())
    fill(store, sim)
    return store


def test_report_has_every_section_from_the_store(report_store: Store) -> None:
    store = report_store
    urgent = store.cases.query_cases(
        CaseQuery(
            statuses=frozenset({"New", "In Progress", "Awaiting Customer"}),
            priorities=frozenset({"P1", "P2"}),
        ),
        limit=1000,
    )
    pinned = urgent[0].id
    store.shift.pin(pinned, f"check the CPE {HOSTILE}")
    reply = store.enqueue("reply", {"message": "engineer dispatched"}, case_id=pinned)
    store.outbox.outbox_attempt(reply.id, at=FIXED_NOW - 60)
    store.outbox.outbox_sent(reply.id, result_id="M-1")
    old = store.enqueue("reply", {"message": "from last week"}, case_id=pinned)
    store.outbox.outbox_attempt(old.id, at=FIXED_NOW - 7 * 86400)
    store.outbox.outbox_sent(old.id, result_id="M-0")

    report = build(store, since=FIXED_NOW - 8 * 3600, now=FIXED_NOW, profile="lab")

    assert {i["id"] for i in report.section("open_p1_p2").items} == {r.id for r in urgent}
    # waiting on us, worked out again from the rule (docs/usage.md, "Whose turn") over every
    # case and its thread, not by the function that builds the section: open, and the provider
    # wrote last; under Awaiting Customer, no message of ours after their latest one
    expected = set()
    for row in store.cases.query_cases(CaseQuery(), limit=100_000):
        if row.status in ("Resolved", "Closed"):
            continue
        thread = store.cases.thread(row.id)
        theirs = [m.timestamp for m in thread if m.type == "Expereo" and m.timestamp]
        ours = [m.timestamp for m in thread if m.type == "Customer" and m.timestamp]
        if row.status == "Awaiting Customer":
            if not ours or (theirs and max(ours) < max(theirs)):
                expected.add(row.id)
        elif theirs and (not ours or max(theirs) > max(ours)):
            expected.add(row.id)
    waiting = [i["id"] for i in report.section("waiting_on_us").items]
    assert expected and set(waiting) == expected and len(waiting) == len(expected)
    changed = report.section("changed").items
    assert changed and all(i["changed"] >= "2026-11-18 03:06" for i in changed)
    assert [i["text"] for i in report.section("sent").items] == ["engineer dispatched"]
    assert report.section("pins").items[0]["id"] == pinned
    md = to_markdown(report)
    assert "## Open P1 and P2" in md and "## Pinned notes (1)" in md
    assert "\x1b" not in md and "\x07" not in md  # API/pin text cannot reach the terminal raw
    assert "engineer dispatched" in md and "from last week" not in md
    assert "## SLA at risk or breached" in md  # the triage hook says what it lacks
    doc = json.loads(to_json(report))
    assert doc["pins"][0]["note"].startswith("check the CPE")


def _case(case_id: str, status: str, priority: str | None, minutes: int) -> Case:
    at = datetime(2026, 11, 18, 9, tzinfo=UTC) + timedelta(minutes=minutes)
    return Case.model_validate(
        {
            "id": case_id,
            "subject": "ServiceDown",
            "type": "Incident",
            "status": status,
            "priority": priority,
            "createdDate": at,
            "lastModifiedDate": at,
            "serviceId": "SVC-X",
        }
    )


def _thread(store: Store, case_id: str, *writers: str) -> None:
    """Messages a minute apart from 10:00, by the writers given ("Customer" or "Expereo")."""
    start = datetime(2026, 11, 18, 10, tzinfo=UTC)
    store.cases.upsert_messages(
        case_id,
        [
            CaseMessage.model_validate(
                {
                    "id": f"{case_id}-M{i}",
                    "caseId": case_id,
                    "message": f"message {i}",
                    "type": who,
                    "timestamp": start + timedelta(minutes=i),
                }
            )
            for i, who in enumerate(writers)
        ],
        whole_thread=True,
    )


def test_waiting_on_us_is_awaiting_customer_or_expereo_wrote_last(tmp_path: Path) -> None:
    """docs/usage.md, "Whose turn": on an open case the provider writing last makes it ours;
    under Awaiting Customer it is ours until we write after they asked; the expected list is
    written by hand (priority first)."""
    store = Store(tmp_path / "hand.sqlite3", clock=FakeClock())
    store.cases.upsert_cases(
        [
            _case("CS-PROVIDER-LAST", "In Progress", "P2", 1),  # waiting: Expereo wrote last
            _case("CS-WE-LAST", "In Progress", "P1", 2),  # not: we wrote a minute after them
            _case("CS-THEY-AFTER-US", "New", "P1", 3),  # waiting: they wrote a minute after us
            _case("CS-AWAITING", "Awaiting Customer", "P3", 4),  # not: we answered their ask
            _case("CS-AWAITING-SILENT", "Awaiting Customer", "P4", 5),  # waiting: no thread
            _case("CS-RESOLVED", "Resolved", "P1", 6),  # not: closed, though Expereo wrote last
            _case("CS-CLOSED", "Closed", "P1", 7),  # not
            _case("CS-SILENT", "New", "P1", 8),  # not: nobody wrote
        ]
    )
    _thread(store, "CS-PROVIDER-LAST", "Customer", "Expereo")
    _thread(store, "CS-WE-LAST", "Expereo", "Customer")
    _thread(store, "CS-THEY-AFTER-US", "Customer", "Expereo")
    _thread(store, "CS-AWAITING", "Expereo", "Customer")
    _thread(store, "CS-RESOLVED", "Customer", "Expereo")
    _thread(store, "CS-CLOSED", "Expereo")
    report = build(store, since=FIXED_NOW - 8 * 3600, now=FIXED_NOW, profile="lab")
    assert [i["id"] for i in report.section("waiting_on_us").items] == [
        "CS-THEY-AFTER-US",
        "CS-PROVIDER-LAST",
        "CS-AWAITING-SILENT",
    ]
    assert "## Waiting on us (3)" in to_markdown(report)


def test_since_reads_durations_and_times() -> None:
    assert parse_since("8h", FIXED_NOW) == FIXED_NOW - 8 * 3600
    assert parse_since("30m", FIXED_NOW) == FIXED_NOW - 1800
    with pytest.raises(ValueError):
        parse_since("last tuesday-ish", FIXED_NOW)


def _profile() -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[profiles.lab]\nbase_url = "http://127.0.0.1:9"\n'
        'token_url = "http://127.0.0.1:9/oauth2/token"\nclient_id = "cid"\n',
        encoding="utf-8",
    )


def test_handover_command_writes_markdown_json_and_files(
    report_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _profile()
    case_id = report_store.cases.query_cases(CaseQuery(), limit=1)[0].id
    report_store.shift.pin(case_id, "hand this over")
    report_store.close()
    assert main(["--profile", "lab", "handover", "--since", "2d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Handover (lab)") and "hand this over" in out
    assert main(["handover", "--profile", "lab", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pins"][0]["id"] == case_id
    target = tmp_path / "handover.md"
    assert main(["handover", "--profile", "lab", "--out", str(target)]) == 0
    assert "hand this over" in target.read_text(encoding="utf-8")
    assert main(["handover", "--profile", "lab", "--since", "whenever"]) == 2
    assert "--since" in capsys.readouterr().err


def test_handover_to_the_clipboard_is_one_osc52_sequence(report_store: Store) -> None:
    from expereo_tui.cli import handover

    _profile()
    out = io.StringIO()
    args = argparse.Namespace(profile="lab", since="8h", json=False, out=None, clipboard=True)
    assert handover.run(args, out, clock=lambda: FIXED_NOW, open_store=lambda _: report_store) == 0
    text = out.getvalue()
    assert text.startswith("\x1b]52;c;") and text.count("\x07") == 1


def test_sla_and_clusters_come_from_the_triage_work_when_it_is_there(
    report_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook reads ``read_triage`` (the SLA and clusters work) in the shape it has there:
    a board of alarming (row, clock) pairs and a list of clusters."""
    import sys
    import types

    row = report_store.cases.query_cases(CaseQuery(), limit=1)[0]
    seen: list[object] = []

    def read_triage(store: Store, options: object, now: float) -> object:
        seen.append(options)
        clock = types.SimpleNamespace(
            name="first_response", level=types.SimpleNamespace(value="breached"), left=-300.0
        )
        cluster = types.SimpleNamespace(
            kind="site", label="Tokyo DC", case_ids=("CS-1", "CS-2"), since=FIXED_NOW - 600
        )
        board = types.SimpleNamespace(alarming=((row, clock),))
        return types.SimpleNamespace(board=board, clusters=[cluster], rows=[], activity={})

    fake = types.ModuleType("expereo_tui.triage.read_model")
    fake.read_triage = read_triage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "expereo_tui.triage.read_model", fake)
    options = types.SimpleNamespace(sla_targets={"P1": "targets"})
    report = build(report_store, since=FIXED_NOW - 3600, now=FIXED_NOW, options=options)
    assert seen == [options]
    md = to_markdown(report)
    assert f"**{row.id}**" in md and "SLA first response: breached, 5m over" in md
    assert "**site Tokyo DC** 2 open incidents since" in md and "CS-1, CS-2" in md
    assert "not available" not in md


def test_waiting_on_us_follows_the_turn_rule_when_we_wrote_since_the_provider_asked(
    report_store: Store,
) -> None:
    """Awaiting Customer: ours once the provider asked (EXPEREO, spelt otherwise), the
    provider's again once we answered (CUSTOMER), as the inbox's Turn column says."""
    store = report_store
    case = next(
        r
        for r in store.cases.query_cases(CaseQuery(), limit=1000)
        if r.status == "Awaiting Customer"
    )
    start = (case.last_modified_date.timestamp() if case.last_modified_date else FIXED_NOW) + 60

    def say(mid: str, kind: str, at: float) -> None:
        stamp = datetime.fromtimestamp(at, UTC)
        msg = CaseMessage(id=mid, case_id=case.id, message=mid, type=kind, timestamp=stamp)
        store.cases.upsert_messages(case.id, [msg], whole_thread=True)

    def turn() -> str | None:
        row = next(r for r in store.cases.query_cases(CaseQuery(), limit=1000) if r.id == case.id)
        t = whose_turn(row, store.activity.activity([case.id])[case.id])
        return t.who if t else None

    say("asked", "EXPEREO", start)
    assert turn() == US and case.id in {r.id for r in waiting_on_us(store)}
    say("answered", "CUSTOMER", start + 60)
    assert turn() != US and case.id not in {r.id for r in waiting_on_us(store)}


def test_open_cases_without_their_thread_are_counted_never_on_time(
    report_store: Store,
) -> None:
    """#32: a case whose thread is not loaded yet is listed under "Thread not loaded" (its
    count is the list's), and never in "waiting on us" or as on time."""
    store = report_store
    open_rows = store.cases.query_cases(
        CaseQuery(statuses=frozenset({"New", "In Progress"})), limit=3
    )
    with store.database.tx() as db:  # as after a first sync: the cases, no threads yet
        for row in open_rows:
            db.execute("DELETE FROM threads_fetched WHERE case_id = ?", (row.id,))
    report = build(store, since=FIXED_NOW - 3600, now=FIXED_NOW)
    section = report.section("thread_not_loaded")
    assert {i["id"] for i in section.items} == {r.id for r in open_rows}
    waiting = {i["id"] for i in report.section("waiting_on_us").items}
    assert not waiting & {r.id for r in open_rows}
    assert "Thread not loaded" in to_markdown(report)
