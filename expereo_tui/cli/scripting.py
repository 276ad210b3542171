"""Scripting mode: ``expereo-tui cases …`` and ``expereo-tui inventory`` for cron jobs and pipes.

Each command opens the profile's store, runs one sync through the same :class:`SyncEngine` the
app uses (unless ``--offline``) and answers from the store.  Writes are queued in the same outbox
and sent by the same :class:`~expereo_tui.sync.sender.OutboxSender`: there is no second send path.
A reply or new case queued by a script carries a draft key made of its content, so running the
same command again after a crash picks up the pending entry instead of queueing a second one.

Exit codes (docs/usage.md and `expereo-tui cases -h` list them for people): cli/exits.py.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from expereo_tui.api.factory import backend_for
from expereo_tui.api.models import CaseCreate, CaseUpdate, ModelError
from expereo_tui.cli.exits import Exit
from expereo_tui.cli.output import emit, field
from expereo_tui.config import ConfigError, get_profile, resolve_secret
from expereo_tui.locations import data_dir
from expereo_tui.store.outbox_types import AlreadyQueued, OutboxStatus
from expereo_tui.store.query import CaseQuery
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import CaseClosedError, ReadOnlyError, SyncEngine, SyncSettings
from expereo_tui.sync.events import SyncEvent, SyncStatus
from expereo_tui.ui.safe_text import safe


class ScriptError(Exception):
    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass
class Context:
    name: str
    store: Store
    engine: SyncEngine
    is_client_secret: Callable[[str], bool] | None = None  # the profile's secret, by digest


def _discard(event: SyncEvent) -> None:
    """Scripts do not react to sync events; the store and the engine's state say it all."""


def open_context(args: argparse.Namespace) -> Context:
    name, profile = get_profile(getattr(args, "profile", None))
    reads_only = args.command == "inventory" or getattr(args, "action", None) in ("list", "show")
    try:
        secret = resolve_secret(name, profile).secret
    except ConfigError:
        if not (args.offline and reads_only):
            raise
        secret = ""  # --offline reads only the store: no request is made, no secret needed
    from expereo_tui.cli.launch import client_settings

    settings = client_settings(profile, secret)
    store = Store.for_profile(name)
    read_only = bool(getattr(args, "read_only", False) or profile.read_only)
    client = backend_for(profile.api, settings)
    from expereo_tui.cli.team_setup import team_factory

    make_team = None if args.offline else team_factory(name, profile, read_only)
    engine = SyncEngine(
        store,
        client,
        on_event=_discard,
        lock_path=data_dir() / f"{name}.lock",
        settings=SyncSettings(
            read_only=read_only,
            inventory_interval=profile.inventory_interval,
            sent_by=profile.sent_by,
        ),
        team=make_team(store, _discard) if make_team else None,
    )
    from expereo_tui.triage.secret import secret_matcher

    return Context(name, store, engine, secret_matcher(secret))


TEAM_WAIT = 10.0  # seconds a script waits to reach its team store


async def team_sync(ctx: Context) -> None:
    """In team mode a script reads the API through its team: it never polls (the team's one
    leader does, within the one budget), it brings the store up to the team's change log.  The
    team store away: a failure (OFFLINE), not a poll of its own (docs/team.md)."""
    team = ctx.engine.team
    assert team is not None
    await team.start(may_lead=False, wake=lambda: None)
    runtime = getattr(team, "runtime", None)
    try:
        async with asyncio.timeout(TEAM_WAIT):
            if runtime is not None:
                await runtime.wait_online()
    except TimeoutError:
        why = runtime.problem if runtime is not None else None
        raise ScriptError(
            Exit.OFFLINE,
            f"{why or 'the team store is not reachable'}; use --offline to read the store",
        ) from None
    await team.follow()


