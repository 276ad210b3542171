"""Scripting mode against a simulator on loopback: every command, its exit codes, and a reply
that is exactly once when the first run is killed after the server committed it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from expereo_tui.cli.main import main
from expereo_tui.cli.scripting import Exit
from expereo_tui.locations import config_path, data_dir
from expereo_tui.sim import SimConfig, Simulator, run_server
from tests.sim_fixtures import BOTH_MODES

pytestmark = BOTH_MODES  # the suite holds under sim --unknowns too


@pytest.fixture
def live(sim_mode: str) -> Iterator[tuple[Simulator, str]]:
    """A tiny simulator on the real clock (the outbox matches replies by time) on loopback."""
    sim = Simulator(
        SimConfig(
            seed=5,
            scale="tiny",
            client_id="cid",
            client_secret="sec",
            unknowns=sim_mode == "unknowns",
        )
    )
    with run_server(sim) as url:
        yield sim, url


@pytest.fixture
def lab(live: tuple[Simulator, str], monkeypatch: pytest.MonkeyPatch) -> Simulator:
    sim, url = live
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[profiles.lab]\nbase_url = "{url}"\ntoken_url = "{url}/oauth2/token"\n'
        'client_id = "cid"\nsent_by = "cron@noc"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "sec")
    return sim


def open_case(sim: Simulator) -> str:
    return str(next(c["id"] for c in sim.data.cases.values() if c["status"] != "Closed"))


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, as a process would
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def messages(sim: Simulator, case_id: str, text: str) -> int:
    return sum(1 for m in sim.data.messages[case_id] if m.get("message") == text)


def test_list_filters_and_formats(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["--profile", "lab", "cases", "list", "--json"], capsys, monkeypatch)
    assert code == 0
    rows = json.loads(out)
    assert {r["id"] for r in rows} == set(lab.data.cases)
    # typed as JSON: a boolean is a boolean, the subject's words beside the API's enum
    assert all(isinstance(r["unread"], bool) for r in rows)
    with_subject = next(r for r in rows if r["subject"])
    assert with_subject["subject_label"] and " " not in with_subject["subject"]
    status = rows[0]["status"]
    code, out, _ = run(
        ["cases", "list", "--profile", "lab", "--offline", "--csv", "--status", status],
        capsys,
        monkeypatch,
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("id,") and len(lines) - 1 == sum(
        1 for c in lab.data.cases.values() if c["status"] == status
    )
    code, out, _ = run(["cases", "list", "--offline", "--priority", "P9"], capsys, monkeypatch)
    assert (code, out) == (0, "")
    code, _, err = run(["cases", "list", "--json", "--csv"], capsys, monkeypatch)
    assert code == 2 and "not allowed with" in err


def test_show_and_not_found(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    code, out, _ = run(["cases", "show", case_id, "--json"], capsys, monkeypatch)
    assert code == 0
    doc = json.loads(out)
    assert doc["id"] == case_id and len(doc["messages"]) == len(lab.data.messages[case_id])
    code, out, err = run(["cases", "show", "CS-NOPE"], capsys, monkeypatch)
    assert code == Exit.NOT_FOUND == 4 and out == "" and err.count("\n") == 1


def test_show_never_prints_escapes_from_the_api(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    lab.data.cases[case_id]["subject"] = "evil\x1b]52;c;AAAA\x07\x1b[2J"
    code, out, _ = run(["cases", "show", case_id], capsys, monkeypatch)
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    code, out, _ = run(["cases", "list", "--offline"], capsys, monkeypatch)
    assert code == 0 and "\x1b" not in out


def test_inventory(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["inventory", "--json"], capsys, monkeypatch)
    assert code == 0
    assert {s["service_id"] for s in json.loads(out)["services"]} == set(lab.data.services)
    code, out, _ = run(["inventory", "--offline"], capsys, monkeypatch)
    assert code == 0 and len(out.splitlines()) == len(lab.data.services)


def test_reply_reference_and_new(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    code, _, err = run(["cases", "reply", case_id, "-"], capsys, monkeypatch, "from cron\n")
    assert code == 0, err
    assert messages(lab, case_id, "from cron\n") == 1
    assert err.startswith(f"expereo-tui: reply to {case_id} sent")  # a success says so
    code, _, err = run(["cases", "reference", case_id, "CHG-42"], capsys, monkeypatch)
    assert code == 0 and lab.data.cases[case_id]["customerReference"] == "CHG-42"
    assert f"update of {case_id} sent" in err
    service = next(iter(lab.data.services))
    before = len(lab.data.cases)
    code, out, err = run(
        [
            "cases",
            "new",
            "--service",
            service,
            "--type",
            "NonIncident",
            "--subject",
            "UtilizationReport",
            "-",
        ],
        capsys,
        monkeypatch,
        "please send the report\n",
    )
    assert code == 0, err
    assert len(lab.data.cases) == before + 1 and out.strip() in lab.data.cases
    assert f"case {out.strip()} opened" in err


def test_open_lists_only_open_cases(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["cases", "list", "--open", "--json"], capsys, monkeypatch)
    assert code == 0
    got = {r["id"] for r in json.loads(out)}
    assert got == {i for i, c in lab.data.cases.items() if c["status"] not in ("Resolved", "Closed")}
    code, out, _ = run(
        ["cases", "list", "--offline", "--open", "--status", "Closed"], capsys, monkeypatch
    )
    assert (code, out) == (0, "")  # both must hold: no case is open and Closed


def test_the_exit_codes_are_in_the_help(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["cases", "-h"], capsys, monkeypatch)
    assert code == 0
    for code in Exit:
        assert f"{int(code):>3}  " in out, code


def test_write_error_codes(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    assert run(["cases", "reply", case_id, "-"], capsys, monkeypatch, "  \n")[0] == Exit.USAGE
    assert run(["cases", "reply", "CS-NOPE", "-"], capsys, monkeypatch, "x")[0] == 4
    code, _, err = run(["--read-only", "cases", "reply", case_id, "-"], capsys, monkeypatch, "x")
    assert code == Exit.READ_ONLY == 9 and err.count("\n") == 1
    closed = next(c["id"] for c in lab.data.cases.values() if c["status"] == "Closed")
    assert run(["cases", "reply", closed, "-"], capsys, monkeypatch, "x")[0] == Exit.REJECTED
    code, _, err = run(
        ["cases", "new", "--service", "SVC-1", "--type", "Bogus", "--subject", "s", "-"],
        capsys,
        monkeypatch,
        "x",
    )
    assert code == Exit.REJECTED == 8 and "type" in err
    assert messages(lab, case_id, "x") == 0


def test_sync_failures_have_their_own_codes(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.faults.outage = True
    code, _, err = run(["cases", "list"], capsys, monkeypatch)
    assert code == Exit.OFFLINE == 6 and "--offline" in err and err.count("\n") == 1
    lab.faults.outage = False
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "wrong")
    code, _, err = run(["cases", "list"], capsys, monkeypatch)
    assert code == Exit.AUTH == 7 and "wrong" not in err
    code, _, _ = run(["--profile", "nope", "cases", "list"], capsys, monkeypatch)
    assert code == Exit.USAGE == 2


def test_reply_is_exactly_once_when_the_first_run_loses_the_answer(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    lab.faults.lost_write_responses = 1  # committed, then the connection resets
    argv = ["cases", "reply", case_id, "-", "--wait", "0"]
    code, _, err = run(argv, capsys, monkeypatch, "link down again\n")
    assert code == Exit.PENDING == 75 and "again" in err
    assert messages(lab, case_id, "link down again\n") == 1
    code, _, err = run(argv[:-2], capsys, monkeypatch, "link down again\n")  # run it again
    assert code == 0, err
    assert messages(lab, case_id, "link down again\n") == 1


def test_reply_is_exactly_once_when_the_first_run_is_killed(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real process, killed while the server holds its committed reply; then run again."""
    case_id = open_case(lab)
    text = "killed mid-send\n"
    lab.faults.lost_write_responses = 1
    lab.faults.hang_after_commit = 600.0  # the answer never comes while the process lives
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "expereo_tui", "cases", "reply", case_id, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(text.encode())
    proc.stdin.close()
    deadline = time.monotonic() + 60
    while messages(lab, case_id, text) == 0:  # wait for the condition: committed on the server
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    lab.faults.reset()
    code, _, err = run(["cases", "reply", case_id, "-"], capsys, monkeypatch, text)
    assert code == 0, err
    assert messages(lab, case_id, text) == 1
    db = data_dir() / "lab.sqlite3"
    assert db.exists()


