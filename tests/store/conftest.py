"""Store test set-up: a store filled from the seeded simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store

from .test_store import fill


@pytest.fixture
def store(tmp_path: Path, sim: Simulator) -> Store:
    s = Store(tmp_path / "t.sqlite3", clock=lambda: 1000.0)
    fill(s, sim)
    return s
