"""The models read what the API sends as pydantic would (#30: they no longer use it).

Each read model is compared with its pydantic twin (``schema.mirror``: the same fields, wire
names, defaults and extra policy, read by pydantic) on a battery of values for every field: the
same value read, or the same error type at the same place.  The repairs of ``pagination.py``
and the skipped-item log lines depend on those error types."""

from __future__ import annotations

import math
import types
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import pytest
from pydantic import ValidationError

from expereo_tui.api import models
from expereo_tui.api.models import CaseType, Priority
from expereo_tui.api.schema import mirror
from expereo_tui.api.shapes import UTC_MARK, CheckInfo, Field, Model, ModelError, checks

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
    "2024-01-01\n", "2024-01-01T10:00:00Z\n", "5\n", "\u0665", "\uff12\uff10\uff12\uff14-01-01",
    "2024-01-01T10:00:00+25:00", "2024-01-01T23:59:60Z", "12:30", "+5", "0x10", "1.5e3",
    float("inf"), float("-inf"), float("nan"), 1e20, -1e20, "1e20", 20_000_000_000,
    20_000_000_001, 20_000_000_000.5, "20000000001", 86400 * 365 * 9000, 1e300,
    CaseType.INCIDENT, Priority.P1, {"deep": [float("nan"), {"x": float("inf")}]},
    2**63, 2**63 - 1, -(2**63), -(2**63) - 1, float(2**63), -float(2**63), 9.2e18,
    "1.0e20", "9.9e99", "99999999999", "-1.5e3", "2024-02-30T10:00:00",
]  # (not bytes: JSON has none, and the models refuse them where pydantic would decode them)  # fmt: skip


def _read(model: Any, data: dict[str, Any]) -> tuple[Any, ...]:
    """What reading ``data`` gives: the dumped item, or each error's type and place."""
    try:
        item = model.model_validate(data)
    except (ValidationError, ModelError) as exc:
        return (
            "error",
            sorted(
                (e["type"], tuple(e["loc"]), _msg(e), repr(e["input"]), _ctx(e))
                for e in exc.errors()
            ),
        )
    dumped = item.model_dump(mode="json", by_alias=True)
    python = item.model_dump()
    kept = _nan_free(item.model_extra)
    return ("read", _nan_free(dumped), _nan_free(python), sorted(item.model_fields_set), kept)


#: errors whose message names the parser's detail ("month value is outside expected range"):
#: ours says "unable to parse"; the type and place are compared, not the words
_DETAILED = ("date_from_datetime_parsing", "datetime_from_date_parsing", "datetime_parsing")
# (what comes before the detail is compared: "Input should be a valid datetime or date")


def _msg(error: dict[str, Any]) -> str:
    """The message; for a parser's error, what comes before its detail."""
    text = str(error["msg"])
    return text.split(", ")[0] if error["type"] in _DETAILED else text


def _ctx(error: dict[str, Any]) -> str:
    """The error's context (a value error's exception as its text; not a parser's detail)."""
    if error["type"] in _DETAILED:
        return ""
    return repr(sorted((k, str(v)) for k, v in (error.get("ctx") or {}).items()))


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
        (info.alias or name): "ok"
        for name, info in model.model_fields.items()
        if info.is_required()
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


ITEM = {
    "id": "C1",
    "subject": "Service down",
    "createdDate": "2024-01-01T10:00:00Z",
    "endOfIncident": None,
    "vendorNote": {"x": [1, None]},
    "vendorNull": None,  # a kept null between kept values
    "vendorLast": 1,
}


def _both(model: type[Model], data: dict[str, Any]) -> tuple[Any, Any]:
    return model.model_validate(data), mirror(model).model_validate(data)


