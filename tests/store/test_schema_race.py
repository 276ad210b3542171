"""Several instances opening one new store at the same moment (the multi-process test found
it): exactly one creates the schema, the others wait and use it; none takes the race for
corruption and moves the database aside."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from expereo_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from expereo_tui.store.store import Store

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("attempt", range(5))
def test_instances_opening_a_new_store_at_once_share_one_schema(
    tmp_path: Path, attempt: int
) -> None:
    path = tmp_path / "team.sqlite3"
    start = threading.Barrier(6)
    stores: list[Store] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            stores.append(Store(path))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [s.recovered_from for s in stores] == [None] * 6
    assert list(tmp_path.glob("*.corrupt-*")) == []
    stores[0].meta.set_meta("written_by", "one")
    assert {s.meta.get_meta("written_by") for s in stores} == {"one"}  # one database for all


def test_a_migration_cut_short_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing migration step (fault injected) rolls back whole: version and tables as
    before it, and the next start migrates cleanly."""
    import expereo_tui.store.schema as schema

    def half_then_fail(conn: sqlite3.Connection) -> None:
        MIGRATIONS[-1](conn)
        raise RuntimeError("power cut")

    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS[:-1], half_then_fail])
    db = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    with pytest.raises(RuntimeError):
        migrate(db)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    monkeypatch.undo()
    migrate(db)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
