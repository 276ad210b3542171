"""Where the app keeps its files: config, data (the stores), log.  One place, used by config,
the store, the log and ``expereo-tui paths`` (posting's ``locations.py`` is the model).

platformdirs decides the folders (XDG on Linux, ~/Library on macOS); ``EXPEREO_CONFIG`` (set by
``--config FILE``, or by the user) names another config file."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "expereo-tui"


def config_path() -> Path:
    """The config file."""
    override = os.environ.get("EXPEREO_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """The folder of the stores (one SQLite file a profile, and the demo's)."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def store_path(profile: str) -> Path:
    """A profile's store."""
    return data_dir() / f"{profile}.sqlite3"


def log_path() -> Path:
    """The log file, in the platform's log dir (rotated: ``.1`` … ``.3`` beside it)."""
    return Path(platformdirs.user_log_dir(APP_NAME)) / "expereo-tui.log"
