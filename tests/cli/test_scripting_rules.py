"""Scripting mode's rules without a simulator (docs/usage.md, "Scripting": what is guaranteed,
the exit codes): the key a write is known by, a confirmed write not sent twice, the credential
check, and what a failed sync exits with.  tests/cli/test_scripting.py runs every command
against a simulator on loopback; these take milliseconds."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import logging
import sys
from collections.abc import Awaitable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.api.models import Account, Case, CaseMessage, Service, Site
from expereo_tui.cli import scripting, team_setup
from expereo_tui.cli.exits import Exit
from expereo_tui.cli.scripting import (
    Context,
    ScriptError,
    _line,
    _run,
    already_sent,
    cases_list,
    cases_new,
    cases_reference,
    cases_reply,
    cases_show,
    check_credentials,
    deliver,
    inventory,
    run,
    sync,
    write_key,
)
from expereo_tui.config import ConfigError
from expereo_tui.locations import config_path, data_dir, store_path
from expereo_tui.store.outbox import OutboxEntry
from expereo_tui.store.outbox_types import OutboxStatus
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import InventoryChanged, SyncError, SyncState, SyncStatus
from expereo_tui.triage.secret import secret_matcher


def args(**given: Any) -> argparse.Namespace:
    return argparse.Namespace(**given)


async def failure(step: Awaitable[Any]) -> tuple[Exit, str]:
    """The exit code and the line of the ScriptError that ``step`` raises."""
    with pytest.raises(ScriptError) as info:
        await step
    return info.value.code, info.value.message


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
    assert message.startswith(
        "not sent: the message looks like it contains credentials: line 2: a password or "
        "secret from a device config: client_secret=Zq••"
    )  # docs/usage.md's example
    assert message.endswith("••. Remove them, or send anyway with --yes")
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
    assert "••; line 2: a password" in message  # one finding after the other
    assert "(and 2 more)" in message
    with pytest.raises(ScriptError) as info:
        check_credentials(context(store), args(), text[: text.index("password = hunter6")])
    assert "(and 1 more)" in info.value.message  # six
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


# -- the write commands: an engine whose sender is a fake, the store real ---------------------

NOW = 1_000.0  # the engine's clock


class FakeClient:
    """What the engine holds of the API: scripting only closes it."""

    features: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


class Sender:
    """The outbox's sender as ``deliver`` drives it: the ``settle_on``-th send settles every
    queued entry with ``outcome``; ``due`` is when it says the next entry is due."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sends = 0
        self.settle_on = 1
        self.result: str | None = "M-1"
        self.refusal: str | None = None  # settle as refused, with this error
        self.due: float | None = None

    async def send_due(self) -> None:
        self.sends += 1
        if self.sends != self.settle_on:
            return
        for entry in self.store.outbox.outbox():
            if self.refusal is None:
                self.store.outbox.outbox_sent(entry.id, result_id=self.result)
            else:
                self.store.outbox.outbox_failed(entry.id, error=self.refusal)

    def next_due(self) -> float | None:
        return self.due


class FakeTeam:
    """A team link as scripting uses it: the team's outbox, its store reached or not."""

    def __init__(self, runtime: Any = None) -> None:
        self.runtime = runtime
        self.sent = 0
        self.started: list[bool] = []
        self.followed = 0

    async def send_outbox(self, sender: Sender) -> None:
        self.sent += 1
        await sender.send_due()

    async def start(self, *, may_lead: bool, wake: Any) -> None:
        self.started.append(may_lead)
        wake()  # a follower's wake: nothing to wake in a script

    async def follow(self) -> None:
        self.followed += 1


def engine_for(store: Store, *, read_only: bool = False) -> SyncEngine:
    engine = SyncEngine(
        store,
        FakeClient(),  # type: ignore[arg-type]
        on_event=lambda event: None,
        settings=SyncSettings(read_only=read_only, sent_by="cron@noc"),
        clock=lambda: NOW,
    )
    engine.sender = Sender(store)  # type: ignore[assignment]
    return engine


def sender_of(engine: SyncEngine) -> Sender:
    assert isinstance(engine.sender, Sender)
    return engine.sender


def queued(store: Store, kind: str = "reply", case_id: str | None = "CS-1") -> int:
    return store.outbox.enqueue(kind, {"message": "x"}, case_id=case_id).id


@pytest.mark.parametrize(
    ("kind", "case_id", "result", "said"),
    [
        ("reply", "CS-1", "M-1", "reply to CS-1 sent"),
        ("create", None, "CS-77", "case CS-77 opened"),
        ("create", None, None, "case ? opened"),
        ("update", "CS-1", None, "update of CS-1 sent"),
    ],
)
async def test_a_confirmed_write_exits_0_and_says_so_on_stderr(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    case_id: str | None,
    result: str | None,
    said: str,
) -> None:
    engine = engine_for(store)
    sender_of(engine).result = result
    entry_id = queued(store, kind, case_id)
    assert await deliver(context(store, engine), entry_id, 120) == Exit.OK
    assert capsys.readouterr() == ("", f"expereo-tui: {said} (outbox #{entry_id})\n")
    assert sender_of(engine).sends == 1


@pytest.mark.parametrize(
    ("error", "said"), [("422: message too long", "refused: 422: message too long"),
                        ("", "refused: rejected")]
)  # fmt: skip
async def test_a_refused_write_exits_8_with_the_reason(store: Store, error: str, said: str) -> None:
    engine = engine_for(store)
    sender_of(engine).refusal = error
    assert await failure(deliver(context(store, engine), queued(store), 120)) == (
        Exit.REJECTED,
        said,
    )


