"""ctrl+e: edit a text in $VISUAL / $EDITOR (else vi) with the app suspended, and bring it back."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from textual.app import App


@dataclass(frozen=True)
class EditResult:
    text: str | None  # the edited text, or None when it is unchanged
    problem: str | None = None  # a sentence for the user when the editor could not be used


def editor_command() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def edit_in_editor(app: App[object], text: str) -> EditResult:
    """Write ``text`` to a temporary file, run the editor on it with the app suspended, read it
    back. Nothing is lost: on any failure the text stays as it was and the problem is said."""
    editor = editor_command()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write(text)
        path = Path(handle.name)
    try:
        with app.suspend():
            result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if result.returncode != 0:
            return EditResult(
                None, f"{editor} exited with {result.returncode}; the text is unchanged"
            )
        return EditResult(path.read_text(encoding="utf-8").rstrip("\n"))
    except Exception as exc:  # no terminal to suspend, editor missing, ...
        return EditResult(
            None, f"cannot run {editor} ({type(exc).__name__}); the text is unchanged"
        )
    finally:
        path.unlink(missing_ok=True)
