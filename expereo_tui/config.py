"""Profiles and secrets.

A TOML file in the platformdirs config dir holds named profiles (``[profiles.<name>]``): where the
API is, which client id and scopes to use, poll intervals, read-only, theme, key bindings, and
the banner that tells an engineer which account they are acting on.  The client secret is never
in that file: it comes from ``EXPEREO_CLIENT_SECRET``, the system keyring (when the ``keyring``
package and a backend exist), or a secret file named by the profile that only its owner can read.
"""

from __future__ import annotations

import math
import os
import re
import stat
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from expereo_tui.api.vocab import ALL_SCOPES, Scope
from expereo_tui.files import UnsafePath, check_file
from expereo_tui.locations import config_path
from expereo_tui.net import is_loopback_host

SECRET_ENV = "EXPEREO_CLIENT_SECRET"
TEAM_PASSWORD_ENV = "EXPEREO_TEAM_PASSWORD"
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


class InvalidConfig(ValueError):
    """A value in the file that does not fit: where (the keys leading to it) and why."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message

    def where(self) -> str:
        return ".".join(str(p) for p in self.loc)


# -- checking a TOML table against the fields a class declares ------------------------------------
# The configuration is read before the first frame: the few shapes a config file has are checked
# by hand, with nothing imported for it (pydantic, which the app no longer loads, cost ~150 ms).

Check = Any  # (value, loc) -> the value to keep; raises InvalidConfig
T = TypeVar("T")


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip


def _string(value: Any, loc: tuple[str | int, ...]) -> str:
    if not isinstance(value, str):
        raise InvalidConfig(loc, f"must be a string, not {_kind(value)}")
    return value


def _optional_string(value: Any, loc: tuple[str | int, ...]) -> str | None:
    return None if value is None else _string(value, loc)


def _non_empty(value: Any, loc: tuple[str | int, ...]) -> str:
    if not _string(value, loc):
        raise InvalidConfig(loc, "must not be empty")
    return str(value)


def _boolean(value: Any, loc: tuple[str | int, ...]) -> bool:
    if not isinstance(value, bool):
        raise InvalidConfig(loc, f"must be true or false, not {_kind(value)}")
    return value


def _at_least(minimum: float) -> Check:
    def check(value: Any, loc: tuple[str | int, ...]) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidConfig(loc, f"must be a number of seconds, not {_kind(value)}")
        if not math.isfinite(value):
            raise InvalidConfig(loc, f"must be a finite number of seconds, not {value}")
        if value < minimum:
            raise InvalidConfig(loc, f"must be at least {minimum:g} (seconds)")
        return float(value)

    return check


def _strings(value: Any, loc: tuple[str | int, ...]) -> list[str]:
    if not isinstance(value, list):
        raise InvalidConfig(loc, f"must be a list of strings, not {_kind(value)}")
    return [_string(item, (*loc, i)) for i, item in enumerate(value)]


def _string_table(value: Any, loc: tuple[str | int, ...]) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidConfig(loc, f"must be a table of strings, not {_kind(value)}")
    return {key: _string(item, (*loc, key)) for key, item in value.items()}


def _one_of(*choices: str) -> Check:
    def check(value: Any, loc: tuple[str | int, ...]) -> str:
        if value not in choices:
            raise InvalidConfig(
                loc, f"must be one of {', '.join(map(repr, choices))}, not {value!r}"
            )
        return str(value)

    return check


def _format(*allowed: str) -> Check:
    """A ``str.format`` pattern whose only placeholders are ``allowed`` (checked here, not when
    it is first used: a stray ``{0}`` would fail at the keypress)."""

    def check(value: Any, loc: tuple[str | int, ...]) -> str | None:
        text = _optional_string(value, loc)
        if text is None:
            return None
        names = ", ".join("{" + a + "}" for a in allowed)
        try:
            fields = [
                f + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
                for _, f, spec, conv in string.Formatter().parse(text)
                if f is not None
            ]
        except ValueError as exc:
            raise InvalidConfig(
                loc,
                f"{text!r} is not a valid pattern ({exc}); write {{{{ and }}}} for a literal brace",
            ) from None
        for name in fields:
            if name not in allowed:
                raise InvalidConfig(
                    loc, f"unknown placeholder {{{name}}} in {text!r}; it may use {names}"
                )
        return text

    return check


def _optional_path(value: Any, loc: tuple[str | int, ...]) -> Path | None:
    return None if value is None else Path(_string(value, loc))


def _fields(cls: type[T], raw: Any, loc: tuple[str | int, ...], checks: Mapping[str, Check],
            required: tuple[str, ...] = ()) -> T:  # fmt: skip
    """An instance of the dataclass ``cls`` from the TOML table ``raw``: every key known (a
    misspelt key is an error, never ignored), every value checked."""
    if not isinstance(raw, dict):
        raise InvalidConfig(loc, f"must be a table, not {_kind(raw)}")
    for key in raw:
        if key not in checks:
            raise InvalidConfig((*loc, key), f"unknown key (known: {', '.join(checks)})")
    for key in required:
        if key not in raw:
            raise InvalidConfig((*loc, key), "missing: this key is required")
    try:
        return cls(**{key: checks[key](value, (*loc, key)) for key, value in raw.items()})
    except ValueError as exc:  # a rule across fields (__post_init__)
        if isinstance(exc, InvalidConfig):
            raise
        raise InvalidConfig(loc, str(exc)) from None


def _rule(loc: tuple[str | int, ...], rule: Any, value: Any) -> Any:
    """``rule(value)``, its ValueError said at ``loc``."""
    try:
        return rule(value)
    except InvalidConfig:
        raise
    except ValueError as exc:
        raise InvalidConfig(loc, str(exc)) from None


@dataclass(kw_only=True)
class SlaTarget:
    """One priority's SLA targets in ``[profiles.NAME.sla.P1]``: durations like "15m", "4h",
    "1d", "1h30m".  A clock with no target is not shown."""

    first_response: str | None = None
    update_interval: str | None = None
    resolution: str | None = None

    @classmethod
    def load(cls, raw: Any, loc: tuple[str | int, ...]) -> SlaTarget:
        def duration(value: Any, where: tuple[str | int, ...]) -> str | None:
            from expereo_tui.triage.sla import parse_duration

            text = _optional_string(value, where)
            if text is not None:
                _rule(where, parse_duration, text)  # raises ValueError with a one-line reason
            return text

        return _fields(cls, raw, loc, dict.fromkeys(
            ("first_response", "update_interval", "resolution"), duration))  # fmt: skip

    def targets(self) -> Any:
        """As :class:`expereo_tui.triage.sla.Targets` (seconds)."""
        from expereo_tui.triage.sla import Targets, parse_duration

        return Targets(
            *(
                parse_duration(v) if v else None
                for v in (self.first_response, self.update_interval, self.resolution)
            )
        )


@dataclass(kw_only=True)
class ViewConfig:
    """One view in the config: ``sort`` lists columns, ``-`` first for descending."""

    name: str
    statuses: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    text: str = ""
    unread_only: bool = False
    sort: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, raw: Any, loc: tuple[str | int, ...]) -> ViewConfig:
        def sortable(value: Any, where: tuple[str | int, ...]) -> list[str]:
            from expereo_tui.store.cases import SORT_COLUMNS

            items = _strings(value, where)
            for item in items:
                if item.removeprefix("-") not in SORT_COLUMNS:
                    raise InvalidConfig(
                        where, f"cannot sort on {item!r}; one of {', '.join(SORT_COLUMNS)}"
                    )
            return items

        checks = {
            "name": _non_empty,
            "statuses": _strings,
            "priorities": _strings,
            "types": _strings,
            "text": _string,
            "unread_only": _boolean,
            "sort": sortable,
        }
        return _fields(cls, raw, loc, checks, required=("name",))

    def query_dict(self) -> dict[str, Any]:
        """The view's query in the form store/shift.py reads (query_from_dict)."""
        data: dict[str, Any] = {
            key: value
            for key, value in (
                ("statuses", self.statuses),
                ("priorities", self.priorities),
                ("types", self.types),
                ("text", self.text),
                ("unread_only", self.unread_only),
            )
            if value  # the defaults (empty, False) say nothing
        }
        if self.sort:
            data["sort"] = [[c.removeprefix("-"), c.startswith("-")] for c in self.sort]
        return data


