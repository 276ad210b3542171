"""``backend_for``: the one place that picks API V1 or V2 and builds its client.

Importing this imports both faces, httpx and the models: a launch imports it only once its first
frame is out (see ``cli/launch.py``).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from .settings import ClientSettings
from .v1 import V1Client
from .v2 import V2Client

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["APIS", "backend_for"]

#: the values of a profile's ``api`` setting, each with the client that speaks it
APIS: dict[str, type[V1Client] | type[V2Client]] = {"v1": V1Client, "v2": V2Client}


def backend_for(
    api: str,
    settings: ClientSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
    rng: random.Random | None = None,
) -> V1Client | V2Client:
    """The client for ``api`` (a profile's ``api`` setting: ``"v1"``, GraphQL, or ``"v2"``,
    REST), a :class:`~expereo_tui.api.backend.Backend` and an async context manager that
    closes it.  The keyword arguments go to its transport
    (:class:`~expereo_tui.api.http.HttpTransport`)."""
    try:
        client = APIS[api]
    except KeyError:
        raise ValueError(f"unknown API {api!r}: expected one of {', '.join(APIS)}") from None
    return client(settings, transport=transport, clock=clock, sleep=sleep, rng=rng)


if TYPE_CHECKING:  # both backends implement the protocol (checked by mypy)

    def _conforms(v1: V1Client, v2: V2Client) -> tuple[Backend, Backend]:
        return v1, v2
