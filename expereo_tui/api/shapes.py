"""A small model layer for what the client reads and sends: typed fields read from JSON with
pydantic's lax rules, camelCase wire names, unknown fields kept or refused, and checks per field.

Why not pydantic here (#30): pydantic-core, pydantic and the validators it builds hold ~9 MB in
every process that reads one case, more than the rest of the client together; the app's reads
use a small part of it.  This module keeps the part the client uses, with pydantic's spelling
(``model_validate``, ``model_dump``, ``model_fields``, ``model_extra``...) and pydantic's error
types (``string_type``, ``date_from_datetime_inexact``, ``missing``...), which the repairs of
``pagination.py`` and the log lines name.  ``tests/api/test_shapes_like_pydantic.py`` reads
the same hostile inputs with both and compares.  pydantic itself stays for the JSON schemas of
the simulator's OpenAPI document and the config check (``schema.py``), out of the app's way.

What it reads: ``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime`` (``UtcDateTime``:
without an offset → UTC), ``list[X]``, ``X | None``, ``Any`` and nested models.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, ClassVar, Self

__all__ = [
    "UTC_MARK",
    "Fail",
    "Field",
    "FieldInfo",
    "Model",
    "ModelError",
    "checks",
    "to_camel",
]


_CAMEL_ALREADY = re.compile(r"[a-z]+[A-Za-z0-9]*")
_DIGIT_LOWER = re.compile(r"\d[a-z]")
_JOINED = re.compile(r"([0-9A-Za-z])_(?=[0-9A-Z])")
_FIRST = re.compile(r"^_*[A-Z]")


def to_camel(snake: str) -> str:
    """``service_id`` → ``serviceId``: pydantic's ``to_camel`` (pydantic/alias_generators.py,
    MIT), the same steps, so that wire names and error places read as before."""
    if _CAMEL_ALREADY.fullmatch(snake) and not _DIGIT_LOWER.search(snake):
        return snake
    pascal = _JOINED.sub(lambda m: m.group(1), snake.title())
    return _FIRST.sub(lambda m: m.group(0).lower(), pascal)


class _Missing:
    """No default given (``None`` is a default)."""


MISSING: Any = _Missing()

#: the mark of a datetime read as UTC when it has no offset (``Annotated[datetime, UTC_MARK]``)
UTC_MARK = "utc"


class ModelError(ValueError):
    """What could not be read, as pydantic's ``ValidationError`` reports it: a list of errors,
    each a dict with ``type``, ``loc``, ``msg``, ``input`` and, for some, ``ctx``."""

    def __init__(self, title: str, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.title = title
        self._errors = errors

    def errors(
        self, *, include_url: bool = False, include_input: bool = True
    ) -> list[dict[str, Any]]:
        out = []
        for err in self._errors:
            item = dict(err)
            if not include_input:
                item.pop("input", None)
            out.append(item)
        return out

    def error_count(self) -> int:
        return len(self._errors)

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'s' if count != 1 else ''} for {self.title}"]
        for err in self._errors:
            lines.append(".".join(str(p) for p in err["loc"]))
            shown = repr(err.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            lines.append(f"  {err['msg']} [type={err['type']}, input_value={shown}]")
        return "\n".join(lines)


class Fail(Exception):
    """One field's value cannot be read: pydantic's error type, message and context."""

    def __init__(self, kind: str, msg: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.kind, self.msg, self.ctx = kind, msg, ctx


class _Nested(Exception):
    """A nested model or list item failed: its errors, with locations below this field."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.errors = errors


# --------------------------------------------------------------------------------------------
# Readers: one per type, each a function of the input value (pydantic's lax mode)
# --------------------------------------------------------------------------------------------

Reader = Callable[[Any], Any]


def _read_str(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, str):  # an enum's member: its text
        return str.__str__(value)
    raise Fail("string_type", "Input should be a valid string")  # bytes too: JSON has none