async def test_an_entry_that_vanished_is_a_failure(store: Store) -> None:
    assert await failure(deliver(context(store, engine_for(store)), 99, 120)) == (
        Exit.FAILED,
        "outbox entry #99 vanished",
    )


async def test_a_write_another_instance_sends_is_left_to_it_exit_75(store: Store) -> None:
    engine = engine_for(store, read_only=True)  # not the profile's sender
    entry_id = queued(store)
    assert await failure(deliver(context(store, engine), entry_id, 120)) == (
        Exit.PENDING,
        f"queued as #{entry_id}; a running app sends it",
    )
    assert sender_of(engine).sends == 0


async def test_in_a_team_the_write_goes_through_the_teams_outbox(store: Store) -> None:
    engine = engine_for(store, read_only=True)  # the team's outbox: whoever claims it sends
    engine.team = FakeTeam()  # type: ignore[assignment]
    assert await deliver(context(store, engine), queued(store), 120) == Exit.OK
    assert engine.team.sent == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("error", "said"), [(None, ""), ("503 from the API", " (503 from the API)")]
)
async def test_a_write_not_confirmed_within_the_wait_stays_queued_exit_75(
    store: Store, error: str | None, said: str
) -> None:
    engine = engine_for(store)
    sender_of(engine).settle_on = 0  # never
    entry_id = queued(store)
    if error:
        store.outbox.outbox_retry_later(entry_id, error=error, next_attempt_at=NOW + 5)
    assert await failure(deliver(context(store, engine), entry_id, 0)) == (
        Exit.PENDING,
        f"queued as #{entry_id}, not confirmed yet{said}: run the same command again",
    )
    assert sender_of(engine).sends == 1


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses asked of asyncio.sleep (none is waited)."""
    asked: list[float] = []

    async def pause(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", pause)
    return asked


@pytest.mark.parametrize(
    ("due", "team", "pause"),
    [
        (None, False, 0.05),  # nothing due: look again soon
        (NOW + 2, False, 2.0),  # the next entry due in 2 s
        (NOW - 3, False, 0.05),  # overdue: never a pause below 0.05 s
        (NOW + 0.01, False, 0.05),
        (None, True, 0.25),  # in a team a peer may send it: a few looks a second
        (NOW + 2, True, 2.0),
    ],
)
async def test_between_sends_it_waits_until_the_next_entry_is_due(
    store: Store, pauses: list[float], due: float | None, team: bool, pause: float
) -> None:
    engine = engine_for(store)
    if team:
        engine.team = FakeTeam()  # type: ignore[assignment]
    sender_of(engine).settle_on = 2
    sender_of(engine).due = due
    assert await deliver(context(store, engine), queued(store), 120) == Exit.OK
    assert pauses == [pause] and sender_of(engine).sends == 2


async def test_the_last_pause_ends_with_the_wait(store: Store, pauses: list[float]) -> None:
    engine = engine_for(store)
    sender_of(engine).settle_on = 2
    sender_of(engine).due = NOW + 60
    assert await deliver(context(store, engine), queued(store), 1.0) == Exit.OK
    [pause] = pauses
    assert 0.5 < pause <= 1.0  # what was left of the second's wait, not the minute


def case_of(case_id: str, status: str = "In Progress", **fields: Any) -> Case:
    return Case(id=case_id, status=status, **fields)


def reply_args(**given: Any) -> argparse.Namespace:
    return args(**({"id": "CS-1", "message": "-", "wait": 120.0, "key": None} | given))


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def outbox(store: Store) -> list[OutboxEntry]:
    return store.outbox.outbox(statuses=[s.value for s in OutboxStatus])


async def test_a_reply_is_queued_under_its_key_and_sent(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    engine = engine_for(store)
    stdin(monkeypatch, "rebooted the CPE\n")
    out = io.StringIO()
    assert await cases_reply(context(store, engine), reply_args(), out) == Exit.OK
    [entry] = outbox(store)
    assert (entry.kind, entry.case_id, entry.status) == ("reply", "CS-1", "sent")
    assert entry.payload["message"] == "rebooted the CPE\n"
    assert entry.draft_key == write_key(args(), "reply", "CS-1", "rebooted the CPE\n")
    assert out.getvalue() == ""  # stdout stays for what a script reads
    assert capsys.readouterr().err == f"expereo-tui: reply to CS-1 sent (outbox #{entry.id})\n"


async def test_a_reply_with_a_key_is_known_by_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    stdin(monkeypatch, "rebooted\n")
    given = reply_args(key="ticket-4711")
    assert await cases_reply(context(store, engine_for(store)), given, io.StringIO()) == Exit.OK
    [entry] = outbox(store)
    assert entry.draft_key == write_key(args(key="ticket-4711"), "any", "thing")


async def test_the_same_reply_again_is_not_sent_twice_unless_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    ctx = context(store, engine_for(store))
    stdin(monkeypatch, "rebooted\n")
    assert await cases_reply(ctx, reply_args(), io.StringIO()) == Exit.OK
    stdin(monkeypatch, "rebooted\n")
    out = io.StringIO()
    assert await cases_reply(ctx, reply_args(), out) == Exit.ALREADY_SENT
    assert out.getvalue() == "M-1\n" and len(outbox(store)) == 1
    stdin(monkeypatch, "rebooted\n")
    sender_of(ctx.engine).settle_on = 2  # the next send
    assert await cases_reply(ctx, reply_args(again=True), io.StringIO()) == Exit.OK
    assert [e.status for e in outbox(store)] == ["sent", "sent"]


async def test_a_reply_not_confirmed_is_finished_by_the_same_command_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    ctx = context(store, engine_for(store))
    sender_of(ctx.engine).settle_on = 2
    stdin(monkeypatch, "rebooted\n")
    with pytest.raises(ScriptError) as info:
        await cases_reply(ctx, reply_args(wait=0), io.StringIO())
    assert info.value.code == Exit.PENDING
    stdin(monkeypatch, "rebooted\n")
    assert await cases_reply(ctx, reply_args(), io.StringIO()) == Exit.OK
    assert [e.status for e in outbox(store)] == ["sent"]  # the same entry, not a second one


@pytest.mark.parametrize(
    ("given", "text", "code", "said"),
    [
        ({"message": "rebooted"}, "", Exit.USAGE, "give the message on stdin: cases reply ID -"),
        ({}, " \n\t\n", Exit.USAGE, "the message is empty (it is read from stdin)"),
        ({"id": "CS-9"}, "rebooted\n", Exit.NOT_FOUND, "no case CS-9"),
        ({"id": "CS-2"}, "rebooted\n", Exit.REJECTED, "case CS-2 is closed"),
    ],
)
async def test_a_reply_that_cannot_be_sent_queues_nothing(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    given: dict[str, Any],
    text: str,
    code: Exit,
    said: str,
) -> None:
    store.cases.upsert_cases([case_of("CS-1"), case_of("CS-2", "Closed")])
    stdin(monkeypatch, text)
    assert await failure(
        cases_reply(context(store, engine_for(store)), reply_args(**given), io.StringIO())
    ) == (code, said)
    assert outbox(store) == []


async def test_a_reply_with_a_credential_is_refused_before_anything_is_queued(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    stdin(monkeypatch, "client_secret=Zq81xTopSecretValue\n")
    with pytest.raises(ScriptError) as info:
        await cases_reply(context(store, engine_for(store)), reply_args(), io.StringIO())
    assert info.value.code == Exit.REJECTED and "line 1: " in info.value.message
    assert outbox(store) == []


START = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def new_args(**given: Any) -> argparse.Namespace:
    base = {"type": "Incident", "subject": "ServiceDown", "service": "SVC-1", "priority": "P1",
            "start": START, "message": "-", "wait": 120.0, "key": None}  # fmt: skip
    return args(**(base | given))


#: the wire body of new_args() with "down since 6\n", as the API documents it (camelCase; an
#: incident's end equal to its start: ongoing)
NEW_BODY = {
    "type": "Incident",
    "subject": "ServiceDown",
    "serviceId": "SVC-1",
    "message": "down since 6\n",
    "priority": "P1",
    "startOfIncident": "2026-11-25T05:00:00Z",
    "endOfIncident": "2026-11-25T05:00:00Z",
}


async def test_a_new_case_is_queued_under_its_content_and_prints_its_id(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = engine_for(store)
    sender_of(engine).result = "CS-77"
    stdin(monkeypatch, "down since 6\n")
    out = io.StringIO()
    assert await cases_new(context(store, engine), new_args(), out) == Exit.OK
    assert out.getvalue() == "CS-77\n"
    [entry] = outbox(store)
    assert entry.kind == "create" and entry.payload == NEW_BODY | {"sentBy": "cron@noc"}
    body = json.dumps(dict(sorted(NEW_BODY.items())))
    assert entry.draft_key == write_key(args(), "new", body)
    assert capsys.readouterr().err == f"expereo-tui: case CS-77 opened (outbox #{entry.id})\n"


async def test_a_new_case_confirmed_without_an_id_prints_none(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_for(store)
    sender_of(engine).result = None
    stdin(monkeypatch, "down since 6\n")
    out = io.StringIO()
    assert await cases_new(context(store, engine), new_args(), out) == Exit.OK
    assert out.getvalue() == ""


async def test_a_new_case_not_confirmed_prints_nothing_and_the_same_command_finishes_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(store, engine_for(store))
    sender_of(ctx.engine).settle_on = 2
    sender_of(ctx.engine).result = "CS-77"
    stdin(monkeypatch, "down since 6\n")
    out = io.StringIO()
    with pytest.raises(ScriptError) as info:
        await cases_new(ctx, new_args(wait=0), out)
    assert info.value.code == Exit.PENDING and out.getvalue() == ""
    stdin(monkeypatch, "down since 6\n")
    assert await cases_new(ctx, new_args(), out) == Exit.OK
    assert out.getvalue() == "CS-77\n" and len(outbox(store)) == 1
    stdin(monkeypatch, "down since 6\n")
    assert await cases_new(ctx, new_args(), out) == Exit.ALREADY_SENT
    assert out.getvalue() == "CS-77\nCS-77\n" and len(outbox(store)) == 1


@pytest.mark.parametrize(
    ("given", "text", "said"),
    [
        (
            {"priority": "P9"},
            "down\n",
            "priority: Value error, priority P9 is not allowed for "
            "Incident; allowed: P1, P2, P3, P4, P5",
        ),
        (
            {"start": None},
            "down\n",
            "start_of_incident: Value error, an Incident needs startOfIncident",
        ),
        (
            {},
            "password = hunter2!x\n",
            "not sent: the message looks like it contains credentials: line 1: ",
        ),
    ],
)
async def test_a_new_case_refused_before_queueing_exits_8(
    store: Store, monkeypatch: pytest.MonkeyPatch, given: dict[str, Any], text: str, said: str
) -> None:
    stdin(monkeypatch, text)
    with pytest.raises(ScriptError) as info:
        await cases_new(context(store, engine_for(store)), new_args(**given), io.StringIO())
    assert info.value.code == Exit.REJECTED and info.value.message.startswith(said)
    assert outbox(store) == []


@pytest.mark.parametrize(
    ("given", "text", "said"),
    [
        ({"message": "down"}, "", "give the message on stdin: cases new … -"),
        ({}, "\n", "the message is empty (it is read from stdin)"),
    ],
)
async def test_a_new_case_needs_its_message_on_stdin(
    store: Store, monkeypatch: pytest.MonkeyPatch, given: dict[str, Any], text: str, said: str
) -> None:
    stdin(monkeypatch, text)
    assert await failure(
        cases_new(context(store, engine_for(store)), new_args(**given), io.StringIO())
    ) == (Exit.USAGE, said)


async def test_a_reference_is_an_update_of_a_known_case(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    ctx = context(store, engine_for(store))
    given = args(id="CS-1", reference="CHG-4711", wait=120.0)
    assert await cases_reference(ctx, given) == Exit.OK
    [entry] = outbox(store)
    assert (entry.kind, entry.case_id) == ("update", "CS-1")
    assert entry.payload == {"customerReference": "CHG-4711"}
    assert capsys.readouterr().err == f"expereo-tui: update of CS-1 sent (outbox #{entry.id})\n"
    assert await failure(cases_reference(ctx, args(id="CS-9", reference="CHG-1", wait=120.0))) == (
        Exit.NOT_FOUND,
        "no case CS-9",
    )
    assert len(outbox(store)) == 1


# -- the read commands -----------------------------------------------------------------------

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def inbox(store: Store) -> None:
    """Four cases; CS-4 arrived last (unread) but changed first, and is P1: listed last all the
    same (newest change first, whatever the inbox's own order)."""
    store.inventory.upsert_services(
        [Service(service_id="SVC-1", service_name="DIA Lyon", account_id="ACC-1")]
    )
    store.cases.upsert_cases(
        [
            case_of(
                "CS-1",
                "New",
                priority="P1",
                service_id="SVC-1",
                subject="ServiceDown",
                created_date=T,
                last_modified_date=T + timedelta(minutes=3),
            ),
            case_of(
                "CS-2",
                "Resolved",
                priority="P3",
                service_id="SVC-2",
                subject="Other",
                last_modified_date=T + timedelta(minutes=2),
            ),
            case_of(
                "CS-3", "In Progress", priority="P2", last_modified_date=T + timedelta(minutes=1)
            ),
        ]
    )
    store.cases.upsert_cases(
        [case_of("CS-4", "Escalated", priority="P1", subject="RfoRequest", last_modified_date=T)]
    )
    assert store.cases.is_unread("CS-4")


ROWS = {
    "CS-1": "CS-1\tNew\tP1\tDIA Lyon\tServiceDown\n",  # the service's name where it is known
    "CS-2": "CS-2\tResolved\tP3\tSVC-2\tOther\n",
    "CS-3": "CS-3\tIn Progress\tP2\t\t\n",
    "CS-4": "CS-4\tEscalated\tP1\t\tRfoRequest\n",
}


def list_args(**given: Any) -> argparse.Namespace:
    base = {"status": None, "open": False, "priority": None, "service": None, "json": False,
            "csv": False}  # fmt: skip
    return args(**(base | given))


@pytest.mark.parametrize(
    ("given", "listed"),
    [
        ({}, ["CS-1", "CS-2", "CS-3", "CS-4"]),
        ({"status": ["New"]}, ["CS-1"]),
        ({"status": ["Resolved", "New"]}, ["CS-1", "CS-2"]),
        ({"open": True}, ["CS-1", "CS-3", "CS-4"]),  # a status the API added is open too
        ({"open": True, "status": ["New", "Resolved"]}, ["CS-1"]),  # both must hold
        ({"open": True, "status": ["Resolved"]}, []),
        ({"priority": ["P1"]}, ["CS-1", "CS-4"]),
        ({"priority": ["P1"], "status": ["Escalated"]}, ["CS-4"]),
        ({"service": "SVC-2"}, ["CS-2"]),
    ],
)
def test_the_list_is_one_line_a_case_newest_change_first(
    store: Store, given: dict[str, Any], listed: list[str]
) -> None:
    inbox(store)
    out = io.StringIO()
    assert cases_list(context(store), list_args(**given), out) == Exit.OK
    assert out.getvalue() == "".join(ROWS[i] for i in listed)


def test_the_open_cases_of_a_store_with_none_open_are_none(store: Store) -> None:
    store.cases.upsert_cases([case_of("CS-2", "Resolved"), case_of("CS-5", "Closed")])
    out = io.StringIO()
    assert cases_list(context(store), list_args(open=True), out) == Exit.OK
    assert out.getvalue() == ""
    assert cases_list(context(store), list_args(open=True, json=True), out) == Exit.OK
    assert out.getvalue() == "[]\n"


def test_the_list_as_json_and_as_csv(store: Store) -> None:
    inbox(store)
    out = io.StringIO()
    assert cases_list(context(store), list_args(json=True), out) == Exit.OK
    rows = json.loads(out.getvalue())
    assert [(r["id"], r["unread"]) for r in rows] == [
        ("CS-1", False), ("CS-2", False), ("CS-3", False), ("CS-4", True)
    ]  # fmt: skip
    out = io.StringIO()
    assert cases_list(context(store), list_args(csv=True, priority=["P1"]), out) == Exit.OK
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("id,subject,") and [line[:5] for line in lines[1:]] == [
        "CS-1,", "CS-4,"
    ]  # fmt: skip
    out = io.StringIO()
    assert cases_list(context(store), list_args(status=["Closed"], json=True), out) == Exit.OK
    assert out.getvalue() == "[]\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_csv_keeps_the_apis_text_in_a_pipe_and_loses_its_escapes_on_a_terminal(
    store: Store,
) -> None:
    store.cases.upsert_cases([case_of("CS-1", subject="down\x1b]52;c;aGk=\x07 now")])
    piped, shown = io.StringIO(), Terminal()
    cases_list(context(store), list_args(csv=True), piped)
    cases_list(context(store), list_args(csv=True), shown)
    assert "down\x1b]52;c;aGk=\x07 now" in piped.getvalue()
    assert "\x1b" not in shown.getvalue() and "\x07" not in shown.getvalue()
    assert "down" in shown.getvalue() and "now" in shown.getvalue()


