"""What the first frame may not wait for: the one list of modules that no module imported
before the app's first frame may import at module level (``tests/test_launch_rules.py`` walks
the whole import closure of the launch and fails with the chain that brings one in).

Each is imported later, where it is first needed: the sync engine and both API clients once
the first frame is out (``cli/launch.py``'s engine factory), the models with the first row turned into one,
the dialogs and the web browser when a key opens them.  A module-level import of any of them
in a module the launch loads costs every launch its import time (httpx alone ~60 ms), so
the rule is written here once instead of in 170 function-local imports: a function-local import
is needed only where it keeps one of these (or a module that imports one) off the launch path.
"""

from __future__ import annotations

#: where a launch starts: the command line, then the app or the wall and their first screens
LAUNCH_ROOTS = (
    "expereo_tui.cli.main",
    "expereo_tui.cli.launch",
    "expereo_tui.ui.app",
    "expereo_tui.ui.inbox.screen",
    "expereo_tui.ui.wall.app",
    "expereo_tui.ui.wall.screen",
)

#: not before the first frame (a name covers its submodules)
NOT_BEFORE_FIRST_FRAME = (
    "pydantic",  # the models' JSON Schemas only (api/schema.py; ~150 ms): never at launch
    "httpx",  # the HTTP client (~60 ms) and everything under it
    "email",  # Retry-After dates (email.utils) and the packages they bring
    "webbrowser",  # `o` opens the portal
    "graphql",  # V1
    "starlette",  # the simulator
    "uvicorn",
    "psycopg",  # team mode (docs/team.md)
    "expereo_tui.team",
    "expereo_tui.api.http",
    "expereo_tui.api.v2",
    "expereo_tui.api.v1",
    "expereo_tui.api.factory",
    "expereo_tui.api.models",
    "expereo_tui.api.settings",
    "expereo_tui.api.ratelimit",
    "expereo_tui.sync.engine",
    "expereo_tui.sync.poller",
    "expereo_tui.sync.sender",
    "expereo_tui.sim",
    "expereo_tui.ui.screens.dialogs",
    "expereo_tui.ui.case",
    "expereo_tui.ui.forms",
    "expereo_tui.ui.inventory",
)


def is_deferred(module: str) -> bool:
    """Whether ``module`` (or a package it is in) waits until after the first frame."""
    return any(module == name or module.startswith(name + ".") for name in NOT_BEFORE_FIRST_FRAME)
