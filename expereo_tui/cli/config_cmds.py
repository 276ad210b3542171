"""``config init`` (TOML written with tomlkit: one more profile in an existing file, comments and
other profiles kept) and ``config secret set`` (the client secret into the system keyring)."""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from expereo_tui.config import (
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    DOCUMENTED_SCOPES,
    KEYRING_EXTRA,
    KEYRING_SERVICE,
    SECRET_ENV,
    ConfigError,
    InvalidConfig,
    Profile,
    default_sent_by,
    get_profile,
    keyring_user,
    secret_env_name,
)
from expereo_tui.files import check_file, private_dir, write_file
from expereo_tui.locations import config_path

HEADER = """\
expereo-tui configuration.  One [profiles.<name>] table per API key / account.
The client secret is NOT stored here: `expereo-tui config secret set` puts it in the system
keyring; or set EXPEREO_CLIENT_SECRET_<PROFILE> or EXPEREO_CLIENT_SECRET; or point secret_file
at a file only you can read (chmod 600)."""

#: Commented hints written under every new profile (what else can be set, with examples).
HINTS = (
    'label = "PROD"            # banner shown in the header',
    'color = "red"              # banner colour',
    "read_only = false          # hide and disable every write",
    "poll_interval = 30         # seconds between polls (adapts to activity and budget)",
    "inventory_interval = 900   # seconds between inventory refreshes",
    'theme = "textual-dark"',
    'portal_url = "https://portal.expereo.one/cases/{case_id}"',
    "bell = true",
    "desktop_notifications = true",
    'alert_priorities = ["P1", "P2"]     # alert only on these priorities',
    'alert_services = ["SVC-000015"]     # alert only on these services',
    "[profiles.<name>.sla.P1]   # SLA targets per priority (P1..P5); without any, the app",
    'first_response = "15m"     # uses EXAMPLE targets (not your contract) and says so',
    'update_interval = "1h"',
    'resolution = "4h"',
    "[profiles.<name>.keys]     # action id -> key (docs/usage.md, Key bindings)",
    '"inbox.next_unread" = "N"',
)


def _ask(prompt: str, default: str) -> str:
    if not sys.stdin.isatty():
        return default
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default


def _confirm(question: str) -> bool:
    answer = input(f"{question} [y/N]: ").strip().lower()
    return answer in ("y", "yes")


def read_document(path: Path) -> TOMLDocument:
    """The file as tomlkit reads it (comments and layout kept); a new document if absent."""
    if not path.exists():
        doc = tomlkit.document()
        for line in HEADER.splitlines():
            doc.add(tomlkit.comment(line))
        return doc
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML, left as it is ({exc})") from None


def profile_table(
    *,
    base_url: str,
    token_url: str,
    client_id: str,
    api: str,
    scopes: list[str],
    secret_file: str | None,
    sent_by: str,
) -> Table:
    table = tomlkit.table()
    table["base_url"] = base_url
    table["token_url"] = token_url
    table["client_id"] = client_id
    table["api"] = api
    table["api"].comment('"v2" (REST, the default) or "v1" (GraphQL, older keys)')
    table["scopes"] = scopes
    table.add(
        tomlkit.comment(
            'Invoices: add "customerapi/financial.read" only if your key was created with it'
        )
    )
    if secret_file:
        table["secret_file"] = secret_file
    table["sent_by"] = sent_by
    table["sent_by"].comment("who you are to the provider (sentBy on replies and new cases)")
    for hint in HINTS:
        table.add(tomlkit.comment(hint))
    return table