SLA_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


@dataclass(frozen=True, kw_only=True)
class UserCommand:
    """One ``[profiles.<name>.commands.<command>]`` table: a key and a program to run on the
    selected case.  ``argv`` runs as it is (no shell, nothing pasted into it); the case's
    fields reach it as environment variables (``EXPEREO_CASE_ID``, … docs/usage.md)."""

    key: str
    argv: list[str]
    description: str = ""

    @classmethod
    def load(cls, raw: Any, loc: tuple[str | int, ...]) -> UserCommand:
        def argv(value: Any, where: tuple[str | int, ...]) -> list[str]:
            items = _strings(value, where)
            if not items or not items[0].strip():
                raise InvalidConfig(where, "must name a program: argv = [\"program\", \"arg\", …]")
            return items

        checks: dict[str, Check] = {
            "key": _non_empty,
            "argv": argv,
            "description": _string,
        }
        return _fields(cls, raw, loc, checks, required=("key", "argv"))


@dataclass(kw_only=True)
class Profile:
    """One ``[profiles.<name>]`` table."""

    client_id: str
    base_url: str = DEFAULT_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    allow_insecure_http: bool = False  # plain http:// to a non-loopback host (secret in clear)
    api: Literal["v1", "v2"] = "v2"  # v1: the GraphQL API older keys speak
    scopes: list[str] = field(default_factory=lambda: list(DOCUMENTED_SCOPES))
    secret_file: Path | None = None
    default_account: str | None = None
    poll_interval: float = 30.0  # at least 5
    inventory_interval: float = 900.0  # at least 60
    read_only: bool = False
    theme: str | None = None
    label: str | None = None  # banner text, e.g. "PROD"
    color: str | None = None  # banner colour, e.g. "red"
    portal_url: str | None = None  # e.g. "https://portal.example/cases/{case_id}"
    bell: bool = True
    desktop_notifications: bool = True
    alert_priorities: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # action id → key(s)
    # sentBy on every reply and new case: teams share one API key, the provider sees who wrote
    sent_by: str = field(default_factory=default_sent_by)
    # which services alert (ids, e.g. "SVC-000015"); empty: every service (issue #15)
    alert_services: list[str] = field(default_factory=list)
    # SLA targets per priority (P1..P5); none set: the app runs on marked example targets
    sla: dict[str, SlaTarget] = field(default_factory=dict)
    # -- a shift (docs/usage.md "A shift with expereo-tui") --
    views: list[ViewConfig] = field(default_factory=list)
    """Saved views shown as tabs above the inbox: ``[[profiles.x.views]]``, a name and a filter."""
    wall_views: list[str] = field(default_factory=list)
    """Names of views (from ``views`` or saved in the app) the wall rotates through too."""
    templates: dict[str, str] = field(default_factory=dict)
    """Reply templates, name → text with ``{variables}`` (``t`` in the reply box)."""
    commands: dict[str, UserCommand] = field(default_factory=dict)
    """Your own commands on the selected case: ``[profiles.x.commands.ping]`` with ``key`` and
    ``argv`` (shown in the help and the palette)."""
    team_url: str | None = None
    """Team mode (docs/team.md): ``postgresql://user@host/db`` of the team's shared store.  Never
    with a password in it: that comes from ``EXPEREO_TEAM_PASSWORD_<PROFILE>``,
    ``EXPEREO_TEAM_PASSWORD``, the system keyring or ``team_password_file`` (mode 600)."""
    team_password_file: Path | None = None
    generic_secret: bool = False
    """Whether the generic ``EXPEREO_CLIENT_SECRET`` may be this profile's secret (the default
    profile's always may): a production secret exported in the shell must not reach a lab
    profile's ``token_url``."""
    is_default: bool = field(default=False, repr=False)
    """Set by :class:`ConfigFile` (not a key of the file): the profile used when none is named."""

    def __post_init__(self) -> None:
        """The client secret and the bearer token must not cross a network in clear."""
        if self.allow_insecure_http:
            return
        for key in ("base_url", "token_url"):
            url = getattr(self, key)
            if not is_loopback_url(url) and urlsplit(url).scheme == "http":
                raise ValueError(
                    f"{key} = {url!r} is plain http to a host that is not loopback: the client "
                    "secret and token would cross the network in clear; use https://, or set "
                    "allow_insecure_http = true in this profile"
                )

    @classmethod
    def load(cls, raw: Any, loc: tuple[str | int, ...] = ()) -> Profile:
        """A profile from its TOML table; raises InvalidConfig naming the key."""

        def keys(value: Any, where: tuple[str | int, ...]) -> dict[str, str]:
            from expereo_tui.keymap import check_keys

            return dict(_rule(where, check_keys, _string_table(value, where)))

        def templates(value: Any, where: tuple[str | int, ...]) -> dict[str, str]:
            from expereo_tui.shift.templates import check_template

            table = _string_table(value, where)
            for name, text in table.items():
                problem = check_template(text)
                if problem:
                    raise InvalidConfig(where, f"template {name!r}: {problem}")
            return table

        def scopes(value: Any, where: tuple[str | int, ...]) -> list[str]:
            # free text: a provider may name scopes we do not know (the documented ones are
            # only suggested, by `config init` and completion); OAuth2 separates them by spaces
            items = _strings(value, where)
            bad = [s for s in items if not s or any(ch.isspace() for ch in s)]
            if bad:
                raise InvalidConfig(
                    where,
                    f"a scope is one word without spaces: {', '.join(map(repr, bad))} "
                    f"(documented: {', '.join(ALL_SCOPES)})",
                )
            return items

        def commands(value: Any, where: tuple[str | int, ...]) -> dict[str, UserCommand]:
            if not isinstance(value, dict):
                raise InvalidConfig(where, f"must be a table of commands, not {_kind(value)}")
            found = {str(k): UserCommand.load(v, (*where, str(k))) for k, v in value.items()}
            keys: dict[str, str] = {}
            for name, command in found.items():
                if command.key in keys:
                    raise InvalidConfig(
                        (*where, name, "key"),
                        f"{command.key!r} is already the key of command {keys[command.key]!r}",
                    )
                keys[command.key] = name
            return found

        def sla(value: Any, where: tuple[str | int, ...]) -> dict[str, SlaTarget]:
            if not isinstance(value, dict):
                raise InvalidConfig(where, f"must be a table, not {_kind(value)}")
            for priority in value:
                if priority not in SLA_PRIORITIES:
                    raise InvalidConfig(
                        (*where, priority), f"must be one of {', '.join(SLA_PRIORITIES)}"
                    )
            return {p: SlaTarget.load(t, (*where, p)) for p, t in value.items()}

        def views(value: Any, where: tuple[str | int, ...]) -> list[ViewConfig]:
            if not isinstance(value, list):
                raise InvalidConfig(where, f"must be a list of tables, not {_kind(value)}")
            return [ViewConfig.load(v, (*where, i)) for i, v in enumerate(value)]

        checks: dict[str, Check] = {
            "base_url": _http_url,
            "token_url": _http_url,
            "allow_insecure_http": _boolean,
            "client_id": _string,
            "api": _one_of("v1", "v2"),
            "scopes": scopes,
            "secret_file": _optional_path,
            "default_account": _optional_string,
            "poll_interval": _at_least(5.0),
            "inventory_interval": _at_least(60.0),
            "read_only": _boolean,
            "theme": _optional_string,
            "label": _optional_string,
            "color": _optional_string,
            "portal_url": _format("case_id"),
            "bell": _boolean,
            "desktop_notifications": _boolean,
            "alert_priorities": _strings,
            "keys": keys,
            "sent_by": _non_empty,
            "alert_services": _strings,
            "sla": sla,
            "views": views,
            "wall_views": _strings,
            "templates": templates,
            "generic_secret": _boolean,
            "team_url": _team_url,
            "commands": commands,
            "team_password_file": _optional_path,
        }
        return _fields(cls, raw, loc, checks, required=("client_id",))

    def insecure_urls(self) -> list[str]:
        """The keys whose URL is plain http to a non-loopback host (allowed by the profile)."""
        return [
            key
            for key in ("base_url", "token_url")
            if urlsplit(getattr(self, key)).scheme == "http"
            and not is_loopback_url(getattr(self, key))
        ]


