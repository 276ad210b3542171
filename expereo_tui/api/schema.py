"""JSON Schemas of the models (:mod:`~expereo_tui.api.shapes`), written by pydantic.

The models are read without pydantic (#30: it held ~9 MB of every process); their JSON Schemas,
which only the simulator's OpenAPI document and the config check need, are still pydantic's: each
model is mirrored once as a pydantic model with the same fields, wire names, defaults, extra
policy and docstring, and pydantic writes the schema.  Importing this module imports pydantic.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField
from pydantic.json_schema import models_json_schema

from .shapes import UTC_MARK, Model, as_utc

_MIRRORS: dict[type[Model], type[BaseModel]] = {}


def _annotation(annotation: Any) -> Any:
    """The annotation with our models replaced by their mirrors (the UTC mark by pydantic's
    spelling of it)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *marks = typing.get_args(annotation)
        if base is datetime and UTC_MARK in marks:  # read as the models read it
            return Annotated[datetime, AfterValidator(as_utc)]
        return _annotation(base)
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return mirror(annotation)
    args = typing.get_args(annotation)
    if not args:
        return annotation
    mapped = tuple(_annotation(a) for a in args)
    if origin is list:
        return list[mapped[0]]  # type: ignore[valid-type]
    if origin in (typing.Union, types.UnionType):
        out = mapped[0]
        for arg in mapped[1:]:
            out = out | arg
        return out
    raise TypeError(f"no JSON schema for {annotation!r}")


def mirror(model: type[Model]) -> type[BaseModel]:
    """The pydantic twin of ``model`` (made once): the same fields, wire names, defaults and
    extra policy, so the same schema; it reads the types as pydantic does (the test of
    :mod:`~expereo_tui.api.shapes` compares), without the model's checks."""
    made = _MIRRORS.get(model)
    if made is None:
        fields: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            factory = info.default_factory
            if isinstance(factory, type) and issubclass(factory, Model):
                factory = mirror(factory)  # an envelope's default part: the twin's own
            if factory is not None:
                spec = PydanticField(default_factory=factory, alias=info.alias)
            elif info.is_required():
                spec = PydanticField(alias=info.alias)
            else:
                spec = PydanticField(default=info.default, alias=info.alias)
            fields[name] = (_annotation(info.annotation), spec)
        made = create_model(
            model.__name__,
            __config__=ConfigDict(extra=model.__extra__, populate_by_name=True),  # type: ignore[typeddict-item]
            __doc__=model.__doc__,
            __module__=model.__module__,
            **fields,
        )
        _MIRRORS[model] = made
    return made


def schemas(models: Iterable[type[Model]], ref_template: str) -> dict[str, Any]:
    """The JSON Schemas of ``models`` (and the models they hold), by model name."""
    _, top = models_json_schema(
        [(mirror(m), "validation") for m in dict.fromkeys(models)], ref_template=ref_template
    )
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def properties(model: type[Model]) -> set[str]:
    """The wire names of ``model``'s fields, as its JSON Schema lists them."""
    return set(mirror(model).model_json_schema(by_alias=True)["properties"])
