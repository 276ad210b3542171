"""Command line: ``expereo-tui [--profile NAME] [--read-only] [--wall]`` runs the app;
``demo``, ``sim``, ``serve``, ``config init|check|secret set`` (:mod:`expereo_tui.cli_config`),
``paths``, ``completion`` (:mod:`expereo_tui.completion`), ``help`` and the scripting
commands (``cases …``, ``inventory``: :mod:`expereo_tui.scripting`) are sub-commands.  Errors
before the UI starts are one clear line and a non-zero exit (codes in docs/usage.md), never a
traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui import __version__
from expereo_tui.config import (
    ConfigError,
    Profile,
    config_path,
    data_dir,
    default_sent_by,
    get_profile,
    log_path,
    resolve_secret,
)
from expereo_tui.store.errors import StoreError

if TYPE_CHECKING:  # annotations only: importing these at launch would cost start-up time
    from expereo_tui.api.openapi_check import Finding
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.store.store import Store
    from expereo_tui.sync.engine import SyncEngine
    from expereo_tui.sync.events import SyncEvent
    from expereo_tui.ui.options import AppOptions

    EngineFactory = Callable[[Callable[[SyncEvent], None]], SyncEngine]
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _setup_logging(debug: bool = False) -> None:
    from expereo_tui import logs

    logs.setup(debug=debug)


def _global_flags() -> argparse.ArgumentParser:
    """Flags that work before and after the sub-command (``--profile x demo`` and
    ``cases list --profile x``).  SUPPRESS: a sub-parser must not overwrite a value given
    before the sub-command with its default."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument(
        "--profile",
        default=argparse.SUPPRESS,
        help="profile name from the config file (default: EXPEREO_PROFILE, else the config's "
        "default_profile)",
    )
    flags.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="hide and disable every write",
    )
    flags.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log more detail (each HTTP request, our debug lines) to the log file "
        "(`expereo-tui paths` says where); secrets are never logged",
    )
    flags.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file to use (default: EXPEREO_CONFIG, else the platform's config dir; "
        "see `expereo-tui paths`)",
    )
    return flags


#: Sub-commands whose own parsers live beside their code: everything after the name goes there.
FORWARDED = ("demo", "sim", "serve")


def _app_parser(prog: str = "expereo-tui", *, commands: bool = True) -> argparse.ArgumentParser:
    """The command line; without ``commands``, only the app's own flags (a plain launch: the
    sub-commands' parsers, and the modules they import, are not built on the way to the first
    frame)."""
    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A terminal app for the expereoOne customer API. Without a sub-command it "
        "runs the app on the chosen profile.",
        epilog="`expereo-tui help COMMAND` or `expereo-tui COMMAND -h` for a command's options. "
        "Exit codes: docs/usage.md.",
        parents=[flags],
    )
    parser.add_argument("--version", action="version", version=f"expereo-tui {__version__}")
    parser.add_argument("--wall", action="store_true", help="NOC wall dashboard (read-only)")
    parser.add_argument(
        "--reset-store",
        action="store_true",
        help="set the local database aside (renamed, not deleted) and start a fresh one; "
        "drafts and queued writes that can be read are copied over",
    )
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="without one: run the app on the profile"
    )
    sub.add_parser("demo", add_help=False, help="the app on the built-in simulator")
    sub.add_parser("sim", add_help=False, help="the simulator alone, on loopback")
    sub.add_parser("serve", add_help=False, help="the app in a browser (textual-serve)")
    help_ = sub.add_parser("help", help="show help for expereo-tui or one command")
    help_.add_argument("topic", nargs="*", help="a command, e.g. `cases reply`")
    sub.add_parser("paths", parents=[flags], help="print the config, data and log paths")
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (docs/usage.md: where to put it)",
        description="Print a static completion script for SHELL (made by shtab from this "
        "command line; make it again after an upgrade).",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")
    _config_subparser(sub, flags)
    _cases_subparser(sub, flags)
    from expereo_tui import handover

    handover.add_parser(sub, flags)
    inv = sub.add_parser("inventory", parents=[flags], help="sites and services (scripting)")
    _script_flags(inv)
    inv.add_argument("--json", action="store_true", help="JSON instead of tab-separated lines")
    return parser


