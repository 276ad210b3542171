"""The web server behind ``expereo-tui serve``: textual-serve's :class:`Server`, made safe to
expose (issue #33).  Its handlers are wrapped, not forked:

- **Host** (DNS rebinding): a request is answered only when its ``Host`` is a name this server
  was served as: a loopback name, the bound address, the ``--public-url`` host, or (bound to a
  wildcard address) an IP literal or this machine's own name.  A rebinding attack needs a name
  of the attacker's, which is none of these.
- **Origin** (cross-site websocket hijacking): the websocket needs an ``Origin`` that is the
  page's own (``scheme://Host``) or the ``--public-url``'s; any other request that carries one
  must match too.
- **Token**: off loopback (or with ``--require-token``) every request needs the per-run access
  token, from ``?token=`` (which then becomes an HttpOnly cookie and leaves the address bar) or
  that cookie.  It is printed once to the terminal and never logged (the access log is off).
- **Websocket URL**: from ``--public-url``, or from the request's own ``Host``, never the bound
  address (``ws://0.0.0.0`` cannot be reached).
- **No outside requests**: the page is our copy of textual-serve's with the font served from
  here; a Content-Security-Policy allows nothing but this origin.
- **A cap on sessions**: each one is a full app process; past ``max_sessions`` a new websocket
  is refused (503).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

PAGE = Path(__file__).parent / "page"
COOKIE = "expereo-token-{port}"
WILDCARDS = ("0.0.0.0", "::", "")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def split_host(value: str) -> tuple[str, int | None] | None:
    """(host name lower-cased without brackets, port) from a ``Host`` header; None if bad."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        return (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        return None


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback_name(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SafeServer(Server):
    """textual-serve's server with the checks above in front of every handler."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str,
        public_url: str | None = None,
        token: str | None = None,
        max_sessions: int = 8,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.given_public_url = public_url.rstrip("/") if public_url else None
        self.token = token
        self.max_sessions = max_sessions
        self.sessions = 0
        self.cookie = COOKIE.format(port=port)
        self.templates_path = PAGE
        self.wildcard = host in WILDCARDS
        names = {host.strip("[]").lower()} if not self.wildcard else set()
        if self.wildcard:  # this machine's own names (its IP literals are allowed anyway)
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        if self.given_public_url:
            public = urlsplit(self.given_public_url).hostname
            if public:
                names.add(public.lower())
        self.names = names

    # -- the checks --------------------------------------------------------------------------
    def host_allowed(self, name: str) -> bool:
        """Whether ``name`` (from a ``Host`` or ``Origin``) is one this server was served as."""
        if not name:
            return False
        if is_loopback_name(name) or name in self.names:
            return True
        return self.wildcard and is_ip_literal(name)

    def origin_allowed(self, request: web.Request, origin: str) -> bool:
        """The page's own origin, or the public URL's (behind a proxy)."""
        own = f"{request.scheme}://{request.host}".lower()
        allowed = {own}
        if self.given_public_url:
            public = urlsplit(self.given_public_url)
            allowed.add(f"{public.scheme}://{public.netloc}".lower())
        return origin.strip().lower() in allowed

    def token_ok(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        offered = request.query.get("token") or request.cookies.get(self.cookie) or ""
        return hmac.compare_digest(offered.encode(), self.token.encode())

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = split_host(request.host)
        if host is None or not self.host_allowed(host[0]):
            raise web.HTTPForbidden(text="expereo-tui serve: this Host is not served here\n")
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin is None:
            raise web.HTTPForbidden(text="expereo-tui serve: a websocket needs an Origin\n")
        if origin is not None and not self.origin_allowed(request, origin):
            raise web.HTTPForbidden(text="expereo-tui serve: cross-origin request refused\n")
        if not self.token_ok(request):
            raise web.HTTPForbidden(
                text="expereo-tui serve: open the link with ?token= that serve printed\n"
            )
        if self.token is not None and "token" in request.query and request.path == "/":
            # the token becomes a cookie and leaves the address bar (and its history)
            query = {k: v for k, v in request.query.items() if k != "token"}
            target = request.rel_url.with_query(query)
            redirect = web.HTTPSeeOther(location=str(target))
            redirect.set_cookie(
                self.cookie,
                self.token,
                httponly=True,
                samesite="Strict",
                secure=request.secure,
                path="/",
            )
            raise redirect
        response = await handler(request)
        self.protect(request, response)
        return response

    def protect(self, request: web.Request, response: web.StreamResponse) -> None:
        """Headers that keep the page to this origin (websocket upgrades need none)."""
        if response.prepared:
            return
        ws = self.websocket_url(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self' {ws}; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"

    # -- textual-serve's pieces, overridden ----------------------------------------------------
    def base_url(self, request: web.Request) -> str:
        """Where the browser reached us: the public URL, else the request's own (checked) Host."""
        if self.given_public_url:
            return self.given_public_url
        return f"{request.scheme}://{request.host}"

    def websocket_url(self, request: web.Request) -> str:
        base = self.base_url(request)
        scheme, rest = base.split(":", 1)
        return ("wss:" if scheme == "https" else "ws:") + rest + "/ws"

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request) -> web.Response:
        try:
            font_size = max(6, min(int(request.query.get("fontsize", "16")), 64))
        except ValueError:
            font_size = 16
        context: dict[str, Any] = {
            "font_size": font_size,
            "app_websocket_url": self.websocket_url(request),
            "config": {"static": {"url": self.base_url(request) + "/static/"}},
            "application": {"name": self.title},
            "ping_url": "",
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"expereo-tui serve: {self.max_sessions} sessions already (--max-sessions)\n"
            )
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    def initialize_logging(self) -> None:
        """Nothing: the app's own log (redacting, private) already has the root logger, and
        textual-serve's would print tracebacks with their locals."""

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: :meth:`serve` prints where to open once the port is listening."""

    def open_lines(self) -> list[str]:
        """What to open, printed once (the token is in it, as Jupyter does)."""
        query = f"/?token={self.token}" if self.token else "/"
        if self.given_public_url:
            bases = [self.given_public_url]
        elif self.wildcard:
            bases = [f"http://{socket.gethostname()}:{self.port}", f"http://127.0.0.1:{self.port}"]
        else:
            host = f"[{self.host}]" if ":" in self.host else self.host
            bases = [f"http://{host}:{self.port}"]
        lines = ["expereo-tui serve: open in a browser:"]
        lines += [f"    {base}{query}" for base in bases]
        if self.token:
            lines.append("(the token is for this run only; whoever has the link has the app)")
        lines.append("Ctrl+C stops it.")
        return lines

    def serve(self, debug: bool = False) -> None:
        """Listen until SIGINT or SIGTERM.  Unlike textual-serve's: no access log (it would log
        ``?token=``), and the link is printed once the port listens (a script may wait on it)."""
        import asyncio

        self.debug = debug
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        import asyncio
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host or None, self.port, shutdown_timeout=5)
            await site.start()
            for line in self.open_lines():
                print(line, flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()
