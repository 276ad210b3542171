"""Incident clusters: forming within the window, the most specific key, dissolving."""

from __future__ import annotations

from dataclasses import replace

from expereo_tui.store.store import CaseRow
from expereo_tui.triage.clusters import Cluster, clusters

from .rows import HOUR, MIN, T0, row


def test_incidents_at_one_site_within_the_window_form_a_cluster() -> None:
    rows = [
        row("CS-1", created=0, site_id="S1"),
        row("CS-2", created=20 * MIN, site_id="S1", service_id="SVC-2"),
        row("CS-3", created=45 * MIN, site_id="S1", service_id="SVC-3"),  # 25 min after CS-2
        row("CS-4", created=200 * MIN, site_id="S1", service_id="SVC-4"),  # too late
    ]
    [cluster] = clusters(rows, {"S1": "Tokyo"})
    assert cluster.kind == "site" and cluster.case_ids == ("CS-1", "CS-2", "CS-3")


def test_city_groups_sites_and_requests_do_not_count() -> None:
    rows = [
        row("CS-1", created=0, site_id="S1", service_id="A"),
        row("CS-2", created=5 * MIN, site_id="S2", service_id="B"),
        row("CS-3", created=6 * MIN, site_id="S2", service_id="C", type="NonIncident"),
    ]
    [cluster] = clusters(rows, {"S1": "Tokyo", "S2": "Tokyo"})
    assert (cluster.kind, cluster.label, cluster.case_ids) == ("city", "Tokyo", ("CS-1", "CS-2"))


def test_a_cluster_dissolves_when_its_cases_resolve() -> None:
    rows = [row("CS-1", created=0, site_id="S1"), row("CS-2", created=MIN, site_id="S1")]
    assert clusters(rows, {})
    rows[1] = row("CS-2", created=MIN, site_id="S1", status="Resolved")
    assert clusters(rows, {}) == []


def _named(r: CaseRow, *, site: str | None = None, service: str | None = None) -> CaseRow:
    return replace(r, site_name=site, service_name=service)


def test_each_within_thirty_minutes_of_the_one_before_exactly_thirty_included() -> None:
    """docs/usage.md: each starting within 30 minutes of the one before. At 30 min the next
    joins; at 30 min and a second it starts a new run."""
    rows = [
        _named(row("CS-1", created=0, site_id="S1"), site="Tokyo Office 14"),
        _named(row("CS-2", created=30 * MIN, site_id="S1"), site="Tokyo Office 14"),
        _named(row("CS-3", created=60 * MIN + 1, site_id="S1"), site="Tokyo Office 14"),
        _named(row("CS-4", created=70 * MIN, site_id="S1"), site="Tokyo Office 14"),
    ]
    assert clusters(rows, {}) == [
        Cluster("site", "S1", "Tokyo Office 14", ("CS-1", "CS-2"), T0),
        Cluster("site", "S1", "Tokyo Office 14", ("CS-3", "CS-4"), T0 + 60 * MIN + 1),
    ]


def test_a_service_cluster_is_named_by_the_service_and_its_start_is_the_first_start() -> None:
    rows = [
        _named(row("CS-2", created=10 * MIN, start_of_incident=5 * MIN, site_id="A"), service="Fibre"),
        _named(row("CS-1", created=20 * MIN, site_id="B"), service="Fibre"),
    ]
    assert clusters(rows, {}) == [
        Cluster("service", "SVC-1", "Fibre", ("CS-2", "CS-1"), T0 + 5 * MIN)
    ]


def test_without_names_a_cluster_is_labelled_by_its_key() -> None:
    rows = [row("CS-1", created=0, site_id="S1"), row("CS-2", created=MIN, site_id="S1")]
    assert [(c.kind, c.label) for c in clusters(rows, {})] == [("site", "S1")]
    no_site = [row("CS-1", created=0), row("CS-2", created=MIN)]
    assert [(c.kind, c.label) for c in clusters(no_site, {})] == [("service", "SVC-1")]


def test_incidents_starting_together_are_ordered_by_id() -> None:
    rows = [row("CS-B", created=0, site_id="S1"), row("CS-A", created=0, site_id="S1")]
    assert clusters(rows, {})[0].case_ids == ("CS-A", "CS-B")


def test_an_incident_without_any_start_is_left_out() -> None:
    rows = [
        row("CS-1", created=0, site_id="S1"),
        replace(row("CS-2", site_id="S1"), created_date=None),
        row("CS-3", created=MIN, site_id="S1"),
    ]
    assert clusters(rows, {})[0].case_ids == ("CS-1", "CS-3")


def test_the_largest_cluster_comes_first() -> None:
    rows = [
        row("CS-1", created=0, site_id="S1", service_id="A"),
        row("CS-2", created=MIN, site_id="S1", service_id="B"),
        row("CS-3", created=2 * HOUR, site_id="S2", service_id="C"),
        row("CS-4", created=2 * HOUR + MIN, site_id="S2", service_id="D"),
        row("CS-5", created=2 * HOUR + 2 * MIN, site_id="S2", service_id="E"),
    ]
    assert [c.case_ids for c in clusters(rows, {})] == [("CS-3", "CS-4", "CS-5"), ("CS-1", "CS-2")]