class Fetches:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def __call__(self, case_id: str, *, announce: bool = True) -> tuple[list[str], int]:
        self.ids.append(case_id)
        return [], 0


def shown_case(store: Store) -> Context:
    store.cases.upsert_cases(
        [
            case_of(
                "CS-1",
                "New",
                subject="ServiceDown",
                priority="P1",
                created_date=T,
                last_modified_date=T + timedelta(minutes=3),
                service_id="SVC-1",
            )
        ]
    )
    store.cases.upsert_messages(
        "CS-1",
        [
            CaseMessage(
                id="M1",
                message="line one\nline\x1b[2J two",
                type="Customer",
                sent_by="cron@noc",
                timestamp=T,
            ),
            CaseMessage(
                id="M2", message="on it", type="Expereo", timestamp=T + timedelta(minutes=5)
            ),
        ],
    )
    engine = engine_for(store)
    engine.poller.fetch_thread = Fetches()  # type: ignore[method-assign]
    return context(store, engine)


async def test_show_prints_the_case_then_its_thread(store: Store) -> None:
    ctx = shown_case(store)
    out = io.StringIO()
    assert await cases_show(ctx, args(id="CS-1", offline=False, json=False), out) == Exit.OK
    assert out.getvalue() == (
        "id: CS-1\n"
        "subject: ServiceDown\n"
        "status: New\n"
        "priority: P1\n"
        "created_date: 2026-03-01T09:00:00+00:00\n"
        "last_modified_date: 2026-03-01T09:03:00+00:00\n"
        "service_id: SVC-1\n"
        "\n--- 2026-03-01T09:00:00+00:00 Customer cron@noc\n"
        "line one\n"
        "line two\n"
        "\n--- 2026-03-01T09:05:00+00:00 Expereo\n"
        "on it\n"
    )
    assert ctx.engine.poller.fetch_thread.ids == ["CS-1"]  # type: ignore[attr-defined]