def _script_flags(parser: argparse.ArgumentParser, *, writes: bool = False) -> None:
    parser.add_argument(
        "--offline", action="store_true", help="answer from the local store without a sync"
    )
    if writes:
        parser.add_argument(
            "--wait",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="how long to keep trying to deliver before exiting 75 with the write still "
            "queued (default 120); the same command run again finishes it, exactly once",
        )


def _config_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
    config = sub.add_parser(
        "config",
        parents=[flags],
        help="create or check the configuration, store the secret",
        description="Create or check the configuration; store the client secret.",
    )
    actions = config.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="init, check or secret"
    )
    init = actions.add_parser(
        "init",
        parents=[flags],
        help="write a commented starter config file (the profile "
        "named by --profile, default 'default')",
    )
    init.add_argument("--base-url", help="the API's base URL")
    init.add_argument("--token-url", help="the OAuth2 token URL")
    init.add_argument("--client-id", help="the API client id")
    init.add_argument("--secret-file", help="a file holding the client secret (chmod 600)")
    init.add_argument("--api", choices=("v2", "v1"), help="v2 (REST, default) or v1 (GraphQL)")
    init.add_argument(
        "--with-invoices",
        action="store_true",
        help="also ask for customerapi/financial.read (not a documented scope: only if your "
        "key was created with it, or the API refuses every token)",
    )
    init.add_argument("--sent-by", help="who you are to the provider (default user@host)")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace the profile if the file already has one of that name (after asking); "
        "other profiles and comments stay",
    )
    init.add_argument(
        "--yes", action="store_true", help="with --force: replace without asking (no terminal)"
    )
    check = actions.add_parser(
        "check", parents=[flags], help="verify a profile end to end (token, scopes, one read)"
    )
    check.add_argument(
        "--openapi",
        metavar="FILE",
        help="compare an OpenAPI spec (JSON, e.g. from the portal) with what the app relies on; "
        "no network, no credentials",
    )
    secret = actions.add_parser(
        "secret", parents=[flags], help="store the profile's client secret in the system keyring"
    )
    secret_actions = secret.add_subparsers(
        dest="secret_action", required=True, metavar="ACTION", help="set"
    )
    secret_actions.add_parser(
        "set",
        parents=[flags],
        help="store the secret (typed without echo, or the first line of stdin) in the system "
        "keyring (needs the keyring extra)",
    )


def _cases_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
    cases = sub.add_parser(
        "cases",
        parents=[flags],
        help="list, show, reply to and open cases (scripting)",
        description="Scripting: each command syncs once, then answers from the local store.",
    )
    actions = cases.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="what to do"
    )
    lst = actions.add_parser("list", parents=[flags], help="cases, newest change first")
    _script_flags(lst)
    lst.add_argument("--status", action="append", help="only this status (repeatable)")
    lst.add_argument("--priority", action="append", help="only this priority, e.g. P1 (repeatable)")
    lst.add_argument("--service", metavar="SERVICE_ID", help="only cases on this service")
    fmt = lst.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON array")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    show = actions.add_parser("show", parents=[flags], help="one case and its messages")
    _script_flags(show)
    show.add_argument("id", help="case id, e.g. CS-0001234")
    show.add_argument("--json", action="store_true", help="JSON (the case and its messages)")
    reply = actions.add_parser(
        "reply", parents=[flags], help="reply to a case; the message is read from stdin"
    )
    _script_flags(reply, writes=True)
    reply.add_argument("id", help="case id")
    reply.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    new = actions.add_parser(
        "new", parents=[flags], help="open a case; the first message is read from stdin"
    )
    _script_flags(new, writes=True)
    new.add_argument("--service", required=True, metavar="SERVICE_ID", help="the service")
    new.add_argument("--type", required=True, help="case type, e.g. Incident or Request")
    new.add_argument("--subject", required=True, help="subject line")
    new.add_argument("--priority", help="P1..P4 (incidents)")
    new.add_argument("--start", metavar="TIME", help="start of the incident, ISO 8601 with offset")
    new.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    ref = actions.add_parser("reference", parents=[flags], help="set a case's customer reference")
    _script_flags(ref, writes=True)
    ref.add_argument("id", help="case id")
    ref.add_argument("reference", help="the new customer reference")


