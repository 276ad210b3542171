"""The models read what the API sends as pydantic would (#30: they no longer use it).

Each read model is compared with its pydantic twin (``schema.mirror``: the same fields, wire
names, defaults and extra policy, read by pydantic) on a battery of values for every field: the
same value read, or the same error type at the same place.  The repairs of ``pagination.py``
and the skipped-item log lines depend on those error types."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from expereo_tui.api import models
from expereo_tui.api.schema import mirror
from expereo_tui.api.shapes import Model, ModelError

READ_MODELS = [
    models.Account,
    models.Site,
    models.Service,
    models.Case,
    models.CaseMessage,
    models.Invoice,
    models.InvoiceLineDetail,
    models.ApiClientInfo,
    models.PageMetadata,
    models.PageLinks,
    models.ErrorSource,
    models.ErrorObject,
    models.TokenResponse,
    models.CaseUpdate,
    models.MessageCreate,
]

VALUES: list[Any] = [
    None, "x", "", " ", 0, 1, 2, -1, 5.0, 5.5, -1.0, True, False, "5", "5.0", " 7 ", "-3", "1e3",
    "1_000", "abc", "nan", "inf", "true", "yes", "on", "off", "N", [], [1], ["a", "b"], ["a", 1],
    {}, {"a": 1}, {"pointer": "/x"}, {"pointer": 5},
    "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T10:00:00", "2024-01-01T10:00:00Z",
    "2024-01-01t10:00:00z", "2024-01-01 10:00", "2024-01-01T10:00:00.123456789+02:00",
    "2024-01-01T10:00:00,5-05:30", "2024-01-01T00:00:00+02:00", "2024-01-01T10:00:00+0200",
    "2024-1-1", "2024-13-01", "2024-02-30", "2024-01-01T25:00:00", "2024-01-01T10", "20240101",
    "1704067200", 1704067200, 1704067200.5, 1704067200123, -86400, 86400,
    datetime(2024, 1, 1, 10, 0), datetime(2024, 1, 1), date(2024, 1, 1),
]  # fmt: skip


def _read(model: Any, data: dict[str, Any]) -> tuple[Any, ...]:
    """What reading ``data`` gives: the dumped item, or each error's type and place."""
    try:
        item = model.model_validate(data)
    except (ValidationError, ModelError) as exc:
        return ("error", sorted((e["type"], tuple(e["loc"])) for e in exc.errors()))
    dumped = item.model_dump(mode="json", by_alias=True)
    python = item.model_dump()
    return ("read", _nan_free(dumped), _nan_free(python), sorted(item.model_fields_set))


def _nan_free(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _nan_free(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_free(v) for v in value]
    return value


def _base(model: type[Model]) -> dict[str, Any]:
    """A valid item of ``model``: its required fields, each given a plain text."""
    return {
        (info.alias or name): "ok" for name, info in model.model_fields.items() if info.is_required()
    }


@pytest.mark.parametrize("model", READ_MODELS, ids=lambda m: m.__name__)
def test_every_field_reads_as_pydantic_reads_it(model: type[Model]) -> None:
    twin = mirror(model)
    differences = []
    for name, info in model.model_fields.items():
        for key in dict.fromkeys([info.alias or name, name]):
            for value in VALUES:
                data = {**_base(model), key: value}
                ours, theirs = _read(model, data), _read(twin, data)
                if ours != theirs:
                    differences.append(f"{key}={value!r}: ours {ours}, pydantic {theirs}")
    assert not differences, "\n".join(differences[:20])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"unknown": {"nested": [1, 2]}, "other": None},
        {"serviceId": "a", "service_id": "b"},
        {"data": "not a list"},
    ],
)
@pytest.mark.parametrize("model", READ_MODELS, ids=lambda m: m.__name__)
def test_whole_items_read_as_pydantic_reads_them(model: type[Model], data: dict[str, Any]) -> None:
    given = {**_base(model), **data}
    assert _read(model, given) == _read(mirror(model), given)


@pytest.mark.parametrize("value", ["a list", 5, None, ["x"]])
def test_what_is_not_an_object_is_refused_alike(value: Any) -> None:
    assert _read(models.Case, value) == _read(mirror(models.Case), value)  # type: ignore[arg-type]


def test_a_page_reads_its_items_with_their_model() -> None:
    page = models.Page[models.Case].model_validate(
        {"data": [{"id": "C1", "createdDate": "2024-01-01T10:00:00"}], "metadata": {"total": "3"}}
    )
    assert page.data[0].created_date == datetime.fromisoformat("2024-01-01T10:00:00+00:00")
    assert page.metadata.total == 3 and page.links.next is None
    assert models.Page[models.Case] is models.Page[models.Case]
    with pytest.raises(ModelError) as exc:
        models.Page[models.Site].model_validate({"data": [{"siteId": "S1"}, {"siteId": 5}]})
    assert [(e["type"], e["loc"]) for e in exc.value.errors()] == [
        ("string_type", ("data", 1, "siteId"))
    ]