async def test_show_offline_reads_only_the_store_and_json_is_exact(store: Store) -> None:
    ctx = shown_case(store)
    out = io.StringIO()
    assert await cases_show(ctx, args(id="CS-1", offline=True, json=True), out) == Exit.OK
    assert ctx.engine.poller.fetch_thread.ids == []  # type: ignore[attr-defined]
    assert out.getvalue().startswith('{\n  "id": "CS-1",\n') and out.getvalue().endswith("}\n")
    doc = json.loads(out.getvalue())
    assert (doc["id"], doc["status"], doc["end_of_incident"]) == ("CS-1", "New", None)
    assert [(m["id"], m["message"]) for m in doc["messages"]] == [
        ("M1", "line one\nline\x1b[2J two"), ("M2", "on it")
    ]  # fmt: skip


async def test_show_of_an_unknown_case_is_not_found(store: Store) -> None:
    ctx = shown_case(store)
    assert await failure(
        cases_show(ctx, args(id="CS-9", offline=False, json=False), io.StringIO())
    ) == (Exit.NOT_FOUND, "no case CS-9")
    assert ctx.engine.poller.fetch_thread.ids == []  # type: ignore[attr-defined]


def site(site_id: str, account_id: str, name: str | None) -> Site:
    return Site(site_id=site_id, account_id=account_id, name=name)


