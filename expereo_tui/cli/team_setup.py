"""Team mode from a profile (``docs/team.md``): the checks a launch makes before its first frame
(the ``team`` extra is installed, the team password found) and what the engine factory builds
after it (TeamSettings, a TeamRuntime, the change feed, the engine's team).  ``expereo_tui.team``
may not read the config (it is a layer below), so the profile is turned into its settings here.
Nothing of psycopg or ``expereo_tui.team`` is imported at module level (launch_rules.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from expereo_tui.config import ConfigError, Profile, resolve_team_password

if TYPE_CHECKING:
    from expereo_tui.store.store import Store
    from expereo_tui.sync.events import SyncEvent
    from expereo_tui.sync.team_link import TeamLink
    from expereo_tui.team.settings import TeamSettings

# expereo-tui is not on an index: add the extra's package (which is) to the install there is
NEEDS_EXTRA = (
    "team mode needs the team extra: pipx inject expereo-tui 'psycopg[binary]' "
    "(or, in its venv: pip install 'psycopg[binary]')"
)

TeamFactory = Callable[["Store", Callable[["SyncEvent"], None]], "TeamLink"]


def check_team_extra() -> None:
    """Raise ConfigError unless psycopg can be imported (found without importing it)."""
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError(NEEDS_EXTRA)


def team_settings(profile_name: str, profile: Profile, read_only: bool) -> TeamSettings:
    """The profile's team store as the team package takes it (the password resolved the way
    the client secret is: env, keyring, a mode-600 file; never in the URL)."""
    if not profile.team_url:
        raise ConfigError(f"profiles.{profile_name} has no team_url")
    from expereo_tui.team.settings import TeamSettings, client_key  # no psycopg: no extra needed

    password = resolve_team_password(profile_name, profile)
    return TeamSettings(
        url=profile.team_url,
        client=client_key(profile.base_url, profile.client_id),
        password=password.secret if password else None,
        read_only=read_only or profile.read_only,
    )


def team_factory(profile_name: str, profile: Profile, read_only: bool) -> TeamFactory | None:
    """None without a team_url; else what builds the engine's team after the first frame.  The
    extra and the password are checked now, so that a launch fails before it draws."""
    if not profile.team_url:
        return None
    check_team_extra()
    resolve_team_password(profile_name, profile)  # a broken password file fails the launch now

    def build(store: Store, on_event: Callable[[SyncEvent], None]) -> Any:
        from expereo_tui.team.feed import Feed
        from expereo_tui.team.link import Team
        from expereo_tui.team.outbox import TeamOutbox
        from expereo_tui.team.runtime import TeamRuntime

        runtime = TeamRuntime(team_settings(profile_name, profile, read_only))
        return Team(
            runtime,
            feed=Feed(runtime, store, on_event),
            outbox=TeamOutbox(runtime, store, on_event),
        )

    return build
