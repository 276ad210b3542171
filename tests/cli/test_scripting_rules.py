"""Scripting mode's rules without a simulator (docs/usage.md, "Scripting": what is guaranteed,
the exit codes): the key a write is known by, a confirmed write not sent twice, the credential
check, and what a failed sync exits with.  tests/cli/test_scripting.py runs every command
against a simulator on loopback; these take milliseconds."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.cli.exits import Exit
from expereo_tui.cli.scripting import (
    Context,
    ScriptError,
    _line,
    already_sent,
    check_credentials,
    sync,
    write_key,
)
from expereo_tui.store.store import Store
from expereo_tui.sync.events import SyncError, SyncState, SyncStatus


def args(**given: Any) -> argparse.Namespace:
    return argparse.Namespace(**given)


def test_the_key_of_a_write_is_its_command_case_and_text() -> None:
    plain = args(key=None)
    one = write_key(plain, "reply", "CS-1", "rebooted\n")
    assert one.startswith("cli:") and len(one) == 36  # cli: and 32 hex digits
    assert all(c in "0123456789abcdef" for c in one[4:])
    assert write_key(args(), "reply", "CS-1", "rebooted\n") == one  # the same command again
    others = {
        write_key(plain, "reply", "CS-2", "rebooted\n"),  # another case
        write_key(plain, "reply", "CS-1", "rebooted"),  # another text
        write_key(plain, "new", "CS-1", "rebooted\n"),  # another command
        write_key(plain, "reply", "CS-1re", "booted\n"),  # the parts are kept apart
    }
    assert len(others) == 4 and one not in others


def test_key_names_a_write_whatever_its_text() -> None:
    keyed = write_key(args(key="ticket-4711"), "reply", "CS-1", "rebooted\n")
    assert write_key(args(key="ticket-4711"), "reply", "CS-1", "typo fixed\n") == keyed
    assert write_key(args(key="ticket-4712"), "reply", "CS-1", "rebooted\n") != keyed
    assert keyed != write_key(args(key=None), "reply", "CS-1", "rebooted\n")
    assert write_key(args(key=""), "reply", "CS-1", "x") == write_key(args(), "reply", "CS-1", "x")


def test_a_line_is_tab_separated_fields_without_escapes() -> None:
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert _line("CS-1", None, when, 3) == "CS-1\t\t2026-03-01T09:30:00+00:00\t3\n"
    line = _line("evil\x1b[2J\nnext", "a\tb")
    assert line.count("\n") == 1 and line.count("\t") == 1 and "\x1b" not in line


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "script.sqlite3")
    yield s
    s.close()


def context(store: Store, engine: Any = None) -> Context:
    return Context("lab", store, engine, None)


def sent(store: Store, key: str, result_id: str | None) -> int:
    entry = store.outbox.enqueue("reply", {"message": "x"}, case_id="CS-1", draft_key=key)
    store.outbox.outbox_sent(entry.id, result_id=result_id)
    return entry.id


def test_a_confirmed_write_is_reported_not_sent_again(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    first = sent(store, "cli:k", "M-1")
    latest = sent(store, "cli:k", "M-2")
    sent(store, "cli:other", "M-9")
    out = io.StringIO()
    assert already_sent(context(store), args(again=False), "cli:k", out) == Exit.ALREADY_SENT
    assert out.getvalue() == "M-2\n"  # the latest of them
    assert capsys.readouterr().err == (
        f"expereo-tui: already sent as #{latest} (M-2); not sent again "
        "(--again sends it once more)\n"
    )
    assert first < latest
    assert already_sent(context(store), args(again=True), "cli:k", out) is None
    assert already_sent(context(store), args(), "cli:new", out) is None


def test_a_confirmed_write_without_an_id_says_so_without_one(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    entry_id = sent(store, "cli:k", None)
    queued = store.outbox.enqueue("reply", {"message": "x"}, case_id="CS-1", draft_key="cli:q")
    out = io.StringIO()
    assert already_sent(context(store), args(), "cli:k", out) == Exit.ALREADY_SENT
    assert out.getvalue() == "\n"
    assert capsys.readouterr().err == (
        f"expereo-tui: already sent as #{entry_id}; not sent again (--again sends it once more)\n"
    )
    assert already_sent(context(store), args(), "cli:q", out) is None  # queued is not sent
    assert queued.id != entry_id


def test_a_credential_refuses_the_write_naming_the_line_masked(store: Store) -> None:
    text = "tested, works now\nclient_secret=Zq81xTopSecretValue\n"
    with pytest.raises(ScriptError) as info:
        check_credentials(context(store), args(yes=False), text)
    assert info.value.code == Exit.REJECTED
    message = info.value.message
    assert message.startswith("not sent: the message looks like it contains credentials: line 2: ")
    assert message.endswith(". Remove them, or send anyway with --yes")
    assert "TopSecretValue" not in message and "(and" not in message
    with pytest.raises(ScriptError) as info:
        check_credentials(context(store), args(), "password = hunter2!x", where="the subject")
    assert "the subject: " in info.value.message and "line 1" not in info.value.message
    check_credentials(context(store), args(yes=True), text)  # --yes: sent anyway
    check_credentials(context(store), args(), "rebooted the CPE, all green")


def test_more_than_five_credentials_are_counted_not_listed(store: Store) -> None:
    text = "".join(f"password = hunter{i}!xyz\n" for i in range(7))
    with pytest.raises(ScriptError) as info:
        check_credentials(context(store), args(), text)
    message = info.value.message
    assert "line 5: " in message and "line 6: " not in message
    assert "(and 2 more)" in message
    text = "".join(f"password = hunter{i}!xyz\n" for i in range(5))
    with pytest.raises(ScriptError) as info:
        check_credentials(context(store), args(), text)
    assert "more)" not in info.value.message


class FakeEngine:
    def __init__(self, state: SyncState) -> None:
        self.state = state
        self.team = None
        self.polls = 0

    async def poll_once(self) -> None:
        self.polls += 1


async def run_sync(store: Store, state: SyncState) -> None:
    await sync(context(store, FakeEngine(state)))


@pytest.mark.parametrize("status", [SyncStatus.UNAUTHORISED, SyncStatus.FORBIDDEN])
async def test_refused_credentials_exit_7(store: Store, status: SyncStatus) -> None:
    with pytest.raises(ScriptError) as info:
        await run_sync(store, SyncState(status, message="401 from the token endpoint"))
    assert info.value.code == Exit.AUTH
    assert info.value.message == "the API refused these credentials: 401 from the token endpoint"
    with pytest.raises(ScriptError) as info:
        await run_sync(store, SyncState(status, message="no", missing_scope="case:write"))
    assert info.value.message == "the API refused these credentials (scope case:write): no"


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (SyncState(SyncStatus.OFFLINE, message="no route to host"), "no route to host"),
        (
            SyncState(SyncStatus.ERROR, error=SyncError(code="off-origin", stage="cases")),
            "off-origin",
        ),
        (SyncState(SyncStatus.RATE_LIMITED), "rate-limited"),
        (SyncState(SyncStatus.STALE), "stale"),
    ],
)
async def test_any_other_failed_sync_exits_6_with_its_reason(
    store: Store, state: SyncState, reason: str
) -> None:
    with pytest.raises(ScriptError) as info:
        await run_sync(store, state)
    assert info.value.code == Exit.OFFLINE
    assert info.value.message == f"sync failed ({reason}); use --offline to read the store"


async def test_a_fresh_sync_passes_and_says_what_it_skipped(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = FakeEngine(SyncState(SyncStatus.FRESH))
    await sync(context(store, engine))
    assert engine.polls == 1 and capsys.readouterr().err == ""
    await run_sync(store, SyncState(SyncStatus.FRESH, skipped=1))
    assert capsys.readouterr().err == (
        "expereo-tui: 1 item from the API skipped (no usable id); the log names them\n"
    )
    await run_sync(store, SyncState(SyncStatus.FRESH, skipped=3))
    assert capsys.readouterr().err == (
        "expereo-tui: 3 items from the API skipped (no usable id); the log names them\n"
    )


def test_a_script_error_keeps_its_code_and_words() -> None:
    error = ScriptError(Exit.NOT_FOUND, "no case CS-9")
    assert (error.code, error.message, str(error)) == (
        Exit.NOT_FOUND,
        "no case CS-9",
        "no case CS-9",
    )
