"""Incident clusters in the inbox on a fixed clock: the header line, ``c`` filtering to the
cluster as it forms, grows and dissolves, and ``L`` linking every case through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static

from expereo_tui.api.models import Case, Site
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from tests.sim_fixtures import FakeClock

from .conftest import until
from .test_triage_inbox import MIN, T0, case, make


def _shown(app: ExpereoApp) -> list[str]:
    table = app.screen.query_one(CaseTable)
    return [row.key for i in range(table.row_count) if (row := table.row(i))]


def _line(app: ExpereoApp) -> str:
    widget = app.screen.query_one("#clusters", Static)
    return str(widget.render()) if widget.display else ""


async def test_cluster_forms_grows_filters_and_dissolves(tmp_path: Path) -> None:
    store, app = make(tmp_path, FakeClock(T0 + 60 * MIN))
    store.inventory.upsert_sites([Site(site_id="S1", name="Tokyo Office 14", city="Tokyo")])
    store.cases.upsert_cases(
        [
            case("CS-1", 0, siteId="S1", createdDate="2026-11-18T09:12:00Z"),
            case("CS-2", 0, siteId="S1", createdDate="2026-11-18T09:30:00Z", serviceId="SVC-2"),
            case("CS-FAR", 0, siteId="S9", createdDate="2026-11-18T09:31:00Z", serviceId="SVC-9"),
        ]
    )
    async with app.run_test(size=(120, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        # clusters are read in a thread once the first frame is out: wait for the line
        await until(pilot, lambda: "2 open incidents at Tokyo Office 14 since 09:12" in _line(app))
        await pilot.press("c")
        assert sorted(_shown(app)) == ["CS-1", "CS-2"]
        # a third incident at the site, 20 minutes on: the cluster (and the filter) grows
        store.cases.upsert_cases(
            [case("CS-3", 0, siteId="S1", createdDate="2026-11-18T09:50:00Z", serviceId="SVC-3")]
        )
        screen.reload()
        await until(pilot, lambda: "3 open incidents" in _line(app))
        assert sorted(_shown(app)) == ["CS-1", "CS-2", "CS-3"]
        # two resolve: one open incident is no cluster; the filter ends with it
        store.cases.upsert_cases(
            [
                case("CS-1", 70, siteId="S1", status="Resolved", createdDate="2026-11-18T09:12:00Z"),
                case("CS-2", 70, siteId="S1", status="Resolved", createdDate="2026-11-18T09:30:00Z", serviceId="SVC-2"),
            ]
        )  # fmt: skip
        screen.reload()
        await until(pilot, lambda: screen.cluster is None)
        await until(pilot, lambda: len(_shown(app)) == 4)
        assert _line(app) == ""


async def test_linking_a_cluster_sets_one_reference_on_each_case_once(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    ids = [c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress"][:3]
    site = next(iter(sim.data.sites))
    stamp = sim.stamp()
    for case_id in ids:  # three incidents at one site, started together
        sim.data.cases[case_id].update(
            type="Incident", siteId=site, startOfIncident=stamp, customerReference=None
        )
    store.cases.upsert_cases([Case.model_validate(sim.data.cases[i]) for i in ids])
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await until(pilot, lambda: app.engine is not None)
        await until(pilot, lambda: any(set(ids) <= set(c.case_ids) for c in screen.clusters))
        cluster = next(c for c in screen.clusters if set(ids) <= set(c.case_ids))
        screen.cluster = cluster
        before = len(sim.request_log)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.focused, Input))
        await pilot.press(*"INC0042", "enter")
        await until(
            pilot,
            lambda: all(
                sim.data.cases[i]["customerReference"] == "INC0042" for i in cluster.case_ids
            ),
        )
        patches = [r for r in list(sim.request_log)[before:] if r[0] == "PATCH"]
        assert len(patches) == len(cluster.case_ids)  # exactly once each
        await until(pilot, lambda: not screen.linking)  # progress shown until all are done
        await until(pilot, lambda: all(store.cases.case(i).customer_reference == "INC0042" for i in ids))  # type: ignore[union-attr]
        screen.link_cluster(cluster, "INC0042")  # again: every case has it, nothing is sent
        assert not screen.linking
