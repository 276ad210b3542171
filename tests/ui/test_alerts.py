"""Alerts: toast naming the case, bell, desktop notification via the terminal, title; bursts
become one summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.events import CaseChange, CasesChanged
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.shift.alerts import osc_notification

from .conftest import until


def toasts(app: ExpereoApp) -> list[str]:
    return [n.message for n in app._notifications]


def subject(sim: Simulator, case_id: str) -> str:
    from expereo_tui.triage.labels import subject_label

    return subject_label(sim.data.cases[case_id]["subject"])


def _ids(sim: Simulator, n: int) -> list[str]:
    return list(sim.data.cases)[:n]


async def test_one_change_is_one_toast_naming_the_case(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(bell=True)
    app.options.desktop_notifications = True
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    [case_id] = _ids(sim, 1)
    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver_sync_event(
            CasesChanged(
                (CaseChange(case_id, is_new=False, new_provider_messages=1, new_priority="P2"),)
            )
        )
        await until(
            pilot,
            lambda: toasts(app) == [f"Expereo replied on {case_id} (P2 {subject(sim, case_id)})"],
        )
        assert bells == [1]
        assert len(app.alerter.sent) == 1 and case_id in app.alerter.sent[0]


async def test_a_burst_becomes_one_summary(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(bell=True)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    changes = tuple(CaseChange(c, is_new=True, new_priority="P3") for c in _ids(sim, 12))
    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver_sync_event(CasesChanged(changes))
        await until(pilot, lambda: bool(toasts(app)))
        assert toasts(app) == ["12 cases changed: 12 new"]
        assert bells == [1]  # one toast and one bell, not twelve


async def test_priority_filter_decides_what_alerts(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(bell=True, alert_priorities=frozenset({"P1"}))
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    a, b = _ids(sim, 2)
    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver_sync_event(CasesChanged((CaseChange(a, is_new=True, new_priority="P4"),)))
        await pilot.pause()
        assert bells == []
        app.deliver_sync_event(CasesChanged((CaseChange(b, is_new=True, new_priority="P1"),)))
        await until(pilot, lambda: bells == [1])


async def test_own_messages_and_quiet_changes_do_not_alert(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    app = make_app(bell=True)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    [case_id] = _ids(sim, 1)
    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver_sync_event(
            CasesChanged(
                (
                    CaseChange(
                        case_id,
                        is_new=False,
                        old_status="New",
                        new_status="New",
                        new_messages=1,
                        new_provider_messages=0,
                    ),
                )
            )
        )
        await pilot.pause()
        assert bells == []


def test_osc_notification_is_wrapped_for_multiplexers() -> None:
    plain = osc_notification("expereo", "New P1 case CS-1")
    assert plain == "\x1b]9;expereo: New P1 case CS-1\x1b\\"
    tmux = osc_notification("expereo", "x", tmux=True)
    assert tmux.startswith("\x1bPtmux;\x1b\x1b]9;") and tmux.endswith("\x1b\\")
    assert osc_notification("t", "x", screen=True).startswith("\x1bP\x1b]9;")
    assert osc_notification("t", "x", term="xterm-kitty").startswith("\x1b]777;notify;")
    hostile = osc_notification("t", "evil\x1b]0;title\x07\x1b[2J")
    assert hostile.count("\x1b") == 2  # only our own escapes survive


def test_keymap_rebinds_actions(make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app(keymap={"inbox.next_unread": "N"})

    async def run() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: bool(app.screen.query("CaseTable")))
            bindings = {
                b.binding.key
                for b in app.screen.active_bindings.values()
                if b.binding.id == "inbox.next_unread"
            }
            assert bindings == {"N"}

    import asyncio

    asyncio.run(run())


def test_an_alert_without_a_priority_reads_cleanly() -> None:
    """API V1 has no priorities: the alert says "New case", not "New  case"."""
    from expereo_tui.sync.events import CaseChange
    from expereo_tui.ui.shift.alerts import Alerter

    new = CaseChange(case_id="CS-9", is_new=True, new_priority=None)
    assert Alerter.describe(new, "Service down") == "New case CS-9: Service down"
    reply = CaseChange(case_id="CS-9", is_new=False, new_priority=None, new_provider_messages=1)
    assert Alerter.describe(reply, "Service down") == "Expereo replied on CS-9 (Service down)"
    p1 = CaseChange(case_id="CS-9", is_new=True, new_priority="P1")
    assert Alerter.describe(p1, "Service down") == "New P1 case CS-9: Service down"


async def test_quiet_news_shares_one_toast_a_window_loud_news_is_told_at_once(
    make_app: Callable[..., ExpereoApp], sim: Simulator, monkeypatch: Any
) -> None:
    """The demo's live activity raised 3-4 toasts a minute (issue 32 item 6): a P3 case's news
    is quiet (the first at once, the rest gathered into one toast when the window ends); a
    P1/P2 case's, or one opened in this session, is loud (at once)."""
    from expereo_tui.ui.shift import alerts

    monkeypatch.setattr(alerts, "QUIET_EVERY", 5.0)
    app = make_app()
    a, b, c, d, e = _ids(sim, 5)

    def reply(case_id: str, priority: str) -> CasesChanged:
        change = CaseChange(case_id, is_new=False, new_provider_messages=1, new_priority=priority)
        return CasesChanged((change,))

    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver_sync_event(reply(a, "P3"))
        await until(pilot, lambda: len(toasts(app)) == 1)  # the first quiet one: at once
        app.deliver_sync_event(reply(b, "P4"))
        app.deliver_sync_event(reply(c, "P3"))
        app.deliver_sync_event(reply(b, "P4"))
        await pilot.pause()
        assert len(toasts(app)) == 1  # gathered
        app.deliver_sync_event(reply(d, "P1"))
        await until(pilot, lambda: len(toasts(app)) == 2 and d in toasts(app)[1])  # loud
        await until(pilot, lambda: len(toasts(app)) == 3)  # the window's end: one for b and c
        assert b in toasts(app)[2] and c in toasts(app)[2] and toasts(app)[2].count(b) == 1
        app.alerter.opened.add(e)
        app.deliver_sync_event(reply(e, "P5"))
        await until(pilot, lambda: len(toasts(app)) == 4 and e in toasts(app)[3])  # opened: loud
