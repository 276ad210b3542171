"""Reading list pages defensively: each item on its own (one bad item is skipped, not the page),
and ``links.next`` followed only within the API's origin and never twice in one walk."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from .errors import PaginationError, ServerError
from .models import REPAIRS_KEY, PageLinks, PageMetadata, repairs_of
from .shapes import Model, ModelError, to_camel

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class SkippedItem:
    """An item of a list that could not be read, and why (no item content beyond its id)."""

    path: str  # the list, e.g. /v2/cases
    item_id: str | None  # the item's id when it has a readable one
    field: str  # the field at fault ("" when the item as a whole is wrong)
    reason: str  # the model's error type (pydantic's names), e.g. datetime_from_date_parsing, missing, invalid_text


def id_field(model: type[Model]) -> str | None:
    """The wire name of the model's identifying field (``id``, ``caseId``, ``siteId``...)."""
    names = list(model.model_fields)
    for name in names:
        if name == "id" or name.endswith("_id"):
            info = model.model_fields[name]
            if info.is_required() or name == "id":
                return info.alias or name
    return None


def _item_id(item: Any, model: type[Model]) -> str | None:
    key = id_field(model)
    if not isinstance(item, dict) or key is None:
        return None
    value = item.get(key)
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)[:200]
        # the id goes to the log: hostile text (escapes, newlines) is written escaped
        return text if text.isprintable() else ascii(text)
    return None


def _skipped(
    path: str, item: Any, model: type[Model], exc: ModelError
) -> SkippedItem:
    first = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    ctx = first.get("ctx") or {}
    field = str(ctx.get("field", loc)) if first["type"] == "invalid_text" else loc
    field = field if field.isprintable() else ascii(field)  # a key may be hostile text too
    return SkippedItem(path=path, item_id=_item_id(item, model), field=field, reason=first["type"])


_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]")


def _fffd(value: Any) -> Any:
    """``value`` with every lone surrogate (a ``\\ud800`` escape, or a byte that was not UTF-8,
    decoded with ``surrogateescape``) replaced by U+FFFD, keys included."""
    if isinstance(value, str):
        if value.isascii():
            return value
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, dict):
        return {_fffd(k): _fffd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fffd(v) for v in value]
    return value


def repaired(model: type[M], entry: Any, id_key: str | None = None) -> M:
    """``entry`` read as ``model``, repairing what can be repaired rather than dropping the
    item: invalid text → U+FFFD, a date-time in a date field → its date, a field of the wrong
    type → its JSON text (a text field) or nothing (an optional one).  The item records what
    was repaired under :data:`~expereo_tui.api.models.REPAIRS_KEY` (kept by the store, said
    in the case detail).  An item whose id is missing or unreadable is not repaired: the
    model's error is raised and the caller skips it."""
    try:
        return model.model_validate(entry)
    except ModelError as caught:
        if not isinstance(entry, dict):
            raise
        first = exc = caught
    item = dict(entry)
    repairs: list[str] = []
    for _ in range(12):  # each pass repairs the fields one error list names
        for err in exc.errors(include_url=False):
            kind = err["type"]
            loc = err.get("loc", ())
            if kind == "invalid_text":
                item = _fffd(item)
                repairs.append("invalid text → U+FFFD")
                continue
            if not loc or not isinstance(loc[0], str) or loc[0] == id_key:
                raise first
            key = _wire_key(model, loc[0], item)
            if key is None or kind == "missing":
                raise first
            value = item.get(key)
            match = _DATE_PREFIX.match(value) if isinstance(value, str) else None
            if kind.startswith("date_") and match:
                item[key] = match.group(1)
                repairs.append(f"{key}: a date-time, read as its date")
            elif kind == "string_type" and value is not None:
                item[key] = json.dumps(value, ensure_ascii=False)[:500]
                repairs.append(f"{key}: not text, kept as its JSON")
            else:
                item[key] = None
                repairs.append(f"{key}: unreadable ({kind}), left empty")
        item[REPAIRS_KEY] = repairs
        try:
            return model.model_validate(item)
        except ModelError as again:
            exc = again
    raise first