async def sync(ctx: Context) -> None:
    """One poll (in team mode: the team's changes); a failure is a ScriptError with its exit
    code."""
    if ctx.engine.team is not None:
        await team_sync(ctx)
        return
    await ctx.engine.poll_once()
    state = ctx.engine.state
    if state.skipped:  # never silent: an item the API sent that we could not keep
        noun = "item" if state.skipped == 1 else "items"
        print(
            f"expereo-tui: {state.skipped} {noun} from the API skipped (no usable id); "
            "the log names them",
            file=sys.stderr,
        )
    if state.status == SyncStatus.FRESH:
        return
    if state.status in (SyncStatus.UNAUTHORISED, SyncStatus.FORBIDDEN):
        detail = f" (scope {state.missing_scope})" if state.missing_scope else ""
        raise ScriptError(Exit.AUTH, f"the API refused these credentials{detail}: {state.message}")
    reason = state.message or (state.error.code if state.error else state.status.value)
    raise ScriptError(Exit.OFFLINE, f"sync failed ({reason}); use --offline to read the store")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _line(*fields: Any) -> str:
    """Tab-separated fields, each on one line and without escapes (cli/output.py)."""
    return "\t".join(field(_text(f)) for f in fields) + "\n"


def cases_list(ctx: Context, args: argparse.Namespace, out: TextIO) -> Exit:
    from expereo_tui.api.vocab import open_statuses

    statuses = set(args.status or ())
    none = False  # --open with only done statuses: no case (an empty set would mean any)
    if args.open:  # the open statuses, one rule (api/vocab.py); with --status: both must hold
        present = open_statuses(ctx.store.cases.statuses())
        statuses = statuses & present if statuses else set(present)
        none = not statuses
    query = CaseQuery(
        statuses=frozenset(statuses),
        priorities=frozenset(args.priority or ()),
        service_id=args.service,
        sort=(("last_modified", True),),
    )
    total = 0 if none else ctx.store.cases.count_cases(query)
    rows = ctx.store.cases.query_cases(query, limit=total) if total else []
    if args.json or args.csv:  # the same writer as the inbox's export (E)
        import io

        from expereo_tui.shift.export import write_cases

        if args.json:  # exact: json escapes control characters itself
            write_cases(rows, out, "json")
        else:
            text = io.StringIO()
            write_cases(rows, text, "csv")
            emit(out, text.getvalue())  # on a terminal, without the API's escapes
    else:
        for r in rows:
            out.write(_line(r.id, r.status, r.priority, r.service_name or r.service_id, r.subject))
    return Exit.OK


async def cases_show(ctx: Context, args: argparse.Namespace, out: TextIO) -> Exit:
    case = ctx.store.cases.case(args.id)
    if case is None:
        raise ScriptError(Exit.NOT_FOUND, f"no case {args.id}")
    if not args.offline:
        await ctx.engine.poller.fetch_thread(args.id)
    thread = ctx.store.cases.thread(args.id)
    if args.json:
        doc = case.model_dump(mode="json")
        doc["messages"] = [m.model_dump(mode="json") for m in thread]
        json.dump(doc, out, indent=2)
        out.write("\n")
        return Exit.OK
    for key, value in case.model_dump().items():
        if value is not None:
            out.write(field(f"{key}: {_text(value)}") + "\n")
    for m in thread:
        who = " ".join(_text(v) for v in (m.type, m.sent_by) if v)
        out.write("\n" + field(f"--- {_text(m.timestamp)} {who}") + "\n")
        out.write("".join(safe(line) + "\n" for line in m.message.splitlines()))
    return Exit.OK


def _key(*parts: str) -> str:
    """A draft key from a script's write: the same command run again finds its pending entry."""
    return "cli:" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def write_key(args: argparse.Namespace, *parts: str) -> str:
    """The key a script's write is known by: ``--key K`` when given (the caller's own name for
    this write, whatever its text), else the command's content."""
    given = getattr(args, "key", None)
    return _key("key", given) if given else _key(*parts)


