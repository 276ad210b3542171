"""A TLS failure is named as one, not "not reachable" (issue #33 item 3): a real https://
request to the simulator, which speaks plain HTTP, fails in the TLS handshake."""

from __future__ import annotations

import ssl

import httpx
import pytest

from expereo_tui.api.errors import NetworkError
from expereo_tui.api.settings import ClientSettings
from expereo_tui.api.tls import tls_failure
from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import SimConfig, Simulator, run_server


async def _no_sleep(seconds: float) -> None:
    return None


async def test_https_to_a_server_without_tls_is_a_tls_failure() -> None:
    sim = Simulator(SimConfig(seed=1, scale="tiny", client_id="cid", client_secret="sec"))
    with run_server(sim) as url:
        tls_url = url.replace("http://", "https://")
        settings = ClientSettings(
            base_url=tls_url, token_url=f"{tls_url}/oauth2/token", client_id="cid",
            client_secret="sec", scopes=[],
        )
        client = V2Client(settings, sleep=_no_sleep)
        try:
            with pytest.raises(NetworkError) as caught:
                [a async for a in client.iter_accounts()]
        finally:
            await client.aclose()
    message = str(caught.value)
    assert message.startswith("TLS failed at the token endpoint") and "reachable" not in message


def test_a_refused_certificate_is_named() -> None:
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verify.verify_message = "self-signed certificate"
    try:
        try:
            raise verify
        except ssl.SSLError as inner:
            raise httpx.ConnectError("handshake") from inner
    except httpx.ConnectError as exc:
        said = tls_failure(exc, "the expereoOne API")
    assert said and "certificate was refused (self-signed certificate)" in said
    assert tls_failure(httpx.ConnectError("refused"), "x") is None
