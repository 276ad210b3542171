"""How triage reads on screen: SLA clocks (``◔ 42m``, ``▲ 8m at risk`` (▲ first response,
↻ update, ⚑ resolution), ``✖ −12m breached``),
whose turn it is (``provider · 47m``, ``you · 3h``), and their colours from the theme.

Every state has a glyph and a word as well as a colour, so colour is never the only signal.
Colours come from theme variables (``sla-breached``, ``sla-at-risk``, ``sla-ok``,
``sla-paused``, ``turn-you``) that a theme may set, falling back to the semantic ones
(``error``, ``warning``, ``success``, ``text-muted``).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from expereo_tui.triage.sla import Clock, Level
from expereo_tui.triage.turn import US, Turn

# theme variable -> (semantic fallback variable, Rich fallback when neither parses)
STYLE_VARIABLES: dict[str, tuple[str, str]] = {
    "sla-breached": ("error", "bold red"),
    "sla-at-risk": ("warning", "bold yellow"),
    "sla-ok": ("success", "green"),
    "sla-paused": ("text-muted", "dim"),
    "turn-you": ("warning", "bold yellow"),
}
SHARE_GLYPHS = "○◔◑◕●"  # the share of the target used, in quarters
# an at-risk clock says which clock it is (one cell each, not emoji: the column stays aligned)
CLOCK_GLYPHS = {
    "first_response": "▲",
    "update_interval": "↻",
    "resolution": "⚑",
}


def resolve_styles(variables: Mapping[str, str]) -> dict[str, str]:
    """Rich styles for the triage states from a theme's variables (``App.theme_variables``)."""
    out: dict[str, str] = {}
    for name, (semantic, fallback) in STYLE_VARIABLES.items():
        chosen = fallback
        for candidate in (variables.get(name), variables.get(semantic)):
            if not candidate:
                continue
            try:
                Style.parse(candidate)
            except Exception:  # a CSS value Rich cannot read ("$text 60%"): try the next
                continue
            bold = "bold " if fallback.startswith("bold") else ""
            chosen = f"{bold}{candidate}"
            break
        out[name] = chosen
    return out


DEFAULT_STYLES = resolve_styles({})


def span(seconds: float) -> str:
    """A compact duration, one unit: ``45s``, ``42m``, ``3h``, ``47h``, ``5d`` (hours up to two
    days: a NOC counts an SLA in hours)."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def share_glyph(share: float) -> str:
    index = min(len(SHARE_GLYPHS) - 1, max(0, int(share * 4 + 0.5)))
    return SHARE_GLYPHS[index]


def sla_text(
    clock: Clock | None,
    styles: Mapping[str, str] = DEFAULT_STYLES,
    *,
    thread_unknown: bool = False,
) -> Text:
    """The inbox's SLA cell.  ``thread_unknown``: the first-response and update clocks cannot
    be told yet, so only a clock already at risk or breached shows; else ``⋯ no thread``, never
    a clock that reads as on time."""
    if thread_unknown and (clock is None or clock.level is Level.OK):
        return Text(NO_THREAD, style=styles["sla-paused"])
    if clock is None:
        return Text("")
    level = clock.level
    if level is Level.BREACHED:
        return Text(f"✖ −{span(clock.left)} breached", style=styles["sla-breached"])
    if level is Level.AT_RISK:
        # paused: the clock is not moving; else the clock's own glyph
        glyph = "⏸" if clock.paused else CLOCK_GLYPHS.get(clock.name, "▲")
        return Text(f"{glyph} {span(clock.left)} at risk", style=styles["sla-at-risk"])
    if clock.paused:
        return Text(f"⏸ {span(clock.left)} paused", style=styles["sla-paused"])
    return Text(f"{share_glyph(clock.share_used)} {span(clock.left)}", style=styles["sla-ok"])


#: an open case whose thread is not in the store yet (it is being fetched in the background):
#: its first-response and update clocks and whose turn it is cannot be told, so they never read
#: as on time (issue #32)
NO_THREAD = "⋯ no thread"


def turn_text(
    turn: Turn | None,
    now: float,
    styles: Mapping[str, str] = DEFAULT_STYLES,
    *,
    thread_unknown: bool = False,
) -> Text:
    """The inbox's whose-turn cell: ``provider · 47m`` or ``you · 3h``; ``⋯ no thread`` when it
    needs a thread the store does not hold yet."""
    if turn is None:
        if thread_unknown:
            return Text(NO_THREAD, style=styles["sla-paused"])
        return Text("")
    waited = span(max(0.0, now - turn.since))
    if turn.who == US:
        return Text(f"you · {waited}", style=styles["turn-you"])
    return Text(f"provider · {waited}")


CLOCK_NAMES = {
    "first_response": "first response",
    "update_interval": "update",
    "resolution": "resolution",
}
