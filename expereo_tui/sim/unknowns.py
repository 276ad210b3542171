"""``sim --unknowns``: where the provider's documents are silent, the unhelpful answer.

Every choice stays within what ``shared/docs/expereo-api.md`` marks [doc]; each one breaks an
assumption of ours that the documents do not promise (docs/simulator.md lists them):

- ``Idempotency-Key`` is ignored (a repeated write is committed again);
- ``sort`` and ``filter[...]`` on fields the documents do not list for that use are refused with
  400 (only ``sort=LastModifiedDate``/``-LastModifiedDate`` on cases, the field the V1 document
  says clients use to manage update retrieval, and the documented example fields);
- a message's ``type`` is spelt otherwise (``CUSTOMER``, ``Customer Portal``, ``EXPEREO``);
- ``metadata.total`` is null;
- date fields carry a date-time (``2026-03-01T10:30:00Z``);
- every item carries unknown extra fields;
- no rate-limit headers (a 429 comes without ``Retry-After``);
- tokens come without ``scope``;
- ``links.next`` is relative;
- V1 errors carry no ``extensions.code``.

Hooks only: the middleware, the faces and the token route call these when
``Faults.unknowns`` is on; nothing here changes the world's write rules.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from .listing import BadQuery

#: sort fields the documents name (PascalCase, lower-cased for comparison): the V1 document's
#: ``lastModifiedDate`` ("what clients use to manage update retrieval") and the V2 example's
#: ``AccountId``/``Name``
DOCUMENTED_SORT = frozenset({"lastmodifieddate", "accountid", "name"})
#: filter fields the documents name: the V2 example's ``filter[Name]``
DOCUMENTED_FILTER = frozenset({"name"})
#: how the customer side and the provider are spelt in message ``type`` instead
CUSTOMER_SPELLINGS = ("CUSTOMER", "Customer Portal")
PROVIDER_SPELLING = "EXPEREO"
#: date fields (wire names) that get a date-time
DATE_FIELDS = ("plannedDeliveryDate", "readyForServiceDate", "invoiceDate", "orderRFSDate")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_query(params: QueryParams) -> None:
    """Refuse (400 via :class:`BadQuery`) a sort or filter on a field the documents do not list."""
    for key, _value in params.multi_items():
        if key.startswith("filter[") and key.endswith("]"):
            name = key[7:-1]
            if name.lower() not in DOCUMENTED_FILTER:
                raise BadQuery(f"filtering on {name!r} is not supported", key)
    for spec in (params.get("sort") or "").split(","):
        name = spec.strip().lstrip("-+")
        if name and name.lower() not in DOCUMENTED_SORT:
            raise BadQuery(f"sorting on {name!r} is not supported", "sort")


def message_type(item: dict[str, Any]) -> dict[str, Any]:
    """A message whose ``type`` is spelt otherwise (chosen by its id or text, stable)."""
    kind = item.get("type")
    if kind == "Customer":
        pick = zlib.crc32(str(item.get("id") or item.get("message")).encode()) % 2
        return {**item, "type": CUSTOMER_SPELLINGS[pick]}
    if kind == "Expereo":
        return {**item, "type": PROVIDER_SPELLING}
    return item


def reshape_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the unknowns serve it: types spelt otherwise, date-times in date fields,
    unknown extra fields."""
    if "message" in item and "type" in item:
        item = message_type(item)
    out = dict(item)
    for key in DATE_FIELDS:
        value = out.get(key)
        if isinstance(value, str) and _DATE_ONLY.match(value):
            out[key] = value + "T10:30:00Z"
    out["unknownsExtra"] = {"note": "a field the documents do not list", "n": [1, None]}
    return out


def list_body(body: dict[str, Any]) -> dict[str, Any]:
    """``total`` null and a relative ``links.next``."""
    body["metadata"]["total"] = None
    nxt = body["links"].get("next")
    if nxt:
        from starlette.datastructures import URL

        url = URL(nxt)
        body["links"]["next"] = f"{url.path}?{url.query}"
    return body


def token_body(body: dict[str, Any]) -> dict[str, Any]:
    """A token answer without ``scope`` (OAuth2 lets a server leave it out)."""
    return {k: v for k, v in body.items() if k != "scope"}


def without_retry_after(response: Response) -> Response:
    """No rate-limit headers: a 429 that does not say when to come back."""
    if "retry-after" in response.headers:
        del response.headers["retry-after"]
    return response


def v1_response(response: Response) -> Response:
    """A V1 answer as the unknowns serve it: errors with their ``message`` only (no
    ``extensions.code``, as ``{"errors":[{"message":"An error has occurred"}]}``), and the
    threads' message types spelt otherwise."""
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return response
    if not isinstance(body, dict):
        return response
    if body.get("errors"):
        body["errors"] = [
            {"message": e.get("message") or "An error has occurred"} for e in body["errors"]
        ]
    account = ((body.get("data") or {}).get("viewer") or {}).get("account") or {}
    for case in account.get("cases") or []:
        comms = case.get("communications") if isinstance(case, dict) else None
        if isinstance(comms, list):
            case["communications"] = [message_type(m) for m in comms]
    return JSONResponse(body, status_code=response.status_code)
