"""A scripted shift against the simulator, with live activity, over real HTTP: the handover,
the wall's tiles and the inbox must give the numbers computed independently from the simulator's
own data (issue 32, "Done when").

The truth here is written from docs/usage.md ("Whose turn", the SLA clocks) against the
simulator's cases and messages and the status changes it made (recorded as it makes them); it
calls nothing of ``expereo_tui.triage`` or ``expereo_tui.shift``.  Runs in ~15 s
(``test_scripted_shift_matches_the_truth``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Static

from expereo_tui.api.settings import ClientSettings
from expereo_tui.api.v2 import V2Client
from expereo_tui.shift.handover import build
from expereo_tui.sim import SimConfig, Simulator, activity, run_server
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.triage.sla import Targets
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.wall.app import WallApp
from expereo_tui.ui.wall.big_number import BigNumber
from expereo_tui.ui.wall.screen import WallScreen
from tests.sim_fixtures import FakeClock
from tests.ui.conftest import until as ui_until
from tests.waiting import until

H, M = 3600.0, 60.0
#: the profile's targets (hand-written: the truth below reads these numbers, not the app's)
TARGETS = {
    "P1": Targets(15 * M, 1 * H, 4 * H),
    "P2": Targets(30 * M, 2 * H, 8 * H),
    "P3": Targets(1 * H, 4 * H, 24 * H),
    "P4": Targets(4 * H, 8 * H, 72 * H),
    "P5": Targets(8 * H, 24 * H, 120 * H),
}
CLOSED = {"Resolved", "Closed"}
OPEN = {"New", "In Progress", "Awaiting Customer"}
AWAITING = "Awaiting Customer"


def _ts(value: Any) -> float:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class History:
    """The status changes the simulator makes, each at the case's change stamp (the API keeps
    none: the simulator is watched as it changes, by wrapping its live activity and its
    scripted events)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.seen: dict[str, list[tuple[float, str]]] = {}
        self.steps = 0  # live activity's events so far
        self.frozen = False  # the shift is over: live activity changes nothing more
        self.look()

    def look(self) -> None:
        for case_id, case in self.sim.data.cases.items():
            past = self.seen.setdefault(case_id, [])
            if not past or past[-1][1] != case["status"]:
                past.append((_ts(case["lastModifiedDate"]), str(case["status"])))

    def wrap(self, fn: Callable[..., str]) -> Callable[..., str]:
        def wrapped(*args: Any, **kw: Any) -> str:
            if self.frozen and fn.__name__ == "step":
                return "nothing (the shift is over)"
            said = fn(*args, **kw)
            self.steps += fn.__name__ == "step"
            self.look()  # under the simulator's lock, as the change was made
            return said

        return wrapped


def truth(sim: Simulator, history: History, since: float, now: float) -> dict[str, set[str]]:
    """From the simulator's data, by the rules in docs/usage.md."""
    breached: set[str] = set()
    at_risk: set[str] = set()
    ours: set[str] = set()
    new = {i for i, c in sim.data.cases.items() if _ts(c["createdDate"]) >= since}
    for case_id, case in sim.data.cases.items():
        status = str(case["status"])
        if status in CLOSED:
            continue
        messages = sorted(sim.data.messages.get(case_id, []), key=lambda m: _ts(m["timestamp"]))
        provider = [_ts(m["timestamp"]) for m in messages if m["type"] == "Expereo"]
        customer = [_ts(m["timestamp"]) for m in messages if m["type"] == "Customer"]
        created = _ts(case["createdDate"])
        changes = history.seen[case_id]
        # whose turn
        if status == AWAITING:
            went = changes[-1][0]
            asked = max([went, created, *provider[-1:]])
            if not (customer and customer[-1] >= asked):
                ours.add(case_id)
        elif provider and (not customer or provider[-1] > customer[-1]):
            ours.add(case_id)
        # SLA: time counts except while Awaiting Customer
        pauses = [
            (at, after)
            for (at, st), after in zip(changes, [c[0] for c in changes[1:]] + [now], strict=True)
            if st == AWAITING
        ]

        def used(start: float, pauses: list[tuple[float, float]] = pauses) -> float:
            total = now - start
            for a, b in pauses:
                total -= max(0.0, min(b, now) - max(a, start))
            return max(0.0, total)

        goal = TARGETS[str(case.get("priority") or "P3")]
        clocks = [
            (goal.update_interval, provider[-1]) if provider else (goal.first_response, created)
        ]
        start = created
        if case["type"] == "Incident" and case.get("startOfIncident"):
            start = _ts(case["startOfIncident"])
        clocks.append((goal.resolution, start))
        lefts = [(target, target - used(begin)) for target, begin in clocks if target]
        if any(left <= 0 for _, left in lefts):
            breached.add(case_id)
        elif any(left < 0.2 * target for target, left in lefts):
            at_risk.add(case_id)
    return {"breached": breached, "at_risk": at_risk, "ours": ours, "new": new}


def _open_service(sim: Simulator) -> str:
    return next(str(s["serviceId"]) for s in sim.data.services.values() if s["status"] == "RFS")


