"""Faults the simulator injects on demand, and its per-client rate limiter."""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from email.utils import formatdate
from typing import Any

from starlette.datastructures import URL
from starlette.responses import JSONResponse, Response

from expereo_tui.api.shapes import Model


@dataclass
class Faults:
    """What goes wrong, and how often.  Set by flags, by tests directly, or through
    ``POST /_sim/faults`` with a JSON object of these fields."""

    latency: float = 0.0  # seconds added to every API request
    error_rate: float = 0.0  # share of API requests answered 500
    storm_429: int = 0  # the next N API requests answer 429 (with Retry-After)
    storm_retry_after: int = 2  # seconds, for storm_429
    reset_rate: float = 0.0  # share of API requests whose connection is reset
    malformed_json_rate: float = 0.0  # share of GETs answered with broken JSON
    lost_write_responses: int = 0  # next N writes are committed, then the connection resets
    hang_after_commit: float = 0.0  # with lost_write_responses: wait this long before resetting
    drop_writes: int = 0  # next N writes: the connection resets BEFORE anything is committed
    commit_delay: float = 0.0  # seconds a write waits before committing (a client may time out)
    write_response_shape: str = "data"  # data: {"data": ...} | bare: the object | empty: 204
    extra_fields: bool = False  # add unknown fields to every item
    outage: bool = False  # every API request fails with 503 (the API is down)
    token_ttl: int = 3600  # lifetime in seconds of tokens issued from now on
    # -- the API not being what we assumed (docs/simulator.md, "Shape faults")
    bad_items: bool = False  # every list page starts with unreadable items (see BAD_KINDS)
    naive_timestamps: bool = False  # timestamps without their offset ("...T10:00:00")
    unknown_enums: bool = False  # 1 case in 4: unknown status/type/priority; messages: type
    retry_after_http_date: bool = False  # 429s say Retry-After as an HTTP date
    next_link: str = ""  # "", "self", "relative" or "off-origin" (to off_origin)
    off_origin: str = "http://127.0.0.2:9"  # where off-origin next links point
    redirect_to: str = ""  # an origin: every API GET answers 307 to the same path there
    uncoded_errors: bool = False  # errors without their code (V2 errors[].code, V1 extensions)
    #: ``sim --unknowns``: what the documents leave open goes the unhelpful way (sim/unknowns.py)
    unknowns: bool = False

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys raise ``KeyError`` naming them."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise KeyError(", ".join(unknown))
        for key, value in values.items():
            current = getattr(self, key)
            setattr(self, key, type(current)(value))

    def reset(self) -> None:
        """Every fault back to its default; the mode (``unknowns``) stays as it was started."""
        for f in fields(self):
            if f.name != "unknowns":
                setattr(self, f.name, f.default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # -- shape faults --------------------------------------------------------------------------
    def retry_after(self, seconds: int, now: float) -> str:
        """The ``Retry-After`` header value: seconds, or the HTTP date that far from ``now``."""
        if self.retry_after_http_date:
            return formatdate(math.ceil(now + seconds), usegmt=True)
        return str(seconds)

    def reshape_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """An item as the faults serve it (naive timestamps, unknown enum values)."""
        if self.naive_timestamps:
            item = {k: _naive(v) for k, v in item.items()}
        if self.unknown_enums and zlib.crc32(str(item.get("id")).encode()) % 4 == 1:
            if "message" in item and "type" in item:
                item = {**item, "type": UNKNOWN_MESSAGE_TYPE}
            elif "status" in item and "priority" in item:
                item = {
                    **item,
                    "status": UNKNOWN_STATUS,
                    "type": UNKNOWN_TYPE,
                    "priority": UNKNOWN_PRIORITY,
                }
        return item

    def list_response(self, body: dict[str, Any], model: type[Model], url: URL) -> Response:
        """A list body as the faults serve it: bad items first, odd next links."""
        links = body["links"]
        target = links.get("next") or links.get("self")
        if self.next_link == "self":
            links["next"] = links.get("self")
        elif self.next_link == "relative" and links.get("next"):
            nxt = URL(links["next"])
            links["next"] = f"{nxt.path}?{nxt.query}"
        elif self.next_link == "off-origin" and target:
            nxt = URL(target)
            links["next"] = f"{self.off_origin.rstrip('/')}{nxt.path}?{nxt.query}"
        if not self.bad_items or not body["data"]:
            return JSONResponse(body)
        body["data"] = bad_items(body["data"][0], model) + body["data"]
        raw = json.dumps(body, ensure_ascii=True).encode("ascii")
        return Response(raw.replace(INVALID_UTF8_MARK, INVALID_UTF8), media_type="application/json")


def uncoded(response: Response) -> Response:
    """An answer whose errors carry no code: V2's ``errors[].code`` and V1's
    ``extensions.code`` left out (the real API's "An error has occurred" has none, §8).  The
    simulator itself always codes its errors; this is for the app's tests of its tolerance."""
    try:
        body = json.loads(bytes(response.body))
    except (AttributeError, ValueError):  # no body (a reset, a 204) or not JSON
        return response
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return response
    for error in errors:
        if isinstance(error, dict):
            error.pop("code", None)
            ext = error.get("extensions")
            if isinstance(ext, dict):
                ext.pop("code", None)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return JSONResponse(body, status_code=response.status_code, headers=headers)


UNKNOWN_STATUS = "Pending Vendor"
UNKNOWN_TYPE = "Maintenance"
UNKNOWN_PRIORITY = "P0"
UNKNOWN_MESSAGE_TYPE = "System"
#: how the unreadable items of ``bad_items`` are wrong, one item each (a kind is left out when
#: the resource has no field it applies to, e.g. no date)
BAD_KINDS = ("bad_date", "wrong_type", "missing_field", "lone_surrogate", "invalid_utf8")
INVALID_UTF8_MARK = b"@@sim-invalid-utf8@@"
INVALID_UTF8 = b"bad \xff\xfe\xed\xa0\x80 text"  # not UTF-8: a stray byte, an encoded surrogate
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}T[\d:.]+)(Z|[+-]\d{2}:?\d{2})$")


