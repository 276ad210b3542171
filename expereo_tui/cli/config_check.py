"""``config check``: what works with a profile's credentials against the live API, and
``config check --openapi``: a provider's OpenAPI document against what the app expects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui.cli.launch import client_settings, warn_insecure
from expereo_tui.config import ConfigError, get_profile, resolve_secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from expereo_tui.api.openapi_check import Finding
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.api.vocab import Scope


async def check_profile(profile_name: str | None) -> int:
    """``config check``: the token, the scopes granted, and one read of each kind."""
    from expereo_tui.api.errors import ApiError, ScopeRefusedError
    from expereo_tui.api.factory import backend_for
    from expereo_tui.api.vocab import Scope

    name, profile = get_profile(profile_name)
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