def _http_url(value: Any, loc: tuple[str | int, ...]) -> str:
    text = _string(value, loc)
    if not text.startswith(("http://", "https://")):
        raise InvalidConfig(loc, "must start with http:// or https://")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        host = None
    if not host:
        raise InvalidConfig(loc, f"{text!r} has no host name")
    return text.rstrip("/")


def _team_url(value: Any, loc: tuple[str | int, ...]) -> str | None:
    if value is None:
        return None
    text = _string(value, loc)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        password = parts.password
    except ValueError as exc:
        raise InvalidConfig(loc, f"is not a URL ({exc})") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise InvalidConfig(loc, "must start with postgresql://")
    if password is not None:
        raise InvalidConfig(
            loc,
            "must not hold a password (it would be in the config file and in `ps`); set "
            f"{TEAM_PASSWORD_ENV}, use the keyring or a team_password_file (mode 600)",
        )
    if not host and "host=" not in parts.query:
        raise InvalidConfig(loc, f"{text!r} has no host name")
    if not parts.path.strip("/"):
        raise InvalidConfig(loc, f"{text!r} names no database (postgresql://user@host/DATABASE)")
    return text


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return bool(host) and is_loopback_host(host)


@dataclass(kw_only=True)
class ConfigFile:
    """The config file: its profiles and which one is the default."""

    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: Any) -> ConfigFile:
        def profiles(value: Any, where: tuple[str | int, ...]) -> dict[str, Profile]:
            if not isinstance(value, dict):
                raise InvalidConfig(where, f"must be a table, not {_kind(value)}")
            return {name: Profile.load(table, (*where, name)) for name, table in value.items()}

        config = _fields(cls, raw, (), {"default_profile": _optional_string, "profiles": profiles})
        default = config.default_profile or next(iter(config.profiles), None)
        if default in config.profiles:
            config.profiles[default].is_default = True
        return config


