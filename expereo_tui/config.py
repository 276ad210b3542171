"""Profiles and secrets.

A TOML file in the platformdirs config dir holds named profiles (``[profiles.<name>]``): where the
API is, which client id and scopes to use, poll intervals, read-only, theme, key bindings, and
the banner that tells an engineer which account they are acting on.  The client secret is never
in that file: it comes from ``EXPEREO_CLIENT_SECRET``, the system keyring (when the ``keyring``
package and a backend exist), or a secret file named by the profile that only its owner can read.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from expereo_tui.api.vocab import ALL_SCOPES, Scope

APP_NAME = "expereo-tui"
SECRET_ENV = "EXPEREO_CLIENT_SECRET"
KEYRING_SERVICE = "expereo-tui"
DEFAULT_BASE_URL = "https://api.expereo.one"
DEFAULT_TOKEN_URL = "https://auth.expereo.one/oauth2/token"
#: The scopes the provider documents.  The invoice scope (customerapi/financial.read) is our
#: assumption: asking for it with a key that lacks it gets no token at all, so it is opt-in.
DOCUMENTED_SCOPES: tuple[str, ...] = (
    Scope.BASIC_READ.value,
    Scope.SUPPORT_READ.value,
    Scope.SUPPORT_READ_WRITE.value,
)


def default_sent_by() -> str:
    """``user@host``: who wrote a reply or a new case, when the profile does not say."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class ConfigError(Exception):
    """A problem with the configuration, said in one line a person can act on."""


class SlaTarget(BaseModel):
    """One priority's SLA targets in ``[profiles.NAME.sla.P1]``: durations like "15m", "4h",
    "1d", "1h30m".  A clock with no target is not shown."""

    model_config = ConfigDict(extra="forbid")

    first_response: str | None = None
    update_interval: str | None = None
    resolution: str | None = None

    @field_validator("first_response", "update_interval", "resolution")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        from expereo_tui.triage.sla import parse_duration

        if value is not None:
            parse_duration(value)  # raises ValueError with a one-line reason
        return value

    def targets(self) -> Any:
        """As :class:`expereo_tui.triage.sla.Targets` (seconds)."""
        from expereo_tui.triage.sla import Targets, parse_duration

        return Targets(
            *(
                parse_duration(v) if v else None
                for v in (self.first_response, self.update_interval, self.resolution)
            )
        )


class ViewConfig(BaseModel):
    """One view in the config: ``sort`` lists columns, ``-`` first for descending."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    statuses: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    text: str = ""
    unread_only: bool = False
    sort: list[str] = Field(default_factory=list)

    @field_validator("sort")
    @classmethod
    def _sortable(cls, value: list[str]) -> list[str]:
        from expereo_tui.store.cases import SORT_COLUMNS

        for item in value:
            if item.removeprefix("-") not in SORT_COLUMNS:
                raise ValueError(f"cannot sort on {item!r}; one of {', '.join(SORT_COLUMNS)}")
        return value

    def query_dict(self) -> dict[str, Any]:
        """The view's query in the form store/shift.py reads (query_from_dict)."""
        data = self.model_dump(exclude={"name", "sort"}, exclude_defaults=True)
        if self.sort:
            data["sort"] = [[c.removeprefix("-"), c.startswith("-")] for c in self.sort]
        return data


class Profile(BaseModel):
    """One ``[profiles.<name>]`` table."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = DEFAULT_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    allow_insecure_http: bool = False  # plain http:// to a non-loopback host (secret in clear)
    client_id: str
    api: Literal["v1", "v2"] = "v2"  # v1: the GraphQL API older keys speak
    scopes: list[str] = Field(default_factory=lambda: list(DOCUMENTED_SCOPES))
    secret_file: Path | None = None
    default_account: str | None = None
    poll_interval: float = Field(default=30.0, ge=5.0)
    inventory_interval: float = Field(default=900.0, ge=60.0)
    read_only: bool = False
    theme: str | None = None
    label: str | None = None  # banner text, e.g. "PROD"
    color: str | None = None  # banner colour, e.g. "red"
    portal_url: str | None = None  # e.g. "https://portal.example/cases/{case_id}"
    bell: bool = True
    desktop_notifications: bool = True
    alert_priorities: list[str] = Field(default_factory=list)
    keys: dict[str, str] = Field(default_factory=dict)  # action id → key(s)
    # sentBy on every reply and new case: teams share one API key, the provider sees who wrote
    sent_by: str = Field(default_factory=default_sent_by, min_length=1)
    # which services alert (ids, e.g. "SVC-000015"); empty: every service (issue #15)
    alert_services: list[str] = Field(default_factory=list)
    # SLA targets per priority (P1..P5); none set: the app runs on marked example targets
    sla: dict[Literal["P1", "P2", "P3", "P4", "P5"], SlaTarget] = Field(default_factory=dict)

    @field_validator("keys")
    @classmethod
    def _known_actions(cls, value: dict[str, str]) -> dict[str, str]:
        from expereo_tui.keymap import check_keys

        return check_keys(value)
    # -- a shift (docs/usage.md "A shift with expereo-tui") --
    views: list[ViewConfig] = Field(default_factory=list)
    """Saved views shown as tabs above the inbox: ``[[profiles.x.views]]``, a name and a filter."""
    wall_views: list[str] = Field(default_factory=list)
    """Names of views (from ``views`` or saved in the app) the wall rotates through too."""
    templates: dict[str, str] = Field(default_factory=dict)
    """Reply templates, name → text with ``{variables}`` (``t`` in the reply box)."""

    @field_validator("templates")
    @classmethod
    def _known_template_variables(cls, value: dict[str, str]) -> dict[str, str]:
        from expereo_tui.templates import check_template

        for name, text in value.items():
            problem = check_template(text)
            if problem:
                raise ValueError(f"template {name!r}: {problem}")
        return value

    @field_validator("base_url", "token_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        if not host:
            raise ValueError(f"{value!r} has no host name")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _no_plain_http_off_host(self) -> Profile:
        """The client secret and the bearer token must not cross a network in clear."""
        if self.allow_insecure_http:
            return self
        for key in ("base_url", "token_url"):
            url = getattr(self, key)
            if not is_loopback_url(url) and urlsplit(url).scheme == "http":
                raise ValueError(
                    f"{key} = {url!r} is plain http to a host that is not loopback: the client "
                    "secret and token would cross the network in clear; use https://, or set "
                    "allow_insecure_http = true in this profile"
                )
        return self

    def insecure_urls(self) -> list[str]:
        """The keys whose URL is plain http to a non-loopback host (allowed by the profile)."""
        return [
            key
            for key in ("base_url", "token_url")
            if urlsplit(getattr(self, key)).scheme == "http"
            and not is_loopback_url(getattr(self, key))
        ]

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in ALL_SCOPES]
        if unknown:
            raise ValueError(
                f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}"
            )
        return value


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)


def config_path() -> Path:
    override = os.environ.get("EXPEREO_CONFIG")  # set by --config FILE, or by the user
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def log_path() -> Path:
    """The log file, in the platform's log dir (rotated: ``.1`` … ``.3`` beside it)."""
    return Path(platformdirs.user_log_dir(APP_NAME)) / "expereo-tui.log"


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in error["loc"])


