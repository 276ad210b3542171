"""``config check``: what works with a profile's credentials against the live API, and
``config check --openapi``: a provider's OpenAPI document against what the app expects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui.cli.launch import client_settings, warn_insecure
from expereo_tui.cli.output import field
from expereo_tui.config import ConfigError, get_profile, resolve_secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from expereo_tui.api.openapi_check import Finding
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.api.vocab import Scope
    from expereo_tui.config import Profile
    from expereo_tui.team.settings import TeamSettings


async def check_profile(profile_name: str | None) -> int:
    """``config check``: the token, the scopes granted, and one read of each kind; then the
    team store when the profile has one (team mode)."""
    name, profile = get_profile(profile_name)
    code = await _check_api(name, profile)
    team_failures = await check_team(name, profile)
    return code or (1 if team_failures else 0)


async def _check_api(name: str, profile: Profile) -> int:
    from expereo_tui.api.errors import ApiError, ScopeRefusedError
    from expereo_tui.api.factory import backend_for
    from expereo_tui.api.vocab import Scope

    print(
        f"profile {name}: {profile.base_url} (client id {profile.client_id}, api = {profile.api!r})"
    )
    warn_insecure(name, profile)
    secret = resolve_secret(name, profile)
    print(f"  ok    secret from {secret.source}")
    settings = client_settings(profile, secret.secret)
    reached = await _reachable_apis(settings)
    if profile.api not in reached and reached:
        other = next(iter(reached))
        print(
            f"  note  these credentials reach API {other.upper()}, not API "
            f"{profile.api.upper()}: set api = {other!r} in the profile"
        )
    if profile.api == "v1":
        return await _check_v1(settings)
    failures = 0
    async with backend_for(profile.api, settings) as api:
        try:
            async for _ in api.iter_accounts(page_size=1):
                break
            print("  ok    token obtained")
            print(f"  ok    scopes granted: {' '.join(api.granted_scopes) or '(none reported)'}")
            print("  ok    read accounts")
        except ScopeRefusedError as exc:
            print(
                f"  FAIL  token refused (invalid_scope): the key lacks {' '.join(exc.refused)}; "
                f"remove {'them' if len(exc.refused) > 1 else 'it'} from scopes in profile {name!r}"
            )
            return 1
        except ApiError as exc:
            print(f"  FAIL  {exc.message}")
            return 1
        failures += await _probe_reads(
            ("read cases", Scope.SUPPORT_READ, api.iter_cases(page_size=1)),
            ("read sites", Scope.BASIC_READ, api.iter_sites(page_size=1)),
            ("read invoices", Scope.FINANCIAL_READ, api.iter_invoices(page_size=1)),
        )
        if Scope.SUPPORT_READ_WRITE.value not in api.granted_scopes:
            print("  note  no write scope: the app runs read-only")
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


async def _probe_reads(*probes: tuple[str, Scope, AsyncIterator[object]]) -> int:
    """One item of each list: says ok, the scope missing, or the failure; returns how many
    failed (a missing scope is not a failure: the app works without that part)."""
    from expereo_tui.api.errors import ApiError, ForbiddenError

    failures = 0
    for label, scope, probe in probes:
        try:
            async for _ in probe:
                break
            print(f"  ok    {label}")
        except ForbiddenError as exc:
            print(f"  no    {label}: missing scope {exc.scope or scope.value}")
        except ApiError as exc:
            failures += 1
            print(f"  FAIL  {label}: {exc.message}")
    return failures


async def _reachable_apis(settings: ClientSettings) -> list[str]:
    """Which of the two APIs answer these credentials (one cheap read each); says so."""
    from expereo_tui.api.errors import ApiError, ForbiddenError
    from expereo_tui.api.factory import backend_for

    reached: list[str] = []
    async with backend_for("v2", settings) as v2, backend_for("v1", settings) as v1:
        probes = (
            ("v2", "API V2 (REST)", v2.iter_accounts(page_size=1)),
            ("v1", "API V1 (GraphQL)", v1.iter_cases(filters={"Id": "config-check"})),
        )
        for api, label, probe in probes:
            try:
                async for _ in probe:
                    break
            except ForbiddenError:
                pass  # it answered: only a scope is missing
            except ApiError as exc:
                print(f"  no    {label} does not answer: {exc.message}")
                continue
            reached.append(api)
            print(f"  ok    {label} answers these credentials")
    return reached


async def _check_v1(settings: ClientSettings) -> int:
    """The V1 checks: token, scopes, and one read of each kind V1 offers."""
    from expereo_tui.api.factory import backend_for
    from expereo_tui.api.vocab import Scope

    failures = 0
    async with backend_for("v1", settings) as api:
        failures += await _probe_reads(
            ("read sites", Scope.BASIC_READ, api.iter_sites()),
            ("read services", Scope.BASIC_READ, api.iter_services()),
            ("read cases", Scope.SUPPORT_READ, api.iter_cases(filters={"Id": "config-check"})),
        )
        print(f"  ok    scopes granted: {' '.join(api.granted_scopes) or '(none reported)'}")
        print("  note  API V1 has no priority, status changes, API clients or invoice lists")
        if Scope.SUPPORT_READ_WRITE.value not in api.granted_scopes:
            print("  note  no write scope: the app runs read-only")
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


async def check_team(name: str, profile: Profile) -> int:
    """The team store (docs/team.md), when the profile has one: reachable, its schema, what
    this role may do, who leads, TLS.  Returns how many checks failed; prints nothing without
    ``team_url``."""
    import importlib.util

    from expereo_tui.cli.team_setup import team_settings
    from expereo_tui.config import resolve_team_password

    if not profile.team_url:
        return 0
    settings = team_settings(name, profile, read_only=profile.read_only)
    print(f"team store {settings.describe()}")
    if importlib.util.find_spec("psycopg") is None:
        from expereo_tui.cli.team_setup import NEEDS_EXTRA

        print(f"  FAIL  {NEEDS_EXTRA}")
        return 1
    source = resolve_team_password(name, profile)
    print(f"  ok    password from {source.source}" if source else "  note  no password configured "
          "(peer or certificate authentication, or ~/.pgpass)")  # fmt: skip
    if settings.verifies_tls:
        print("  ok    TLS: the server's certificate and name are verified (or it is loopback)")
    else:
        print("  WARN  TLS: the server's certificate is not verified (sslmode in team_url); "
              "use sslmode=verify-full")  # fmt: skip
    return await _probe_team(settings)


async def _probe_team(settings: TeamSettings) -> int:
    from expereo_tui.team import schema
    from expereo_tui.team.db import TeamUnavailable, connect
    from expereo_tui.team.members import members

    try:
        conn = await connect(settings)
    except TeamUnavailable as exc:
        print(f"  FAIL  {exc}")
        return 1
    failures = 0
    async with conn:
        print("  ok    reachable")
        version = await schema.schema_version(conn)
        if version is None:
            print("  note  no schema yet: the first instance started with the team's owner role "
                  "creates it")  # fmt: skip
        elif version > schema.VERSION:
            print(f"  FAIL  {schema.TeamSchemaNewer(version)}")
            return 1
        elif version < schema.VERSION:
            print(f"  note  schema version {version}: the next instance with the owner role "
                  f"brings it to {schema.VERSION}")  # fmt: skip
        else:
            print(f"  ok    schema version {version}")
        table = "team_outbox" if version is not None else None
        cur = await conn.execute(
            "SELECT current_user, has_table_privilege(%s, 'INSERT')" if table else
            "SELECT current_user, has_schema_privilege('public', 'CREATE')",
            (table,) if table else None,
        )  # fmt: skip
        row = await cur.fetchone()
        user, writes = (str(row[0]), bool(row[1])) if row else ("?", False)
        if writes:
            print(f"  ok    role {user} may write the team's tables")
        elif settings.read_only:
            print(f"  ok    role {user} reads only (a wall: it follows, never polls or sends)")
        else:
            failures += 1
            print(f"  FAIL  role {user} may only read: an instance that polls and sends needs "
                  "the team's owner role (or run this profile read-only, as a wall)")  # fmt: skip
        if version is not None and version <= schema.VERSION:
            leaders = [m for m in await members(conn, settings.client) if m.role == "leader"]
            here = [m for m in leaders if not m.gone]
            if here:
                print(f"  ok    leader: {field(here[0].user)}@{field(here[0].host)} polls "
                      "the API for the team")  # fmt: skip
            else:
                print("  note  no leader now (no instance of this API client is running)")
    return failures


def _finding_line(f: Finding) -> str:
    """One line for a person about one finding of the OpenAPI comparison."""
    from expereo_tui.api.openapi_check import Code

    op = f"{f.method} {f.path}"
    hidden = " (the app hides it)" if f.optional and f.code not in (Code.OK,) else ""
    text = {
        Code.OK: f"{op}: as the app expects",
        Code.MISSING_PATH: f"{op}: path not in the spec",
        Code.MISSING_METHOD: f"{op}: method not in the spec (it has {f.found or 'none'})",
        Code.MISSING_PARAMETER: f"{op}: query parameter {f.name} not in the spec",
        Code.MISSING_SORT_FIELD: f"{op}: cannot sort by {f.name}",
        Code.MISSING_FIELD: f"{op}: field {f.name} not in the spec",
        Code.TYPE_CHANGED: f"{op}: field {f.name} is {f.found}, the app expects {f.expected}",
        Code.REQUIRED_UNKNOWN: f"{op}: the spec requires {f.name}, which the app never sends",
        Code.REQUIRED_OPTIONAL: f"{op}: the spec requires {f.name}, which the app may omit",
        Code.VALUE_REFUSED: f"{op}: {f.name} no longer accepts {f.expected!r}, which the app sends",
        Code.VALUE_MISSING: f"{op}: {f.name} no longer lists {f.expected!r}",
        Code.VALUE_ADDED: f"{op}: {f.name} has values the app shows as they come: {f.found}",
        Code.SHAPE_UNKNOWN: f"{op}: no {{data: ...}} schema for {f.name}; fields not compared",
        Code.EXTRA_OPERATION: f"{op}: not used by the app",
        Code.EXTRA_FIELD: f"{op}: field {f.name} not used by the app",
    }[f.code]
    if f.code is Code.OK:
        label = "ok"
    elif f.breaks:
        label = "BREAKS"
    elif f.code in (Code.EXTRA_OPERATION, Code.EXTRA_FIELD, Code.VALUE_ADDED):
        label = "extra"
    else:
        label = "differs"
    feature = f" [{f.feature}]" if f.feature else ""
    return f"  {label:<8}{text}{hidden}{feature}"


def check_openapi(path: Path) -> int:
    """``config check --openapi FILE``: the provider's OpenAPI document against what the app
    sends and reads."""
    import json

    from expereo_tui.api.openapi_check import check_spec

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(
            f"{path}: not JSON (a YAML spec must be converted to JSON first)"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise ConfigError(f"{path}: not an OpenAPI document (no 'paths')")
    info = doc["info"] if isinstance(doc.get("info"), dict) else {}
    print(f"OpenAPI spec {path}: {info.get('title', '?')} {info.get('version', '')}".rstrip())
    report = check_spec(doc)
    order = {"ok": 0, "differs": 1, "extra": 2}
    lines = [_finding_line(f) for f in report.findings]
    lines.sort(key=lambda line: 0 if "BREAKS" in line[:12] else 1 + order.get(line.split()[0], 3))
    for line in lines:
        print(line)
    broken = sorted({f.feature for f in report.breaking})
    if broken:
        print(f"{len(report.breaking)} difference(s) break: {', '.join(broken)}")
        return 1
    print("no difference breaks a feature")
    return 0