def _demo_parser() -> argparse.ArgumentParser:
    from expereo_tui.sim.cli import add_arguments

    parser = argparse.ArgumentParser(
        prog="expereo-tui demo", description="Run the app against the built-in simulator."
    )
    add_arguments(parser)
    parser.set_defaults(activity=6.0)
    parser.add_argument("--read-only", action="store_true", help="hide and disable every write")
    parser.add_argument("--wall", action="store_true", help="NOC wall dashboard (read-only)")
    parser.add_argument(
        "--api",
        choices=("v2", "v1"),
        default="v2",
        help="which face of the simulator the app talks to: v2 (REST) or v1 (GraphQL)",
    )
    parser.add_argument(
        "--fresh",
        "--reset-store",
        action="store_true",
        dest="fresh",
        help="start with a new demo store (the old one is set aside); by default the demo "
        "keeps its store, so drafts and read state survive a restart",
    )
    parser.add_argument(
        "--keep-store", action="store_true", help="the default: kept for older scripts"
    )
    return parser


@contextlib.contextmanager
def demo_backend(
    seed: int, scale: str, activity: float, epoch: float | None = None
) -> Iterator[tuple[ClientSettings, str]]:
    """A simulator on a free loopback port (its world seeded as of ``epoch``, default now);
    yields (client settings, base URL)."""
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.sim import SimConfig, Simulator, run_server

    sim = Simulator(SimConfig(seed=seed, scale=scale, activity_rate=activity, epoch=epoch))
    with run_server(sim) as url:
        yield (
            ClientSettings(
                base_url=url,
                token_url=f"{url}/oauth2/token",
                client_id=sim.client_id,
                client_secret=sim.client_secret,
            ),
            url,
        )


def engine_factory_for(
    settings: ClientSettings | Callable[[], ClientSettings],
    store: Store,
    *,
    read_only: bool,
    lock_path: Path | None,
    poll_interval: float = 30.0,
    inventory_interval: float = 900.0,
    api: str = "v2",
    sent_by: str | None = None,
) -> EngineFactory:
    """What the app calls once its first frame is out to build its sync engine (in the app's
    event loop); ``api`` picks the backend: "v2" (REST) or "v1" (GraphQL).  ``settings`` may
    be what builds them, called then: the settings module (rate limits, dates of Retry-After)
    is not needed to show the first frame either."""

    def factory(on_event: Callable[[SyncEvent], None]) -> SyncEngine:
        # imported here, after the first frame: httpx and the client are not needed to show it
        from expereo_tui.api.client import ExpereoClient
        from expereo_tui.api.v1 import V1Client
        from expereo_tui.sync.engine import SyncEngine, SyncSettings

        built = settings() if callable(settings) else settings
        client = V1Client(built) if api == "v1" else ExpereoClient(built)
        return SyncEngine(
            store,
            client,
            on_event=on_event,
            lock_path=lock_path,
            settings=SyncSettings(
                read_only=read_only,
                poll_interval=poll_interval,
                inventory_interval=inventory_interval,
                sent_by=sent_by,
            ),
        )

    return factory