@pytest.mark.timeout(120)
async def test_scripted_shift_matches_the_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = Simulator(
        SimConfig(seed=11, scale="small", client_id="shift", client_secret="s3", activity_rate=240)
    )
    history = History(sim)
    monkeypatch.setattr(activity, "step", history.wrap(activity.step))
    monkeypatch.setattr(activity, "scripted", history.wrap(activity.scripted))
    store = Store(tmp_path / "shift.sqlite3")
    since = time.time() - 1
    with run_server(sim) as url:
        client = V2Client(
            ClientSettings(
                base_url=url,
                token_url=f"{url}/oauth2/token",
                client_id=sim.client_id,
                client_secret=sim.client_secret,
            )
        )
        engine = SyncEngine(
            store,
            client,
            on_event=lambda _e: None,
            settings=SyncSettings(poll_interval=0.2, active_poll_interval=0.2),
        )
        await engine.start()
        try:
            await until(lambda: engine.polls >= 1, 30.0)
            early = time.time()
            _no_thread_is_never_on_time(store, since, early)
            open_ids = [i for i, c in sim.data.cases.items() if c["status"] not in CLOSED]
            a, b, c, d = open_ids[:4]
            script: list[dict[str, Any]] = [
                {"case": a, "message": "Please test the line now.", "by": "provider"},
                {"case": b, "message": "Still down at our end.", "by": "colleague"},
                {"case": c, "status": AWAITING},
                {"case": d, "status": "Resolved"},
                {"new_case": {"service": _open_service(sim), "priority": "P1"}},
                {"case": c, "message": "Can you confirm the CPE is powered?", "by": "provider"},
            ]
            async with httpx.AsyncClient(base_url=url) as http:
                for event in script:
                    answer = await http.post("/_sim/event", json=event)
                    assert answer.status_code == 200, answer.text
                    await asyncio.sleep(0)  # live activity goes on between the events
                await until(lambda: history.steps >= 20, 30.0)  # live activity around the script
                history.frozen = True  # the shift ends: nothing moves the truth now
            # the app has seen the end of the shift, and every open case's thread
            polls = engine.polls
            await until(lambda: engine.polls >= polls + 2, 30.0)
            while await engine.thread_filler.fetch_wanted_threads(50):
                pass
        finally:
            await engine.stop()
            await client.aclose()
    now = time.time()
    expected = truth(sim, history, since, now)
    assert expected["new"] and expected["ours"] and expected["breached"]  # a shift with news

    report = build(store, since=since, now=now, options=_options(now))
    ids = {s.key: {str(i["id"]) for i in s.items} for s in report.sections}
    assert ids["thread_not_loaded"] == set()
    assert ids["new"] == expected["new"]
    assert ids["waiting_on_us"] == expected["ours"]
    assert ids["sla"] == expected["breached"] | expected["at_risk"]

    wall = WallApp(store=store, engine_factory=None, options=_options(now))
    async with wall.run_test(size=(80, 24)) as pilot:
        await ui_until(
            pilot,
            lambda: (
                isinstance(wall.screen, WallScreen)
                and bool(wall.screen.query("#digits-sla"))
                and wall.screen.query_one("#digits-sla", BigNumber).value != ""
            ),
        )
        tile = wall.screen.query_one
        assert tile("#digits-waiting-us", BigNumber).value == str(len(expected["ours"]))
        sla = f"{len(expected['breached'])}/{len(expected['at_risk'])}"
        assert tile("#digits-sla", BigNumber).value == sla

    app = ExpereoApp(store=store, engine_factory=None, options=_options(now))
    async with app.run_test(size=(80, 24)) as pilot:
        await ui_until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        table = screen.query_one(CaseTable)
        await pilot.press("w", "w")  # waiting on provider longest -> waiting on us
        await ui_until(pilot, lambda: {r.key for i in range(table.row_count)
                                       if (r := table.row(i))} == expected["ours"])  # fmt: skip
        n = len(expected["ours"])
        await ui_until(
            pilot,
            lambda: str(screen.query_one("#counts", Static).content).startswith(
                f" {n} case{'s' if n != 1 else ''} "
            ),
        )


def _no_thread_is_never_on_time(store: Store, since: float, now: float) -> None:
    """Before the threads are loaded: every open case whose thread the store does not hold is
    listed under "Thread not loaded" and none of them is waiting on nobody or on time by
    silence: the handover names it (the background fill may load some meanwhile: those are
    known by the time they are looked at)."""
    report = build(store, since=since, now=now, options=_options(now))
    unknown = {str(i["id"]) for i in report.section("thread_not_loaded").items}
    rows = store.cases.query_cases(CaseQuery(statuses=frozenset(OPEN)), limit=10_000)
    missing = [r.id for r in rows if r.id not in unknown and not store.cases.thread_known(r.id)]
    assert rows and not missing


def _options(now: float) -> AppOptions:
    return AppOptions(
        clock=FakeClock(now),
        bell=False,
        desktop_notifications=False,
        inbox_open_only=True,
        sla_targets=TARGETS,
    )
