"""Hostile text from the API never reaches the terminal as escapes.

These tests record the BYTES the app writes to the terminal (the headless driver is made to
behave like a real one: it reports itself as a terminal and keeps what it is given), with one
case, its service, its site, its messages, a reply draft and a sync state full of hostile
payloads: OSC 52 (clipboard write), OSC 8 (a planted link), CSI (clear screen), DCS, C1
controls and a bidi override.  Every widget that can show them is opened.  The payloads'
distinctive bytes must be absent from everything written: Textual's own sequences are fine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import DataTable, Input, TextArea

from expereo_tui.api.models import Case, CaseMessage, Service, Site
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.events import (
    CaseChange,
    CasesChanged,
    SyncState,
    SyncStatus,
)
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.wall.app import WallApp
from expereo_tui.ui.wall.screen import table as wall_table
from expereo_tui.ui.widgets.status_bar import StatusBar
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock
from tests.store.test_store import fill

from .conftest import screen_text, until

CLIPBOARD = "\x1b]52;c;SEFDS0VE\x1b\\"  # OSC 52 (ST-terminated): "HACKED" to the clipboard
LINK = "\x1b]8;;https://evil.example/x\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 hyperlink
CSI = "\x1b[2J\x1b[5;5H"  # clear the screen, move the cursor
DCS = "\x1bP1$qm\x1b\\"  # device control string
C1 = "\x9b7m\x9d52;c;QzFDTElQ\x9c"  # 8-bit CSI and an 8-bit OSC 52
BIDI = "\u202etxt.exe"  # right-to-left override
HOSTILE = f"Hx{CLIPBOARD}{LINK}{CSI}{DCS}{C1}{BIDI}"

#: what must never appear in the bytes written (the payloads' distinctive parts)
FORBIDDEN = {
    "OSC 52": re.compile(r"\x1b\]52;|SEFDS0VE"),
    "OSC 8 to the planted URL": re.compile(r"\x1b\]8;[^\x07\x1b]*evil\.example"),
    "CSI clear screen": re.compile(r"\x1b\[2J"),
    "DCS": re.compile(r"\x1bP"),
    "C1 controls": re.compile("[\x80-\x9f]"),
    "bidi override": re.compile("[\u202a-\u202e\u2066-\u2069]"),
}

CASE_ID = "CS-HOSTILE-1"
SERVICE_ID = "SVC-HOSTILE-1"
SITE_ID = "SITE-HOSTILE-1"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every string the app writes to its terminal, as a real driver would receive it."""
    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda self: False))
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: written.append(data))
    yield written


def hostile_store(path: Path, sim: Simulator, clock: FakeClock) -> Store:
    store = Store(path, clock=clock)
    fill(store, sim)
    some_site = next(iter(sim.data.sites.values()))
    site = Site.model_validate(
        {**some_site, "siteId": SITE_ID, "name": f"Hostile site {HOSTILE}", "city": HOSTILE}
    )
    service = Service.model_validate(
        {
            **next(iter(sim.data.services.values())),
            "serviceId": SERVICE_ID,
            "serviceName": f"Hostile service {HOSTILE}",
            "siteId": SITE_ID,
            "accountId": site.account_id,
        }
    )
    store.inventory.upsert_sites([site])
    store.inventory.upsert_services([service])
    newest = store.cases.latest_case_modified()
    assert newest is not None
    store.cases.upsert_cases(
        [
            Case.model_validate(
                {
                    "id": CASE_ID,
                    "subject": HOSTILE,
                    "type": "Incident",
                    "status": "Resolved",
                    "priority": "P1",
                    "createdDate": newest,
                    "lastModifiedDate": newest + timedelta(minutes=1),
                    "startOfIncident": newest,
                    "serviceId": SERVICE_ID,
                    "siteId": SITE_ID,
                    "customerReference": f"REF{HOSTILE}",
                }
            )
        ]
    )
    store.cases.upsert_messages(
        CASE_ID,
        [
            CaseMessage.model_validate(
                {
                    "id": f"MSG-H-{i}",
                    "caseId": CASE_ID,
                    "message": f"message {i} {HOSTILE}\nsecond line {HOSTILE}",
                    "type": "Expereo" if i % 2 else "Customer",
                    "sentBy": HOSTILE,
                    "timestamp": newest + timedelta(seconds=i),
                }
            )
            for i in range(3)
        ],
        whole_thread=True,
    )
    store.drafts.save_draft(f"reply:{CASE_ID}", {"text": f"restored draft {HOSTILE}"})
    return store


def assert_clean(written: list[str], where: str) -> None:
    out = "".join(written)
    assert out, f"{where}: nothing was written (the capture is not working)"
    for name, pattern in FORBIDDEN.items():
        found = pattern.search(out)
        assert found is None, (
            f"{where}: {name} reached the terminal: {out[max(0, found.start() - 40) : found.end() + 20]!r}"
        )


def options(clock: FakeClock, **kw: Any) -> AppOptions:
    kw.setdefault("inbox_open_only", False)  # every case: the hostile one may be closed
    return AppOptions(clock=clock, bell=True, desktop_notifications=True, **kw)


