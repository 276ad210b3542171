"""The actions a profile can rebind (``[profiles.<name>.keys]``), validated without Textual.

The app's bindings carry these ids (``Binding(..., id="inbox.next_unread")``); Textual's
``App.set_keymap`` applies the profile's keys to them.  The table lives here, not in the
screens, so the config can be checked (and the docs written) without importing the UI:
``tests/cli/test_keymap.py`` fails when a binding id and this table part ways.
``python -m expereo_tui.keymap`` prints the Markdown table docs/usage.md carries.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    id: str
    key: str  # the default key, in Textual's names ("slash", "ctrl+s")
    does: str  # what it does, for the docs and the help screen
    writes: bool = False  # sends to the API: gone from the footer and the help when read-only


ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "quit (asks first if a draft is unsent)"),
    Action("app.help", "question_mark", "the help screen"),
    Action("app.inventory", "i", "inventory"),
    Action("app.refresh", "ctrl+r", "refresh now"),
    Action("app.pause", "p", "pause / resume the background refresh"),
    Action("app.handover", "H", "the shift's handover report (copy or write it)"),
    Action("app.mouse", "M", "mouse capture off / on (off: the terminal selects text)"),
    Action(
        "app.decisions",
        "O",
        "the writes that need your decision: send again or discard",
        writes=True,
    ),
    Action("inbox.open", "enter", "open the selected case"),
    Action("inbox.back", "escape", "back where it came from (an inbox opened from the inventory)"),
    Action("inbox.next_unread", "u", "open the next unread case"),
    Action("inbox.reply", "r", "reply to the selected case", writes=True),
    Action("inbox.new_case", "n", "new case", writes=True),
    Action("inbox.search", "slash", "free-text search"),
    Action("inbox.filter", "f", "filter by status, priority, type, unread"),
    Action("inbox.clear_filters", "x", "clear every filter"),
    Action("inbox.toggle_closed", "a", "open cases only / every case"),
    Action("inbox.sort", "s", "cycle the sort column"),
    Action("inbox.reverse_sort", "S", "reverse the sort"),
    Action("inbox.sort_breach", "b", "sort by time to breach (the least time left first)"),
    Action("inbox.toggle_read", "m", "mark read / unread"),
    Action("inbox.goto", "g", "go to a case by id"),
    Action("inbox.copy_id", "y", "copy the case id"),
    Action("inbox.portal", "o", "open the case in the portal"),
    Action("inbox.down", "j", "move down"),
    Action("inbox.up", "k", "move up"),
    Action("inbox.cluster", "c", "filter to an incident cluster (again: the next one)"),
    Action(
        "inbox.link_cluster",
        "L",
        "put one customer reference on every case of the cluster",
        writes=True,
    ),
    Action("inbox.turn_view", "w", "cycle the whose-turn views (waiting on us / on the provider)"),
    Action("inbox.view_prev", "left_square_bracket", "previous view tab"),
    Action("inbox.view_next", "right_square_bracket", "next view tab"),
    Action("inbox.save_view", "V", "save the current filter and sort as a view"),
    Action("inbox.delete_view", "D", "delete the saved view"),
    Action("inbox.snooze", "z", "snooze the case (or the selected cases)"),
    Action("inbox.unsnooze", "Z", "wake a snoozed case"),
    Action("inbox.pin", "P", "pin a handover note to the case"),
    Action("inbox.select", "space", "select or unselect the case"),
    Action("inbox.select_down", "shift+down", "select and move down"),
    Action("inbox.select_up", "shift+up", "select and move up"),
    Action("inbox.select_all", "A", "select every case in the view"),
    Action(
        "inbox.bulk_reference", "R", "set a customer reference on the selected cases", writes=True
    ),
    Action("inbox.export", "E", "export the view to CSV or JSON"),
    Action("inbox.claim", "T", "team mode: take the case (mine) or give it back"),
    Action("case.back", "escape", "back to the inbox"),
    Action("case.reply", "r", "write a reply", writes=True),
    Action("case.update", "e", "update the case", writes=True),
    Action("case.new_case", "n", "new case for this service", writes=True),
    Action("case.copy_id", "y", "copy the case id"),
    Action("case.mark_unread", "m", "mark unread"),
    Action("case.earlier", "L", "load earlier messages"),
    Action("case.portal", "o", "open the case in the portal"),
    Action("case.pin", "P", "pin a handover note to the case"),
    Action("case.snooze", "z", "snooze the case"),
    Action("case.template", "t", "insert a reply template", writes=True),
    Action(
        "case.template_in_box",
        "ctrl+t",
        "insert a reply template (from the reply box)",
        writes=True,
    ),
    Action("case.send_again", "S", "send again a reply that needs your decision", writes=True),
    Action("case.discard", "D", "discard a reply that needs your decision (its text: draft)"),
    Action("case.claim", "T", "team mode: take the case (mine) or give it back"),
    Action("compose.send", "ctrl+s", "send the reply"),
    Action("compose.editor", "ctrl+e", "edit the reply in $EDITOR"),
    Action("new_case.submit", "ctrl+s", "create the case"),
    Action("new_case.close", "escape", "close the form (draft kept)"),
    Action("new_case.editor", "ctrl+e", "edit the message in $EDITOR"),
    Action("update_case.submit", "ctrl+s", "save the changes"),
    Action("update_case.close", "escape", "close the form (draft kept)"),
    Action("inventory.back", "escape", "back"),
    Action("inventory.search", "slash", "filter the tree"),
    Action("inventory.cases", "c", "cases of the selected service"),
    Action("inventory.new_case", "n", "new case for the selected service", writes=True),
    Action("inventory.sort_invoices", "o", "sort the invoices (date, reference, amount)"),
    Action("wall.pause", "space", "pause the wall's cycling"),
    Action("wall.next", "right", "next wall view"),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
#: The actions that send to the API (reply, update, new case, bulk): off in read-only mode.
WRITES: frozenset[str] = frozenset(a.id for a in ACTIONS if a.writes)

#: The help screen's sections, in order, by the first part of an action's id.
HELP_SECTIONS = (
    ("app", "Everywhere"),
    ("inbox", "Inbox"),
    ("case", "Case"),
    ("compose", "Case"),
    ("new_case", "New case form"),
    ("update_case", "Update case form"),
    ("inventory", "Inventory"),
    ("wall", "NOC wall"),
)
#: What the help says beside the actions (keys that are not rebindable actions, and tips).
HELP_EXTRA = {
    "Everywhere": ("ctrl+p", "command palette: every action, go to a case, change theme"),
}
HELP_FOOTER = (
    "Triage in four keys: u (next unread) · r (reply) · type · ctrl+s (send).",
    "+7› at the table header's right: 7 more columns; → / ← show them (the case id stays).",
    "Drafts are saved as you type: they survive quitting, crashes and restarts.",
    "Keys can be rebound per profile in the config file ([profiles.<name>.keys]).",
)
_KEY_NAMES = {"slash": "/", "question_mark": "?", "comma": ",", "full_stop": "."}
_KEY = re.compile(r"^[A-Za-z0-9_+\-]+$")


def key_label(keys: str) -> str:
    """Textual key names as a person types them: ``slash`` → ``/``; ``a,b`` → ``a, b``."""
    return ", ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def nearest(action_id: str) -> str:
    """The valid action id closest to a misspelt one."""
    ids = [a.id for a in ACTIONS]
    return (difflib.get_close_matches(action_id, ids, n=1, cutoff=0.0) or ids)[0]


def check_keys(keys: dict[str, str]) -> dict[str, str]:
    """The profile's ``keys`` table as given; a ValueError (one line) on the first bad entry."""
    for action_id, value in keys.items():
        if action_id not in BY_ID:
            raise ValueError(
                f"unknown action {action_id!r}; did you mean {nearest(action_id)!r}? "
                "(the list: docs/usage.md, Key bindings)"
            )
        parts = [k.strip() for k in value.split(",")]
        bad = [k for k in parts if not _KEY.match(k)]
        if bad:
            raise ValueError(
                f'{action_id}: {bad[0]!r} is not a key name (e.g. "N", "ctrl+n", "f5"; '
                'several: "n,ctrl+n")'
            )
    return keys