def load_config(path: Path | None = None) -> ConfigFile:
    """Read and validate the file; a missing file is an empty configuration."""
    path = path or config_path()
    if not path.exists():
        return ConfigFile()
    try:
        check_file(path, "config")  # another user's, or in a folder others can write
    except UnsafePath as exc:
        raise ConfigError(str(exc)) from None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return ConfigFile.load(raw)
    except InvalidConfig as exc:
        raise ConfigError(f"{path}: {exc.where()}: {exc.message}") from None


def get_profile(name: str | None, path: Path | None = None) -> tuple[str, Profile]:
    return choose_profile(load_config(path), name, path)


def choose_profile(
    cfg: ConfigFile, name: str | None, path: Path | None = None
) -> tuple[str, Profile]:
    """The profile ``name`` of ``cfg`` (None: its default, else its first); a ConfigError says
    which profiles there are."""
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
    """A profile's client secret and where it came from."""

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


# expereo-tui is not on an index: add the extra's package (which is) to the install there is
KEYRING_EXTRA = "pipx inject expereo-tui keyring (or, in its venv: pip install keyring)"


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


def read_private_file(path: Path, what: str) -> str:
    """The stripped text of a secret kept in a file: refused unless it is ours and mode 600."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror}") from None
    mode = info.st_mode
    if info.st_uid != os.geteuid():  # mode 0600 of someone else's file says nothing
        raise ConfigError(
            f"{what} {path} belongs to uid {info.st_uid}, not you "
            f"(uid {os.geteuid()}); use a {what} of your own"
        )
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{what} {path} can be read by others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ConfigError(f"{what} {path} is empty")
    return text


def team_password_env_name(profile_name: str) -> str:
    """``EXPEREO_TEAM_PASSWORD_<PROFILE>`` (named like the client secret's variable)."""
    return f"{TEAM_PASSWORD_ENV}_{re.sub(r'[^A-Z0-9]', '_', profile_name.upper())}"


def resolve_team_password(profile_name: str, profile: Profile) -> SecretSource | None:
    """The team store's password, in order: ``EXPEREO_TEAM_PASSWORD_<PROFILE>``,
    ``EXPEREO_TEAM_PASSWORD``, the system keyring (user ``team:<profile>``), the
    ``team_password_file`` (ours, mode 0600).  None: no password (peer or certificate
    authentication, or libpq's own ``~/.pgpass``)."""
    for var in (team_password_env_name(profile_name), TEAM_PASSWORD_ENV):
        env = os.environ.get(var)
        if env and env.strip():
            return SecretSource(env.strip(), f"${var}")
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, f"team:{profile_name}")
    except Exception:  # no package, no backend, a locked keyring: not a source here
        value = None
    if value:
        return SecretSource(value, "system keyring")
    if profile.team_password_file:
        path = profile.team_password_file.expanduser()
        return SecretSource(read_private_file(path, "team password file"), f"file {path}")
    return None


