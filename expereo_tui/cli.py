"""Command line: ``expereo-tui [--profile NAME] [--read-only] [--wall]`` runs the app;
``demo``, ``sim``, ``serve`` and ``config init|check`` are subcommands.  Errors before the UI
starts are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    starter_text,
)


def _setup_logging() -> None:
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # never log URLs with tokens
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _app_parser(prog: str = "expereo-tui") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A terminal app for the expereoOne customer API.",
        epilog="Subcommands: demo (app on the built-in simulator), sim (simulator alone), "
        "serve (the app in a browser), config init|check. `expereo-tui SUBCOMMAND -h`.",
    )
    parser.add_argument("--version", action="version", version=f"expereo-tui {__version__}")
    parser.add_argument("--profile", help="profile name from the config file")
    parser.add_argument("--read-only", action="store_true", help="hide and disable every write")
    parser.add_argument("--wall", action="store_true", help="NOC wall dashboard (read-only)")
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    from expereo_tui.sim.cli import add_arguments

    parser = argparse.ArgumentParser(
        prog="expereo-tui demo", description="Run the app against the built-in simulator."
    )
    add_arguments(parser)
    parser.set_defaults(activity=6.0)
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--wall", action="store_true")
    parser.add_argument(
        "--keep-store",
        action="store_true",
        help="keep the demo database in the data dir instead of a temp dir",
    )
    return parser


@contextlib.contextmanager
def demo_backend(seed: int, scale: str, activity: float) -> Iterator[tuple[Any, str]]:
    """A simulator on a free loopback port; yields (client settings, base URL)."""
    from expereo_tui.api.client import ClientSettings
    from expereo_tui.sim import SimConfig, Simulator, run_server

    sim = Simulator(SimConfig(seed=seed, scale=scale, activity_rate=activity))
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
    settings: Any,
    store: Any,
    *,
    read_only: bool,
    lock_path: Path | None,
    poll_interval: float = 30.0,
    inventory_interval: float = 900.0,
    sent_by: str | None = None,
) -> Callable[[Callable[[Any], None]], Any]:
    """What the app calls on mount to build its sync engine (in the app's event loop)."""
    from expereo_tui.api.client import ExpereoClient
    from expereo_tui.sync.engine import SyncEngine, SyncSettings

    def factory(on_event: Callable[[Any], None]) -> Any:
        client = ExpereoClient(settings)
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


def run_app(store: Any, factory: Any, options: Any) -> int:
    if options.wall:
        try:
            from expereo_tui.ui.wall import WallApp
        except ImportError:
            WallApp = None  # noqa: N806
        if WallApp is not None:
            WallApp(store=store, engine_factory=factory, options=options).run()
            return 0
    from expereo_tui.ui.app import ExpereoApp

    ExpereoApp(store=store, engine_factory=factory, options=options).run()
    return 0


def cmd_demo(argv: list[str]) -> int:
    from expereo_tui.store.store import Store
    from expereo_tui.ui.options import AppOptions

    args = _demo_parser().parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.keep_store:
            db = data_dir() / "demo.sqlite3"
            db.parent.mkdir(parents=True, exist_ok=True)
        else:
            db = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "demo.sqlite3"
        settings, _url = stack.enter_context(demo_backend(args.seed, args.scale, args.activity))
        store = Store(db)
        stack.callback(store.close)
        options = AppOptions(
            profile_name="demo",
            profile_label="DEMO · simulator",
            profile_color="blue",
            read_only=args.read_only or args.wall,
            wall=args.wall,
        )
        factory = engine_factory_for(
            settings,
            store,
            read_only=options.read_only,
            lock_path=db.with_suffix(".lock"),
            poll_interval=10.0,
            sent_by=default_sent_by(),
        )
        return run_app(store, factory, options)


def _options_for(name: str, profile: Profile, args: argparse.Namespace) -> Any:
    from expereo_tui.ui.options import AppOptions

    return AppOptions(
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
    )


def client_settings(profile: Profile, secret: str) -> Any:
    """What the API client needs from a profile and its secret."""
    from expereo_tui.api.client import ClientSettings

    return ClientSettings(
        base_url=profile.base_url,
        token_url=profile.token_url,
        client_id=profile.client_id,
        client_secret=secret,
        scopes=list(profile.scopes),
    )


def cmd_run(argv: list[str]) -> int:
    from expereo_tui.api.models import Scope
    from expereo_tui.store.store import Store

    args = _app_parser().parse_args(argv)
    name, profile = get_profile(args.profile)
    secret = resolve_secret(name, profile)
    options = _options_for(name, profile, args)
    if Scope.SUPPORT_READ_WRITE.value not in profile.scopes and not options.read_only:
        options.read_only = True
        options.read_only_reason = "the profile's scopes lack customerapi/support.read-write"
    settings = client_settings(profile, secret.secret)
    store = Store.for_profile(name)
    factory = engine_factory_for(
        settings,
        store,
        read_only=options.read_only,
        lock_path=data_dir() / f"{name}.lock",
        poll_interval=profile.poll_interval,
        inventory_interval=profile.inventory_interval,
        sent_by=profile.sent_by,
    )
    try:
        return run_app(store, factory, options)
    finally:
        store.close()


def cmd_config(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="expereo-tui config", description="Create or check the configuration."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    init = sub.add_parser("init", help="write a commented starter config file")
    init.add_argument("--profile", default="default")
    init.add_argument("--base-url")
    init.add_argument("--token-url")
    init.add_argument("--client-id")
    init.add_argument("--secret-file")
    init.add_argument("--sent-by", help="who you are to the provider (default user@host)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = sub.add_parser("check", help="verify a profile end to end (token, scopes, one read)")
    check.add_argument("--profile")
    args = parser.parse_args(argv)
    if args.action == "init":
        return _config_init(args)
    return asyncio.run(_config_check(args.profile))


def _ask(prompt: str, default: str) -> str:
    if not sys.stdin.isatty():
        return default
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default


def _config_init(args: argparse.Namespace) -> int:
    from expereo_tui.api.models import ALL_SCOPES
    from expereo_tui.config import DEFAULT_BASE_URL, DEFAULT_TOKEN_URL

    path = config_path()
    if path.exists() and not args.force:
        print(f"expereo-tui: {path} exists; use --force to overwrite", file=sys.stderr)
        return 1
    text = starter_text(
        args.profile,
        base_url=args.base_url or _ask("API base URL", DEFAULT_BASE_URL),
        token_url=args.token_url or _ask("Token URL", DEFAULT_TOKEN_URL),
        client_id=args.client_id or _ask("Client id", "your-client-id"),
        scopes=list(ALL_SCOPES),
        secret_file=args.secret_file,
        sent_by=args.sent_by
        or _ask("Your name as the provider sees it (sentBy)", default_sent_by()),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}; now provide the secret and run `expereo-tui config check`")
    return 0


async def _config_check(profile_name: str | None) -> int:
    from expereo_tui.api.client import ExpereoClient
    from expereo_tui.api.errors import ApiError, ForbiddenError
    from expereo_tui.api.models import Scope

    name, profile = get_profile(profile_name)
    print(f"profile {name}: {profile.base_url} (client id {profile.client_id})")
    secret = resolve_secret(name, profile)
    print(f"  ok    secret from {secret.source}")
    settings = client_settings(profile, secret.secret)
    failures = 0
    async with ExpereoClient(settings) as api:
        try:
            async for _ in api.iter_accounts(page_size=1):
                break
            print("  ok    token obtained")
            print(f"  ok    scopes granted: {' '.join(api.granted_scopes) or '(none reported)'}")
            print("  ok    read accounts")
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


def cmd_sim(argv: list[str]) -> int:
    from expereo_tui.sim.cli import main as sim_main

    return sim_main(argv)


def cmd_serve(argv: list[str]) -> int:
    try:
        from expereo_tui.ui.serve import main as serve_main
    except ImportError:
        print("expereo-tui serve: not available in this build", file=sys.stderr)
        return 2
    return int(serve_main(argv) or 0)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "sim": cmd_sim,
    "config": cmd_config,
    "serve": cmd_serve,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = COMMANDS.get(argv[0]) if argv else None
    try:
        _setup_logging()
        if command is not None:
            return command(argv[1:])
        return cmd_run(argv)
    except ConfigError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