def service(service_id: str, name: str, site_id: str | None, **fields: Any) -> Service:
    return Service(service_id=service_id, service_name=name, site_id=site_id, **fields)


def inventory_of(store: Store) -> None:
    store.inventory.upsert_accounts([Account(account_id="ACC-1"), Account(account_id="ACC-2")])
    store.inventory.upsert_sites(
        [
            site("SITE-1", "ACC-1", "Lyon DC"),
            site("SITE-2", "ACC-1", None),
            site("SITE-3", "ACC-2", "Paris DC"),
        ]
    )
    store.inventory.upsert_services(
        [
            service(
                "SVC-1",
                "DIA Lyon",
                "SITE-1",
                status="RFS",
                service_type="DIA",
                planned_delivery_date=date(2026, 4, 1),
            ),
            service("SVC-2", "DIA Nice", "SITE-2"),  # its site has no name
            service("SVC-3", "Spare 4G", None),  # at no site
            service("SVC-4", "VPN Oslo", "SITE-9"),  # a site the store does not have
            service("SVC-5", "WAN Paris", "SITE-3"),  # another account's site
        ]
    )


def test_inventory_is_one_line_a_service_with_its_site(store: Store) -> None:
    inventory_of(store)
    out = io.StringIO()
    assert inventory(context(store), args(json=False), out) == Exit.OK
    assert out.getvalue() == (
        "SVC-1\tRFS\tDIA\tDIA Lyon\tLyon DC\n"
        "SVC-2\t\t\tDIA Nice\tSITE-2\n"
        "SVC-3\t\t\tSpare 4G\t\n"
        "SVC-4\t\t\tVPN Oslo\tSITE-9\n"
        "SVC-5\t\t\tWAN Paris\tParis DC\n"
    )


