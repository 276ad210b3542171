"""``expereo-tui serve`` refuses what a hostile page or a stranger on the network would send
(issue #33 item 2), against a real ``serve`` process over loopback: a foreign ``Origin``
(cross-site websocket hijacking), a rebound ``Host`` (DNS rebinding), a missing or wrong token;
and it accepts the right ones.  ``--require-token`` asks loopback for the token that any other
address always needs, so the token is tested here without a second network interface."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.ui.test_browser import browser_check

pytestmark = pytest.mark.timeout(120)


@contextlib.contextmanager
def serve(*extra: str, host: str = "127.0.0.1") -> Iterator[tuple[str, str | None]]:
    """(base URL, token) of a ``serve --demo`` that listens (its printed link says so)."""
    with browser_check.serving(list(extra), host) as link:
        parts = urlsplit(link)
        token = parse_qs(parts.query).get("token", [None])[0]
        yield f"{parts.scheme}://{parts.netloc}", token


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    with serve("--require-token", "--max-sessions", "1") as (base, token):
        assert token and len(token) >= 40
        yield base, token


def _session(base: str, token: str | None) -> aiohttp.ClientSession:
    cookies = {f"expereo-token-{urlsplit(base).port}": token} if token else None
    return aiohttp.ClientSession(cookies=cookies, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _status(base: str, path: str, token: str | None = None, **headers: str) -> int:
    async with _session(base, token) as session:
        async with session.get(base + path, headers=headers, allow_redirects=False) as r:
            return r.status


async def test_no_token_or_a_wrong_one_is_refused(served: tuple[str, str]) -> None:
    base, token = served
    assert await _status(base, "/") == 403
    assert await _status(base, "/?token=" + "x" * len(token)) == 403
    assert await _status(base, "/static/js/textual.js") == 403
    assert await _status(base, "/", token="wrong") == 403


async def test_the_token_link_sets_a_cookie_and_leaves_the_address_bar(
    served: tuple[str, str],
) -> None:
    base, token = served
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{base}/?token={token}&fontsize=14", allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/?fontsize=14"
            cookie = r.cookies[f"expereo-token-{urlsplit(base).port}"]
            assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Strict"
        async with session.get(base + "/") as r:  # the cookie alone is enough now
            assert r.status == 200
            page = await r.text()
            csp = r.headers["Content-Security-Policy"]
    assert f'data-session-websocket-url="ws://{urlsplit(base).netloc}/ws"' in page
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert token not in page
    assert "googleapis" not in page and "https://" not in page  # no font from a CDN


async def test_a_rebound_host_is_refused(served: tuple[str, str]) -> None:
    """DNS rebinding: evil.example now resolves to 127.0.0.1; the browser sends its name."""
    base, token = served
    port = urlsplit(base).port
    assert await _status(base, "/", token, Host=f"evil.example:{port}") == 403
    assert await _status(base, "/", token, Host=f"localhost:{port}") == 200


async def _ws_status(base: str, token: str | None, origin: str | None) -> int:
    async with _session(base, token) as session:
        try:
            async with session.ws_connect(
                base.replace("http", "ws", 1) + "/ws", origin=origin
            ) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_a_foreign_origin_cannot_open_the_websocket(served: tuple[str, str]) -> None:
    base, token = served
    assert await _ws_status(base, token, "http://evil.example") == 403
    assert await _ws_status(base, token, "null") == 403
    assert await _ws_status(base, token, None) == 403  # a browser always sends one
    assert await _ws_status(base, None, base) == 403  # the right origin, but no token


async def test_the_right_origin_and_token_open_it_and_the_cap_holds(
    served: tuple[str, str],
) -> None:
    base, token = served
    url = base.replace("http", "ws", 1) + "/ws"
    async with _session(base, token) as session:
        async with session.ws_connect(url, origin=base) as ws:
            first = await ws.receive(timeout=60)  # the app's first bytes: a session runs
            assert first.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
            # --max-sessions 1: a second browser is refused while this one runs
            assert await _ws_status(base, token, base) == 503
            await ws.close()


def _machine_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    import socket

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's address
        address = str(s.getsockname()[0])
        if not address.startswith("127."):
            return address
    return None


async def test_a_wildcard_bind_gives_a_reachable_websocket_url_and_needs_a_token() -> None:
    """Bound to 0.0.0.0 (read-only), the page names the address the browser used, never
    ``ws://0.0.0.0``; a token is required without being asked for."""
    with serve("--read-only", host="0.0.0.0") as (base, token):
        assert token is not None
        port = urlsplit(base).port
        local = f"http://127.0.0.1:{port}"
        assert await _status(local, "/") == 403
        address = _machine_address() or "127.0.0.1"
        async with _session(local, token) as session:
            async with session.get(
                f"http://{address}:{port}/", headers={"Host": f"{address}:{port}"}
            ) as r:
                assert r.status == 200
                page = await r.text()
        assert f'"ws://{address}:{port}/ws"' in page
        assert "0.0.0.0" not in page


async def test_public_url_names_the_websocket_and_its_host_is_served() -> None:
    port = browser_check.free_port()  # the link printed is the public one: reach it here
    extra = ("--require-token", "--public-url", "https://noc.example/", "--port", str(port))
    with serve(*extra) as (public, token):
        assert public == "https://noc.example"
        base = f"http://127.0.0.1:{port}"
        async with _session(base, token) as session:
            async with session.get(base + "/", headers={"Host": "noc.example"}) as r:
                assert r.status == 200
                page = await r.text()
        assert 'data-session-websocket-url="wss://noc.example/ws"' in page


def test_serve_refuses_a_bad_public_url_and_sessions_below_one() -> None:
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "expereo_tui", "serve", "--demo", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )

    bad = run("--public-url", "javascript:alert(1)")
    assert bad.returncode == 2 and "--public-url" in bad.stderr
    assert run("--max-sessions", "0").returncode == 2