def already_sent(ctx: Context, args: argparse.Namespace, key: str, out: TextIO) -> Exit | None:
    """The same write confirmed before: not sent a second time unless ``--again``.  Prints the
    id the API gave it (stdout) and says so (stderr); None when there is nothing to report."""
    if getattr(args, "again", False):
        return None
    sent = [e for e in ctx.store.outbox.outbox(statuses=("sent",)) if e.draft_key == key]
    if not sent:
        return None
    last = max(sent, key=lambda e: e.id)
    out.write(f"{last.result_id or ''}\n")
    print(
        f"expereo-tui: already sent as #{last.id}"
        + (f" ({last.result_id})" if last.result_id else "")
        + "; not sent again (--again sends it once more)",
        file=sys.stderr,
    )
    return Exit.ALREADY_SENT


async def deliver(ctx: Context, entry_id: int, wait: float) -> Exit:
    """Send the outbox (oldest first, as the app does) until this entry is sent or failed, or
    ``wait`` seconds have passed (then it stays queued: PENDING)."""
    engine = ctx.engine
    team = engine.team
    if team is None and not engine._sends():  # another instance holds the profile's outbox
        raise ScriptError(Exit.PENDING, f"queued as #{entry_id}; a running app sends it")
    deadline = time.monotonic() + wait
    while True:
        if team is not None:  # the team's one outbox: handed over, sent by whoever claims it
            await team.send_outbox(engine.sender)
        else:
            await engine.sender.send_due()
        entry = ctx.store.outbox.outbox_entry(entry_id)
        if entry is None:
            raise ScriptError(Exit.FAILED, f"outbox entry #{entry_id} vanished")
        if entry.status == OutboxStatus.SENT:
            said = {"reply": "reply to {case} sent", "create": "case {result} opened",
                    "update": "update of {case} sent"}[entry.kind.value]  # fmt: skip
            what = said.format(case=entry.case_id, result=entry.result_id or "?")
            print(field(f"expereo-tui: {what} (outbox #{entry_id})"), file=sys.stderr)
            return Exit.OK
        if entry.status == OutboxStatus.FAILED:
            raise ScriptError(Exit.REJECTED, f"refused: {entry.last_error or 'rejected'}")
        left = deadline - time.monotonic()
        if left <= 0:
            reason = f" ({entry.last_error})" if entry.last_error else ""
            raise ScriptError(
                Exit.PENDING,
                f"queued as #{entry_id}, not confirmed yet{reason}: run the same command again",
            )
        due = engine.sender.next_due()
        pause = 0.05 if due is None else due - engine.clock()
        if team is not None:
            pause = max(pause, 0.25)  # a peer may be the one sending: look a few times a second
        await asyncio.sleep(min(max(pause, 0.05), left))


def _stdin_text() -> str:
    text = sys.stdin.read()
    if not text.strip():
        raise ScriptError(Exit.USAGE, "the message is empty (it is read from stdin)")
    return text


def check_credentials(
    ctx: Context, args: argparse.Namespace, text: str, where: str | None = None
) -> None:
    """The app's pre-send lint (triage/lint.py) on a message a script sends: a line that looks
    like a credential refuses the write (REJECTED), naming the line masked, unless ``--yes``.
    Checked before the write is queued, so nothing unchecked waits in the outbox for the app's
    sender."""
    if getattr(args, "yes", False):
        return
    from expereo_tui.triage.lint import KIND, lint

    findings = lint(text, ctx.is_client_secret)
    if findings:
        lines = "; ".join(
            f"{where or f'line {f.line_number}'}: {KIND.get(f.code, f.code)}: {f.masked.strip()}"
            for f in findings[:5]
        )
        more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
        raise ScriptError(
            Exit.REJECTED,
            f"not sent: the message looks like it contains credentials: {lines}{more}. "
            "Remove them, or send anyway with --yes",
        )


