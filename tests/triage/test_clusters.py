"""Incident clusters: forming within the window, the most specific key, dissolving."""

from __future__ import annotations

from expereo_tui.triage.clusters import clusters

from .rows import MIN, row


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
