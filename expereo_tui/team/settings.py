"""What a profile says about its team store, turned into what psycopg connects with.

The password is never in the URL (the config refuses one) and is passed to libpq as a separate
keyword, so it is in no ``ps`` line, log line or ``repr``.  A host that is not loopback gets
``sslmode=verify-full`` unless the URL names an ``sslmode`` itself.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from expereo_tui.net import is_loopback_host

#: libpq's keepalives: a peer that vanished (host down, cable cut) is noticed in ~15 s, which
#: ends its session and frees its advisory locks (the leader's lock above all)
KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "5",
    "connect_timeout": "5",
    # and the server's side of it: a leader whose host vanished loses its session (and the
    # leader lock) in ~11 s instead of the kernel's two hours
    "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
}


def _is_loopback_host(host: str) -> bool:
    """No host (libpq's default: the local Unix socket) or a loopback one (expereo_tui.net)."""
    return not host or is_loopback_host(host)


def client_key(base_url: str, client_id: str) -> str:
    """The API client several instances share (the rate limits belong to it): not a secret, the
    same on every host that uses the same client against the same API."""
    raw = f"{base_url.rstrip('/')}\0{client_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class TeamSettings:
    """One instance's view of its team: where the store is, which API client, who it is."""

    url: str
    client: str  # client_key(): the API client the team shares
    password: str | None = field(default=None, repr=False)
    read_only: bool = False
    username: str = field(default_factory=lambda: os.environ.get("USER") or getpass.getuser())
    host: str = field(default_factory=socket.gethostname)
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    application_name: str = "expereo-tui"

    @property
    def server_host(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or dict(parse_qsl(parts.query)).get("host", "")
        return host

    @property
    def verifies_tls(self) -> bool:
        """Whether the connection checks the server's certificate and name (or stays on this
        machine, where there is nothing to check)."""
        mode = dict(parse_qsl(urlsplit(self.url).query)).get("sslmode")
        if mode is None:
            return True  # verify-full is added for any non-loopback host
        return mode == "verify-full" or _is_loopback_host(self.server_host)

    def connect_kwargs(self) -> dict[str, str]:
        """libpq keywords beside the URL: never the password in the URL itself."""
        kwargs = dict(KEEPALIVES)
        kwargs["application_name"] = self.application_name
        query = dict(parse_qsl(urlsplit(self.url).query))
        if "sslmode" not in query and not _is_loopback_host(self.server_host):
            kwargs["sslmode"] = "verify-full"
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs

    def describe(self) -> str:
        """The URL as it may be shown (it holds no password)."""
        return self.url
