"""The simulator's API V1 face: ``POST /graphql`` (``shared/docs/expereo-api.md`` §7).

A thin adapter over the same world (``world.py``) and write rules (``writes.py``) as the V2
face: the schema is SDL (``schema_v1.graphql``) executed by graphql-core; the route goes through
the same middleware (``middleware.py``), so the token, the rate limits (a query is one read, a
mutation one write), the faults and the request log are those of V2.  Errors are GraphQL errors (HTTP 200) with ``extensions.code``;
a write the V2 rules refuse keeps its code (``HC0011`` for an Incident without
``endOfIncident``, with the provider's generic message).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expereo_tui.api.models import ALL_SCOPES
from expereo_tui.api.models import Scope as ApiScope

from . import unknowns
from .auth import Grant
from .middleware import Middleware
from .world import World
from .writes import WriteRejected, add_message, create_case, update_case

PATH = "/graphql"
READ_SUPPORT = {ApiScope.SUPPORT_READ.value, ApiScope.SUPPORT_READ_WRITE.value}
WRITE_CODES = {404: "NOT_FOUND", 422: "BAD_USER_INPUT", 400: "BAD_REQUEST"}


@cache
def schema() -> GraphQLSchema:
    """The V1 schema from its SDL, with this module's resolvers attached."""
    sdl = resources.files("expereo_tui.sim").joinpath("schema_v1.graphql").read_text("utf-8")
    built = build_schema(sdl)
    query, mutation = built.query_type, built.mutation_type
    assert query is not None and mutation is not None
    query.fields["viewer"].resolve = lambda root, info: {}
    viewer = built.get_type("Viewer")
    account = built.get_type("Account")
    assert viewer is not None and account is not None
    viewer.fields["account"].resolve = lambda root, info: {}  # type: ignore[attr-defined]
    account.fields["cases"].resolve = _cases  # type: ignore[attr-defined]
    account.fields["services"].resolve = _services  # type: ignore[attr-defined]
    account.fields["sites"].resolve = _sites  # type: ignore[attr-defined]
    mutation.fields["createCase"].resolve = _create_case
    mutation.fields["replyToCase"].resolve = _reply_to_case
    mutation.fields["addCustomerReference"].resolve = _add_customer_reference
    return built


class _Context:
    def __init__(self, world: World, grant: Grant) -> None:
        self.world = world
        self.grant = grant

    def need(self, scopes: set[str], name: str) -> None:
        """A field the key's scopes do not cover is an error of that field, not of the query."""
        if not self.grant.scopes & scopes:
            need = sorted(scopes)[0]
            raise GraphQLError(
                f"this API client lacks the scope {need}",
                extensions={"code": "FORBIDDEN", "scope": need, "field": name},
            )


def _ctx(info: GraphQLResolveInfo) -> _Context:
    ctx = info.context
    assert isinstance(ctx, _Context)
    return ctx


# -- reads -----------------------------------------------------------------------------------
def _site(world: World, site_id: str | None) -> dict[str, Any] | None:
    if not site_id:
        return None
    return world.data.sites.get(site_id) or {"siteId": site_id}


def _service(world: World, service: dict[str, Any]) -> dict[str, Any]:
    return {**service, "site": _site(world, service.get("siteId"))}


def _case(world: World, case: dict[str, Any]) -> dict[str, Any]:
    service = world.data.services.get(case.get("serviceId") or "")
    return {
        **case,
        "communications": [
            {k: m.get(k) for k in ("message", "type", "timestamp", "sentBy")}
            for m in world.data.messages.get(case["id"], [])
        ],
        "site": _site(world, case.get("siteId")),
        "service": _service(world, service)
        if service
        else ({"serviceId": case["serviceId"]} if case.get("serviceId") else None),
    }


def _cases(
    root: Any,
    info: GraphQLResolveInfo,
    id: str | None = None,  # noqa: A002 - the documented argument name
    serviceId: str | None = None,  # noqa: N803
    lastModifiedMinutes: int | None = None,  # noqa: N803
    customerReference: str | None = None,  # noqa: N803
) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    ctx.need(READ_SUPPORT, "cases")
    world = ctx.world
    if lastModifiedMinutes is not None and lastModifiedMinutes < 0:
        raise GraphQLError(
            "lastModifiedMinutes must be 0 or more",
            extensions={"code": "BAD_USER_INPUT", "field": "lastModifiedMinutes"},
        )
    since = None
    if lastModifiedMinutes:
        now = datetime.fromtimestamp(world.clock(), UTC)
        try:
            since = now - timedelta(minutes=lastModifiedMinutes)
        except OverflowError:  # further back than year 1 (e.g. 2147483647 minutes)
            raise GraphQLError(
                f"lastModifiedMinutes reaches back before the year 1: {lastModifiedMinutes}",
                extensions={"code": "BAD_USER_INPUT", "field": "lastModifiedMinutes"},
            ) from None
    with world.lock:
        if id is not None:
            one = world.data.cases.get(id)
            selected = [one] if one else []
        else:
            selected = list(world.data.cases.values())
        out = []
        for case in selected:
            if serviceId is not None and case.get("serviceId") != serviceId:
                continue
            if customerReference is not None and case.get("customerReference") != customerReference:
                continue
            if since is not None and _when(case.get("lastModifiedDate")) < since:
                continue
            out.append(_case(world, case))
    return out