def run_app(store: Store, factory: EngineFactory, options: AppOptions) -> int:
    check_terminal()
    if options.wall:
        from expereo_tui.ui.wall import WallApp

        WallApp(store=store, engine_factory=factory, options=options).run()
        return 0
    from expereo_tui.ui.app import ExpereoApp

    ExpereoApp(store=store, engine_factory=factory, options=options).run()
    return 0


def cmd_demo(argv: list[str]) -> int:
    from expereo_tui.demo import open_demo_store, unread_after_first_sync
    from expereo_tui.store.store import Store
    from expereo_tui.ui.options import AppOptions

    args = _demo_parser().parse_args(argv)
    with contextlib.ExitStack() as stack:
        db = data_dir() / "demo.sqlite3"  # kept: drafts and read state survive a restart
        store, epoch = open_demo_store(
            db,
            seed=args.seed,
            scale=args.scale,
            fresh=args.fresh,
            open_store=lambda path: _open_store(lambda: Store(path)),
        )
        stack.callback(store.close)
        settings, _url = stack.enter_context(
            demo_backend(args.seed, args.scale, args.activity, epoch)
        )
        options = AppOptions(
            profile_name="demo",
            profile_label="DEMO · simulator" + (" · API V1" if args.api == "v1" else ""),
            profile_color="blue",
            read_only=args.read_only or args.wall,
            wall=args.wall,
        )
        _store_read_only(store, options)
        engine_for = engine_factory_for(
            settings,
            store,
            read_only=options.read_only,
            lock_path=db.with_suffix(".lock"),
            poll_interval=10.0,
            api=args.api,
            sent_by=default_sent_by(),
        )

        def factory(on_event: Callable[[SyncEvent], None]) -> SyncEngine:
            return engine_for(unread_after_first_sync(store, on_event))

        return run_app(store, factory, options)


def hold_gc_until_first_frame() -> None:
    """No cyclic garbage collection until the app's first frame is out (``ui.app``'s
    ``freeze_start_up`` freezes what start-up made, then turns it back on).  Start-up makes
    ~50,000 objects that live as long as the app (modules, classes, styles) and little garbage
    (~1,500 objects): the ~120 collections that walked them cost ~30 ms of the launch."""
    import gc

    gc.disable()


def _import_first_screen(wall: bool) -> None:
    """Import the app and its first screen (~100 ms of Python) while the store opens in its
    thread, before the first thing that needs the store."""
    import importlib

    importlib.import_module("expereo_tui.ui.wall" if wall else "expereo_tui.ui.app")
    importlib.import_module(
        "expereo_tui.ui.screens.wall" if wall else "expereo_tui.ui.screens.inbox"
    )


def _open_store_beside(open_: Callable[[], Store]) -> Callable[[], Store]:
    """Start opening the store in a thread and return what waits for it (raising what opening
    raised).  Opening checks the file (SQLite's quick_check: 100-500 ms on a large store), and
    SQLite lets go of the interpreter while it reads: done beside the imports the first frame
    needs (Textual, the screens), that time is no longer waited for at launch."""
    from concurrent.futures import ThreadPoolExecutor  # loaded already, by asyncio

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-open")
    opening = pool.submit(open_)
    pool.shutdown(wait=False)
    return lambda: _open_store(opening.result)


def _open_store(open_: Callable[[], Store]) -> Store:
    """Open the store; a file set aside on the way is told on stderr, in one line."""
    from expereo_tui.ui.store_notices import opened_line

    store = open_()
    if store.notice is not None:
        print(f"expereo-tui: {opened_line(store.notice)}", file=sys.stderr)
    return store


def _store_read_only(store: Store, options: AppOptions) -> None:
    """A store that cannot be written makes the app read-only (the banner says why)."""
    from expereo_tui.ui.store_notices import problem_line

    if store.read_only is not None:
        options.read_only = True
        options.read_only_reason = problem_line(store.read_only)


