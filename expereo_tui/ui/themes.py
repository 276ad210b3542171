"""Themes, and the colours of the domain (priority, status, send state) resolved from them.

Two extra themes: a high-contrast one for NOC walls and bright rooms, and one that stays within
the 16 ANSI colours for old terminals and 16-colour SSH sessions.

Each coloured role (``priority-p1``, ``status-resolved``, ``send-failed``, ...) is a theme
variable: a theme may set it (``Theme(variables={"priority-p1": "#ff0000"})``); otherwise it
falls back to a semantic colour of the theme (``text-error``, ``text-warning``, ...), the way
posting resolves its method colours.  A colour that would read below 4.5:1 on the theme's
backgrounds is moved towards black or white until it reads (WCAG AA); ANSI colours are the
terminal's to choose and are kept as they are.  The label is always shown beside the colour,
so colour is never the only signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

HIGH_CONTRAST = Theme(
    name="expereo-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffffff",
    warning="#ffaa00",
    error="#ff4040",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    boost="#1a1a1a",
    dark=True,
    variables={
        "priority-p1": "#ff4040",
        "priority-p2": "#ffaa00",
        "priority-p3": "#ffff00",
        "priority-p4": "#00ffff",
        "status-in-progress": "#00ffff",
        "status-awaiting-customer": "#ffaa00",
        "status-resolved": "#00ff00",
    },
)
ANSI16 = Theme(
    name="expereo-16",
    primary="ansi_bright_blue",
    secondary="ansi_cyan",
    accent="ansi_bright_yellow",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_black",
    boost="ansi_black",
    dark=True,
    ansi=True,  # the terminal's own 16 colours, not Textual's idea of them in truecolour
    variables={  # what Textual's CSS asks of an ANSI theme (as its ansi-dark sets them)
        **BUILTIN_THEMES["ansi-dark"].variables,
    },
)
THEMES = (HIGH_CONTRAST, ANSI16)
DEFAULT_THEME = "textual-dark"

MIN_CONTRAST = 4.5  # WCAG AA for text
_AIM = 4.6  # a little above, so rounding to 8-bit channels never drops below the minimum


@dataclass(frozen=True)
class Role:
    """A coloured thing on screen: the semantic theme colour it falls back to, and its
    attributes (``reverse``: the colour is the block, the text is the background's)."""

    fallback: str
    attrs: str = ""


ROLES: dict[str, Role] = {
    "priority-p1": Role("text-error", "bold reverse"),
    "priority-p2": Role("text-warning", "bold"),
    "priority-p3": Role("text-accent"),
    "priority-p4": Role("text-primary"),
    "priority-p5": Role("text-muted"),
    "status-new": Role("foreground", "bold"),
    "status-in-progress": Role("text-primary"),
    "status-awaiting-customer": Role("text-warning", "bold"),
    "status-resolved": Role("text-success"),
    "status-closed": Role("text-muted"),
    "service-rfs": Role("text-success"),
    "service-in-progress": Role("text-accent"),
    "service-ordered": Role("text-primary"),
    "service-cancelled": Role("text-muted", "strike"),
    "send-queued": Role("text-primary", "bold"),
    "send-sending": Role("text-accent", "bold"),
    "send-sent": Role("text-success"),
    "send-failed": Role("text-error", "bold"),
    "send-invalid": Role("text-error"),  # field errors the server sent back
    "sync-fresh": Role("text-success"),
    "sync-syncing": Role("text-primary"),
    "sync-warning": Role("text-warning", "bold reverse"),  # stale, paused, rate-limited
    "sync-error": Role("text-error", "bold reverse"),  # offline, unauthorised, store problems
    "attention": Role("text-warning", "bold"),  # unread counts, low budget, notes
    "message-provider": Role("text-primary", "bold"),
    "message-customer": Role("text-warning", "bold"),
}
BACKGROUNDS = ("background", "surface", "panel")  # where the coloured text is drawn

# what ``format`` and the widgets read; set by the app whenever its theme's variables change
_active: dict[str, Style] = {}
_active_colors: dict[str, str] = {}


def register_themes(app: App[object]) -> None:
    for theme in THEMES:
        app.register_theme(theme)


def theme_names() -> list[str]:
    """Every theme the app can show: Textual's and ours."""
    return sorted({*BUILTIN_THEMES, *(t.name for t in THEMES)})


def _parse(value: str | None) -> Color | None:
    if not value:
        return None
    try:
        return Color.parse(value)
    except ColorParseError:
        return None


def luminance(color: Color) -> float:
    """WCAG relative luminance."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _backgrounds(variables: Mapping[str, str]) -> list[Color]:
    base = _parse(variables.get("background"))
    if base is None or base.ansi is not None:
        return []
    out = [base]
    for name in BACKGROUNDS[1:]:
        color = _parse(variables.get(name))
        if color is not None and color.ansi is None:
            out.append(base.blend(color.with_alpha(1.0), color.a) if color.a < 1 else color)
    return out


def _readable(color: Color, backgrounds: list[Color]) -> Color:
    """``color``, moved towards black or white until it reads on every background."""
    if not backgrounds:
        return color
    toward = max(
        (Color(0, 0, 0), Color(255, 255, 255)),
        key=lambda end: min(contrast(end, bg) for bg in backgrounds),
    )
    for step in range(21):
        candidate = color.blend(toward, step / 20)
        if min(contrast(candidate, bg) for bg in backgrounds) >= _AIM:
            return candidate
    return toward


def _role_color(name: str, role: Role, variables: Mapping[str, str]) -> Color | None:
    """The theme's own value for the role, else its semantic fallback; ``text-muted`` ("auto
    60%" in Textual) becomes the foreground blended 60% over the background."""
    for key in (name, role.fallback):
        color = _parse(variables.get(key))
        if color is not None:
            return color.with_alpha(1.0) if color.ansi is None else color
    fg, bg = _parse(variables.get("foreground")), _parse(variables.get("background"))
    if fg is None or bg is None or fg.ansi is not None or bg.ansi is not None:
        return None  # a terminal's own colours: dim is the only way to mute them
    return bg.blend(fg, 0.6)


def resolve(variables: Mapping[str, str]) -> tuple[dict[str, Style], dict[str, str]]:
    """Each role's Rich style and its CSS colour, for a theme's variables."""
    backgrounds = _backgrounds(variables)
    styles: dict[str, Style] = {}
    colors: dict[str, str] = {}
    for name, role in ROLES.items():
        attrs = Style.parse(role.attrs) if role.attrs else Style()
        color = _role_color(name, role, variables)
        if color is None:
            styles[name] = attrs + Style(dim=True)
            colors[name] = variables.get("foreground", "ansi_default")
            continue
        if color.ansi is None:
            color = _readable(color, backgrounds)
            colors[name] = color.hex
        else:
            colors[name] = variables.get(name) or variables.get(role.fallback) or "ansi_default"
        styles[name] = attrs + Style(color=color.rich_color)
    return styles, colors


def css_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """The roles as CSS variables (``$priority-p1``...) for the .tcss files, and made active
    for :func:`style`."""
    styles, colors = resolve(variables)
    _active.clear()
    _active.update(styles)
    _active_colors.clear()
    _active_colors.update(colors)
    return colors


def style(role: str) -> Style:
    """The style of a role in the app's current theme."""
    if not _active:
        theme = BUILTIN_THEMES[DEFAULT_THEME]
        css_variables({**theme.to_color_system().generate(), **theme.variables})
    return _active[role]