@pytest.mark.parametrize("by_alias", [False, True])
@pytest.mark.parametrize("exclude_none", [False, True])
@pytest.mark.parametrize("exclude_unset", [False, True])
@pytest.mark.parametrize("mode", ["python", "json"])
def test_a_model_is_written_as_pydantic_writes_it(
    by_alias: bool, exclude_none: bool, exclude_unset: bool, mode: str
) -> None:
    ours, theirs = _both(models.Case, ITEM)
    options = {
        "by_alias": by_alias,
        "exclude_none": exclude_none,
        "exclude_unset": exclude_unset,
        "mode": mode,
    }
    assert ours.model_dump(**options) == theirs.model_dump(**options)
    nested_ours, nested_theirs = _both(
        models.ErrorObject, {"status": "422", "source": {"pointer": "/subject", "more": None}}
    )
    assert nested_ours.model_dump(**options) == nested_theirs.model_dump(**options)
    page = {"data": [ITEM, {"id": "C2", "customerReference": None}], "metadata": {"total": 2}}
    page_ours, page_theirs = _both(models.Page[models.Case], page)
    assert page_ours.model_dump(**options) == page_theirs.model_dump(**options)


def test_copies_and_constructions_are_pydantic_s() -> None:
    ours, theirs = _both(models.Case, ITEM)
    for update in ({"status": "Closed"}, {"vendorNote": "y", "subject": None}, {}):
        copy_ours, copy_theirs = ours.model_copy(update=update), theirs.model_copy(update=update)
        assert copy_ours.model_dump() == copy_theirs.model_dump(), update
        assert copy_ours.model_fields_set == copy_theirs.model_fields_set, update
        assert copy_ours.model_extra == copy_theirs.model_extra, update
    assert ours.model_dump() == ITEM_DUMP and ours.status is None  # the copies left it alone
    built = models.Case.model_construct(id="C2", status="Open", odd=1)
    twin = mirror(models.Case).model_construct(id="C2", status="Open", odd=1)
    assert built.model_dump() == twin.model_dump()
    assert built.model_fields_set == twin.model_fields_set
    made = models.Case(id="C3", created_date="2024-01-01T10:00:00")
    assert (
        made.model_dump()
        == mirror(models.Case)(id="C3", created_date="2024-01-01T10:00:00").model_dump()
    )
    assert made.model_fields_set == {"id", "created_date"}


ITEM_DUMP = {
    "id": "C1", "subject": "Service down", "type": None, "status": None, "priority": None,
    "origin": None, "created_date": datetime.fromisoformat("2024-01-01T10:00:00+00:00"),
    "last_modified_date": None, "customer_reference": None, "start_of_incident": None,
    "end_of_incident": None, "service_id": None, "site_id": None, "account_id": None,
    "vendorNote": {"x": [1, None]}, "vendorNull": None, "vendorLast": 1,
}  # fmt: skip


def test_equal_when_every_field_and_kept_field_is() -> None:
    one, two = models.Case.model_validate(ITEM), models.Case.model_validate(dict(ITEM))
    assert one == two and one is not two
    assert one != models.Case.model_validate({**ITEM, "subject": "other"})
    assert one != models.Case.model_validate({**ITEM, "vendorNote": 2})
    assert one != models.CaseMessage(id="C1")
    assert "subject='Service down'" in repr(one) and "vendorNote=" in repr(one)


def test_a_write_refuses_what_it_does_not_know_and_names_it() -> None:
    with pytest.raises(ModelError) as exc:
        models.MessageCreate.model_validate({"message": "hi", "sentby": "x", "case": 1})
    assert [(e["type"], e["loc"]) for e in exc.value.errors()] == [
        ("extra_forbidden", ("sentby",)),
        ("extra_forbidden", ("case",)),
    ]
    assert "2 validation errors for MessageCreate" in str(exc.value)
    assert models.MessageCreate.wire_names() == ["message", "sentBy"]
    assert models.TokenResponse.wire_names()[:2] == ["access_token", "token_type"]
    assert models.PageLinks.wire_names() == ["self", "next", "previous"]


def test_the_rules_see_the_fields_read_before_them() -> None:
    """A check reads ``info.data``: the fields before it that were read (a failed one is
    absent), as pydantic's ``ValidationInfo.data``."""
    base = {"subject": "ServiceDown", "serviceId": "S1", "message": "m"}
    problems = models.write_problems(models.CaseCreate, {**base, "type": "Nope"})
    assert [p.field for p in problems] == ["type"]  # the subject rule had no type to judge by
    problems = models.write_problems(
        models.CaseCreate, {**base, "type": "Incident", "subject": "Billing"}
    )
    assert [p.field for p in problems] == ["subject", "startOfIncident"]
    problems = models.write_problems(
        models.CaseCreate,
        {
            **base,
            "type": "Incident",
            "startOfIncident": "2024-01-02",
            "endOfIncident": "2024-01-01",
        },
    )
    assert [(p.field, p.message) for p in problems] == [
        ("endOfIncident", "endOfIncident must not be before startOfIncident")
    ]
    assert models.CaseCreate.__checks__["_not_blank"].fields == ("subject", "service_id", "message")


