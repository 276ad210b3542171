"""A number drawn in block digits that grow with the widget, to be read across a room.

Textual's ``Digits`` are always 3 rows tall: on a 160x48 wall that is a seventh of a tile.
Here each digit is a 3x5 bitmap, every pixel ``2*s`` columns by ``s`` rows (terminal cells are
about twice as tall as wide), with ``s`` the largest scale that fits the widget.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

#: 3x5 bitmaps; "#" is ink
GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "-": ("...", "...", "###", "...", "..."),
    "+": ("...", ".#.", "###", ".#.", "..."),
    "/": ("..#", "..#", ".#.", "#..", "#.."),
    " ": ("...", "...", "...", "...", "..."),
}
ROWS = 5
COLS = 3


def scale_for(text: str, width: int, height: int) -> int:
    """The largest scale at which ``text`` fits ``width`` x ``height`` cells (at least 1)."""
    n = max(1, len(text))
    per_scale_width = n * COLS * 2 + (n - 1) * 2  # a pixel is 2 columns; 1 pixel between digits
    return max(1, min(height // ROWS, width // per_scale_width))


def draw(text: str, scale: int) -> list[str]:
    """The lines of ``text`` in block digits at ``scale``."""
    glyphs = [GLYPHS.get(ch, GLYPHS[" "]) for ch in text]
    gap = " " * (2 * scale)
    lines: list[str] = []
    for row in range(ROWS):
        cells = gap.join(
            "".join(("█" if px == "#" else " ") * (2 * scale) for px in glyph[row])
            for glyph in glyphs
        )
        lines.extend([cells] * scale)
    return lines


class BigNumber(Widget):
    """A count in block digits, as large as the widget allows; ``value`` is what it shows."""

    DEFAULT_CSS = """
    BigNumber { width: 1fr; height: 1fr; content-align: center middle; }
    """

    def __init__(
        self, value: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.value = value

    def update(self, value: str) -> None:
        """Show ``value``; nothing is repainted when it is what is shown."""
        if value != self.value:
            self.value = value
            self.refresh()

    @property
    def scale(self) -> int:
        return scale_for(self.value, self.size.width, self.size.height)

    def render(self) -> Text:
        if self.size.height < ROWS:  # block digits would be cut: the number as it is, bold
            return Text(self.value.center(self.size.width), style="bold")
        lines = draw(self.value, self.scale)
        width = self.size.width
        top = max(0, (self.size.height - len(lines)) // 2)
        body = [line.center(width) if len(line) < width else line for line in lines]
        return Text("\n".join([""] * top + body), no_wrap=True, overflow="crop")
