"""A TLS failure said as one (issue #33 item 3): a certificate the system does not trust, a
name that does not match, or a server that does not speak TLS is not "not reachable", and
retrying does not fix it."""

from __future__ import annotations

import ssl


def tls_failure(exc: BaseException, where: str) -> str | None:
    """A sentence naming the TLS failure behind ``exc`` (an httpx transport error) at
    ``where`` ("the token endpoint"), or None when it was not TLS."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason or "certificate not trusted"
            return (
                f"TLS failed at {where}: its certificate was refused ({reason}). Check the "
                "URL, or the CA bundle (SSL_CERT_FILE) if a proxy re-signs traffic."
            )
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or type(cause).__name__
            return f"TLS failed at {where} ({reason}): is it an https:// server?"
        cause = cause.__cause__ or cause.__context__
    return None