async def cases_reply(ctx: Context, args: argparse.Namespace, out: TextIO) -> Exit:
    if args.message != "-":
        raise ScriptError(Exit.USAGE, "give the message on stdin: cases reply ID -")
    text = _stdin_text()
    check_credentials(ctx, args, text)
    if ctx.store.cases.case(args.id) is None:
        raise ScriptError(Exit.NOT_FOUND, f"no case {args.id}")
    key = write_key(args, "reply", args.id, text)
    if (done := already_sent(ctx, args, key, out)) is not None:
        return done
    try:
        entry_id = ctx.engine.send_reply(args.id, text, draft_key=key)
    except AlreadyQueued as exc:  # the same command, run again: finish that entry
        entry_id = exc.entry_id
    except CaseClosedError:
        raise ScriptError(Exit.REJECTED, f"case {args.id} is closed") from None
    return await deliver(ctx, entry_id, args.wait)


async def cases_new(ctx: Context, args: argparse.Namespace, out: TextIO) -> Exit:
    if args.message != "-":
        raise ScriptError(Exit.USAGE, "give the message on stdin: cases new … -")
    text = _stdin_text()
    try:
        body = CaseCreate(
            type=args.type,
            subject=args.subject,
            service_id=args.service,
            message=text,
            priority=args.priority,
            start_of_incident=args.start,
        )
    except ModelError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScriptError(Exit.REJECTED, f"{where}: {first['msg']}") from None
    check_credentials(ctx, args, args.subject, where="the subject")
    check_credentials(ctx, args, text)
    key = write_key(args, "new", json.dumps(body.to_wire(), sort_keys=True))
    if (done := already_sent(ctx, args, key, out)) is not None:
        return done
    try:
        entry_id = ctx.engine.create_case(body, draft_key=key)
    except AlreadyQueued as exc:
        entry_id = exc.entry_id
    code = await deliver(ctx, entry_id, args.wait)
    entry = ctx.store.outbox.outbox_entry(entry_id)
    if entry is not None and entry.result_id:
        out.write(f"{entry.result_id}\n")
    return code


async def cases_reference(ctx: Context, args: argparse.Namespace) -> Exit:
    if ctx.store.cases.case(args.id) is None:
        raise ScriptError(Exit.NOT_FOUND, f"no case {args.id}")
    entry_id = ctx.engine.update_case(args.id, CaseUpdate(customer_reference=args.reference))
    return await deliver(ctx, entry_id, args.wait)


def inventory(ctx: Context, args: argparse.Namespace, out: TextIO) -> Exit:
    sites = {
        s.site_id: s
        for a in ctx.store.inventory.accounts()
        for s in ctx.store.inventory.sites(a.account_id)
    }
    services = ctx.store.inventory.services()
    if args.json:
        json.dump(
            {
                "sites": [s.model_dump(mode="json") for s in sites.values()],
                "services": [s.model_dump(mode="json") for s in services],
            },
            out,
            indent=2,
        )
        out.write("\n")
        return Exit.OK
    for svc in services:
        site = sites.get(svc.site_id or "")
        site_name = (site.name if site else None) or svc.site_id or ""
        out.write(_line(svc.service_id, svc.status, svc.service_type, svc.service_name, site_name))
    return Exit.OK


async def _run(args: argparse.Namespace, out: TextIO) -> Exit:
    ctx = open_context(args)
    try:
        if not args.offline:
            await sync(ctx)
        action = getattr(args, "action", None)
        try:
            if args.command == "inventory":
                return inventory(ctx, args, out)
            if action == "list":
                return cases_list(ctx, args, out)
            if action == "show":
                return await cases_show(ctx, args, out)
            if action == "reply":
                return await cases_reply(ctx, args, out)
            if action == "new":
                return await cases_new(ctx, args, out)
            if action == "reference":
                return await cases_reference(ctx, args)
        except ReadOnlyError:
            raise ScriptError(Exit.READ_ONLY, "read-only: nothing can be sent") from None
        raise ScriptError(Exit.USAGE, f"unknown command {args.command} {action or ''}".strip())
    finally:
        await ctx.engine.stop()
        await ctx.engine.client.aclose()
        ctx.store.close()


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run one scripting command; errors are one line on stderr and their exit code."""
    try:
        return int(asyncio.run(_run(args, out or sys.stdout)))
    except ScriptError as exc:
        print(f"expereo-tui: {field(exc.message)}", file=sys.stderr)
        return int(exc.code)
