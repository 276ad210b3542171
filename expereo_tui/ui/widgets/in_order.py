"""Text fields that apply keys in the order they were typed.

Textual's ``Input`` and ``TextArea`` insert a typed character when its key is read, but run
their own key bindings (backspace, arrows, ctrl+u, ctrl+k, ...) only once the key has bubbled up
to the app.  When keys arrive in one burst, as a laggy SSH link delivers them, the characters
typed after a bound key are inserted before it runs: ``ctrl+u`` then ``INC-42`` and ``ctrl+s``
saved an empty reference (the reference typed was inserted, then deleted), and a backspace in a
burst deleted a later character (Textualize/textual#6605; the fix proposed there, #6631, is
this one).  These subclasses run the field's own bindings when the key is read, in turn; keys
bound elsewhere (ctrl+s, escape) still bubble up as before, after what was typed before them.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input as TextualInput
from textual.widgets import TextArea as TextualTextArea

__all__ = ["Input", "TextArea"]


class _InOrder:
    """Run the widget's own (not priority) binding of a key as the key is read."""

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable and await self.run_own_binding(event.key):
            event.stop()  # handled: it must not reach the app and run a second time
            event.prevent_default()
            return
        await super()._on_key(event)  # type: ignore[misc]

    async def run_own_binding(self, key: str) -> bool:
        """Run the field's own binding of ``key`` now; whether one ran."""
        widget = self
        assert isinstance(widget, TextualInput | TextualTextArea)
        for binding in widget._bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                return True
        return False


class Input(_InOrder, TextualInput):
    """Textual's ``Input``, its editing keys applied in the order typed."""


class TextArea(_InOrder, TextualTextArea):
    """Textual's ``TextArea``, its editing keys applied in the order typed."""
