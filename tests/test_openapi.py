"""`expereo-tui sim --openapi` writes the simulator's spec (generated from its routes and
models); `expereo-tui config check --openapi FILE` compares a spec with what the client relies on
and exits non-zero only when a difference breaks a feature.  The simulator's spec is the
reference; each test mutates a copy of it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from expereo_tui.cli.main import main
from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.sim.openapi import openapi_spec

Spec = dict[str, Any]


@pytest.fixture(scope="module")
def reference() -> Spec:
    return openapi_spec(Simulator(SimConfig(scale="tiny")))


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: Spec | str) -> tuple[int, str]:
    path = tmp_path / "spec.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    code = main(["config", "check", "--openapi", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def mutated(reference: Spec, change: Callable[[Spec], object]) -> Spec:
    doc = copy.deepcopy(reference)
    change(doc)
    return doc


def schemas(doc: Spec) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def test_sim_openapi_writes_a_spec_of_every_v2_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim.json"
    assert main(["sim", "--openapi", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["openapi"].startswith("3.")
    sim = Simulator(SimConfig(scale="tiny"))
    camel = re.compile(r"_(\w)")
    for route in sim.app.routes:
        if isinstance(route, Route) and route.path.startswith("/v2/"):
            path = camel.sub(lambda m: m.group(1).upper(), route.path)
            for method in (route.methods or set()) - {"HEAD"}:
                assert method.lower() in doc["paths"][path], (method, path)
    # every field of the shared pydantic model, by its wire name
    from expereo_tui.api.models import Case

    props = doc["components"]["schemas"]["Case"]["properties"]
    assert set(props) == {camel.sub(lambda m: m.group(1).upper(), n) for n in Case.model_fields}


def test_sim_openapi_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--openapi"]) == 0
    assert json.loads(capsys.readouterr().out)["paths"]["/v2/cases"]["get"]


def test_the_simulators_own_spec_matches(
    reference: Spec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(tmp_path, capsys, reference)
    assert code == 0, out
    assert "BREAKS" not in out and "differs" not in out
    for feature in ("inbox", "thread", "reply", "new case", "update case", "inventory"):
        assert "ok      " in out and f"[{feature}]" in out
    assert "no difference breaks a feature" in out


@pytest.mark.parametrize(
    ("name", "change", "broken", "line"),
    [
        (
            "missing path",
            lambda d: d["paths"].pop("/v2/cases/{caseId}/case-messages"),
            {"thread", "reply"},
            "GET /v2/cases/{}/case-messages: path not in the spec",
        ),
        (
            "missing method",
            lambda d: d["paths"]["/v2/cases/{caseId}"].pop("patch"),
            {"update case"},
            "PATCH /v2/cases/{}: method not in the spec",
        ),
        (
            "missing parameter",
            lambda d: d["paths"]["/v2/cases"]["get"].__setitem__(
                "parameters",
                [p for p in d["paths"]["/v2/cases"]["get"]["parameters"] if p["name"] != "sort"],
            ),
            {"inbox"},
            "query parameter sort not in the spec",
        ),
        (
            "sort field gone",
            lambda d: next(
                p for p in d["paths"]["/v2/cases"]["get"]["parameters"] if p["name"] == "sort"
            )["x-sort-fields"].remove("LastModifiedDate"),
            {"inbox"},
            "cannot sort by LastModifiedDate",
        ),
        (
            "renamed required read field",
            lambda d: schemas(d)["Case"]["properties"].__setitem__(
                "caseId", schemas(d)["Case"]["properties"].pop("id")
            ),
            {"inbox", "case", "new case", "update case"},
            "field Case.id not in the spec",
        ),
        (
            "renamed field the thread relies on",
            lambda d: schemas(d)["CaseMessage"]["properties"].__setitem__(
                "text", schemas(d)["CaseMessage"]["properties"].pop("message")
            ),
            {"thread", "reply"},
            "field CaseMessage.message not in the spec",
        ),
        (
            "required read field changes type",
            lambda d: schemas(d)["Site"]["properties"].__setitem__("siteId", {"type": "integer"}),
            {"inventory"},
            "field Site.siteId is number, the app expects string",
        ),
        (
            "renamed required body field",
            lambda d: (
                schemas(d)["MessageCreate"]["properties"].__setitem__(
                    "text", schemas(d)["MessageCreate"]["properties"].pop("message")
                ),
                schemas(d)["MessageCreate"].__setitem__("required", ["text"]),
            ),
            {"reply"},
            "the spec requires MessageCreate.text, which the app never sends",
        ),
        (
            "a value the app sends is refused",
            lambda d: schemas(d)["CaseCreate"]["properties"]["type"].__setitem__(
                "enum", ["Incident"]
            ),
            {"new case"},
            "CaseCreate.type no longer accepts 'NonIncident'",
        ),
    ],
)
def test_a_breaking_difference_fails_naming_it(
    reference: Spec,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    change: Callable[[Spec], object],
    broken: set[str],
    line: str,
) -> None:
    code, out = check(tmp_path, capsys, mutated(reference, change))
    assert code == 1, out
    breaks = [x for x in out.splitlines() if x.strip().startswith("BREAKS")]
    assert any(line in x for x in breaks), out
    summary = out.strip().splitlines()[-1]
    assert summary.endswith(", ".join(sorted(broken))), summary


@pytest.mark.parametrize(
    ("name", "change", "line"),
    [
        (
            "added path",
            lambda d: d["paths"].__setitem__("/v2/contacts", {"get": {"responses": {}}}),
            "extra   GET /v2/contacts: not used by the app",
        ),
        (
            "added field",
            lambda d: schemas(d)["Case"]["properties"].__setitem__("slaTarget", {"type": "string"}),
            "field Case.slaTarget not used by the app",
        ),
        (
            "added enum value",
            lambda d: schemas(d)["Case"]["properties"]["status"]["anyOf"][0]["enum"].append(
                "On Hold"
            ),
            "Case.status has values the app shows as they come: On Hold",
        ),
        (
            "optional read field renamed",
            lambda d: schemas(d)["Case"]["properties"].__setitem__(
                "customerRef", schemas(d)["Case"]["properties"].pop("customerReference")
            ),
            "differs GET /v2/cases: field Case.customerReference not in the spec",
        ),
        (
            "invoices gone (optional: hidden)",
            lambda d: d["paths"].pop("/v2/invoices"),
            "path not in the spec (the app hides it) [invoices]",
        ),
    ],
)
def test_a_harmless_difference_is_reported_and_passes(
    reference: Spec,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    change: Callable[[Spec], object],
    line: str,
) -> None:
    code, out = check(tmp_path, capsys, mutated(reference, change))
    assert code == 0, out
    assert line in " ".join(out.split()) or line in out, out
    assert "BREAKS" not in out


def test_not_a_spec_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(tmp_path, capsys, "openapi: 3.0.0\npaths: {}\n")
    assert code == 2 and "not JSON" in out and out.strip().count("\n") == 0
    code, out = check(tmp_path, capsys, "[1, 2]")
    assert code == 2 and "not an OpenAPI document" in out