#: The wall's help: its own keys and the app's that work there (no inbox, case or forms).
WALL_SECTIONS = ("app", "wall")
WALL_NOTE = "The NOC wall: read-only, it cycles its views by itself; nothing here writes."


def help_text(
    keys: dict[str, str] | None = None,
    *,
    read_only: str | None = None,
    sections: tuple[str, ...] | None = None,
) -> str:
    """The help screen, drawn from :data:`ACTIONS` (the one description of a key) with the
    profile's rebound keys in place of the defaults, and those listed first.  ``read_only``
    (the reason): the keys that write are left out, and the first line says why.  ``sections``
    (the first parts of action ids, e.g. :data:`WALL_SECTIONS`): only those, and no tips."""
    keys = keys or {}
    lines: list[str] = []
    actions = [a for a in ACTIONS if not (read_only and a.writes)]
    if sections is not None:
        actions = [a for a in actions if a.id.split(".")[0] in sections]
        lines += [WALL_NOTE if "wall" in sections else "", ""]
    elif read_only:
        lines += [f"Read-only ({read_only}): reply, update and new case keys are off.", ""]
    rebound = [(BY_ID[i], new) for i, new in keys.items() if i in BY_ID and BY_ID[i] in actions]
    if rebound:
        lines.append("Rebound in this profile")
        for action, new in rebound:
            lines.append(_help_line(new, f"{action.does} (instead of {key_label(action.key)})"))
        lines.append("")
    order = {prefix: n for n, (prefix, _) in enumerate(HELP_SECTIONS)}
    titles = dict(HELP_SECTIONS)
    by_title: dict[str, list[str]] = {}
    for action in sorted(actions, key=lambda a: order.get(a.id.split(".")[0], len(order))):
        title = titles.get(action.id.split(".")[0], "Other")
        section = by_title.setdefault(title, [])
        if not section and title in HELP_EXTRA:
            section.append(_help_line(*HELP_EXTRA[title]))
        section.append(_help_line(keys.get(action.id, action.key), action.does))
    for title, section in by_title.items():
        lines += [title, *section, ""]
    if sections is None:
        lines += [f for f in HELP_FOOTER if not (read_only and "r (reply)" in f)]
    return "\n".join(lines) + "\n"


def _help_line(keys: str, does: str) -> str:
    return f"  {key_label(keys):<13} {does}"


def markdown_table() -> str:
    """The table docs/usage.md carries under "Key bindings" (a test keeps them equal)."""
    rows = ["| action id | default key | does |", "|---|---|---|"]
    rows += [f"| `{a.id}` | `{key_label(a.key)}` | {a.does} |" for a in ACTIONS]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
