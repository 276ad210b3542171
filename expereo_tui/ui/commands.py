"""Command palette: jump to any case by id or subject (every other action is in the palette
through the screens' bindings, which Textual lists itself)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from expereo_tui.store.store import CaseQuery
from expereo_tui.triage.labels import subject_label
from expereo_tui.ui.safe_text import safe

if TYPE_CHECKING:
    from expereo_tui.ui.host import AppHost


class CaseCommands(Provider):
    """ "Go to case CS-…" for cases in the local store, plus the main screens."""

    @property
    def xapp(self) -> AppHost:
        """The running app, typed (``ui/host.py``)."""
        return cast("AppHost", self.app)

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.xapp
        return [
            ("Open inventory", "account → site → service tree", app.action_open_inventory),
            ("New case", "open a new support case", app.action_new_case),
            ("Go to case…", "type a case id", app.action_goto_case),
            ("Refresh now", "poll the API now", app.action_refresh_now),
            (
                "Pause / resume refresh",
                "stop or restart the background poll",
                app.action_toggle_pause,
            ),
            ("Help", "every key", app.action_help),
            (
                "Writes that need your decision",
                "send again or discard what the outbox cannot know (O)",
                app.action_decisions,
            ),
        ] + [
            (
                f"Run {name}",
                f"{command.key}: {command.description or ' '.join(command.argv)} (your command)",
                partial(app.action_user_command, name),
            )
            for name, command in app.options.user_commands.items()
        ] + [
            (
                f"Switch to profile {name}",
                "leave this profile (drafts stay in it) and open that one",
                partial(app.action_switch_profile, name),
            )
            for name in app.options.other_profiles
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        if len(query.strip()) < 2:
            return
        store = self.xapp.store
        for row in store.cases.query_cases(
            CaseQuery(text=query.strip(), sort=(("last_modified", True),)), limit=20
        ):
            label = f"Go to case {row.id} · {row.priority or ''} {subject_label(safe(row.subject))}"
            yield Hit(
                max(matcher.match(label), 0.5),
                Text(label),
                partial(self.xapp.action_open_case, row.id),
                help=safe(row.service_name or row.service_id or "", one_line=True),
            )