T = TypeVar("T")
Stamp = datetime  # a name only this module has (see ``stamp`` below)


def _declare(
    name: str,
    bases: tuple[type, ...],
    fields: dict[str, Any],
    rules: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """A model class made now (its fields and readers worked out in this test, not at import:
    what the tests above use was worked out once per process, before a mutation is tried)."""
    annotations = {k: v[0] for k, v in fields.items()}
    defaults = {k: v[1] for k, v in fields.items() if len(v) > 1}

    def body(namespace: dict[str, Any]) -> None:
        namespace.update(__annotations__=annotations, __module__=__name__, **defaults)
        namespace.update(rules or {})

    return types.new_class(name, bases, options, body)


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the twin writes ``lazy``
def test_a_model_declared_now_reads_as_pydantic_reads_it() -> None:
    inner = _declare(
        "Inner",
        (Model,),
        {
            "_note": (ClassVar[int], 0),  # not fields: a private name, a class variable
            "kind": (ClassVar, "inner"),
            "limit": (ClassVar[int], 3),
            "code": (int,),
            "when": (Annotated[datetime, UTC_MARK] | None, None),
            "due_at": (Annotated[datetime, UTC_MARK], Field(default=None)),  # never null read
            "label": (Annotated[str, "a mark that is not UTC_MARK"], ""),
        },
        extra="forbid",
    )
    assert list(inner.model_fields) == ["code", "when", "due_at", "label"]
    when = inner.model_validate({"code": 1, "when": "2024-01-01T10:00"}).when
    assert when == datetime.fromisoformat("2024-01-01T10:00:00+00:00")  # naive → UTC
    box = _declare(
        "Box",
        (Model, Generic[T]),
        {
            "items": ("list[T]",),
            "tags": (list[str], Field(default_factory=list)),
            "inner": (inner | None, None),
            "flag": (bool, False),
            "ratio": (float | None, None),
            "day": (date | None, None),
            "raw": (Any, None),
            "self_": (str | None, Field(default=None, alias="self")),
            "snake_case": (str, "x"),
            "stamp": ("Stamp | None", None),  # a name of this module: read in its namespace
            "lazy": (int, Field(default="never read")),  # a default is not read (pydantic's)
        },
    )
    plain = _declare("Plain", (Model,), {"snake_case": (str, "x")}, camel=False)
    boxed = box[inner]
    assert box[inner] is boxed and boxed.__name__ == "Box[Inner]"
    assert boxed.wire_names() == [
        "items", "tags", "inner", "flag", "ratio", "day", "raw", "self", "snakeCase", "stamp",
        "lazy",
    ]  # fmt: skip
    assert plain.wire_names() == ["snake_case"] and plain.__extra__ == "allow"
    assert plain.__camel__ is False and boxed.__camel__ is True
    read = boxed.model_validate({"items": [], "stamp": "2024-01-01T10:00:00Z"})
    assert (read.tags, read.lazy, read.self_) == ([], "never read", None)
    assert read.stamp == datetime.fromisoformat("2024-01-01T10:00:00+00:00")
    assert (
        not boxed.model_fields["tags"].is_required() and boxed.model_fields["items"].is_required()
    )
    assert read.tags is not boxed.model_validate({"items": []}).tags  # a new list each time
    with pytest.raises(TypeError, match=r"Box\[Inner\] is not generic"):
        boxed[inner]
    with pytest.raises(TypeError, match="Inner is not generic"):
        inner[int]
    twin = mirror(boxed)
    base: dict[str, Any] = {"items": [{"code": 1, "dueAt": "2024-01-01T10:00:00Z"}]}
    differences = []
    for key in boxed.wire_names():
        extra_items = [
            [{"code": "2", "when": "2024-01-01T10:00"}],
            [{"code": 1, "x": 1}],
            [{"code": 1, "dueAt": None}],
        ]
        for value in [*VALUES, *extra_items]:
            data = {**base, key: value}
            ours, theirs = _read(boxed, data), _read(twin, data)
            if ours != theirs:
                differences.append(f"{key}={value!r}: ours {ours}, pydantic {theirs}")
    assert not differences, "\n".join(differences[:20])
    assert _read(plain, {"snakeCase": 1}) == _read(mirror(plain), {"snakeCase": 1})
    several = {"items": [{"code": "x"}, {"code": 1, "label": 5}], "flag": "maybe", "inner": 3}
    assert _read(boxed, several) == _read(twin, several)  # every error, nested ones too
    assert len(_read(boxed, several)[1]) == 4
    for bad, words in (
        (dict[str, int], "unsupported field type"),
        (int | str, "unsupported union"),
        (list[int | None], "unsupported list of optional items"),
        (bytes, "unsupported field type"),
    ):
        odd = _declare("Odd", (Model,), {"odd": (bad,)})
        with pytest.raises(TypeError, match=words):
            odd.wire_names()


def test_a_check_declared_now_runs_on_its_fields_in_order() -> None:
    seen: list[tuple[str, Any, dict[str, Any]]] = []

    def rule(cls: type, value: Any, info: CheckInfo) -> Any:
        seen.append((f"{cls.__name__}.{info.field_name}", value, dict(info.data)))
        if value == "bad":
            raise ValueError(f"{info.field_name} is bad")
        return value.upper() if isinstance(value, str) else value

    form = _declare(
        "Form",
        (Model,),
        {
            "first": (str,),
            "second": (int, 0),
            "third": (str | None, Field(default="dflt", validate_default=True)),
        },
        {"up": checks("first", "third")(rule)},
        extra="forbid",
    )
    made = form.model_validate({"first": "a", "second": "7"})
    assert (made.first, made.second, made.third) == ("A", 7, "DFLT")
    assert made.model_fields_set == {"first", "second"}  # a checked default is not "set"
    assert seen == [("Form.first", "a", {}), ("Form.third", "dflt", {"first": "A", "second": 7})]
    with pytest.raises(ModelError) as exc:
        form.model_validate({"first": "bad", "third": "bad", "fourth": 1})
    first = exc.value.errors()[0]
    assert (first["input"], str(first["ctx"]["error"])) == ("bad", "first is bad")
    assert [(e["type"], e["loc"], e["msg"]) for e in exc.value.errors()] == [
        ("value_error", ("first",), "Value error, first is bad"),
        ("value_error", ("third",), "Value error, third is bad"),
        ("extra_forbidden", ("fourth",), "Extra inputs are not permitted"),
    ]
    assert form.__checks__["up"].fields == ("first", "third")
    assert "up" not in form.model_fields
    sub = _declare("SubForm", (form,), {"fourth": (str, "")})  # a subclass keeps the rules
    assert sub.model_validate({"first": "b", "fourth": "x"}).first == "B"
    with pytest.raises(ModelError, match="first is bad"):
        sub.model_validate({"first": "bad"})


def test_made_constructed_and_copied_write_models_keep_no_unknown_field() -> None:
    made = models.Case(id="C1", vendorNote="kept")
    assert made.model_extra == {"vendorNote": "kept"} and made.model_fields_set == {
        "id",
        "vendorNote",
    }
    write = models.MessageCreate(message="first")
    copied = write.model_copy(update={"message": "second", "odd": 1})
    assert (copied.message, copied.model_extra, write.message) == ("second", None, "first")
    built = models.MessageCreate.model_construct(message="m", odd=1)
    twin = mirror(models.MessageCreate).model_construct(message="m", odd=1)
    assert built.model_extra is None and twin.model_extra is None
    assert built.model_dump() == {"message": "m", "sent_by": None}


def test_a_model_shows_as_pydantic_shows_it() -> None:
    links = models.PageLinks.model_validate({"self": "a", "next": None, "more": 1})
    assert repr(links) == "PageLinks(self_='a', next=None, previous=None, more=1)"
    assert repr(links) == repr(mirror(models.PageLinks).model_validate({"self": "a", "more": 1}))


@pytest.mark.parametrize(
    "name", ["service_id", "id", "order_rfs_date", "a__b", "_private", "__x", "Already", "x_1"]
)
def test_wire_names_are_pydantic_s_camel_case(name: str) -> None:
    from pydantic.alias_generators import to_camel as pydantic_camel

    from expereo_tui.api.shapes import to_camel

    assert to_camel(name) == pydantic_camel(name)


def test_an_error_says_where_and_what_in_one_text() -> None:
    with pytest.raises(ModelError) as exc:
        models.Case.model_validate({"id": 5, "createdDate": "x" * 100})
    assert str(exc.value) == (
        "2 validation errors for Case\n"
        "id\n  Input should be a valid string [type=string_type, input_value=5]\n"
        "createdDate\n  Input should be a valid datetime or date, unable to parse "
        f"[type=datetime_from_date_parsing, input_value='{'x' * 56}...]"
    )
    assert all("input" not in e for e in exc.value.errors(include_input=False))
    assert exc.value.errors()[0]["input"] == 5 and exc.value.error_count() == 2
    with pytest.raises(ModelError, match="^1 validation error for PageLinks\n"):
        models.PageLinks.model_validate({"next": 1})


def test_a_page_checks_the_text_of_each_item_not_of_itself() -> None:
    """A page leaves the invalid-text check to its items: the error is the item's."""
    with pytest.raises(ModelError) as exc:
        models.Page[models.Case].model_validate({"data": [{"id": "C1"}, {"id": "bad \ud800"}]})
    assert [(e["type"], e["loc"]) for e in exc.value.errors()] == [("invalid_text", ("data", 1))]
    assert models.find_invalid_text("\ud800") == "<value>"
    assert models.find_invalid_text({"bad \udcff": 1}) == "bad \\udcff"  # written escaped
    assert models.find_invalid_text(["ok", ["x", "\ud800"]]) == "1.1"
    assert models.find_invalid_text({"a": ["ok", {"b": "\ud800"}]}) == "a.1.b"
    assert models.find_invalid_text({"a": "é", "b": ["ü"]}) is None


def test_a_subclass_that_annotates_a_field_again_makes_it_required_in_its_place() -> None:
    parent = _declare("Parent", (Model,), {"second": (int, 0), "third": (str, "t")})
    child = _declare("Child", (parent,), {"first": (str, "x"), "second": (str,)})
    assert list(child.model_fields) == ["second", "third", "first"]  # pydantic's order
    assert child.model_fields["second"].is_required()
    assert _read(child, {}) == _read(mirror(child), {})


def test_stored_json_reads_back_and_broken_json_is_an_error() -> None:
    case = models.Case.model_validate_json('{"id": "C1", "createdDate": "2024-01-01T10:00:00"}')
    assert case.created_date == datetime.fromisoformat("2024-01-01T10:00:00+00:00")
    assert models.Case.model_validate_json(b'{"id": "C2"}').id == "C2"
    with pytest.raises(ModelError) as exc:
        models.Case.model_validate_json('{"id": ')
    assert [(e["type"], e["loc"], e["input"]) for e in exc.value.errors()] == [
        ("json_invalid", (), '{"id": ')
    ]
    assert str(exc.value).startswith("1 validation error for Case\n")
    with pytest.raises(ModelError, match="^1 validation error for Case\n"):
        models.Case.model_validate(["not", "an", "object"])
    bad = {"id": "C1", "note": "\ud800"}
    with pytest.raises(ModelError) as exc:
        models.Case.model_validate(bad)
    assert str(exc.value).startswith("1 validation error for Case\n")
    first = exc.value.errors()[0]
    assert (first["type"], first["loc"], first["input"], first["ctx"]) == (
        "invalid_text",
        (),
        bad,
        {"field": "note"},
    )


@pytest.mark.parametrize("width", [59, 60, 61])
def test_an_error_shows_at_most_sixty_characters_of_the_input(width: int) -> None:
    text = "y" * (width - 2)  # its repr has two quotes
    with pytest.raises(ModelError) as exc:
        models.Page[models.Site].model_validate({"data": [{"siteId": "S"}, {"siteId": 5}]})
    assert "data.1.siteId\n" in str(exc.value)
    with pytest.raises(ModelError) as exc:
        models.PageMetadata.model_validate({"offset": text})
    shown = str(exc.value).split("input_value=")[1].rstrip("]")
    assert shown == (repr(text) if width <= 60 else repr(text)[:57] + "...")
