"""Serve a :class:`Simulator` over a real loopback socket (uvicorn in a background thread)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import uvicorn

from .app import Simulator


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the caller owns signals
        pass


@contextlib.contextmanager
def run_server(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Start serving; yield the base URL (e.g. ``http://127.0.0.1:43125``); stop on exit."""
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    config = uvicorn.Config(
        sim.app,
        host=host,
        port=port,
        log_level="critical",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = _Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), daemon=True, name="expereo-sim"
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the simulator could not listen on {host}:{port}")
        thread.join(0.01)
    sock = server.servers[0].sockets[0]
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(5)
