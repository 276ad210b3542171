"""``backend_for``: a profile's ``api`` setting picks the client, both on the same transport."""

from __future__ import annotations

import pytest

from expereo_tui.api.backend import Backend
from expereo_tui.api.factory import backend_for
from expereo_tui.api.http import HttpTransport
from expereo_tui.api.settings import ClientSettings
from expereo_tui.api.v1 import V1Client
from expereo_tui.api.v2 import V2Client

SECRET = "s3cret-value-never-shown"


def settings() -> ClientSettings:
    return ClientSettings(
        base_url="https://api.test",
        token_url="https://api.test/oauth2/token",
        client_id="cid",
        client_secret=SECRET,
        scopes=["customerapi/support.read"],
    )


@pytest.mark.parametrize(("api", "kind"), [("v1", V1Client), ("v2", V2Client)])
async def test_the_api_setting_picks_the_client(api: str, kind: type[object]) -> None:
    built = settings()
    async with backend_for(api, built) as client:
        assert type(client) is kind and isinstance(client, Backend)
        assert client.api == api and client.settings is built
        assert isinstance(client.http, HttpTransport)
        assert SECRET not in repr(client) + repr(client.http)


def test_an_unknown_api_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown API 'v3'"):
        backend_for("v3", settings())
