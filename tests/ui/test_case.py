"""The case view: thread, compose, drafts, sending through the outbox, quitting with a draft."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from textual import events
from textual.widgets import TextArea

from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.case.thread_view import EARLIER, FIRST, MessageView
from expereo_tui.ui.screens.dialogs import ConfirmScreen
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import engine_of, screen_text, until


def _open_case(sim: Simulator) -> str:
    return next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")


async def test_thread_shows_every_message_oldest_first(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    from rich.text import Text

    from expereo_tui.ui.safe_text import safe

    case_id = max(sim.data.messages, key=lambda c: len(sim.data.messages[c]))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_open_case(case_id)
        await until(pilot, lambda: bool(app.screen.query(MessageView)))
        views = list(app.screen.query(MessageView))
        assert len(views) == len(sim.data.messages[case_id])
        oldest_first = sorted(sim.data.messages[case_id], key=lambda m: m["timestamp"])
        assert oldest_first != oldest_first[::-1]  # the order is something to check
        shown = [v.content for v in views]
        assert all(isinstance(t, Text) for t in shown)
        # each view, top to bottom, is the next message in time: its label and its text
        assert [t.plain.split("\n", 1)[1] for t in shown] == [  # type: ignore[union-attr]
            safe(m["message"]) for m in oldest_first
        ]
        assert [v.has_class("provider") for v in views] == [
            m["type"] == "Expereo" for m in oldest_first
        ]
        assert [t.plain.startswith("◀ Expereo") for t in shown] == [  # type: ignore[union-attr]
            m["type"] == "Expereo" for m in oldest_first
        ]


async def test_quick_triage_reply_in_three_keys(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    """From launch: u (next unread), r (reply), type, ctrl+s (send) — 3 key presses."""
    target = _open_case(sim)
    store.mark_unread(target)
    store.meta.set_meta("cases_first_sync_done", "1")
    app = make_app(online=True)
    reply = "Rebooted the CPE, still down"
    received: list[events.Key] = []  # every key event the app was given, once each

    def hook(message: object) -> None:
        if isinstance(message, events.Key) and not any(k is message for k in received):
            received.append(message)

    async with app.run_test(size=(120, 30), message_hook=hook) as pilot:
        await pilot.press("u", "r")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await pilot.press(*reply)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: sim.data.messages[target][-1]["message"] == reply)
        await until(pilot, lambda: "sent" in screen_text(app))
        typed = [k for k in received if k.character and k.character.isprintable()]
        commands = [k.key for k in received if k not in typed]
        assert "".join(k.character or "" for k in typed) == "ur" + reply
        assert commands == ["ctrl+s"]  # u, r, the text, ctrl+s: three keys besides the text
        assert store.drafts.load_draft(f"reply:{target}") is None
        assert store.cases.thread(target)[-1].message == "Rebooted the CPE, still down"


def _typed(text: str) -> str:
    """What ``text`` reads as once typed: a backspace (``\b``) takes the character before it."""
    out: list[str] = []
    for char in text:
        if char == "\b":
            out = out[:-1]
        else:
            out.append(char)
    return "".join(out)


def _key_of(char: str) -> events.Key:
    names = {" ": "space", "\b": "backspace"}
    return events.Key(names.get(char, char), "\x7f" if char == "\b" else char)


@pytest.mark.parametrize(
    "burst",
    ["rthanks, on it now", "uron it now", "rrestart the router", "urrouter reboot", "rhelo\blo"],
    ids=["r", "u-r", "r-with-r", "u-r-with-r", "r-with-backspace"],
)
async def test_a_reply_typed_in_one_burst_with_r_is_kept_whole(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, burst: str
) -> None:
    """The keys of "r" + reply (or "u", "r" + reply) arrive together, before the case screen
    is up: every character lands in the reply box, none runs an action ("n" is New case, "o"
    the portal)."""
    target = _open_case(sim)
    store.mark_unread(target)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.screen.query("CaseTable"))
        for char in burst:
            app.post_message(_key_of(char))
        expected = _typed(burst[1:] if burst[0] == "r" else burst[2:])
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        area = app.screen.query_one("#reply", TextArea)
        await until(pilot, lambda: area.text == expected)
        assert [type(s).__name__ for s in app.screen_stack] == ["InboxScreen", "CaseScreen"]
        await pilot.press("!")  # typing goes on where the burst ended
        assert area.text == expected + "!"


@pytest.mark.parametrize(
    "text",
    [
        "typed, never saved",
        "thanks, on it now, rebooting the CPE",
        "helo\blo from the burst",  # at 80×24 in tmux this was sent as "helolo from th burst"
        "on it\b\b\b\b\bchecking\b\b\b\b\b\b\b\bChecking",
    ],
)
async def test_r_and_a_reply_in_one_burst_on_the_case_screen_keep_their_order(
    make_app: Callable[..., ExpereoApp], sim: Simulator, text: str
) -> None:
    """On the case screen, "r" and the reply typed at once (a laggy SSH link delivers them
    together): every key lands in the box, in order.  (Keys that arrive while the box's focus is
    being set can still change places with later ones: the hang-up test's pane once read
    " savedtyped, never".  That interleaving depends on the driver's timing and is not
    reproduced here; this holds the order of a whole burst.)"""
    target = _open_case(sim)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(CaseScreen(target))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        for char in "r" + text:
            app.post_message(_key_of(char))
        area = app.screen.query_one("#reply", TextArea)
        await until(pilot, lambda: len(area.text) >= len(_typed(text)))
        await pilot.pause()
        assert area.text == _typed(text)


async def test_r_and_u_are_text_in_the_inbox_search(make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", "u", "r")
        assert app.screen.query_one("#search").value == "ur"  # type: ignore[attr-defined]
        assert not isinstance(app.screen, CaseScreen)


async def test_empty_reply_is_refused_with_a_message(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(_open_case(sim), reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await pilot.press("space", "ctrl+s")
        await until(pilot, lambda: "Nothing to send" in screen_text(app))
        assert store.outbox.outbox() == []


async def test_draft_survives_leaving_and_restart(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    case_id = _open_case(sim)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await pilot.press(*"half-written reply")
        await pilot.press("escape", "escape")  # leave the box, leave the case: draft flushed
        assert store.drafts.load_draft(f"reply:{case_id}") == {"text": "half-written reply"}
    again = make_app(store_=Store(store.path))
    async with again.run_test(size=(120, 30)) as pilot:
        again.action_open_case(case_id)
        await until(pilot, lambda: bool(again.screen.query(TextArea)))
        assert again.screen.query_one(TextArea).text == "half-written reply"


async def test_quit_with_a_draft_asks_first(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    store.drafts.save_draft("reply:CS-1", {"text": "unsent"})
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("q", "y")
        await until(pilot, lambda: not app.is_running)
    assert store.drafts.load_draft("reply:CS-1") == {"text": "unsent"}


@pytest.mark.reliability(
    fault="the server refuses a reply (the case is gone there)",
    sees="'failed' and the server's reason under the reply box",
    data="the text comes back to the reply box",
    shows="failed",
)
async def test_rejected_reply_comes_back_to_the_box(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, reliability: Reliability
) -> None:
    case_id = _open_case(sim)
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        del sim.data.cases[case_id]  # the server no longer has it: the reply is refused (404)
        await pilot.press(*"too late", "ctrl+s")
        await until(pilot, lambda: "failed" in screen_text(app))
        assert "does not exist" in screen_text(app)
        reliability.check(screen_text(app))
        assert app.screen.query_one(TextArea).text == "too late"


async def test_read_only_has_no_compose(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(read_only=True, read_only_reason="--read-only")
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(_open_case(sim))
        await until(pilot, lambda: "Read-only: --read-only" in screen_text(app))
        assert not app.screen.query(TextArea)
        await pilot.press("n")
        assert isinstance(app.screen, CaseScreen)  # new case refused, with a note


@pytest.mark.reliability(
    fault="API outage (every request answers 503)",
    sees="OFFLINE, retry in Ns on the status bar; 'updated just now' once it is back",
    data="the local data stays readable; sync resumes by itself",
    shows="OFFLINE, retry in",
)
async def test_status_bar_tells_offline_and_recovers(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, reliability: Reliability
) -> None:
    sim.faults.outage = True
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: "OFFLINE" in screen_text(app))
        reliability.check(screen_text(app))
        sim.faults.outage = False
        app.engine.refresh_now()  # type: ignore[union-attr]
        await until(pilot, lambda: "updated just now" in screen_text(app))


async def test_unread_count_in_title(make_app: Callable[..., ExpereoApp], store: Store) -> None:
    rows = store.cases.query_cases(CaseQuery(priorities=frozenset({"P1"})), limit=2)
    for row in rows:
        store.mark_unread(row.id)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.title == "[2 P1 · 2 new] expereo")


async def test_long_thread_shows_the_newest_and_loads_earlier(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    from datetime import UTC, datetime, timedelta

    from expereo_tui.api.models import CaseMessage

    case_id = _open_case(sim)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    store.cases.upsert_messages(
        case_id,
        [
            CaseMessage(
                id=f"BULK-{i:05d}",
                case_id=case_id,
                message=f"update number {i}",
                type="Expereo",
                timestamp=base + timedelta(minutes=i),
            )
            for i in range(1500)
        ],
        whole_thread=True,
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_open_case(case_id)
        await until(pilot, lambda: bool(app.screen.query(MessageView)))
        assert len(app.screen.query(MessageView)) == FIRST
        total = store.cases.message_count(case_id)
        earlier = app.screen.query_one(".earlier")
        assert f"{total - FIRST} earlier messages" in str(earlier.render())
        app.screen.query_one("ThreadView").focus()
        await pilot.press("L")
        await until(pilot, lambda: len(app.screen.query(MessageView)) == FIRST + EARLIER)


async def test_read_only_refuses_every_write(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    """No key and no command can write: reply, new case, update; the engine refuses too."""
    app = make_app(online=True, read_only=True, read_only_reason="the profile is read-only")
    case_id = _open_case(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n")  # new case from the inbox
        assert not app.screen.query("#message")
        app.action_open_case(case_id)
        await until(pilot, lambda: "Read-only" in screen_text(app))
        await pilot.press("r", "e", "n")
        assert isinstance(app.screen, CaseScreen) and not app.screen.query(TextArea)
        app.action_new_case(None)  # the command palette calls the same actions
        app.action_update_case(case_id)
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        engine = await engine_of(pilot, app)
        assert engine is not None
        import pytest

        from expereo_tui.sync.engine import ReadOnlyError

        with pytest.raises(ReadOnlyError):
            engine.send_reply(case_id, "sneaky")
    assert store.outbox.outbox(statuses=("queued", "sending", "sent", "failed")) == []


async def test_without_the_write_scope_compose_is_hidden_with_one_line_why(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    """A profile with only support.read: the options the CLI builds hide every write."""
    import argparse

    from expereo_tui.cli.launch import options_for
    from expereo_tui.config import Profile

    profile = Profile(client_id="c", scopes=["customerapi/basic.read", "customerapi/support.read"])
    built = options_for("lab", profile, argparse.Namespace(read_only=False, wall=False))
    assert built.read_only
    app = make_app(read_only=True, read_only_reason=built.read_only_reason)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(_open_case(sim))
        line = "Read-only: the profile's scopes lack customerapi/support.read-write"
        await until(pilot, lambda: line in screen_text(app))
        assert not app.screen.query(TextArea)


# -- exactly once, from the keyboard (issue #10) ---------------------------------------------


async def test_double_tap_sends_one_reply_and_says_already_sending(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    case_id = _open_case(sim)
    before = len(sim.data.messages[case_id])
    sim.write_gate = gate = threading.Event()  # the first send stays in flight meanwhile
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        try:
            # the whole burst at once, as a laggy SSH link delivers it
            await pilot.press(*"on site in 20 min", "ctrl+s", "ctrl+s")
            await until(pilot, lambda: "already sending" in screen_text(app))
        finally:
            gate.set()
        await until(pilot, lambda: "sent" in screen_text(app) and not store.outbox.outbox())
        assert [m["message"] for m in sim.data.messages[case_id][before:]] == ["on site in 20 min"]
        assert len(store.outbox.outbox(statuses=("queued", "sending", "sent", "failed"))) == 1
        assert store.drafts.load_draft(f"reply:{case_id}") is None  # the sent text is not a draft


async def test_reply_to_a_closed_case_is_refused_and_offers_a_prefilled_new_case(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    from expereo_tui.ui.forms.new_case import NewCaseScreen

    case_id = _open_case(sim)
    case = store.cases.case(case_id)
    assert case is not None
    store.cases.upsert_cases([case.model_copy(update={"status": "Closed"})])
    sim.data.cases[case_id]["status"] = "Closed"
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        writes = sum(1 for r in sim.request_records if r.method != "GET")
        await pilot.press(*"still broken", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "is closed" in screen_text(app)
        assert sum(1 for r in sim.request_records if r.method != "GET") == writes
        assert store.outbox.outbox() == []
        assert store.drafts.load_draft(f"reply:{case_id}") == {"text": "still broken"}
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, NewCaseScreen))
        message = app.screen.query_one("#message", TextArea).text
        assert case_id in message and "still broken" in message
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.query_one("#reply", TextArea).text == "still broken"


async def test_read_only_shows_queued_replies_as_waiting_and_sends_none(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    case_id = _open_case(sim)
    entry = store.enqueue("reply", {"message": "queued earlier"}, case_id=case_id)
    app = make_app(online=True, read_only=True, read_only_reason="--read-only")
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id)
        await until(pilot, lambda: "waiting for a writable instance" in screen_text(app))
        assert f"reply #{entry.id}: queued · waiting for a writable instance" in screen_text(app)
        assert app.engine is not None
        await app.engine.sender.send_due()
        await until(pilot, lambda: app.engine is not None and app.engine.polls >= 1)
    assert not any(r.method == "POST" and "case-messages" in r.path for r in sim.request_records)
    assert store.outbox.outbox_entry(entry.id).status == "queued"  # type: ignore[union-attr]


async def test_thread_shows_who_sent_each_reply(
    sim: Simulator, store: Store, sim_clock: object
) -> None:
    from expereo_tui.ui.options import AppOptions

    from .conftest import engine_factory

    case_id = _open_case(sim)
    app = ExpereoApp(
        store=store,
        engine_factory=engine_factory(sim, store, sim_clock, sent_by="anna@jump-1"),  # type: ignore[arg-type]
        options=AppOptions(clock=sim_clock, bell=False, desktop_notifications=False),  # type: ignore[arg-type]
    )
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await pilot.press(*"swapped the CPE", "ctrl+s")
        await until(pilot, lambda: "swapped the CPE" in str(sim.data.messages[case_id][-1]))
        assert sim.data.messages[case_id][-1]["sentBy"] == "anna@jump-1"
        await until(pilot, lambda: "anna@jump-1" in screen_text(app))


async def test_a_reply_that_needs_a_decision_is_shown_with_its_choices_and_discard_keeps_text(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    """The outbox could not learn whether a reply arrived: the case says so with the reply's
    error and the two choices; D discards it and its text comes back into the reply box."""
    case_id = _open_case(sim)
    entry = store.enqueue(
        "reply", {"message": "did this arrive?"}, case_id=case_id, draft_key=f"reply:{case_id}"
    )
    store.outbox.outbox_needs_decision(entry.id, error="the thread cannot be read")
    app = make_app(online=True)
    async with app.run_test(size=(160, 30)) as pilot:
        app.action_open_case(case_id)
        await until(pilot, lambda: "needs your decision" in screen_text(app))
        assert "S send again · D discard" in screen_text(app)
        assert "need your decision" in screen_text(app)  # the status bar counts it
        app.screen.query_one("ThreadView").focus()
        await pilot.press("D")
        await until(pilot, lambda: store.outbox.outbox_entry(entry.id).status == "failed")  # type: ignore[union-attr]
        await until(
            pilot, lambda: app.screen.query_one("#reply", TextArea).text == "did this arrive?"
        )
    assert not any(r.method == "POST" and "case-messages" in r.path for r in sim.request_records)


async def test_the_ages_on_an_open_case_tick_without_a_key(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """Relative times in an open case ("just now", "2m ago", "since start") read the time that
    passes while it is open (issue 32 item 12): the header and the thread, with no key."""
    target = _open_case(sim)
    last = store.cases.thread(target)[-1]
    assert last.timestamp is not None
    sim_clock.now = last.timestamp.timestamp() + 2  # its newest message: "just now"
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.action_open_case(target)
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await until(pilot, lambda: "(just now)" in screen_text(app))
        sim_clock.advance(125)  # two minutes pass; nobody presses anything
        # the newest message said "just now" until 5 s: it reads again then, and says its age
        await until(pilot, lambda: "(2m ago)" in screen_text(app), seconds=10)
        assert "(just now)" not in screen_text(app)
