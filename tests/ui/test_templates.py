"""Reply templates: checked when the config loads, filled from the store, picked with `t`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from expereo_tui.config import ConfigError, load_config
from expereo_tui.shift.templates import check_template, render, values_for
from expereo_tui.sim import Simulator
from expereo_tui.store.shift import query_from_dict
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.compose import ComposePanel
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.shift.template_picker import TemplatePicker

from .conftest import until

PROFILE = '[profiles.p]\nclient_id = "c"\nsent_by = "anna@noc"\n'


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(PROFILE + extra, encoding="utf-8")
    return path


def test_unknown_template_variable_is_a_config_error(tmp_path: Path) -> None:
    good = _config(tmp_path, '[profiles.p.templates]\nack = "Ack {case_id} ({priority}) {{ok}}"\n')
    assert load_config(good).profiles["p"].templates["ack"].startswith("Ack")
    bad = _config(tmp_path, '[profiles.p.templates]\nack = "Hello {customer_name}"\n')
    with pytest.raises(ConfigError, match=r"template 'ack': unknown variable \{customer_name\}"):
        load_config(bad)
    assert check_template("{case_id!r}") and check_template("{subject:>10}")
    assert check_template("a lone { brace")


def test_views_in_the_config_become_queries_and_bad_sorts_are_refused(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[[profiles.p.views]]\nname = "Urgent"\npriorities = ["P1", "P2"]\n'
        'sort = ["priority", "-last_modified"]\n',
    )
    view = load_config(path).profiles["p"].views[0]
    assert query_from_dict(view.query_dict()) == CaseQuery(
        priorities=frozenset({"P1", "P2"}), sort=(("priority", False), ("last_modified", True))
    )
    bad = _config(tmp_path, '[[profiles.p.views]]\nname = "X"\nsort = ["colour"]\n')
    with pytest.raises(ConfigError, match="cannot sort on 'colour'"):
        load_config(bad)


def test_values_come_from_the_store(store: Store, sim: Simulator) -> None:
    case = next(c for c in sim.data.cases.values() if c.get("siteId") and c.get("priority"))
    values = values_for(store, case["id"], "anna@noc")
    site = sim.data.sites[case["siteId"]]
    assert values["case_id"] == case["id"] and values["priority"] == case["priority"]
    assert values["site_name"] == site["name"] and site["city"] in values["site_address"]
    assert render("{sent_by} on {case_id}: {{literal}}", values) == (
        f"anna@noc on {case['id']}: {{literal}}"
    )


async def test_t_picks_a_template_fuzzily_and_inserts_editable_text(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    templates = {
        "acknowledge": "Thanks, we are looking at {case_id}.",
        "need access": "Site access for {site_name} is arranged. — {sent_by}",
    }
    app = make_app(templates=templates, sent_by="anna@noc")
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_case(case_id)
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TemplatePicker))
        await pilot.press(*"ack", "enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        area = app.screen.query_one(ComposePanel).area
        assert area.text == f"Thanks, we are looking at {case_id}."
        assert area.has_focus
        await pilot.press("space", "o", "k", "space", "t", "x")  # editable; t is text here
        await pilot.press("ctrl+t")  # from inside the box too
        await until(pilot, lambda: isinstance(app.screen, TemplatePicker))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert area.text == f"Thanks, we are looking at {case_id}. ok tx"
