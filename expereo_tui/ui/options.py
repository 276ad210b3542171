"""What the command line tells the app (built from the profile by ``launch.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AppOptions:
    """What the app is told at launch (dataclasses would build this docstring with
    ``inspect.signature``: ~2 ms of start-up for this class alone)."""

    profile_name: str = "demo"
    profile_label: str | None = None  # banner text, e.g. "PROD"
    profile_color: str | None = None  # banner colour, e.g. "red"
    account_name: str | None = None
    read_only: bool = False
    read_only_reason: str | None = (
        None  # e.g. "the credentials lack customerapi/support.read-write"
    )
    wall: bool = False
    theme: str | None = None
    inbox_open_only: bool = True  # the inbox opens on New / In Progress / Awaiting Customer
    keymap: dict[str, str] = field(default_factory=dict)  # action id → key(s), comma-separated
    portal_url_pattern: str | None = None  # e.g. "https://portal.example/cases/{case_id}"
    bell: bool = True
    desktop_notifications: bool = True
    alert_priorities: frozenset[str] = frozenset()  # empty: every priority alerts
    alert_services: frozenset[str] = frozenset()  # empty: every service alerts
    wall_cycle_seconds: float = 20.0
    night_dim: tuple[int, int] | None = None  # (from hour, to hour) local: dim the wall
    wall_tick_seconds: float = 1.0  # the wall's clock; tests drive it by hand
    burn_in_shift_seconds: float = 180.0  # the wall moves by one cell this often
    clock: Callable[[], float] = time.time
    # triage: SLA targets per priority (triage.sla.Targets); None: the marked example targets
    sla_targets: dict[str, Any] | None = None
    # pre-send lint: whether a word is this profile's client secret (holds a digest, not it)
    client_secret_matcher: Callable[[str], bool] | None = None
    # saved views from the profile's config ([[profiles.x.views]]): (name, query dict), shown
    # as tabs above the inbox before those saved from the app (store/shift.py)
    views: tuple[tuple[str, dict[str, Any]], ...] = ()
    wall_views: tuple[str, ...] = ()  # views the wall rotates through (by name)
    templates: dict[str, str] = field(default_factory=dict)  # reply templates (templates.py)
    sent_by: str = ""  # the {sent_by} of templates (the engine signs replies itself)
    # your own commands on the selected case: name -> config.UserCommand (ui/user_commands.py)
    user_commands: dict[str, Any] = field(default_factory=dict)
    other_profiles: tuple[str, ...] = ()  # the config's other profiles: the palette switches