def load_config(path: Path | None = None) -> ConfigFile:
    """Read and validate the file; a missing file is an empty configuration."""
    path = path or config_path()
    if not path.exists():
        return ConfigFile()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {_where(first)}: {msg}{more}") from None


def get_profile(name: str | None, path: Path | None = None) -> tuple[str, Profile]:
    cfg = load_config(path)
    chosen = name or cfg.default_profile or (next(iter(cfg.profiles)) if cfg.profiles else None)
    if chosen is None:
        where = path or config_path()
        raise ConfigError(
            f"no profile configured in {where}: run `expereo-tui config init`, "
            "or `expereo-tui demo` to try the app on the simulator"
        )
    if chosen not in cfg.profiles:
        known = ", ".join(cfg.profiles) or "none"
        raise ConfigError(f"no profile named {chosen!r} (known: {known})")
    return chosen, cfg.profiles[chosen]


@dataclass(frozen=True)
class SecretSource:
    secret: str
    source: str  # where it came from, for `config check` (never the value)

    def __repr__(self) -> str:
        return f"SecretSource(source={self.source!r})"


def secret_env_name(profile_name: str) -> str:
    """``EXPEREO_CLIENT_SECRET_<PROFILE>``: the name upper-cased, anything but A-Z and 0-9 as
    ``_`` (profile "lab 2" → ``EXPEREO_CLIENT_SECRET_LAB_2``)."""
    return f"{SECRET_ENV}_{re.sub(r'[^A-Z0-9]', '_', profile_name.upper())}"


def keyring_user(profile_name: str, profile: Profile) -> str:
    return f"{profile_name}:{profile.client_id}"


KEYRING_EXTRA = "pipx install 'expereo-tui[keyring]' (or pip install 'expereo-tui[keyring]')"


def _from_keyring(profile_name: str, profile: Profile) -> tuple[str | None, str | None]:
    """(secret, problem): the keyring's answer, or why it could not give one.  Without the
    optional package there is no problem to report: the keyring is simply not a source."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return None, None
    try:
        value = keyring.get_password(KEYRING_SERVICE, keyring_user(profile_name, profile))
    except keyring.errors.NoKeyringError:
        return None, "the system keyring has no backend on this machine"
    except Exception as exc:  # a locked keyring, a D-Bus error: said, not swallowed
        return None, f"the system keyring could not be read ({type(exc).__name__}: {exc})"
    return value or None, None


def resolve_secret(profile_name: str, profile: Profile) -> SecretSource:
    """The client secret, in order: ``EXPEREO_CLIENT_SECRET_<PROFILE>``,
    ``EXPEREO_CLIENT_SECRET``, the system keyring, the secret file (must be mode 0600)."""
    for var in (secret_env_name(profile_name), SECRET_ENV):
        env = os.environ.get(var)
        if env and env.strip():
            return SecretSource(env.strip(), f"${var}")
    value, keyring_problem = _from_keyring(profile_name, profile)
    if value:
        return SecretSource(value, "system keyring")
    if profile.secret_file:
        path = profile.secret_file.expanduser()
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise ConfigError(f"secret file {path}: {exc.strerror}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"secret file {path} can be read by others "
                f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
            )
        secret = path.read_text(encoding="utf-8").strip()
        if not secret:
            raise ConfigError(f"secret file {path} is empty")
        return SecretSource(secret, f"file {path}")
    if keyring_problem:
        raise ConfigError(
            f"no client secret for profile {profile_name!r}: {keyring_problem}; set "
            f"{secret_env_name(profile_name)} or {SECRET_ENV}, or name a secret_file (mode 600)"
        )
    raise ConfigError(
        f"no client secret for profile {profile_name!r}: set {secret_env_name(profile_name)} or "
        f"{SECRET_ENV}, store it in the system keyring (`expereo-tui config secret set`), "
        "or name a secret_file (mode 600) in the profile"
    )
