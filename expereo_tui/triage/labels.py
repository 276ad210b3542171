"""Words for the API's vocabulary, shared by the screens, the handover and the command line.

``subject_label`` is defined with the vocabulary itself (api/vocab.py): the store's search text
holds a subject as the screens show it."""

from __future__ import annotations

from expereo_tui.api.vocab import subject_label

__all__ = ["subject_label"]