def test_inventory_as_json_holds_the_sites_and_the_services(store: Store) -> None:
    inventory_of(store)
    out = io.StringIO()
    assert inventory(context(store), args(json=True), out) == Exit.OK
    assert out.getvalue().startswith('{\n  "sites": [\n    {\n') and out.getvalue().endswith("}\n")
    doc = json.loads(out.getvalue())
    assert sorted(s["site_id"] for s in doc["sites"]) == ["SITE-1", "SITE-2", "SITE-3"]
    assert [s["service_id"] for s in doc["services"]] == [f"SVC-{i}" for i in range(1, 6)]
    assert doc["services"][0]["status"] == "RFS"
    assert doc["services"][0]["planned_delivery_date"] == "2026-04-01"  # dates as ISO text


@pytest.mark.parametrize(("given", "printed"), [({"json": True}, "[]\n"), ({"csv": True}, "")])
def test_open_and_only_done_statuses_is_an_empty_list_in_its_format(
    store: Store, given: dict[str, Any], printed: str
) -> None:
    """--open --status Resolved lists no case: as JSON, an empty array, as any other empty
    list (a script parsing it must not meet an empty output)."""
    inbox(store)
    out = io.StringIO()
    ran = cases_list(context(store), list_args(open=True, status=["Resolved"], **given), out)
    assert ran == Exit.OK and out.getvalue() == printed


# -- one command from its arguments to its exit ----------------------------------------------


class Closing:
    """Counts what a command's end closes: the engine stopped, the store closed (the test's
    fixture closes it in the end)."""

    def __init__(self, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stopped = 0
        self.closed = 0
        stop = ctx.engine.stop

        async def stopping() -> None:
            self.stopped += 1
            await stop()

        def closing() -> None:
            self.closed += 1

        monkeypatch.setattr(ctx.engine, "stop", stopping)
        monkeypatch.setattr(ctx.store, "close", closing)


def command(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Context], Closing]:
    """``_run`` and ``run`` open ``ctx``; the syncs they run are counted, not made."""
    synced: list[Context] = []

    async def counted(c: Context) -> None:
        synced.append(c)

    def opening(given: argparse.Namespace) -> Context:
        assert isinstance(given, argparse.Namespace) and hasattr(given, "command")
        return ctx

    monkeypatch.setattr(scripting, "open_context", opening)
    monkeypatch.setattr(scripting, "sync", counted)
    return synced, Closing(ctx, monkeypatch)


def client_of(ctx: Context) -> FakeClient:
    assert isinstance(ctx.engine.client, FakeClient)
    return ctx.engine.client


@pytest.mark.parametrize(
    ("given", "printed"),
    [
        ({"command": "inventory", "json": False}, "SVC-1\t\t\tDIA Lyon\t\n"),
        ({"command": "cases", "action": "list"} | vars(list_args()), ROWS["CS-1"]),
        ({"command": "cases", "action": "show", "id": "CS-1", "json": False}, "id: CS-1\n"),
    ],
)
@pytest.mark.parametrize("offline", [True, False])
async def test_a_read_command_syncs_unless_offline_answers_and_closes_everything(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    given: dict[str, Any],
    printed: str,
    offline: bool,
) -> None:
    inbox(store)
    ctx = context(store, engine_for(store))
    ctx.engine.poller.fetch_thread = Fetches()  # type: ignore[method-assign]
    synced, closing = command(ctx, monkeypatch)
    out = io.StringIO()
    assert await _run(args(**given, offline=offline), out) == Exit.OK
    assert out.getvalue().startswith(printed)
    assert synced == ([] if offline else [ctx])
    assert (closing.stopped, client_of(ctx).closed, closing.closed) == (1, 1, 1)


async def test_a_write_command_runs_and_read_only_refuses_it_exit_9(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    for action, given, kind in [
        ("reply", reply_args(), "reply"),
        ("new", new_args(), "create"),
        ("reference", args(id="CS-1", reference="CHG-1", wait=120.0), "update"),
    ]:
        ctx = context(store, engine_for(store))
        command(ctx, monkeypatch)
        stdin(monkeypatch, "down since 6\n")
        run_args = args(**vars(given), command="cases", action=action, offline=True)
        assert await _run(run_args, io.StringIO()) == Exit.OK
        assert outbox(store)[-1].kind == kind
        ctx = context(store, engine_for(store, read_only=True))
        _, closing = command(ctx, monkeypatch)
        stdin(monkeypatch, "down since 7\n")
        assert await failure(_run(args(**vars(run_args) | {"again": True}), io.StringIO())) == (
            Exit.READ_ONLY,
            "read-only: nothing can be sent",
        )
        assert (closing.stopped, closing.closed) == (1, 1)
    assert len(outbox(store)) == 3


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"command": "cases", "action": "frob"}, "unknown command cases frob"),
        ({"command": "cases"}, "unknown command cases"),
    ],
)
async def test_an_unknown_command_is_a_usage_error_and_still_closes_everything(
    store: Store, monkeypatch: pytest.MonkeyPatch, given: dict[str, Any], said: str
) -> None:
    ctx = context(store, engine_for(store))
    synced, closing = command(ctx, monkeypatch)
    assert await failure(_run(args(**given, offline=False), io.StringIO())) == (Exit.USAGE, said)
    assert synced == [ctx]
    assert (closing.stopped, client_of(ctx).closed, closing.closed) == (1, 1, 1)


