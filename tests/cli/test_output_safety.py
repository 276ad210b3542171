"""Output that cannot be turned against its reader (issue #33 item 3): formula cells in CSV,
escapes from the API on a terminal (and exact JSON), HTML in the handover's Markdown, config
values checked as values."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from expereo_tui.cli.main import main
from expereo_tui.config import ConfigError, load_config
from expereo_tui.shift.export import csv_cell
from expereo_tui.sim import Simulator
from tests.cli.test_scripting import lab, live, open_case, run  # noqa: F401 (fixtures)

HOSTILE = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
OSC = "ok\x1b]52;c;ZXZpbA==\x07\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\x1b]0;title\x07"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_cell_is_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("Service down") == "Service down" and csv_cell(None) == ""


def test_cases_list_csv_neutralises_formulas_and_json_stays_exact(
    lab: Simulator,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [c for c in lab.data.cases][: len(HOSTILE)]
    for case_id, subject in zip(ids, HOSTILE, strict=True):
        lab.data.cases[case_id]["subject"] = subject
    code, out, _ = run(["cases", "list", "--csv"], capsys, monkeypatch)
    assert code == 0
    rows = {r[0]: r for r in csv.reader(io.StringIO(out))}
    header = list(rows["id"])
    for case_id, subject in zip(ids, HOSTILE, strict=True):
        assert rows[case_id][header.index("subject")] == "'" + subject
    code, out, _ = run(["cases", "list", "--offline", "--json"], capsys, monkeypatch)
    subjects = {r["id"]: r["subject"] for r in json.loads(out)}
    assert [subjects[i] for i in ids] == HOSTILE  # JSON is data: exact


def test_escapes_from_the_api_never_reach_a_terminal_but_json_is_exact(
    lab: Simulator,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = open_case(lab)
    lab.data.cases[case_id]["subject"] = OSC
    assert run(["cases", "list"], capsys, monkeypatch)[0] == 0  # sync the subject in
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["cases", "list", "--offline", "--csv"]) == 0
    shown = terminal.getvalue()
    assert case_id in shown and "oklink" in shown  # the text stays, its escapes go
    assert "\x1b" not in shown and "\x07" not in shown and "]52;" not in shown
    for argv in (["cases", "list", "--offline"], ["cases", "show", case_id, "--offline"]):
        terminal = Terminal()
        monkeypatch.setattr("sys.stdout", terminal)
        assert main(argv) == 0
        assert "\x1b" not in terminal.getvalue() and "]52;" not in terminal.getvalue()
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["cases", "list", "--offline", "--json"]) == 0
    assert "\x1b" not in terminal.getvalue()  # json escapes it as \u001b ...
    subjects = {r["id"]: r["subject"] for r in json.loads(terminal.getvalue())}
    assert subjects[case_id] == OSC  # ... and the data is exact


def test_the_handover_markdown_escapes_html() -> None:
    from expereo_tui.shift.handover import HandoverReport, Section, to_markdown

    item = {"id": "CS-1", "subject": "<img src=x onerror=alert(1)> & co", "note": "<script>"}
    report = HandoverReport(
        profile="<b>lab</b>",
        since=0.0,
        generated=60.0,
        sections=[Section("open", "Open", [item])],
    )
    text = to_markdown(report)
    assert "<" not in text and ">" not in text.replace("→", "")
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in text
    assert "&lt;script&gt;" in text and "(&lt;b&gt;lab&lt;/b&gt;)" in text


def _config(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.lab]\nclient_id = "c"\n{line}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('portal_url = "https://portal.example/{0}"', "unknown placeholder {0}"),
        ('portal_url = "https://portal.example/{case}"', "unknown placeholder {case}"),
        ('portal_url = "https://portal.example/{case_id"', "not a valid pattern"),
        ('portal_url = "https://portal.example/{case_id!r}"', "unknown placeholder"),
        ("poll_interval = nan", "finite"),
        ("poll_interval = inf", "finite"),
        ("inventory_interval = -inf", "finite"),
    ],
)
def test_config_values_are_checked_as_values(tmp_path: Path, line: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, line))
    message = str(caught.value)
    assert said in message and "profiles.lab." in message and "\n" not in message


def test_a_good_portal_url_loads(tmp_path: Path) -> None:
    path = _config(tmp_path, 'portal_url = "https://portal.example/{{x}}/{case_id}"')
    assert load_config(path).profiles["lab"].portal_url == "https://portal.example/{{x}}/{case_id}"
