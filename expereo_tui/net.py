"""Whether a host is this machine: one rule for the API's URLs (plain http allowed only there)
and the team store's (TLS verified for any other host)."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``), 127.0.0.0/8, ``::1``, or a Unix socket's folder."""
    if host.startswith("/"):  # libpq: a Unix socket, on this machine
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