def test_run_returns_the_exit_code_and_prints_to_stdout_by_default(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox(store)
    command(context(store, engine_for(store)), monkeypatch)
    code = run(args(command="cases", action="list", offline=True, **vars(list_args())))
    assert code == 0 and type(code) is int
    assert capsys.readouterr() == ("".join(ROWS.values()), "")


def test_run_says_a_failure_in_one_line_and_exits_with_its_code(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command(context(store, engine_for(store)), monkeypatch)
    out = io.StringIO()
    code = run(args(command="cases", action="show", id="CS-9\x1b[2J", offline=True), out)
    assert code == 4 and type(code) is int and out.getvalue() == ""
    assert capsys.readouterr() == ("", "expereo-tui: no case CS-9\n")


class Runtime:
    """A team's runtime: its store reached at once, or never (then ``problem`` says why)."""

    def __init__(self, online: bool, problem: str | None = None) -> None:
        self.online = online
        self.problem = problem

    async def wait_online(self) -> None:
        if not self.online:
            await asyncio.Event().wait()


@pytest.mark.parametrize("runtime", [Runtime(online=True), None])
async def test_in_a_team_a_script_follows_the_team_and_never_polls(
    store: Store, runtime: Runtime | None
) -> None:
    engine = FakeEngine(SyncState(SyncStatus.OFFLINE))
    engine.team = FakeTeam(runtime)  # type: ignore[assignment]
    await sync(context(store, engine))
    assert engine.polls == 0
    assert (engine.team.started, engine.team.followed) == ([False], 1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        ("team store: connection refused", "team store: connection refused"),
        (None, "the team store is not reachable"),
    ],
)
async def test_a_team_store_out_of_reach_exits_6(
    store: Store, monkeypatch: pytest.MonkeyPatch, problem: str | None, said: str
) -> None:
    monkeypatch.setattr(scripting, "TEAM_WAIT", 0.01)
    team = FakeTeam(Runtime(online=False, problem=problem))
    engine = FakeEngine(SyncState(SyncStatus.FRESH))
    engine.team = team  # type: ignore[assignment]
    assert await failure(sync(context(store, engine))) == (
        Exit.OFFLINE,
        f"{said}; use --offline to read the store",
    )
    assert team.followed == 0 and engine.polls == 0


# -- opening a profile ---------------------------------------------------------------------

SECRET = "Zq81xTopSecretValue"


def profile(monkeypatch: pytest.MonkeyPatch, extra: str = "", secret: str | None = SECRET) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[profiles.lab]\nbase_url = "http://127.0.0.1:9"\n'
        'token_url = "http://127.0.0.1:9/oauth2/token"\nclient_id = "cid"\n'
        f'sent_by = "cron@noc"\ninventory_interval = 600\n{extra}',
        encoding="utf-8",
    )
    if secret is not None:
        monkeypatch.setenv("EXPEREO_CLIENT_SECRET", secret)


async def opened(given: argparse.Namespace) -> Context:
    ctx = scripting.open_context(given)
    await ctx.engine.client.aclose()
    ctx.store.close()
    return ctx


def open_args(**given: Any) -> argparse.Namespace:
    base = {"profile": "lab", "command": "cases", "action": "reply", "offline": False}
    return args(**(base | given))


async def test_a_profile_opens_its_store_its_client_and_its_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile(monkeypatch)
    ctx = await opened(open_args())
    assert ctx.name == "lab" and ctx.store.path == store_path("lab")
    settings = ctx.engine.settings
    assert (settings.read_only, settings.inventory_interval, settings.sent_by) == (
        False,
        600.0,
        "cron@noc",
    )
    assert type(ctx.engine.client).__name__ == "V2Client"
    assert ctx.engine.team is None
    assert ctx.engine._lock is not None and ctx.engine._lock.path == data_dir() / "lab.lock"
    assert ctx.is_client_secret is not None and ctx.is_client_secret(SECRET)
    assert not ctx.is_client_secret("Zq81x")


@pytest.mark.parametrize(
    ("extra", "given", "read_only"),
    [("", {"read_only": True}, True), ("read_only = true\n", {}, True), ("", {}, False)],
)
async def test_read_only_comes_from_the_command_or_the_profile(
    monkeypatch: pytest.MonkeyPatch, extra: str, given: dict[str, Any], read_only: bool
) -> None:
    profile(monkeypatch, extra)
    ctx = await opened(open_args(**given))
    assert ctx.engine.settings.read_only is read_only


async def test_a_v1_profile_gets_the_v1_client(monkeypatch: pytest.MonkeyPatch) -> None:
    profile(monkeypatch, 'api = "v1"\n')
    assert type((await opened(open_args())).engine.client).__name__ == "V1Client"


@pytest.mark.parametrize(
    "given",
    [
        {"action": "list", "offline": True},
        {"action": "show", "offline": True},
        {"command": "inventory", "action": None, "offline": True},
    ],
)
async def test_offline_reads_need_no_secret(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, Any]
) -> None:
    profile(monkeypatch, secret=None)
    ctx = await opened(open_args(**given))
    assert ctx.is_client_secret is None


@pytest.mark.parametrize(
    "given",
    [
        {"action": "list", "offline": False},  # a sync needs the secret
        {"action": "reply", "offline": True},  # so does a write, sent later
        {"command": "inventory", "action": None, "offline": False},
    ],
)
async def test_anything_else_needs_the_secret(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, Any]
) -> None:
    profile(monkeypatch, secret=None)
    with pytest.raises(ConfigError):
        await opened(open_args(**given))


