"""The open cases read once per write of the store and shared by the wall's tiles and the SLA
alerts (each read them after every poll with news, in its own thread, often at once)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from expereo_tui.store.store import Store
from expereo_tui.triage import read_model as triage_data
from expereo_tui.triage.read_model import OpenCases, read_open, read_sla, read_wall_triage
from tests.sim_fixtures import FakeClock

from .test_triage_inbox import T0, TARGETS, case, message


class Options:
    sla_targets = {**TARGETS, "P3": TARGETS["P1"]}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "t.sqlite3", clock=FakeClock(T0))
    store.cases.upsert_cases([case("CS-1", 0), case("CS-2", 0, priority="P3")])
    store.cases.upsert_messages("CS-1", [message(0, "Customer")], whole_thread=True)
    return store


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    real = triage_data.open_rows

    def counted(store: Store) -> list[object]:
        reads.append(1)
        return real(store)

    monkeypatch.setattr(triage_data, "open_rows", counted)
    return reads


def test_readers_of_one_state_share_one_read(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = count_reads(monkeypatch)
    wall = read_wall_triage(store, Options(), T0)
    alerts = read_sla(store, Options(), T0, priorities=frozenset({"P1"}))
    assert len(reads) == 1
    assert read_open(store) is read_open(store)  # the same lists, not a copy
    assert set(wall.sla.worst) == {"CS-1", "CS-2"}
    assert set(alerts.worst) == {"CS-1"}  # the alerts' priorities filter the shared rows


def test_a_write_makes_the_next_reader_read_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_reads(monkeypatch)
    rows, activity = read_open(store)
    assert activity["CS-2"].last_customer_at is None
    store.cases.upsert_messages(
        "CS-2", [message(5, "Customer")], whole_thread=True
    )  # a thread changed
    rows, activity = read_open(store)
    assert activity["CS-2"].last_customer_at == T0 + 5 * 60
    store.cases.upsert_cases([case("CS-1", 10, status="Resolved")])  # a case closed
    rows, _ = read_open(store)
    assert [r.id for r in rows] == ["CS-2"]
    assert len(reads) == 3


def test_another_process_writing_is_noticed(tmp_path: Path, store: Store) -> None:
    read_open(store)
    other = Store(store.path, clock=FakeClock(T0))
    other.cases.upsert_cases([case("CS-3", 20)])
    assert "CS-3" in [r.id for r in read_open(store)[0]]


def test_a_reader_arriving_during_a_read_waits_for_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alerts' thread and the wall's often start together: the second waits for the first
    and takes its lists, rather than building a second copy of every open case at once."""
    reads = count_reads(monkeypatch)
    real = triage_data.open_rows
    second_result: list[object] = []
    second = threading.Thread(target=lambda: second_result.append(read_open(store)))

    def first_read(s: Store) -> list[object]:
        if not second.ident:  # the first reader, mid-read: the second arrives now
            second.start()
            while second.is_alive():  # until it waits (its top frame in OpenCases.read) or ends
                frame = sys._current_frames().get(second.ident or -1)
                if frame is not None and frame.f_code is OpenCases.read.__code__:
                    break
        return real(s)

    monkeypatch.setattr(triage_data, "open_rows", first_read)
    first = read_open(store)
    second.join(timeout=10)
    assert second_result == [first]
    assert second_result[0] is first
    assert len(reads) == 1