def _options_for(name: str, profile: Profile, args: argparse.Namespace) -> AppOptions:
    """The app's options; a profile without the write scope hides every write and says why."""
    from expereo_tui.api.vocab import Scope
    from expereo_tui.ui.options import AppOptions
    from expereo_tui.ui.themes import theme_names

    if profile.theme and profile.theme not in theme_names():
        raise ConfigError(
            f"profiles.{name}.theme = {profile.theme!r} is not a theme; "
            f"known: {', '.join(theme_names())}"
        )
    options = AppOptions(
        profile_name=name,
        profile_label=profile.label,
        profile_color=profile.color,
        read_only=bool(args.read_only or args.wall or profile.read_only),
        read_only_reason="--read-only"
        if args.read_only
        else ("the profile is read-only" if profile.read_only else None),
        wall=args.wall,
        theme=profile.theme,
        keymap=dict(profile.keys),
        portal_url_pattern=profile.portal_url,
        bell=profile.bell,
        desktop_notifications=profile.desktop_notifications,
        alert_priorities=frozenset(profile.alert_priorities),
        alert_services=frozenset(profile.alert_services),
        sla_targets={p: t.targets() for p, t in profile.sla.items()} or None,
        views=tuple((v.name, v.query_dict()) for v in profile.views),
        wall_views=tuple(profile.wall_views),
        templates=dict(profile.templates),
        sent_by=profile.sent_by,
    )
    if profile.insecure_urls():  # allow_insecure_http: say so on screen, not only on stderr
        options.profile_label = f"{profile.label or name} · PLAIN HTTP, secret in clear"
        options.profile_color = "red"
    if Scope.SUPPORT_READ_WRITE.value not in profile.scopes and not options.read_only:
        options.read_only = True
        options.read_only_reason = "the profile's scopes lack customerapi/support.read-write"
    return options


def client_settings(profile: Profile, secret: str) -> ClientSettings:
    """What the API client needs from a profile and its secret."""
    from expereo_tui import logs
    from expereo_tui.api.settings import ClientSettings

    logs.redact_value(secret)  # whatever is logged from here on, never this
    return ClientSettings(
        base_url=profile.base_url,
        token_url=profile.token_url,
        client_id=profile.client_id,
        client_secret=secret,
        scopes=list(profile.scopes),
    )


def warn_insecure(name: str, profile: Profile) -> None:
    """One line on stderr (and the log) when the profile allows plain http off this host."""
    for key in profile.insecure_urls():
        line = (
            f"expereo-tui: warning: profile {name!r} {key} = {getattr(profile, key)} is plain "
            "http (allow_insecure_http = true): the client secret and token cross the network "
            "in clear"
        )
        print(line, file=sys.stderr)
        logging.getLogger("expereo_tui.config").warning("%s", line)


def cmd_run(args: argparse.Namespace) -> int:
    hold_gc_until_first_frame()
    name, profile = get_profile(args.profile)
    warn_insecure(name, profile)

    def open_store() -> Store:
        from expereo_tui.store.store import Store

        return Store.for_profile(name, reset=args.reset_store)

    opened = _open_store_beside(open_store)
    try:
        from expereo_tui import logs
        from expereo_tui.triage.secret import secret_matcher

        secret = resolve_secret(name, profile)
        logs.redact_value(secret.secret)  # whatever is logged from here on, never this
        options = _options_for(name, profile, args)
        options.client_secret_matcher = secret_matcher(secret.secret)  # pre-send lint
    except BaseException:
        with contextlib.suppress(Exception):
            opened().close()
        raise
    _import_first_screen(options.wall)  # while the store is still opening
    store = opened()
    _store_read_only(store, options)
    factory = engine_factory_for(
        lambda: client_settings(profile, secret.secret),  # with the engine, after the frame
        store,
        read_only=options.read_only,
        lock_path=data_dir() / f"{name}.lock",
        poll_interval=profile.poll_interval,
        inventory_interval=profile.inventory_interval,
        api=profile.api,
        sent_by=profile.sent_by,
    )
    try:
        return run_app(store, factory, options)
    finally:
        store.close()


