"""Starting the app: the store opened beside the imports, the options from the profile, the
sync engine built after the first frame (``docs/development.md``, "Launch").  ``cli.py`` parses
the command line and calls :func:`run` or :func:`run_demo`; the scripting commands and
``config check`` build their client settings here too."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui import heap
from expereo_tui.config import (
    ConfigError,
    Profile,
    choose_profile,
    default_sent_by,
    load_config,
    resolve_secret,
)
from expereo_tui.locations import data_dir

if TYPE_CHECKING:  # annotations only: importing these at launch would cost start-up time
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.store.store import Store
    from expereo_tui.sync.engine import SyncEngine
    from expereo_tui.sync.events import SyncEvent
    from expereo_tui.ui.options import AppOptions

    from .team_setup import TeamFactory

    EngineFactory = Callable[[Callable[[SyncEvent], None]], SyncEngine]


WEB_DRIVER_MODULE = "textual.drivers.web_driver:"  # what textual-serve sets for its children


class NoTerminal(Exception):
    """A TUI command without a terminal to draw on."""


def check_terminal() -> None:
    """The TUI needs a terminal: without one (cron, a pipe) or with TERM=dumb, say so in one
    line instead of writing escape codes into a file and never exiting.

    Under ``expereo-tui serve`` textual-serve runs each browser session's app over pipes with
    Textual's web driver named in ``TEXTUAL_DRIVER``: that driver is the terminal."""
    if os.environ.get("TEXTUAL_DRIVER", "").startswith(WEB_DRIVER_MODULE):
        return
    if os.environ.get("TERM", "") == "dumb":
        raise NoTerminal("TERM=dumb")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NoTerminal("not a terminal")


@contextlib.contextmanager
def demo_backend(
    seed: int,
    scale: str,
    activity: float,
    epoch: float | None = None,
    ids_after: tuple[int, int] = (0, 0),
) -> Iterator[tuple[ClientSettings, str]]:
    """A simulator on a free loopback port (its world seeded as of ``epoch``, default now, its
    new ids after ``ids_after``); yields (client settings, base URL)."""
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.sim import SimConfig, Simulator, run_server

    sim = Simulator(
        SimConfig(seed=seed, scale=scale, activity_rate=activity, epoch=epoch, ids_after=ids_after)
    )
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
    team: TeamFactory | None = None,
) -> EngineFactory:
    """What the app calls once its first frame is out to build its sync engine (in the app's
    event loop); ``api`` picks the backend: "v2" (REST) or "v1" (GraphQL).  ``settings`` may
    be what builds them, called then: the settings module (rate limits, dates of Retry-After)
    is not needed to show the first frame either.  ``team`` (a profile with a ``team_url``,
    cli/team_setup.py) builds the engine's team; the engine starts and stops it."""

    def factory(on_event: Callable[[SyncEvent], None]) -> SyncEngine:
        # imported here, after the first frame: httpx and the client are not needed to show it
        from expereo_tui.api.factory import backend_for
        from expereo_tui.sync.engine import SyncEngine, SyncSettings

        built = settings() if callable(settings) else settings
        client = backend_for(api, built)
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
            team=team(store, on_event) if team is not None else None,
        )

    return factory


def run_app(
    store: Store,
    factory: EngineFactory,
    options: AppOptions,
    switched: list[str] | None = None,
) -> int:
    """Run the app (or the wall) until it exits; a profile chosen in the palette to switch to
    is appended to ``switched``."""
    check_terminal()
    heap.settle()  # before the app's threads: one malloc heap, large blocks given back whole
    if options.wall:
        from expereo_tui.ui.wall.app import WallApp

        wall = WallApp(store=store, engine_factory=factory, options=options)
        wall.run()
        return wall.return_code or 0
    from expereo_tui.ui.app import ExpereoApp

    app = ExpereoApp(store=store, engine_factory=factory, options=options)
    app.run()
    if app.switch_to is not None and switched is not None and not app.return_code:
        switched.append(app.switch_to)
    return app.return_code or 0  # 129 after SIGHUP, 143 after SIGTERM (docs/usage.md)


def run_demo(args: argparse.Namespace) -> int:
    from expereo_tui.cli.demo import (
        demo_store_path,
        ids_after,
        open_demo_store,
        unread_after_first_sync,
    )
    from expereo_tui.store.store import Store
    from expereo_tui.ui.options import AppOptions

    with contextlib.ExitStack() as stack:
        db = demo_store_path(args.api)
        store, epoch = open_demo_store(
            db,
            seed=args.seed,
            scale=args.scale,
            fresh=args.fresh,
            open_store=lambda path: _open_store(lambda: Store(path)),
        )
        stack.callback(store.close)
        settings, url = stack.enter_context(
            demo_backend(args.seed, args.scale, args.activity, epoch, ids_after(store))
        )
        if args.profile_snippet:
            from expereo_tui.cli.demo import write_profile_snippet

            write_profile_snippet(Path(args.profile_snippet).expanduser(), settings, url)
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

    importlib.import_module("expereo_tui.ui.wall.app" if wall else "expereo_tui.ui.app")
    importlib.import_module("expereo_tui.ui.wall.screen" if wall else "expereo_tui.ui.inbox.screen")


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

    if store.read_only_notice is not None:
        options.read_only = True
        options.read_only_reason = problem_line(store.read_only_notice)


def options_for(
    name: str, profile: Profile, args: argparse.Namespace, others: tuple[str, ...] = ()
) -> AppOptions:
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
        user_commands=dict(profile.commands),
        other_profiles=others,
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


def run(args: argparse.Namespace) -> int:
    """The app (or the wall) on a profile: what ``expereo-tui [--profile NAME]`` runs.  A
    profile switched to from the palette runs next, in this process (the first profile's
    engine stopped and its store closed first; drafts are kept in each profile's store)."""
    while True:
        switched: list[str] = []
        code = _run_profile(args, switched)
        if not switched:
            return code
        args.profile, args.reset_store = switched[-1], False


def _run_profile(args: argparse.Namespace, switched: list[str]) -> int:
    hold_gc_until_first_frame()
    config = load_config()  # once: the profile, and the others the palette can switch to
    name, profile = choose_profile(config, args.profile)
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
        options = options_for(name, profile, args, tuple(n for n in config.profiles if n != name))
        options.client_secret_matcher = secret_matcher(secret.secret)  # pre-send lint
        from expereo_tui.cli.team_setup import team_factory

        team = team_factory(name, profile, options.read_only)  # the extra, the password: now
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
        team=team,
    )
    try:
        return run_app(store, factory, options, switched)
    finally:
        store.close()
