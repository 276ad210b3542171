"""The configuration file is checked key by key, by hand (no pydantic before the first frame):
every misfit is one line naming the key, and a valid file loads with the right types."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from expereo_tui.config import ConfigError, ViewConfig, load_config

HEAD = '[profiles.lab]\nbase_url = "https://api.example"\nclient_id = "c"\n'


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("extra", "where", "words"),
    [
        ("poll_intervall = 10", "profiles.lab.poll_intervall", "unknown key"),
        ("poll_interval = 1", "profiles.lab.poll_interval", "at least 5"),
        ('poll_interval = "10"', "profiles.lab.poll_interval", "number"),
        ("inventory_interval = 30", "profiles.lab.inventory_interval", "at least 60"),
        ('bell = "yes"', "profiles.lab.bell", "true or false"),
        ('api = "v3"', "profiles.lab.api", "'v1', 'v2'"),
        ('scopes = ["customerapi/basic.read extra"]', "profiles.lab.scopes", "without spaces"),
        ('scopes = "customerapi/basic.read"', "profiles.lab.scopes", "list of strings"),
        ("alert_priorities = [1]", "profiles.lab.alert_priorities.0", "string"),
        ('sent_by = ""', "profiles.lab.sent_by", "empty"),
        ("keys = 3", "profiles.lab.keys", "table"),
        ('[profiles.lab.sla.P1]\nfirst_reply = "1h"', "profiles.lab.sla.P1.first_reply", "unknown"),
        ('[[profiles.lab.views]]\ntext = "x"', "profiles.lab.views.0.name", "required"),
        ('[[profiles.lab.views]]\nname = "a"\nunread = true', "profiles.lab.views.0.unread", "unknown"),
    ],
)
def test_a_misfit_is_one_line_naming_the_key(
    tmp_path: Path, extra: str, where: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, HEAD + extra + "\n")
    message = str(info.value)
    assert f": {where}: " in message and words in message and "\n" not in message


def test_a_profile_without_client_id_and_an_unknown_top_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"profiles\.lab\.client_id: missing"):
        load(tmp_path, '[profiles.lab]\nbase_url = "https://api.example"\n')
    with pytest.raises(ConfigError, match=r": default_profil: unknown key"):
        load(tmp_path, 'default_profil = "lab"\n' + HEAD)


def test_every_key_loads_with_its_type(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        'default_profile = "lab"\n'
        + HEAD
        + 'token_url = "https://auth.example/oauth2/token/"\n'
        'api = "v1"\nscopes = ["customerapi/basic.read"]\nsecret_file = "~/s"\n'
        "poll_interval = 12\ninventory_interval = 600.5\nread_only = true\n"
        'theme = "nord"\nlabel = "PROD"\ncolor = "red"\nportal_url = "https://p/{case_id}"\n'
        'bell = false\ndesktop_notifications = false\nalert_priorities = ["P1"]\n'
        'sent_by = "noc@example"\nalert_services = ["SVC-1"]\nwall_views = ["mine"]\n'
        'templates = { ack = "Thanks {case_id}" }\nkeys = { "inbox.next_unread" = "N" }\n'
        '[profiles.lab.sla.P1]\nresolution = "4h"\n'
        '[[profiles.lab.views]]\nname = "mine"\npriorities = ["P1", "P2"]\nunread_only = true\n'
        'sort = ["-priority"]\n',
    )
    assert cfg.default_profile == "lab"
    p = cfg.profiles["lab"]
    assert p.token_url == "https://auth.example/oauth2/token"  # trailing slash dropped
    assert p.poll_interval == 12.0 and isinstance(p.poll_interval, float)
    assert p.secret_file == Path("~/s") and p.api == "v1" and p.read_only and not p.bell
    assert p.sla["P1"].targets().resolution == 4 * 3600
    assert p.views == [
        ViewConfig(name="mine", priorities=["P1", "P2"], unread_only=True, sort=["-priority"])
    ]
    assert p.views[0].query_dict() == {
        "priorities": ["P1", "P2"],
        "unread_only": True,
        "sort": [["priority", True]],
    }
    assert p.keys == {"inbox.next_unread": "N"} and p.templates == {"ack": "Thanks {case_id}"}


def test_reading_the_config_does_not_import_pydantic(tmp_path: Path) -> None:
    """What the first frame needs is read without pydantic (~150 ms of start-up), nor what
    only later work needs: the client's settings and rate limits (and the email package, for
    Retry-After dates), the dialogs, the web browser."""
    import subprocess

    later = [
        "pydantic",
        "httpx",
        "expereo_tui.api.settings",
        "email.utils",
        "webbrowser",
        "expereo_tui.ui.screens.dialogs",
    ]
    code = (
        "import sys; from pathlib import Path; from expereo_tui.config import load_config; "
        f"load_config(Path({str(tmp_path / 'config.toml')!r})); "
        "import expereo_tui.cli.main, expereo_tui.store.store, expereo_tui.ui.app, "
        "expereo_tui.ui.inbox.screen; "
        f"print(*[m for m in {later!r} if m in sys.modules])"
    )
    (tmp_path / "config.toml").write_text(HEAD, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_a_scope_name_is_free_text(tmp_path: Path) -> None:
    """The provider may name a scope we do not know: it is taken as written."""
    config = load(tmp_path, HEAD + 'scopes = ["customerapi/basic.read", "customerapi/new.read"]\n')
    assert config.profiles["lab"].scopes == ["customerapi/basic.read", "customerapi/new.read"]
