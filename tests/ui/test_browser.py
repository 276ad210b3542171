"""`expereo-tui serve` in real headless Chromium: the page loads, the app renders, a screenshot
is taken.  Where no Chromium is installed it skips saying why, but fails under ``CI=true``
(``tests.conftest.require_service``); `.ci/run` installs Debian's."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

from expereo_tui.store.store import Store
from tests.conftest import require_service

SCRIPT = Path(__file__).parents[2] / "scripts" / "browser_check.py"
spec = importlib.util.spec_from_file_location("browser_check", SCRIPT)
assert spec and spec.loader
browser_check = importlib.util.module_from_spec(spec)
sys.modules["browser_check"] = browser_check
spec.loader.exec_module(browser_check)

CHROMIUM = browser_check.find_chromium()


def test_served_app_renders_in_chromium(tmp_path: Path) -> None:
    require_service(CHROMIUM, "Chromium", "apt-get install chromium")
    out = tmp_path / "browser-inbox.png"
    with browser_check.serving([]) as url:
        asyncio.run(browser_check._wait_http(url, 60))
        result = asyncio.run(browser_check.capture(url, out, CHROMIUM))
    assert result["first_byte_seconds"] < 60
    origin = url.split("?")[0].rstrip("/")
    # nothing from another host (textual-serve's page loads its font from a CDN; ours does not)
    outside = [u for u in result["requested"] if not u.startswith((origin, "ws://", "data:"))]
    assert result["requested"] and not outside, outside
    # the splash alone is ~11 kB; a rendered inbox of 150 cases is far larger
    assert out.stat().st_size > 60_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from expereo_tui.locations import data_dir

    store = Store(data_dir() / "demo.sqlite3")  # what the served app synced, behind the page
    assert store.cases.case_count() > 0
