"""``alert_services``: a profile key that limits alerts to some services (with priorities)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from expereo_tui.cli.launch import options_for
from expereo_tui.config import ConfigError, get_profile
from expereo_tui.locations import config_path
from expereo_tui.sync.events import CaseChange
from expereo_tui.ui.shift.alerts import Alerter

CASES = {"CS-1": "SVC-A", "CS-2": "SVC-B", "CS-3": "SVC-A"}


def alerter_for(profile_toml: str) -> Alerter:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.lab]\nclient_id = "x"\n' + profile_toml, encoding="utf-8")
    name, profile = get_profile("lab")
    args = argparse.Namespace(read_only=False, wall=False)
    cases = SimpleNamespace(case=lambda case_id: SimpleNamespace(service_id=CASES.get(case_id)))
    store = SimpleNamespace(cases=cases)
    return Alerter(SimpleNamespace(options=options_for(name, profile, args), store=store))  # type: ignore[arg-type]


def alerts(alerter: Alerter) -> list[str]:
    changes = [
        CaseChange("CS-1", is_new=True, new_priority="P1"),
        CaseChange("CS-2", is_new=True, new_priority="P1"),
        CaseChange("CS-3", is_new=True, new_priority="P3"),
    ]
    return [c.case_id for c in changes if alerter._wanted(c)]


def test_alert_services_limits_alerts_to_those_services() -> None:
    assert alerts(alerter_for("")) == ["CS-1", "CS-2", "CS-3"]  # absent: every service
    assert alerts(alerter_for('alert_services = ["SVC-A"]\n')) == ["CS-1", "CS-3"]
    both = 'alert_services = ["SVC-A"]\nalert_priorities = ["P1"]\n'
    assert alerts(alerter_for(both)) == ["CS-1"]  # both must match


def test_alert_services_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="alert_services"):
        alerter_for('alert_services = "SVC-A"\n')