def cmd_config(args: argparse.Namespace) -> int:
    from expereo_tui import cli_config

    if args.action == "init":
        return cli_config.config_init(args)
    if args.action == "secret":
        return cli_config.secret_set(args)
    if args.openapi:
        return _config_check_openapi(Path(args.openapi))
    return asyncio.run(_config_check(args.profile))


async def _config_check(profile_name: str | None) -> int:
    from expereo_tui.api.client import ExpereoClient
    from expereo_tui.api.errors import ApiError, ForbiddenError, ScopeRefusedError
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
        return await _config_check_v1(settings)
    failures = 0
    async with ExpereoClient(settings) as api:
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
        for label, scope, probe in (
            ("read cases", Scope.SUPPORT_READ, api.iter_cases(page_size=1)),
            ("read sites", Scope.BASIC_READ, api.iter_sites(page_size=1)),
            ("read invoices", Scope.FINANCIAL_READ, api.iter_invoices(page_size=1)),
        ):
            try:
                async for _ in probe:
                    break
                print(f"  ok    {label}")
            except ForbiddenError as exc:
                print(f"  no    {label}: missing scope {exc.scope or scope.value}")
            except ApiError as exc:
                failures += 1
                print(f"  FAIL  {label}: {exc.message}")
        if Scope.SUPPORT_READ_WRITE.value not in api.granted_scopes:
            print("  note  no write scope: the app runs read-only")
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 1 if failures else 0


async def _reachable_apis(settings: ClientSettings) -> list[str]:
    """Which of the two APIs answer these credentials (one cheap read each); says so."""
    from expereo_tui.api.client import ExpereoClient
    from expereo_tui.api.errors import ApiError, ForbiddenError
    from expereo_tui.api.v1 import V1Client

    reached: list[str] = []
    async with ExpereoClient(settings) as v2, V1Client(settings) as v1:
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


async def _config_check_v1(settings: ClientSettings) -> int:
    """The V1 checks: token, scopes, and one read of each kind V1 offers."""
    from expereo_tui.api.errors import ApiError, ForbiddenError
    from expereo_tui.api.v1 import V1Client
    from expereo_tui.api.vocab import Scope

    failures = 0
    async with V1Client(settings) as api:
        for label, scope, probe in (
            ("read sites", Scope.BASIC_READ, api.iter_sites()),
            ("read services", Scope.BASIC_READ, api.iter_services()),
            ("read cases", Scope.SUPPORT_READ, api.iter_cases(filters={"Id": "config-check"})),
        ):
            try:
                async for _ in probe:
                    break
                print(f"  ok    {label}")
            except ForbiddenError as exc:
                print(f"  no    {label}: missing scope {exc.scope or scope.value}")
            except ApiError as exc:
                failures += 1
                print(f"  FAIL  {label}: {exc.message}")
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


def _config_check_openapi(path: Path) -> int:
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


def cmd_sim(argv: list[str]) -> int:
    from expereo_tui.sim.cli import main as sim_main

    return sim_main(argv)


WEB_EXTRA = "pipx install 'expereo-tui[web]' (or pip install 'expereo-tui[web]')"


def cmd_serve(argv: list[str]) -> int:
    import importlib.util

    if importlib.util.find_spec("textual_serve") is None:  # the [web] extra is not installed
        print(f"expereo-tui serve: needs the web extra: {WEB_EXTRA}", file=sys.stderr)
        return 2
    from expereo_tui.ui.serve import main as serve_main

    return int(serve_main(argv) or 0)


class NoTerminal(Exception):
    """A TUI command without a terminal to draw on."""


def check_terminal() -> None:
    """The TUI needs a terminal: without one (cron, a pipe) or with TERM=dumb, say so in one
    line instead of writing escape codes into a file and never exiting."""
    import os

    if os.environ.get("TERM", "") == "dumb":
        raise NoTerminal("TERM=dumb")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NoTerminal("not a terminal")