def _naive(value: Any) -> Any:
    if isinstance(value, str):
        m = _OFFSET.match(value)
        if m:
            return m.group(1)
    return value


def _wire_names(model: type[Model]) -> tuple[list[str], list[str]]:
    """(every wire field name, the required ones)."""
    names = model.wire_names()
    infos = model.model_fields.values()
    return names, [wire for wire, info in zip(names, infos, strict=True) if info.is_required()]


def bad_items(template: dict[str, Any], model: type[Model]) -> list[dict[str, Any]]:
    """Copies of ``template`` that a client cannot read, one per applicable kind of BAD_KINDS,
    each with its own id (``sim-bad-<kind>``) where the resource has an id."""
    names, required = _wire_names(model)
    id_key = next((n for n in names if n == "id"), required[0] if required else None)
    dates = [k for k in names if isinstance(template.get(k), str) and _DATE.match(template[k])]
    texts = [
        k
        for k in names
        if isinstance(template.get(k), str) and k != id_key and k not in dates and template[k]
    ]
    out: list[dict[str, Any]] = []
    for kind in BAD_KINDS:
        item = dict(template)
        if id_key:
            item[id_key] = f"sim-bad-{kind}"
        if kind == "bad_date":
            if not dates:
                continue
            item[dates[0]] = "not-a-date"
        elif kind == "wrong_type":
            if not texts:
                continue
            item[texts[0]] = {"unexpected": ["object"]}
        elif kind == "missing_field":
            if not required:
                continue
            del item[required[0]]
        elif kind == "lone_surrogate":
            if not texts:
                continue
            item[texts[0]] = "bad \ud800 text"
        elif kind == "invalid_utf8":
            if not texts:
                continue
            item[texts[0]] = INVALID_UTF8_MARK.decode("ascii")
        out.append(item)
    return out


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second, on an injectable clock."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.tokens = capacity
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> float:
        """Take a token: 0.0 on success, else the seconds until one is available."""
        self._refill()
        if self.tokens >= 1 - 1e-6:  # float time: 0.9999999 is a token
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class SimLimits:
    """The documented budgets ([assume] token buckets): reads 50 burst at 3/s, writes 30 at 0.5/s."""

    read_rate: float = 3.0
    read_burst: int = 50
    write_rate: float = 0.5
    write_burst: int = 30
    enabled: bool = True


class RateLimiter:
    """One read bucket and one write bucket per API client."""

    def __init__(self, limits: SimLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self.rejected = 0

    def check(self, client_id: str, kind: str) -> int:
        """0 when the request may proceed, else the Retry-After seconds (≥ 1)."""
        if not self.limits.enabled:
            return 0
        bucket = self._buckets.get((client_id, kind))
        if bucket is None:
            lim = self.limits
            cap, rate = (
                (lim.read_burst, lim.read_rate)
                if kind == "read"
                else (lim.write_burst, lim.write_rate)
            )
            bucket = self._buckets[(client_id, kind)] = TokenBucket(cap, rate, self.clock)
        wait = bucket.take()
        if wait <= 0:
            return 0
        self.rejected += 1
        return max(1, math.ceil(wait))
