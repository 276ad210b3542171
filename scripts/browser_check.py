"""Open ``expereo-tui serve`` in real headless Chromium and save a screenshot.

Drives Chromium over the DevTools protocol with aiohttp (already installed: textual-serve uses
it), so no browser-automation package is needed.  Used by the browser test and by
``scripts/screenshots.py``.

    python scripts/browser_check.py OUT.png [--wall] [--host ADDRESS] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_chromium(explicit: str | None = None) -> str | None:
    for name in (explicit, "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


async def _wait_http(url: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer")
            await asyncio.sleep(0.2)


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.requested: list[str] = []  # every URL the page asked for (Network events)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = json.loads((await self.ws.receive()).data)
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            if message.get("id") == self.next_id:
                return dict(message.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def _save(out: Path, png: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)


async def capture(url: str, out: Path, chromium: str, settle: float = 4.0) -> dict[str, Any]:
    """Load ``url``, wait for the app's first output, let it settle, screenshot it."""
    port = free_port()
    profile = tempfile.mkdtemp(prefix="expereo-chromium-")
    browser = await asyncio.create_subprocess_exec(
        *[
            chromium,
            *CHROMIUM_FLAGS,
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _wait_http(f"http://127.0.0.1:{port}/json/version", 30)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            target = next(t for t in targets if t.get("type") == "page")
            async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.call("Page.enable")
                await page.call("Network.enable")
                await page.call("Page.navigate", url=url)
                started = time.monotonic()
                while not await page.evaluate(
                    "document.body && document.body.classList.contains('-first-byte')"
                ):
                    if time.monotonic() - started > 60:
                        raise TimeoutError("the app sent nothing to the browser")
                    await asyncio.sleep(0.25)
                first_byte = time.monotonic() - started
                await asyncio.sleep(settle)  # let the app draw its first screens
                title = await page.evaluate("document.title")
                shot = await page.call("Page.captureScreenshot", format="png")
                png = base64.b64decode(shot["data"])
                await asyncio.to_thread(_save, out, png)
                return {
                    "first_byte_seconds": round(first_byte, 2),
                    "title": title,
                    "bytes": len(png),
                    "requested": page.requested,
                }
    finally:
        browser.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(browser.wait(), 10)
        shutil.rmtree(profile, ignore_errors=True)


def printed_link(proc: subprocess.Popen[str], host: str, limit: float = 60) -> str:
    """The link ``serve`` prints once it listens (with ``?token=`` off loopback) for ``host``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + limit
    links = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"serve exited ({proc.wait()}) before printing its link")
        if line.startswith("    http"):
            links.append(line.strip())
        elif links:  # the block of links is over
            break
    wanted = [link for link in links if f"//{host}:" in link or f"//[{host}]:" in link]
    return (wanted or links)[0]


@contextlib.contextmanager
def serving(extra: list[str], host: str = "127.0.0.1") -> Any:
    """``serve --demo`` on ``host``; yields the link it printed (its token, if any, in it)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "expereo_tui", "serve", "--demo", "--host", host,
         "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ.copy(),
    )
    try:
        yield printed_link(proc, host)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--wall", action="store_true")
    parser.add_argument("--chromium")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (off loopback: read-only, token)"
    )
    args = parser.parse_args()
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("no chromium found", file=sys.stderr)
        return 2
    extra = ["--wall"] if args.wall else []
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        extra.append("--read-only")
    with serving(extra, args.host) as url:
        print(f"serving at {url.split('?')[0]} (token {'in the link' if 'token=' in url else 'none'})",
              file=sys.stderr)
        print(json.dumps(asyncio.run(capture(url, args.out, chromium))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