@pytest.mark.reliability(
    fault="hostile text from the API (OSC 52 clipboard write, OSC 8 link, CSI, DCS, C1, bidi) "
    "in a case, its messages, service, site and reference",
    sees="the text shown literally without its escapes, also in the update form and reply box",
    data="stored as received; nothing reaches the terminal or the clipboard",
    shows="REFHxclick",
)
async def test_hostile_text_in_every_widget_never_reaches_the_terminal(
    terminal: list[str],
    tmp_path: Path,
    sim: Simulator,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    store = hostile_store(tmp_path / "hostile.sqlite3", sim, sim_clock)
    app = ExpereoApp(store=store, engine_factory=None, options=options(sim_clock))
    async with app.run_test(size=(80, 24)) as pilot:
        # inbox row (the hostile case is the newest), status bar, title, toast, OSC 9
        await until(pilot, lambda: "Hx" in screen_text(app))
        app.deliver_sync_event(CasesChanged((CaseChange(CASE_ID, is_new=True, new_priority="P1"),)))
        await until(pilot, lambda: bool(app.alerter.sent))
        # the status bar shows what a 403 named as the missing scope (untrusted)
        app.screen.query_one(StatusBar).show(
            profile="lab",
            state=SyncState(SyncStatus.FORBIDDEN, missing_scope=HOSTILE, message=HOSTILE),
            now=sim_clock(),
            read_budget=None,
            queued=0,
            failed=0,
        )
        await until(pilot, lambda: "MISSING SCOPE" in screen_text(app))
        assert_clean(terminal, "inbox, toast, notification, status bar, title")
        terminal.clear()

        # case header, thread and the reply box with a draft restored from the store
        app.action_open_case(CASE_ID)
        await until(pilot, lambda: "second line" in screen_text(app))
        reply = app.screen.query_one("#reply", TextArea)
        assert reply.text == safe(f"restored draft {HOSTILE}")
        assert_clean(terminal, "case screen and compose")
        terminal.clear()

        # the update form pre-fills the customer reference
        app.action_update_case(CASE_ID)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        await pilot.pause()
        reference = app.screen.query_one("#reference", Input)
        assert reference.value == safe(f"REF{HOSTILE}", one_line=True)
        reliability.check(screen_text(app))
        assert_clean(terminal, "update form")
        terminal.clear()
        await pilot.press("escape")
        await pilot.pause()

        # a new case for the case's service: the service picker is pre-filled with its id
        app.action_new_case(f"{SERVICE_ID}{HOSTILE}")
        await until(pilot, lambda: bool(app.screen.query("#service-search")))
        await pilot.pause()
        picker = app.screen.query_one("#service-search", Input)
        assert "\x1b" not in picker.value and "\u202e" not in picker.value
        assert_clean(terminal, "new case form")
        terminal.clear()
        await pilot.press("escape")
        await pilot.pause()

        # inventory: filtered to the hostile site, its service highlighted (tree and detail)
        app.action_open_inventory()
        await until(pilot, lambda: "Accounts" in screen_text(app))
        await pilot.press("slash", *"Hostile", "enter")
        await until(pilot, lambda: "Hostile site" in screen_text(app))
        for _ in range(4):
            await pilot.press("down")
        await until(pilot, lambda: "Hostile service" in screen_text(app))
        assert_clean(terminal, "inventory")


async def test_hostile_text_on_the_wall_never_reaches_the_terminal(
    terminal: list[str], tmp_path: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    store = hostile_store(tmp_path / "hostile.sqlite3", sim, sim_clock)
    # an open incident on the hostile service too: the incidents and the services-by-site
    # tables show only open incidents (the hostile case above is Resolved)
    resolved = store.cases.case(CASE_ID)
    assert resolved is not None
    store.cases.upsert_cases(
        [resolved.model_copy(update={"id": "CS-HOSTILE-OPEN", "status": "In Progress"})]
    )
    app = WallApp(
        store=store,
        engine_factory=None,
        options=options(sim_clock, wall_tick_seconds=3600.0),
    )
    async with app.run_test(size=(160, 45)) as pilot:
        seen = ""
        for _ in range(4):  # every view of the cycle
            await pilot.pause()
            seen += screen_text(app)
            await pilot.press("right")
        await pilot.pause()
        assert "Hx" in seen
        sites = app.screen.query_one(f"#{wall_table('services')}", DataTable)
        cells = [str(sites.get_row_at(i)[1]) for i in range(sites.row_count)]
        hostile = [c for c in cells if c.startswith("Hostile site")]
        assert hostile == [safe(f"Hostile site {HOSTILE}", one_line=True)]
        assert_clean(terminal, "wall")


def test_the_capture_sees_an_unsanitised_payload(
    terminal: list[str], tmp_path: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    """The check itself can fail: raw hostile text written to the terminal is caught."""
    terminal.append(f"\x1b[1;1H{HOSTILE}")
    with pytest.raises(AssertionError, match="OSC 52"):
        assert_clean(terminal, "raw")