def _when(value: str | None) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _services(root: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    ctx.need({ApiScope.BASIC_READ.value}, "services")
    with ctx.world.lock:
        return [_service(ctx.world, s) for s in ctx.world.data.services.values()]


def _sites(root: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    ctx.need({ApiScope.BASIC_READ.value}, "sites")
    with ctx.world.lock:
        return list(ctx.world.data.sites.values())


# -- writes: the V2 rules, V1 errors ---------------------------------------------------------
def _rejected(rej: WriteRejected) -> GraphQLError:
    """A refused write as one GraphQL error (several field errors are listed in extensions)."""
    if rej.code == "HC0011":
        return GraphQLError("An error has occurred", extensions={"code": "HC0011"})
    fields = [{"field": f, "message": m} for f, m in rej.errors]
    message = "; ".join(m for _, m in rej.errors if m) or str(rej)
    ext: dict[str, Any] = {"code": rej.code or WRITE_CODES.get(rej.status, "BAD_REQUEST")}
    if rej.status == 422:
        ext["fields"] = fields
    return GraphQLError(message, extensions=ext)


def _create_case(root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    # Only the arguments the request gave: an Incident without endOfIncident is the quirk.
    body = {k: v for k, v in args.items() if v is not None or k == "endOfIncident"}
    with ctx.world.lock:
        try:
            case = create_case(ctx.world, body, ctx.grant)
        except WriteRejected as rej:
            raise _rejected(rej) from None
    return {"id": case["id"]}


def _reply_to_case(
    root: Any,
    info: GraphQLResolveInfo,
    caseId: str,  # noqa: N803
    message: str,
    sentBy: str | None = None,  # noqa: N803
) -> bool:
    ctx = _ctx(info)
    body = {"message": message, **({"sentBy": sentBy} if sentBy is not None else {})}
    with ctx.world.lock:
        try:
            add_message(ctx.world, caseId, body, ctx.grant)
        except WriteRejected as rej:
            raise _rejected(rej) from None
    return True


def _add_customer_reference(
    root: Any,
    info: GraphQLResolveInfo,
    caseId: str,  # noqa: N803
    customerReference: str,  # noqa: N803
) -> bool:
    ctx = _ctx(info)
    with ctx.world.lock:
        try:
            update_case(ctx.world, caseId, {"customerReference": customerReference})
        except WriteRejected as rej:
            raise _rejected(rej) from None
    return True


# -- the route -------------------------------------------------------------------------------
class _Request:
    """A parsed GraphQL-over-HTTP body, or the reason it is not one."""

    def __init__(self, raw: bytes) -> None:
        self.error: str | None = None
        self.code = "BAD_REQUEST"
        self.document: DocumentNode | None = None
        self.variables: dict[str, Any] | None = None
        self.operation_name: str | None = None
        self.is_mutation = False
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self.error = "the request body is not valid JSON"
            return
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            self.error = (
                'expected a JSON object {"query": ..., "variables": ..., "operationName": ...}'
            )
            return
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            self.error = "variables must be a JSON object"
            return
        self.variables = variables
        name = body.get("operationName")
        self.operation_name = name if isinstance(name, str) else None
        try:
            self.document = parse(body["query"])
        except GraphQLError as exc:
            self.error = exc.message
            self.code = "GRAPHQL_PARSE_FAILED"
            return
        ops = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [
            o
            for o in ops
            if self.operation_name is None or (o.name and o.name.value == self.operation_name)
        ]
        if len(chosen) == 1:
            self.is_mutation = chosen[0].operation == OperationType.MUTATION


async def endpoint(world: World, middleware: Middleware, request: Request) -> Response:
    """``POST /graphql``: classified first (a mutation is a write), then through the middleware."""
    parsed = _Request(await request.body())
    write = parsed.is_mutation
    scopes = (ApiScope.SUPPORT_READ_WRITE.value,) if write else ALL_SCOPES

    def handler(request: Request, grant: Grant) -> Response:
        response = _execute(world, parsed, grant)
        if middleware.faults.unknowns:
            response = unknowns.v1_response(response)
        return response

    guarded = middleware.guard(handler, *scopes, write=write)
    return await guarded(request)


def _execute(world: World, parsed: _Request, grant: Grant) -> Response:
    if parsed.error is not None or parsed.document is None:
        status = 400 if parsed.code == "BAD_REQUEST" else 200
        return JSONResponse(
            {"errors": [{"message": parsed.error, "extensions": {"code": parsed.code}}]},
            status_code=status,
        )
    problems = validate(schema(), parsed.document)
    if problems:
        return JSONResponse(
            {
                "errors": [
                    {**p.formatted, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                    for p in problems
                ]
            }
        )
    result = execute(
        schema(),
        parsed.document,
        context_value=_Context(world, grant),
        variable_values=parsed.variables,
        operation_name=parsed.operation_name,
    )
    assert not hasattr(result, "__await__"), "resolvers are synchronous"
    body: dict[str, Any] = {"data": result.data}  # type: ignore[union-attr]
    if result.errors:  # type: ignore[union-attr]
        body["errors"] = [_coded(e) for e in result.errors]  # type: ignore[union-attr]
    return JSONResponse(body)


def _coded(error: GraphQLError) -> dict[str, Any]:
    """An error as answered: every one carries ``extensions.code`` (§7).  One graphql-core
    raised about the request itself (a variable of the wrong type or out of range) is the
    caller's; anything else without a code (a resolver's unexpected exception) is ours."""
    out = dict(error.formatted)
    ext = dict(out.get("extensions") or {})
    if "code" not in ext:
        # no path: raised before any field was resolved, about the request's variables
        ext["code"] = "BAD_USER_INPUT" if error.path is None else "INTERNAL_SERVER_ERROR"
    out["extensions"] = ext
    return out