def cmd_paths(args: argparse.Namespace) -> int:
    print(f"config  {config_path()}")
    print(f"data    {data_dir()}")
    print(f"log     {log_path()}")
    return 0


def _command_index(argv: list[str]) -> int | None:
    """Where the sub-command's name is: the first word that is neither a flag nor the value
    of a global flag that takes one."""
    skip = False
    for i, word in enumerate(argv):
        if skip:
            skip = False
        elif word in ("--profile", "--config"):
            skip = True
        elif word == "--":
            return i + 1 if i + 1 < len(argv) else None
        elif not word.startswith("-"):
            return i
    return None


def _help(parser: argparse.ArgumentParser, topic: list[str]) -> int:
    if not topic:
        parser.print_help()
        return 0
    try:
        if topic[0] in FORWARDED:
            return COMMANDS[topic[0]]([*topic[1:], "-h"])
        parser.parse_args([*topic, "-h"])
    except SystemExit as exc:  # -h exits 0 after printing; an unknown topic exits 2
        return int(exc.code or 0)
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "sim": cmd_sim,
    "serve": cmd_serve,
}


def _dispatch(argv: list[str]) -> int:
    import os

    at = _command_index(argv)
    asks_help = any(word in ("-h", "--help") for word in argv)
    parser = _app_parser(commands=at is not None or asks_help)
    if at is not None and argv[at] in FORWARDED:
        head = parser.parse_args(argv[:at])  # the global flags before the name
        rest = [word for word in argv[at + 1 :] if word != "--debug"]  # main() handled it
        if argv[at] == "demo" and getattr(head, "read_only", False):
            rest = ["--read-only", *rest]
        if argv[at] == "demo":
            check_terminal()
        return COMMANDS[argv[at]](rest)
    if at is None and not asks_help:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # said by the whole parser: its usage names the commands too
            parser = _app_parser()
            args = parser.parse_args(argv)
    else:
        args = parser.parse_args(argv)
    if getattr(args, "config", None):
        os.environ["EXPEREO_CONFIG"] = args.config
    args.profile = getattr(args, "profile", None) or os.environ.get("EXPEREO_PROFILE") or None
    args.read_only = getattr(args, "read_only", False)
    command = args.command
    if command == "help":
        return _help(parser, args.topic)
    if command == "paths":
        return cmd_paths(args)
    if command == "completion":
        from expereo_tui import completion

        return completion.main(args.shell)
    if command == "config":
        return cmd_config(args)
    if command == "handover":
        from expereo_tui import handover

        return handover.run(args)
    if command in ("cases", "inventory"):
        from expereo_tui import scripting

        return scripting.run(args)
    return cmd_run(args)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 no terminal, 4-9 and 75 from
    scripting (expereo_tui.scripting.Exit; docs/usage.md lists them all), 130 interrupted."""
    import os

    argv = list(sys.argv[1:] if argv is None else argv)
    config_env = os.environ.get("EXPEREO_CONFIG")
    try:
        _setup_logging(debug="--debug" in argv[: argv.index("--") if "--" in argv else None])
        return _dispatch(argv)
    except NoTerminal as exc:
        print(
            f"expereo-tui: needs a terminal ({exc}); for scripts and cron use "
            "`expereo-tui cases …` or `expereo-tui inventory` (see `expereo-tui help`)",
            file=sys.stderr,
        )
        return 3
    except ConfigError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        from expereo_tui.ui.store_notices import error_line

        print(f"expereo-tui: {error_line(exc)}", file=sys.stderr)
        return 5
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 1
    finally:  # --config is for this run only (main may be called again in one process)
        if config_env is None:
            os.environ.pop("EXPEREO_CONFIG", None)
        else:
            os.environ["EXPEREO_CONFIG"] = config_env


if __name__ == "__main__":
    raise SystemExit(main())
