"""HTTP answers the simulator's middleware and V2 face share: JSON:API error bodies, a refused
write as V2 renders it, and a connection reset."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from .writes import WriteRejected


def errors(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    pointer: str | None = None,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    err: dict[str, Any] = {
        "status": str(status),
        "code": code or str(status),
        "title": title,
        "detail": detail,
    }
    if pointer or parameter:
        err["source"] = {"pointer": pointer} if pointer else {"parameter": parameter}
    err.update(extra)
    return JSONResponse({"errors": [err]}, status_code=status, headers=headers)


def rejected(rej: WriteRejected) -> JSONResponse:
    """A refused write as the V2 face answers it (one error object per field)."""
    out = []
    for field, detail in rej.errors:
        err: dict[str, Any] = {
            "status": str(rej.status),
            "code": rej.code or ("validation_error" if rej.status == 422 else "bad_request"),
            "title": "Unprocessable Entity" if rej.status == 422 else "Bad Request",
            "detail": detail,
        }
        if field:
            err["source"] = {"pointer": f"/{field}"}
        out.append(err)
    body: dict[str, Any] = {"errors": out}
    if rej.code == "HC0011":
        body["message"] = "An error has occurred"
    return JSONResponse(body, status_code=rej.status)


class ResetResponse(Response):
    """Starts a response, then drops the connection (what a reset looks like to a client)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(status_code=200)
        self.delay = delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        raise ConnectionResetError("simulated connection reset")