def resolve_secret(profile_name: str, profile: Profile) -> SecretSource:
    """The client secret, in order: ``EXPEREO_CLIENT_SECRET_<PROFILE>``,
    ``EXPEREO_CLIENT_SECRET`` (only for the default profile or one with ``generic_secret =
    true``), the system keyring, the secret file (ours, mode 0600)."""
    generic = profile.is_default or profile.generic_secret
    names = [secret_env_name(profile_name)] + ([SECRET_ENV] if generic else [])
    for var in names:
        env = os.environ.get(var)
        if env and env.strip():
            return SecretSource(env.strip(), f"${var}")
    value, keyring_problem = _from_keyring(profile_name, profile)
    if value:
        return SecretSource(value, "system keyring")
    if profile.secret_file:
        path = profile.secret_file.expanduser()
        return SecretSource(read_private_file(path, "secret file"), f"file {path}")
    if keyring_problem:
        raise ConfigError(
            f"no client secret for profile {profile_name!r}: {keyring_problem}; set "
            f"{secret_env_name(profile_name)} or {SECRET_ENV}, or name a secret_file (mode 600)"
        )
    if not generic and os.environ.get(SECRET_ENV, "").strip():
        raise ConfigError(
            f"no client secret for profile {profile_name!r}: {SECRET_ENV} is set but is only "
            f"for the default profile; set {secret_env_name(profile_name)}, or add "
            "generic_secret = true to this profile"
        )
    raise ConfigError(
        f"no client secret for profile {profile_name!r}: set {secret_env_name(profile_name)} or "
        f"{SECRET_ENV}, store it in the system keyring (`expereo-tui config secret set`), "
        "or name a secret_file (mode 600) in the profile"
    )
