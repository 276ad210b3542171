"""Checkboxes whose state reads without colour.

Textual draws ``▐X▌`` for a checkbox (and each line of a selection list) whether it is on or off,
and only the colour of the ``X`` changes: on a 16-colour terminal, for a colour-blind person or in
a screenshot, both states look alike.  These draw ``X`` when on and a blank when off.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.widgets import Checkbox, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

ON, OFF = "X", " "

SelectionType = TypeVar("SelectionType")


class GlyphCheckbox(Checkbox):
    """A :class:`Checkbox` showing ``▐X▌`` when on and ``▐ ▌`` when off."""

    @property
    def _button(self) -> Content:
        button_style = self.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        return Content.assemble(
            (self.BUTTON_LEFT, side_style),
            (ON if self.value else OFF, button_style),
            (self.BUTTON_RIGHT, side_style),
        )


class GlyphSelectionList(SelectionList[SelectionType]):
    """A :class:`SelectionList` whose lines show ``▐X▌`` when selected and ``▐ ▌`` when not."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip  # not an option line (past the end)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        glyph = ON if option.value in self.selected else OFF
        segments[1] = Segment(glyph, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)
