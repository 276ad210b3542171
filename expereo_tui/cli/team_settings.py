"""A profile's team store, as :class:`~expereo_tui.team.settings.TeamSettings` (team mode,
docs/team.md): the API client it shares, its password from where the profile says
(``resolve_team_password``), read-only for a wall or a read-only profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from expereo_tui.config import Profile
    from expereo_tui.team.settings import TeamSettings


def team_settings(profile_name: str, profile: Profile, read_only: bool) -> TeamSettings | None:
    """The profile's team settings; None when it has no ``team_url`` (no team)."""
    if not profile.team_url:
        return None
    from expereo_tui.config import resolve_team_password
    from expereo_tui.team.settings import TeamSettings, client_key

    password = resolve_team_password(profile_name, profile)
    return TeamSettings(
        url=profile.team_url,
        client=client_key(profile.base_url, profile.client_id),
        password=password.secret if password is not None else None,
        read_only=read_only or profile.read_only,
    )