def _wire_key(model: type[Model], name: str, item: dict[str, Any]) -> str | None:
    """The key of ``item`` that the error's location ``name`` refers to."""
    if name in item:
        return name
    info = model.model_fields.get(name)
    alias = info.alias if info is not None else None
    if alias and alias in item:
        return alias
    camel = to_camel(name)
    return camel if camel in item else None


def read_items(path: str, raw: list[Any], model: type[M]) -> tuple[list[M], list[SkippedItem]]:
    """Read each item of a page on its own, repairing what can be (:func:`repaired`): the
    readable ones, and what was skipped (an item with no usable id)."""
    items: list[M] = []
    skipped: list[SkippedItem] = []
    id_key = id_field(model)
    for entry in raw:
        try:
            item_read = repaired(model, entry, id_key)
            items.append(item_read)
            for repair in repairs_of(item_read):
                field = repair.split(":", 1)[0] if ":" in repair else "-"
                log.info(
                    "repaired an item of %s: id=%s field=%s",
                    path,
                    _item_id(entry, model) or "-",
                    field if field.isprintable() else ascii(field),
                )
        except ModelError as exc:
            item = _skipped(path, entry, model, exc)
            skipped.append(item)
            log.warning(
                "skipped an item of %s: id=%s field=%s reason=%s",
                path,
                item.item_id if item.item_id is not None else "-",
                item.field or "-",
                item.reason,
            )
    return items, skipped


@dataclass
class RawPage:
    """A page envelope whose items are not read yet."""

    data: list[Any]
    metadata: PageMetadata
    links: PageLinks


def read_envelope(body: Any, path: str) -> RawPage:
    """The data/metadata/links envelope; a body that is not one is a :class:`ServerError`."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ServerError(f"The API sent a list {path} we cannot read (no data array).")
    try:
        metadata = PageMetadata.model_validate(body.get("metadata") or {})
        links = PageLinks.model_validate(body.get("links") or {})
    except ModelError as exc:
        raise ServerError(
            f"The API sent a list {path} we cannot read: {exc.error_count()} problem(s)."
        ) from None
    return RawPage(data=body["data"], metadata=metadata, links=links)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


def _walk_key(url: httpx.URL) -> str:
    """The URL with its query sorted: the same page asked for twice has the same key."""
    query = sorted(httpx.QueryParams(url.query).multi_items())
    return str(url.copy_with(query=None, fragment=None)) + "?" + urlencode(query)


class PageWalk:
    """The pages of one list walk: checks each ``links.next`` before it is followed."""

    def __init__(self, base_url: httpx.URL | str, path: str) -> None:
        self.origin = _origin(httpx.URL(str(base_url)))
        self.path = path
        self._seen: set[str] = set()

    def visit(self, url: httpx.URL) -> None:
        """Note a URL about to be fetched."""
        self._seen.add(_walk_key(url))

    def next_url(self, current: httpx.URL, link: str | None) -> httpx.URL | None:
        """The absolute URL of the next page, or None at the end; raises
        :class:`PaginationError` for a link to another origin, a page already walked, or a
        link that is not a URL."""
        if not link:
            return None
        try:
            nxt = current.join(link)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise PaginationError(
                f"The API's next-page link of {self.path} is not a URL; the list was cut short.",
                code="bad-link",
                path=self.path,
            ) from None
        if _origin(nxt) != self.origin:
            log.warning(
                "refused the next-page link of %s: it points to %s://%s, not the API's origin",
                self.path,
                nxt.scheme,
                nxt.host,
            )
            raise PaginationError(
                f"The API's next-page link of {self.path} points to another server "
                f"({nxt.host}); it was not followed.",
                code="off-origin",
                path=self.path,
                host=nxt.host,
            )
        if _walk_key(nxt) in self._seen:
            log.warning("refused the next-page link of %s: that page was already read", self.path)
            raise PaginationError(
                f"The API's next-page link of {self.path} repeats a page already read; the "
                "list was cut short rather than read forever.",
                code="repeated",
                path=self.path,
            )
        return nxt