def _check_written(text: str, path: Path, name: str) -> None:
    """What is about to be written loads, and the new profile is valid: else nothing is."""
    try:
        raw = tomllib.loads(text)
        Profile.load(raw["profiles"][name])
    except tomllib.TOMLDecodeError as exc:  # would be a tomlkit bug; never write it
        raise ConfigError(f"{path}: the result would not load ({exc}); nothing written") from None
    except InvalidConfig as exc:
        raise ConfigError(
            f"profile {name!r}: {exc.where()}: {exc.message}; nothing written"
        ) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step (a crash leaves the old file or the new, never half), in
    a 0700 folder of ours, never through a symbolic link (expereo_tui/files.py)."""
    private_dir(path.parent, "config")
    check_file(path, "config")
    mode = path.stat().st_mode & 0o700 if path.exists() else 0o600
    write_file(path, text, mode=mode)


def config_init(args: argparse.Namespace) -> int:
    """Write a profile: a new file, or one more profile in an existing file.  An existing
    profile is replaced only with ``--force`` and a confirmation (``--yes`` without a
    terminal); everything else in the file stays as it was."""
    from expereo_tui.api.vocab import Scope

    path = config_path()
    name = args.profile or "default"
    doc = read_document(path)
    profiles = doc.get("profiles")
    if profiles is not None and not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' is not a table; left as it is")
    exists = profiles is not None and name in profiles
    if exists and not args.force:
        print(
            f"expereo-tui: profile {name!r} already exists in {path}; choose another name with "
            "--profile NAME, or replace it with --force",
            file=sys.stderr,
        )
        return 1
    if exists and not args.yes:
        if not sys.stdin.isatty():
            print(
                f"expereo-tui: --force would replace profile {name!r} in {path}: confirm at a "
                "terminal, or add --yes",
                file=sys.stderr,
            )
            return 1
        if not _confirm(f"Replace profile {name!r} in {path}? The other profiles stay."):
            print("nothing changed")
            return 1
    api = args.api or _ask("API version: v2 (REST), or v1 (GraphQL, keys made before V2)", "v2")
    if api not in ("v1", "v2"):
        print(f"expereo-tui: API version must be v1 or v2, not {api!r}", file=sys.stderr)
        return 2
    table = profile_table(
        base_url=args.base_url or _ask("API base URL", DEFAULT_BASE_URL),
        token_url=args.token_url or _ask("Token URL", DEFAULT_TOKEN_URL),
        client_id=args.client_id or _ask("Client id", "your-client-id"),
        api=api,
        scopes=list(DOCUMENTED_SCOPES)
        + ([Scope.FINANCIAL_READ.value] if args.with_invoices else []),
        secret_file=args.secret_file,
        sent_by=args.sent_by
        or _ask("Your name as the provider sees it (sentBy)", default_sent_by()),
    )
    if profiles is None:
        if "default_profile" not in doc:
            doc["default_profile"] = name
        doc["profiles"] = tomlkit.table(is_super_table=True)
        profiles = doc["profiles"]
    assert isinstance(profiles, dict)
    profiles[name] = table
    text = tomlkit.dumps(doc)
    _check_written(text, path, name)
    write_atomically(path, text)
    verb = "replaced" if exists else ("added" if len(profiles) > 1 else "wrote")
    print(
        f"{verb} profile {name!r} in {path}; now store the secret "
        f"(`expereo-tui config secret set --profile {_shell_word(name)}`) and run "
        "`expereo-tui config check`"
    )
    return 0


def _shell_word(word: str) -> str:
    import shlex

    return shlex.quote(word)


def _read_secret(name: str) -> str:
    """From the terminal without echo, or the first line of stdin (``pass show x | …``)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Client secret for profile {name!r} (not shown): ").strip()
    return sys.stdin.readline().strip()


def secret_set(args: argparse.Namespace) -> int:
    """Store the profile's client secret in the system keyring; never printed."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        print(
            f"expereo-tui: the system keyring needs the keyring extra: {KEYRING_EXTRA}",
            file=sys.stderr,
        )
        return 2
    name, profile = get_profile(args.profile)
    secret = _read_secret(name)
    if not secret:
        print(
            "expereo-tui: the secret is empty (typed, or the first line of stdin); nothing stored",
            file=sys.stderr,
        )
        return 2
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_user(name, profile), secret)
    except keyring.errors.NoKeyringError:
        print(
            "expereo-tui: the system keyring has no backend on this machine; nothing stored "
            f"(set {secret_env_name(name)} or use a secret_file instead)",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # locked, refused, a D-Bus error: one line, never the secret
        detail = str(exc).replace(secret, "[redacted]")
        print(
            f"expereo-tui: the system keyring refused the secret ({type(exc).__name__}: "
            f"{detail}); nothing stored",
            file=sys.stderr,
        )
        return 1
    backend = type(keyring.get_keyring()).__name__
    print(
        f"stored the client secret for profile {name!r} in the system keyring ({backend}, "
        f"service {KEYRING_SERVICE!r}, user {keyring_user(name, profile)!r})"
    )
    for var in (secret_env_name(name), SECRET_ENV):
        if os.environ.get(var):
            print(f"note: {var} is set and comes first; unset it to use the keyring")
            break
    return 0