_INT_TEXT = re.compile(r"\s*[+-]?[0-9]+(_[0-9]+)*\s*", re.ASCII)


_INT_POINT = re.compile(r"[+-]?[0-9]+\.0*", re.ASCII)


#: pydantic reads integers as 64-bit when they come as floats (Python's own ints are not bound)
_I64 = 2**63


def _read_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Fail("finite_number", "Input should be a finite number")
        if not value.is_integer():
            raise Fail(
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        if abs(value) >= _I64:  # (a float's bound is ±2**63 both ways; an int's is not)
            raise Fail(
                "int_parsing_size",
                "Unable to parse input string as an integer, exceeded maximum size",
            )
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.fullmatch(value):
            return int(text)
        if _INT_POINT.fullmatch(text):  # "5.0", "5.": whole, as a number written with a point
            return int(text.split(".")[0])
        raise Fail(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    raise Fail("int_type", "Input should be a valid integer")


def _read_float(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        number = _float_of(value) if value.isascii() else None  # "٥": Python reads it
        if number is None:
            raise Fail(
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        return number
    raise Fail("float_type", "Input should be a valid number")


def _float_of(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def _read_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        if isinstance(value, int):
            candidate = -_I64 <= value < _I64  # a 64-bit integer
        else:
            candidate = math.isfinite(value) and value.is_integer() and abs(value) < _I64
        if not candidate:
            raise Fail("bool_type", "Input should be a valid boolean")
        raise Fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise Fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    raise Fail("bool_type", "Input should be a valid boolean")


# ASCII digits only, and a whole match (``$`` would allow a trailing newline)
_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_DATE_ONLY = re.compile(_DATE, re.ASCII)
_DATETIME = re.compile(
    _DATE
    + r"(?:[Tt _]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,12}))?)?"
    + r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?)?",
    re.ASCII,
)
#: unix time as text: whole seconds, or with a point (then an exponent may follow), as pydantic
_NUMBER = re.compile(r"[+-]?(?:[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_unix(number: float, kind: str) -> datetime:
    """Seconds since 1970 (UTC), or milliseconds when the number is that large (above 2e10,
    as pydantic reads it)."""
    try:
        if abs(number) > 20_000_000_000:
            return _EPOCH + timedelta(milliseconds=number)
        return _EPOCH + timedelta(seconds=number)
    except (OverflowError, ValueError):  # beyond the year 9999, or not a number (NaN)
        raise Fail(kind, _datetime_message(kind)) from None


def _parse_datetime(text: str, kind: str) -> datetime:
    """An RFC 3339 / ISO 8601 date-time, or a date (midnight), or unix seconds as text."""
    if _NUMBER.fullmatch(text):
        return _from_unix(float(text), kind)
    found = _DATETIME.fullmatch(text)
    if not found:
        raise Fail(kind, _datetime_message(kind))
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = found.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz: timezone | None = None
        if zulu:
            tz = UTC
        elif sign:
            offset = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(-offset if sign == "-" else offset)
        return datetime(
            int(year), int(month), int(day),
            int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=tz,
        )  # fmt: skip
    except ValueError:
        raise Fail(kind, _datetime_message(kind)) from None


def _datetime_message(kind: str) -> str:
    what = {"datetime_parsing": "datetime", "date_from_datetime_parsing": "date or datetime"}
    return f"Input should be a valid {what.get(kind, 'datetime or date')}, unable to parse"


def _read_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise Fail("datetime_type", "Input should be a valid datetime")
    if isinstance(value, int | float):
        return _from_unix(float(value), "datetime_parsing")
    if isinstance(value, str):
        return _parse_datetime(value, "datetime_from_date_parsing")
    raise Fail("datetime_type", "Input should be a valid datetime")


def as_utc(value: datetime) -> datetime:
    """A time without an offset is read as UTC ([assume], docs/api-assumptions.md)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _read_utc_datetime(value: Any) -> datetime:
    return as_utc(_read_datetime(value))


_INEXACT = "Datetimes provided to dates should have zero time - e.g. be exact dates"


def _read_date(value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise Fail("date_from_datetime_inexact", _INEXACT)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Fail("date_type", "Input should be a valid date")
    if isinstance(value, int | float):
        moment = _from_unix(float(value), "date_from_datetime_parsing")
        if moment.time() != datetime.min.time():
            raise Fail("date_from_datetime_inexact", _INEXACT)
        return moment.date()
    if isinstance(value, str):
        text = value
        if _DATE_ONLY.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise Fail(
                    "date_from_datetime_parsing",
                    "Input should be a valid date or datetime, invalid date",
                ) from None
        moment = _parse_datetime(text, "date_from_datetime_parsing")
        if moment.time() != datetime.min.time():
            raise Fail("date_from_datetime_inexact", _INEXACT)
        return moment.date()
    raise Fail("date_type", "Input should be a valid date")


def _read_any(value: Any) -> Any:
    return value


def _list_of(inner: Reader) -> Reader:
    def read(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise Fail("list_type", "Input should be a valid list")
        out, errors = [], []
        for index, item in enumerate(value):
            try:
                out.append(inner(item))
            except Fail as fail:
                errors.append(_error(fail, (index,), item))
            except _Nested as nested:
                errors += [{**e, "loc": (index, *e["loc"])} for e in nested.errors]
        if errors:
            raise _Nested(errors)
        return out

    return read


def _model_reader(model: type[Model]) -> Reader:
    def read(value: Any) -> Model:
        try:
            return model.model_validate(value)
        except ModelError as exc:
            raise _Nested(exc.errors()) from None

    return read


_SIMPLE: dict[Any, Reader] = {
    str: _read_str,
    int: _read_int,
    float: _read_float,
    bool: _read_bool,
    date: _read_date,
    datetime: _read_datetime,
    Any: _read_any,
}


def _reader(annotation: Any) -> tuple[Reader, bool]:
    """The reader of a field's type (of its type other than None), and whether None is
    allowed."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *marks = typing.get_args(annotation)
        if base is datetime and UTC_MARK in marks:
            return _read_utc_datetime, False
        return _reader(base)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        inner, _ = _reader(args[0])
        return inner, True
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        inner, nullable = _reader(item)
        if nullable:
            raise TypeError(f"unsupported list of optional items {annotation!r}")
        return _list_of(inner), False
    if annotation in _SIMPLE:
        return _SIMPLE[annotation], False
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return _model_reader(annotation), False
    raise TypeError(f"unsupported field type {annotation!r}")


def _error(fail: Fail, loc: tuple[Any, ...], value: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"type": fail.kind, "loc": loc, "msg": fail.msg, "input": value}
    if fail.ctx:
        err["ctx"] = fail.ctx
    return err


# --------------------------------------------------------------------------------------------
# Fields and checks
# --------------------------------------------------------------------------------------------


class FieldInfo:
    """One field: its wire name, type, default, and how it is read."""

    __slots__ = (
        "alias", "annotation", "default", "default_factory", "validate_default", "read",
        "nullable", "checks",
    )  # fmt: skip

    def __init__(
        self,
        default: Any = MISSING,
        *,
        default_factory: Callable[[], Any] | None = None,
        alias: str | None = None,
        validate_default: bool = False,
    ) -> None:
        self.alias = alias
        self.annotation: Any = None
        self.default = default
        self.default_factory = default_factory
        self.validate_default = validate_default
        self.read: Reader = _read_any
        self.nullable = False
        self.checks: tuple[Check, ...] = ()

    def is_required(self) -> bool:
        return self.default is MISSING and self.default_factory is None

    def get_default(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        return self.default

    def __repr__(self) -> str:
        return f"FieldInfo(alias={self.alias!r}, annotation={self.annotation!r})"


def Field(  # noqa: N802  (pydantic's spelling)
    default: Any = MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    alias: str | None = None,
    validate_default: bool = False,
) -> Any:
    """A field's default, wire name (``alias``), and whether its default is checked too."""
    return FieldInfo(
        default, default_factory=default_factory, alias=alias, validate_default=validate_default
    )


class CheckInfo:
    """What a check sees beside the value: the field's name and the fields read before it."""

    __slots__ = ("field_name", "data")

    def __init__(self, field_name: str, data: dict[str, Any]) -> None:
        self.field_name = field_name
        self.data = data


class Check:
    """A rule on some fields, run after each of them is read (in the fields' order)."""

    def __init__(self, fields: tuple[str, ...], func: Callable[..., Any]) -> None:
        self.fields = fields
        self.func = func

    def __call__(self, cls: type, value: Any, info: CheckInfo) -> Any:
        return self.func(cls, value, info)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self  # read from the class, it is the rule itself (its ``fields``, ``func``)


def checks(*fields: str) -> Callable[[Callable[..., Any]], Check]:
    """Decorate ``def rule(cls, value, info) -> value`` to check ``fields``: a ``ValueError`` it
    raises is the field's error (``value_error``), the value it returns is kept."""

    def wrap(func: Callable[..., Any]) -> Check:
        return Check(fields, func)

    return wrap


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


class _ModelType(type):
    @property
    def model_fields(cls) -> dict[str, FieldInfo]:
        """The fields by name, in their order (worked out on first use)."""
        return cls._fields()  # type: ignore[attr-defined, no-any-return]


class Model(metaclass=_ModelType):
    """A record read from, or sent to, JSON (see the module's docstring).

    Class options (keywords of the class statement): ``extra`` ("allow": unknown keys are kept
    in ``model_extra`` and written back; "forbid": they are errors) and ``camel`` (wire names
    are the camelCase of the field names; a field's ``alias`` wins).  Both names are accepted on
    input.  A class's fields and readers are worked out when it is first used."""

    __extra__: ClassVar[str] = "allow"
    __camel__: ClassVar[bool] = True
    __fields__: ClassVar[dict[str, FieldInfo] | None] = None
    __checks__: ClassVar[dict[str, Check]] = {}
    __params__: ClassVar[dict[Any, Any]] = {}

    __slots__ = ("__dict__", "_extra", "_set")
    _extra: dict[str, Any] | None
    _set: set[str]

    def __init_subclass__(cls, *, extra: str | None = None, camel: bool | None = None) -> None:
        super().__init_subclass__()
        if extra is not None:
            cls.__extra__ = extra
        if camel is not None:
            cls.__camel__ = camel
        cls.__fields__ = None  # worked out on first use
        found = {k: v for k, v in vars(cls).items() if isinstance(v, Check)}
        cls.__checks__ = {**getattr(cls, "__checks__", {}), **found}
        if "__params__" not in vars(cls):
            cls.__params__ = {}

    # -- the class's fields ---------------------------------------------------------------
    @classmethod
    def _fields(cls) -> dict[str, FieldInfo]:
        fields = cls.__dict__.get("__fields__")
        if fields is None:
            fields = cls._build()
        return fields

    @classmethod
    def _build(cls) -> dict[str, FieldInfo]:
        hints = typing.get_type_hints(
            cls, localns=dict(cls.__params__) or None, include_extras=True
        )
        fields: dict[str, FieldInfo] = {}
        for klass in reversed(cls.__mro__):
            for name in vars(klass).get("__annotations__", {}):
                if name.startswith("_") or typing.get_origin(hints.get(name)) is ClassVar:
                    continue
                if hints.get(name) is ClassVar:
                    continue
                declared = klass.__dict__.get(name, MISSING)
                if isinstance(declared, FieldInfo):
                    info = FieldInfo(
                        declared.default,
                        default_factory=declared.default_factory,
                        alias=declared.alias,
                        validate_default=declared.validate_default,
                    )
                else:  # (a subclass's annotation alone makes the field required, as pydantic)
                    info = FieldInfo(declared)
                if info.alias is None and cls.__camel__:
                    info.alias = to_camel(name)
                info.annotation = hints[name]
                info.read, info.nullable = _reader(hints[name])
                info.checks = tuple(c for c in cls.__checks__.values() if name in c.fields)
                fields[name] = info
        cls.__fields__ = fields
        return fields

    @classmethod
    def wire_names(cls) -> list[str]:
        """The fields' names on the wire, in their order."""
        return [info.alias or name for name, info in cls._fields().items()]

    # -- generic envelopes ----------------------------------------------------------------
    def __class_getitem__(cls, item: Any) -> Any:
        params = getattr(cls, "__parameters__", ())
        if not params:
            raise TypeError(f"{cls.__name__} is not generic")
        made = _GENERIC.get((cls, item))
        if made is None:
            name = f"{cls.__name__}[{item.__name__}]"  # an envelope of a model
            namespace = {"__params__": {params[0].__name__: item}, "__module__": cls.__module__}
            made = _ModelType(name, (cls,), namespace)
            made.__parameters__ = ()  # type: ignore[attr-defined]
            _GENERIC[(cls, item)] = made
        return made

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def model_before(cls, data: Any) -> Any:
        """A hook run on the raw input before its fields are read (raise :class:`Fail`)."""
        return data

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        if isinstance(data, cls):
            return data
        fields = cls._fields()
        try:
            data = cls.model_before(data)
        except Fail as fail:
            raise ModelError(cls.__name__, [_error(fail, (), data)]) from None
        if not isinstance(data, Mapping):
            raise ModelError(
                cls.__name__,
                [{"type": "model_type", "loc": (), "input": data,
                  "msg": f"Input should be a valid dictionary or instance of {cls.__name__}",
                  "ctx": {"class_name": cls.__name__}}],
            )  # fmt: skip
        values: dict[str, Any] = {}
        given: set[str] = set()
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for name, info in fields.items():
            key = info.alias if info.alias is not None and info.alias in data else name
            if key in data:
                seen.add(key)
                raw = data[key]
                given.add(name)
            elif info.validate_default:
                raw = info.get_default()
            else:
                if info.is_required():
                    errors.append(
                        {"type": "missing", "loc": (info.alias or name,), "msg": "Field required",
                         "input": data}
                    )  # fmt: skip
                else:
                    values[name] = info.get_default()
                continue
            loc = (key,)
            try:
                value = None if raw is None and info.nullable else info.read(raw)
            except Fail as fail:
                errors.append(_error(fail, loc, raw))
                continue
            except _Nested as nested:
                errors += [{**e, "loc": (*loc, *e["loc"])} for e in nested.errors]
                continue
            for check in info.checks:
                try:
                    value = check(cls, value, CheckInfo(name, values))
                except ValueError as exc:
                    errors.append(
                        {"type": "value_error", "loc": loc, "msg": f"Value error, {exc}",
                         "input": raw, "ctx": {"error": exc}}
                    )  # fmt: skip
                    break
            else:
                values[name] = value
        extra: dict[str, Any] | None = None
        if len(seen) < len(data):
            unknown = {k: v for k, v in data.items() if k not in seen}
            if cls.__extra__ == "forbid":
                errors += [
                    {"type": "extra_forbidden", "loc": (k,), "msg": "Extra inputs are not permitted", "input": v}
                    for k, v in unknown.items()
                ]  # fmt: skip
            elif cls.__extra__ == "allow":
                extra = unknown
                given.update(unknown)
        if errors:
            raise ModelError(cls.__name__, errors)
        if extra is None and cls.__extra__ == "allow":
            extra = {}
        return cls._make(values, extra, given)

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ModelError(
                cls.__name__,
                [{"type": "json_invalid", "loc": (), "msg": f"Invalid JSON: {exc}", "input": text}],
            ) from None
        return cls.model_validate(data)

    @classmethod
    def _make(cls, values: dict[str, Any], extra: dict[str, Any] | None, given: set[str]) -> Self:
        self = object.__new__(cls)
        self.__dict__.update(values)
        object.__setattr__(self, "_extra", extra)
        object.__setattr__(self, "_set", given)
        return self

    def __init__(self, **data: Any) -> None:
        made = type(self).model_validate(data)
        self.__dict__.update(made.__dict__)
        object.__setattr__(self, "_extra", made._extra)
        object.__setattr__(self, "_set", made._set)

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """A model of ``values`` as they are, unread (defaults fill in what is not given)."""
        fields = cls._fields()
        out: dict[str, Any] = {}
        for name, info in fields.items():
            out[name] = values[name] if name in values else info.get_default()
        extra = {k: v for k, v in values.items() if k not in fields}
        return cls._make(
            out, extra if cls.__extra__ == "allow" else None, set(values) & set(fields)
        )

    # -- what it holds --------------------------------------------------------------------
    @property
    def model_extra(self) -> dict[str, Any] | None:
        return self._extra

    @property
    def model_fields_set(self) -> set[str]:
        return self._set

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        extra = dict(self._extra) if self._extra is not None else None
        given = set(self._set)
        fields = type(self)._fields()
        for key, value in (update or {}).items():
            if key in fields:
                copy.__dict__[key] = value
                given.add(key)
            elif extra is not None:  # (a model that keeps no unknown field ignores it)
                extra[key] = value
        object.__setattr__(copy, "_extra", extra)
        object.__setattr__(copy, "_set", given)
        return copy

    def model_dump(
        self,
        *,
        mode: str = "python",
        by_alias: bool = False,
        exclude_none: bool = False,
        exclude_unset: bool = False,
    ) -> dict[str, Any]:
        as_json = mode == "json"
        out: dict[str, Any] = {}
        for name, info in type(self)._fields().items():
            if exclude_unset and name not in self._set:
                continue
            value = self.__dict__.get(name)
            if exclude_none and value is None:
                continue
            key = info.alias if by_alias and info.alias else name
            if as_json and info.read is _read_any:  # no declared type: as a kept field
                out[key] = _json_any(value)
            elif type(value) in _PLAIN:
                out[key] = value
            else:
                out[key] = _dump(value, as_json, by_alias, exclude_none, exclude_unset)
        for key, value in (self._extra or {}).items():
            if exclude_none and value is None:
                continue
            # a kept field has no type: pydantic writes it as JSON would, or as it came
            out[key] = _json_any(value) if as_json else value
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        return self.__dict__ == other.__dict__ and (self._extra or {}) == (other._extra or {})

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [
            *((n, self.__dict__.get(n)) for n in type(self)._fields()),
            *(self._extra or {}).items(),
        ]
        args = ", ".join(f"{k}={v!r}" for k, v in shown)
        return f"{type(self).__name__}({args})"


_GENERIC: dict[tuple[type, Any], type] = {}
#: values written as they are, in either mode
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_any(value: Any) -> Any:
    """A value of no declared type in JSON form: a float JSON cannot hold (NaN, ±infinity,
    which Python's JSON reader accepts) is null, as pydantic writes it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_any(v) for v in value]
    return _json_scalar(value)


def _dump(
    value: Any, as_json: bool, by_alias: bool, exclude_none: bool, exclude_unset: bool
) -> Any:
    """A declared field's value: a model, a list of them or of plain values, or a plain value
    (a field of no declared type goes through :func:`_json_any` in JSON form)."""
    if isinstance(value, Model):
        return value.model_dump(
            mode="json" if as_json else "python", by_alias=by_alias,
            exclude_none=exclude_none, exclude_unset=exclude_unset,
        )  # fmt: skip
    if isinstance(value, list):
        return [_dump(v, as_json, by_alias, exclude_none, exclude_unset) for v in value]
    return _json_scalar(value) if as_json else value


def _json_scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _iso_datetime(value: datetime) -> str:
    """pydantic's JSON form: microseconds only when there are some, ``Z`` for UTC."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