def test_a_sent_reply_run_again_is_not_sent_twice_unless_asked(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """#28 item 8: the same command after a confirmed success exits 10 with the message's id,
    and posts nothing; --again sends it once more; --key names a write whatever its text."""
    case_id = open_case(lab)
    argv = ["cases", "reply", case_id, "-"]
    assert run(argv, capsys, monkeypatch, "any update?")[0] == 0
    first_id = next(m["id"] for m in lab.data.messages[case_id] if m["message"] == "any update?")
    code, out, err = run(argv, capsys, monkeypatch, "any update?")
    assert code == Exit.ALREADY_SENT == 10
    assert out.strip() == first_id and "--again" in err
    assert messages(lab, case_id, "any update?") == 1
    assert run([*argv, "--again"], capsys, monkeypatch, "any update?")[0] == 0
    assert messages(lab, case_id, "any update?") == 2
    keyed = [*argv, "--key", "ticket-4711"]
    assert run(keyed, capsys, monkeypatch, "rebooted\n")[0] == 0
    code, out, _ = run(keyed, capsys, monkeypatch, "rebooted, typo fixed\n")
    assert code == Exit.ALREADY_SENT and messages(lab, case_id, "rebooted, typo fixed\n") == 0
    other_case = next(
        str(c["id"]) for c in lab.data.cases.values()
        if c["status"] == "In Progress" and c["id"] != case_id
    )  # fmt: skip
    other = ["cases", "reply", other_case, "-"]
    assert run(other, capsys, monkeypatch, "any update?")[0] == 0  # another case: another write


def test_environment_picks_profile_and_config(
    lab: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = tmp_path / "elsewhere.toml"
    config_path().rename(moved)
    assert run(["cases", "list"], capsys, monkeypatch)[0] == 2  # no config where it looks
    assert run(["--config", str(moved), "cases", "list"], capsys, monkeypatch)[0] == 0
    assert run(["cases", "list", "--config", str(moved)], capsys, monkeypatch)[0] == 0
    monkeypatch.setenv("EXPEREO_CONFIG", str(moved))
    monkeypatch.setenv("EXPEREO_PROFILE", "nope")
    code, _, err = run(["cases", "list"], capsys, monkeypatch)
    assert code == 2 and "nope" in err
    monkeypatch.setenv("EXPEREO_PROFILE", "lab")
    assert run(["cases", "list"], capsys, monkeypatch)[0] == 0
    code, out, _ = run(["paths"], capsys, monkeypatch)
    assert code == 0 and f"config  {moved}" in out


def test_offline_reads_need_no_secret_but_writes_do(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, synced, _ = run(["cases", "list"], capsys, monkeypatch)
    assert code == 0 and synced
    monkeypatch.delenv("EXPEREO_CLIENT_SECRET")  # e.g. a cron job without the keyring
    code, offline, _ = run(["cases", "list", "--offline"], capsys, monkeypatch)
    assert code == 0 and offline == synced
    assert run(["inventory", "--offline"], capsys, monkeypatch)[0] == 0
    assert run(["cases", "list"], capsys, monkeypatch)[0] == Exit.USAGE  # a sync needs it
    case_id = open_case(lab)
    argv = ["cases", "reply", case_id, "-", "--offline"]
    code, _, err = run(argv, capsys, monkeypatch, "hello")
    assert code == Exit.USAGE and "no client secret" in err
    assert messages(lab, case_id, "hello") == 0


def test_a_p1_case_with_invalid_utf8_in_its_subject_is_listed_and_a_skip_is_said(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repair, don't drop: bytes that are not UTF-8 in a P1's subject become U+FFFD and the case
    is listed; the one item the API sent without an id is skipped, and stderr says so."""
    from expereo_tui.sim.faults import INVALID_UTF8_MARK

    case_id = open_case(lab)
    lab.data.cases[case_id].update(
        {"priority": "P1", "type": "Incident", "subject": INVALID_UTF8_MARK.decode("ascii")}
    )
    lab.faults.bad_items = True  # serves the mark as raw invalid bytes, and bad items besides
    code, out, err = run(["--profile", "lab", "cases", "list", "--json"], capsys, monkeypatch)
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows[case_id]["priority"] == "P1"
    assert "\ufffd" in rows[case_id]["subject"]
    assert "skipped (no usable id)" in err


def test_a_pending_reply_does_not_swallow_the_same_text_to_another_case(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same command again finishes its pending entry; the same text to another case is
    another write (docs/usage.md, "What is guaranteed": the key is the command, case and all)."""
    first, second = [str(c["id"]) for c in lab.data.cases.values() if c["status"] != "Closed"][:2]
    text = "rebooted the CPE\n"
    lab.faults.lost_write_responses = 1  # the first reply stays queued, unconfirmed
    code, _, _ = run(["cases", "reply", first, "-", "--wait", "0"], capsys, monkeypatch, text)
    assert code == Exit.PENDING
    code, _, err = run(["cases", "reply", second, "-"], capsys, monkeypatch, text)
    assert code == 0, err
    assert messages(lab, second, text) == 1  # sent to the case it names
    assert messages(lab, first, text) == 1  # and not a second time to the first (the outbox
    # confirmed the first one on the way, looking on the server before sending again)


def test_a_different_text_to_the_same_case_is_another_reply(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(lab)
    lab.faults.lost_write_responses = 1
    argv = ["cases", "reply", case_id, "-"]
    assert run([*argv, "--wait", "0"], capsys, monkeypatch, "first\n")[0] == Exit.PENDING
    code, _, err = run(argv, capsys, monkeypatch, "second\n")
    assert code == 0, err
    assert messages(lab, case_id, "second\n") == 1 and messages(lab, case_id, "first\n") == 1


def test_a_credential_in_a_scripted_message_is_refused_unless_yes(
    lab: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's pre-send lint on `cases reply` and `cases new` (issue 32): refused with exit 8,
    the line named and masked, nothing queued (so a running app has nothing unchecked to send);
    --yes sends it anyway."""
    from expereo_tui.store.store import Store

    case_id = open_case(lab)
    text = "tested, works now\nclient_secret=Zq81xTopSecretValue\n"
    code, _, err = run(["cases", "reply", case_id, "-"], capsys, monkeypatch, text)
    assert code == Exit.REJECTED == 8
    assert "line 2" in err and "client_secret=" in err and "--yes" in err
    assert "TopSecretValue" not in err  # named masked, never repeated whole
    assert messages(lab, case_id, text) == 0
    store = Store.for_profile("lab")
    try:
        assert store.outbox.outbox() == []  # nothing waits for the app's sender
    finally:
        store.close()
    service = next(iter(lab.data.services))
    before = len(lab.data.cases)
    new = ["cases", "new", "--service", service, "--type", "NonIncident",
           "--subject", "UtilizationReport", "-"]  # fmt: skip
    code, _, err = run(new, capsys, monkeypatch, "router config:\npassword = hunter2!x\n")
    assert code == Exit.REJECTED and "line 2" in err and len(lab.data.cases) == before
    code, _, err = run(["cases", "reply", case_id, "-", "--yes"], capsys, monkeypatch, text)
    assert code == 0, err
    assert messages(lab, case_id, text) == 1
