"""SIGHUP (the SSH session went away) and SIGTERM, in a real terminal: tmux runs the app in a
pane, the test types a reply it never saves, queues a write the API cannot take, then sends
the signal.  The pane must be usable afterwards (no alternate screen, no mouse reporting,
cursor shown), the exit code is 128 + the signal, and the draft and the queued write survive."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from expereo_tui.locations import config_path, data_dir
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from tests.reliability_plugin import Reliability

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self) -> None:
        self.socket = f"expereo-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "app")

    def fmt(self, spec: str) -> str:
        return self("display-message", "-p", "-t", "app", spec).strip()


def wait_for(
    condition: Callable[[], bool], what: str, limit: float = 60.0, screen: Callable[[], str] = str
) -> None:
    """Wait for a condition of another process (the app in its pane): polled, not slept on."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}; the pane:\n{screen()}"
        time.sleep(0.1)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux()
    yield t
    t("kill-server")


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    sim = Simulator(SimConfig(seed=5, scale="tiny", client_id="cid", client_secret="sec"))
    with run_server(sim) as url:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'[profiles.lab]\nbase_url = "{url}"\ntoken_url = "{url}/oauth2/token"\n'
            'client_id = "cid"\nsent_by = "noc@lab"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "sec")
        yield sim


# a real app in a real pane, five waits of up to 60 s each: the suite's 60 s for the whole test
# ran out twice on a machine loaded by four other test runs (the wait that was cut short and
# the pane are now in the failure message, to tell slow from stuck)
@pytest.mark.timeout(180)
@pytest.mark.reliability(
    fault="the SSH session hangs up (SIGHUP), or the app is terminated (SIGTERM), mid-reply",
    sees="the app exits 129 (143); the terminal is given back as it was",
    data="the typed reply is saved as a draft; queued writes stay queued for the next start",
    shows="EXIT=1",
)
@pytest.mark.parametrize(("signal_name", "code"), [("HUP", 129), ("TERM", 143)])
def test_hangup_and_terminate_restore_the_terminal_and_keep_draft_and_outbox(
    lab: Simulator, tmux: Tmux, signal_name: str, code: int, reliability: Reliability
) -> None:
    case_id = next(c["id"] for c in lab.data.cases.values() if c["status"] == "In Progress")
    # a shell keeps the pane after the app: what the next prompt would find
    command = f"{sys.executable} -m expereo_tui --profile lab; echo EXIT=$?; exec sleep 600"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(
        [
            "tmux",
            "-L",
            tmux.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            "140",
            "-y",
            "40",
            command,
        ],
        env=env,
        check=True,
        timeout=30,
    )
    wait_for(lambda: case_id in tmux.screen(), "the inbox")
    assert tmux.fmt("#{alternate_on}") == "1"  # the app took the alternate screen
    # a write the API cannot take now stays queued; a reply typed and never saved by hand
    lab.faults.outage = True
    store_path = data_dir() / "lab.sqlite3"
    store = Store(store_path)
    queued = store.enqueue("reply", {"message": "queued before the hang-up"}, case_id=case_id)
    store.close()
    tmux("send-keys", "-t", "app", "/")
    tmux("send-keys", "-t", "app", "-l", case_id)
    tmux("send-keys", "-t", "app", "Enter")  # the search: the list shows that case alone
    wait_for(lambda: f'text="{case_id}"' in tmux.screen(), "the search")
    tmux("send-keys", "-t", "app", "Enter")  # open it
    wait_for(lambda: "Cust. ref" in tmux.screen(), "the case")
    tmux("send-keys", "-t", "app", "r")
    # the reply box has focus (its keys are in the footer) before the text: typed in the same
    # burst as "r", keys that reach the box before the screen has passed on the earlier ones
    # can come first (" savedtyped, never" once, on a loaded machine); that race is its own bug,
    # left open in the closing note, and not what this test is about
    wait_for(lambda: "^s Send" in tmux.screen(), "the reply box", 20, tmux.screen)
    tmux("send-keys", "-t", "app", "-l", "typed, never saved")
    wait_for(lambda: "typed, never saved" in tmux.screen(), "the typed reply", 20, tmux.screen)
    shell = int(tmux.fmt("#{pane_pid}"))
    app_pid = int(Path(f"/proc/{shell}/task/{shell}/children").read_text().split()[0])
    os.kill(app_pid, getattr(signal, f"SIG{signal_name}"))
    wait_for(lambda: "EXIT=" in tmux.screen(), "the app to exit", 20, tmux.screen)
    assert f"EXIT={code}" in tmux.screen()
    reliability.check(tmux.screen())
    assert tmux.fmt("#{alternate_on}") == "0"
    assert tmux.fmt("#{mouse_any_flag}") == "0"
    assert tmux.fmt("#{cursor_flag}") == "1"
    after = Store(store_path)
    try:
        draft = after.drafts.load_draft(f"reply:{case_id}")
        assert draft is not None and "typed, never saved" in str(draft.get("text"))
        entry = after.outbox.outbox_entry(queued.id)
        assert entry is not None and entry.status == "queued"
    finally:
        after.close()
