"""Command palette: jump to any case by id or subject (every other action is in the palette
through the screens' bindings, which Textual lists itself)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from expereo_tui.store.store import CaseQuery
from expereo_tui.ui.format import subject_label
from expereo_tui.ui.safe_text import safe


class CaseCommands(Provider):
    """ "Go to case CS-…" for cases in the local store, plus the main screens."""

    def _actions(self) -> list[tuple[str, str, object]]:
        app = self.app
        return [
            ("Open inventory", "account → site → service tree", app.action_open_inventory),  # type: ignore[attr-defined]
            ("New case", "open a new support case", app.action_new_case),  # type: ignore[attr-defined]
            ("Go to case…", "type a case id", app.action_goto_case),  # type: ignore[attr-defined]
            ("Refresh now", "poll the API now", app.action_refresh_now),  # type: ignore[attr-defined]
            (
                "Pause / resume refresh",
                "stop or restart the background poll",
                app.action_toggle_pause,
            ),  # type: ignore[attr-defined]
            ("Help", "every key", app.action_help),  # type: ignore[attr-defined]
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
        if len(query.strip()) < 2:
            return
        store = self.app.store  # type: ignore[attr-defined]
        for row in store.query_cases(
            CaseQuery(text=query.strip(), sort=(("last_modified", True),)), limit=20
        ):
            label = f"Go to case {row.id} · {row.priority or ''} {subject_label(safe(row.subject))}"
            yield Hit(
                max(matcher.match(label), 0.5),
                Text(label),
                partial(self.app.action_open_case, row.id),  # type: ignore[attr-defined]
                help=safe(row.service_name or row.service_id or "", one_line=True),
            )