def test_the_profiles_own_secret_is_a_credential_wherever_it_stands(store: Store) -> None:
    ctx = Context("lab", store, None, secret_matcher("Zq81xTopSecretValue"))  # type: ignore[arg-type]
    with pytest.raises(ScriptError) as info:
        check_credentials(ctx, args(), "we tried Zq81xTopSecretValue on the CPE\n")
    assert "line 1: this profile's API client secret: " in info.value.message
    check_credentials(context(store), args(), "we tried Zq81xTopSecretValue on the CPE\n")


def test_a_key_is_a_digest_of_its_parts_as_earlier_versions_made_it() -> None:
    """A pending entry queued by an earlier version is found by the same command after an
    upgrade: ``cli:`` and the first 32 hex digits of the SHA-256 of the parts joined by NUL
    (``--key K``: of ``key`` and K)."""
    digest = hashlib.sha256(b"reply\x00CS-1\x00rebooted\n").hexdigest()[:32]
    assert write_key(args(), "reply", "CS-1", "rebooted\n") == f"cli:{digest}"
    digest = hashlib.sha256(b"key\x00ticket-4711").hexdigest()[:32]
    assert write_key(args(key="ticket-4711"), "reply", "CS-1", "x") == f"cli:{digest}"


async def test_yes_sends_a_reply_and_a_new_case_that_look_like_credentials(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    ctx = context(store, engine_for(store))
    stdin(monkeypatch, "password = hunter2!x\n")
    assert await cases_reply(ctx, reply_args(yes=True), io.StringIO()) == Exit.OK
    sender_of(ctx.engine).settle_on = 2
    stdin(monkeypatch, "password = hunter2!x\n")
    assert await cases_new(ctx, new_args(yes=True), io.StringIO()) == Exit.OK
    assert [e.kind for e in outbox(store)] == ["reply", "create"]


async def test_a_new_case_with_a_key_is_known_by_it_and_again_sends_it_once_more(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(store, engine_for(store))
    stdin(monkeypatch, "down since 6\n")
    assert await cases_new(ctx, new_args(key="ticket-4711"), io.StringIO()) == Exit.OK
    [entry] = outbox(store)
    assert entry.draft_key == write_key(args(key="ticket-4711"), "other", "parts")
    sender_of(ctx.engine).settle_on = 2
    stdin(monkeypatch, "down since 6\n")
    assert await cases_new(ctx, new_args(key="ticket-4711", again=True), io.StringIO()) == Exit.OK
    assert len(outbox(store)) == 2


def test_a_list_longer_than_a_page_lists_every_case(store: Store) -> None:
    store.cases.upsert_cases([case_of(f"CS-{i:03}", last_modified_date=T) for i in range(60)])
    out = io.StringIO()
    cases_list(context(store), list_args(), out)
    assert len(out.getvalue().splitlines()) == 60


async def test_the_same_reply_run_again_says_its_id_on_stdout(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.cases.upsert_cases([case_of("CS-1")])
    command(context(store, engine_for(store)), monkeypatch)
    given = args(**vars(reply_args()), command="cases", action="reply", offline=True)
    for _ in range(2):
        stdin(monkeypatch, "rebooted\n")
        out = io.StringIO()
        code = await _run(given, out)
    assert (code, out.getvalue()) == (Exit.ALREADY_SENT, "M-1\n")


async def test_a_team_without_a_runtime_is_followed(store: Store) -> None:
    team = FakeTeam()
    del team.runtime
    engine = FakeEngine(SyncState(SyncStatus.OFFLINE))
    engine.team = team  # type: ignore[assignment]
    await sync(context(store, engine))
    assert team.followed == 1


async def test_a_profile_is_the_one_named_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    profile(monkeypatch, '[profiles.other]\nbase_url = "http://127.0.0.1:9"\n'
            'token_url = "http://127.0.0.1:9/oauth2/token"\nclient_id = "cid2"\n')  # fmt: skip
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET_OTHER", "Other7SecretValue")
    assert (await opened(open_args(profile="other"))).name == "other"
    given = open_args()
    del given.profile  # the command line had no --profile: the config's first
    assert (await opened(given)).name == "lab"


async def test_offline_inventory_needs_no_secret_and_no_action(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile(monkeypatch, secret=None)
    given = open_args(command="inventory", offline=True)
    del given.action  # inventory has none
    assert (await opened(given)).is_client_secret is None


async def test_the_client_gets_the_profiles_secret_and_events_go_nowhere(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    profile(monkeypatch)
    ctx = await opened(open_args())
    assert ctx.engine.client.settings.client_secret == SECRET  # type: ignore[attr-defined]
    ctx.engine._emit(InventoryChanged())  # a script ignores the engine's events
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(("offline", "read_only"), [(False, False), (False, True), (True, False)])
async def test_a_team_profile_follows_its_team_unless_offline(
    monkeypatch: pytest.MonkeyPatch, offline: bool, read_only: bool
) -> None:
    built: list[tuple[Any, Any]] = []
    asked: list[tuple[str, bool]] = []
    team = FakeTeam()

    def factory(name: str, prof: Any, ro: bool) -> Any:
        asked.append((name, ro))

        def build(store: Store, on_event: Any) -> FakeTeam:
            built.append((store, on_event))
            return team

        return build

    monkeypatch.setattr(team_setup, "team_factory", factory)
    profile(monkeypatch)
    ctx = await opened(open_args(offline=offline, read_only=read_only))
    if offline:  # the local store alone: no team
        assert (asked, built, ctx.engine.team) == ([], [], None)
        return
    assert asked == [("lab", read_only)]
    [(store, on_event)] = built
    assert store is ctx.store and ctx.engine.team is team
    assert on_event(InventoryChanged()) is None  # the team's events are ignored too
