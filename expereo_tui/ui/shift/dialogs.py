"""Modals of a shift: a one-line prompt (pin note, snooze time, view name, export path) and
the handover report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from expereo_tui.files import write_file
from expereo_tui.store.errors import StoreError
from expereo_tui.store.shift import Snooze
from expereo_tui.ui.format import local_time
from expereo_tui.ui.store_notices import error_line
from expereo_tui.ui.widgets.in_order import Input

# checks the text on enter: None if it is good, else the one-line message shown under the box
Check = Callable[[str], str | None]


class PromptScreen(ModalScreen[str | None]):
    """One line of text: enter returns it (after ``check`` passes), escape returns None."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, *, value: str = "", placeholder: str = "", check: Check | None = None
    ) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.check = title, value, placeholder, check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt")
            yield Static("", id="prompt-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        error = self.check(event.value) if self.check else None
        if error:
            self.query_one("#prompt-error", Static).update(error)
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


BROWSER_NO_FILES = (
    "Writing files is off in the browser view (serve): the file would be on the server, "
    "at a path typed in a browser."
)


def files_off(app: App[Any], instead: str) -> bool:
    """Whether writing a file is off here (the app runs in a browser through ``serve``); if so,
    the user is told, with what to do ``instead``.  The one check of issue #33 item 3."""
    if not app.is_web:
        return False
    app.notify(f"{BROWSER_NO_FILES} {instead}", severity="warning", timeout=8, markup=False)
    return True


class HandoverScreen(ModalScreen[None]):
    """The handover report as text: ``c`` copies it (OSC 52), ``w`` writes it to a file."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("c", "copy", "Copy"),
        Binding("w", "write", "Write to file"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, markdown: str, default_path: Path) -> None:
        super().__init__()
        self.markdown = markdown
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="handover"):
            yield Static(self.markdown, markup=False, id="handover-text")
        yield Static(" c copy · w write to a file · escape close", id="handover-keys")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self.notify("Handover copied to the clipboard", timeout=3)

    def action_write(self) -> None:
        if files_off(self.app, "Press c to copy the handover instead."):
            return

        def check(text: str) -> str | None:
            if not text.strip():
                return "Give a file name."
            parent = Path(text.strip()).expanduser().parent
            return None if parent.is_dir() else f"No folder {parent}."

        def done(path: str | None) -> None:
            if not path:
                return
            target = Path(path.strip()).expanduser()
            try:
                write_file(target, self.markdown)  # never through a planted symbolic link
            except OSError as exc:
                self.notify(f"Not written: {exc.strerror or exc}", severity="error", markup=False)
                return
            self.notify(f"Handover written to {target}", markup=False)

        self.app.push_screen(
            PromptScreen("Write the handover to", value=str(self.default_path), check=check), done
        )

    def action_close(self) -> None:
        self.dismiss(None)


# -- snooze -------------------------------------------------------------------------------------
PROVIDER_WORDS = ("reply", "provider", "they write")
SNOOZE_HELP = "in 30m, 2h, 09:00, tomorrow, reply (until Expereo writes), or '2h or reply'"


def parse_snooze(text: str, now: float) -> tuple[float | None, bool]:
    """(wake time, wake when the provider writes) from what was typed; ValueError if unclear."""

    from expereo_tui.shift.timeparse import parse_until

    parts = [p.strip() for p in text.strip().lower().split(" or ")]
    provider = any(p in PROVIDER_WORDS for p in parts)
    times = [p for p in parts if p and p not in PROVIDER_WORDS]
    if len(times) > 1 or (not times and not provider):
        raise ValueError(f"Snooze until: {SNOOZE_HELP}")
    until = None
    if times:
        try:
            until = parse_until(times[0], datetime.fromtimestamp(now, UTC)).timestamp()
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return until, provider


def snooze_prompt(now: float, what: str) -> PromptScreen:
    """Ask until when to snooze ``what`` (``CS-1000097``, ``3 cases``): the dialog names it, so
    the person knows which case the answer is for; the answer is checked by
    :func:`parse_snooze`."""

    def check(text: str) -> str | None:
        try:
            parse_snooze(text, now)
        except ValueError as exc:
            return str(exc)
        return None

    return PromptScreen(f"Snooze {what} until", placeholder=SNOOZE_HELP, check=check)


def snooze_label(snooze: Snooze) -> str:
    """How a snooze reads: ``until 09:00 Tue 24 Nov`` / ``until Expereo writes`` / both."""

    parts = []
    if snooze.until is not None:
        from datetime import UTC, datetime

        parts.append(f"until {local_time(datetime.fromtimestamp(snooze.until, UTC))}")
    if snooze.until_provider:
        parts.append("until Expereo writes")
    return " or ".join(parts)


def snooze_cases(screen: Screen[object], case_ids: list[str], then: Callable[[], None]) -> None:
    """Ask until when, snooze every case given, say so, then call ``then`` (a reload)."""
    app = screen.app
    store = app.store  # type: ignore[attr-defined]

    def done(text: str | None) -> None:
        if text is None:
            return
        until, provider = parse_snooze(text, app.now())  # type: ignore[attr-defined]
        try:
            for case_id in case_ids:
                store.shift.snooze(case_id, until=until, until_provider=provider)
        except StoreError as exc:
            screen.notify(f"Not snoozed: {error_line(exc)}", severity="error", markup=False)
            return
        label = snooze_label(Snooze(case_ids[0], until, provider, 0.0))
        screen.notify(f"Snoozed {what} {label}", timeout=3, markup=False)
        then()

    what = case_ids[0] if len(case_ids) == 1 else f"{len(case_ids)} cases"
    app.push_screen(snooze_prompt(app.now(), what), done)  # type: ignore[attr-defined]
