"""``config init`` (tomlkit: quoting round-trips, a second profile is added, --force replaces one
profile after confirming) and ``config secret set`` (system keyring, with a fake backend)."""

from __future__ import annotations

import builtins
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expereo_tui.cli.main import main
from expereo_tui.config import ConfigError, get_profile, resolve_secret, secret_env_name
from expereo_tui.locations import config_path


def init(*extra: str) -> int:
    return main(["config", "init", "--base-url", "https://api.example", *extra])


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # never a prompt, unless a test asks


@pytest.mark.parametrize(
    "name",
    ["my lab", 'quote "q"', "back\\slash", "dots.and:colons", "ünïcode", "default"],
)
def test_init_round_trips_names_and_values_that_need_quoting(name: str) -> None:
    client_id = 'id with "quotes" and \\ backslash'
    sent_by = 'Anna "NOC" \\ night shift'
    secret_file = '/tmp/my "secret" \\ file'
    code = init(
        "--profile", name, "--client-id", client_id, "--sent-by", sent_by,
        "--secret-file", secret_file,
    )  # fmt: skip
    assert code == 0
    got_name, profile = get_profile(name)
    assert got_name == name
    assert profile.client_id == client_id
    assert profile.sent_by == sent_by
    assert str(profile.secret_file) == secret_file
    assert get_profile(None)[0] == name  # a new file: it is the default profile


ORIGINAL = """\
# my notes: the prod key rotates in March
default_profile = "prod"

[profiles.prod]
client_id = "prod-id"   # from the portal
label = "PROD"
color = "red"

[profiles.prod.keys]
"inbox.next_unread" = "N"
"""


def test_init_again_adds_a_profile_and_keeps_the_rest() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(ORIGINAL, encoding="utf-8")
    assert init("--profile", "lab 2", "--client-id", "lab-id") == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(ORIGINAL)  # every byte of what was there, comments included
    assert get_profile(None)[0] == "prod"  # the default stays
    assert get_profile("prod")[1].keys == {"inbox.next_unread": "N"}
    assert get_profile("lab 2")[1].client_id == "lab-id"


def test_init_never_replaces_a_profile_without_force() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(ORIGINAL, encoding="utf-8")
    assert init("--profile", "prod", "--client-id", "other") == 1
    assert path.read_text(encoding="utf-8") == ORIGINAL
    assert init("--profile", "prod", "--client-id", "other", "--force") == 1  # no terminal
    assert path.read_text(encoding="utf-8") == ORIGINAL


@pytest.mark.parametrize("answer", ["n", "", "y"])
def test_force_replaces_only_the_named_profile_after_confirming(
    answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(ORIGINAL + '\n[profiles.lab]\nclient_id = "lab-id"\n', encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda q: asked.append(q) or answer)
    code = init(
        "--profile", "prod", "--client-id", "new-id", "--api", "v2", "--token-url",
        "https://auth.example/t", "--sent-by", "me@here", "--force",
    )  # fmt: skip
    assert asked and "prod" in asked[0]
    if answer != "y":
        assert code == 1 and path.read_text(encoding="utf-8") == before
        return
    assert code == 0
    assert get_profile("prod")[1].client_id == "new-id"
    assert get_profile("prod")[1].keys == {}  # the whole profile was replaced
    assert get_profile("lab")[1].client_id == "lab-id"  # the other one untouched
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my notes: the prod key rotates in March\n")


def test_yes_confirms_without_a_terminal() -> None:
    assert init("--profile", "p", "--client-id", "a") == 0
    assert init("--profile", "p", "--client-id", "b", "--force", "--yes") == 0
    assert get_profile("p")[1].client_id == "b"


def test_a_broken_file_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.prod\nclient_id = 1\n", encoding="utf-8")
    assert init("--profile", "lab", "--client-id", "x") == 2
    err = capsys.readouterr().err
    assert "not valid TOML" in err and len(err.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == "[profiles.prod\nclient_id = 1\n"


def test_an_invalid_value_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "init", "--client-id", "x", "--base-url", "ftp://nowhere"])
    assert code == 2
    assert "base_url" in capsys.readouterr().err
    assert not config_path().exists()


# -- config secret set ---------------------------------------------------------------------------


class FakeKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring; ``fail`` makes every call raise that error."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, fail: Exception | None = None) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}
        self.fail = fail

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise self.fail
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail:
            raise self.fail
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture
def fake_keyring() -> Iterator[FakeKeyring]:
    before = keyring.get_keyring()
    fake = FakeKeyring()
    keyring.set_keyring(fake)
    yield fake
    keyring.set_keyring(before)


SECRET = "s3cr3t-never-printed"


def secret_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    code = main(["config", "secret", "set", *extra])
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    return code, out + err


def test_secret_set_stores_in_the_keyring_and_the_app_reads_it(
    fake_keyring: FakeKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init("--profile", "my lab", "--client-id", "cid") == 0
    code, said = secret_set(monkeypatch, capsys, "--profile", "my lab")
    assert code == 0 and "keyring" in said
    assert fake_keyring.saved == {("expereo-tui", "my lab:cid"): SECRET}
    name, profile = get_profile("my lab")
    found = resolve_secret(name, profile)
    assert found.secret == SECRET and found.source == "system keyring"
    assert SECRET not in repr(found)


def test_secret_order_profile_env_then_global_env_then_keyring_then_file(
    fake_keyring: FakeKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file")
    secret_file.chmod(0o600)
    assert init("--profile", "lab 2", "--client-id", "cid", "--secret-file", str(secret_file)) == 0
    name, profile = get_profile("lab 2")
    assert resolve_secret(name, profile).secret == "from-file"
    fake_keyring.saved[("expereo-tui", "lab 2:cid")] = "from-keyring"
    assert resolve_secret(name, profile).secret == "from-keyring"
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "from-global")
    assert resolve_secret(name, profile).secret == "from-global"
    assert secret_env_name("lab 2") == "EXPEREO_CLIENT_SECRET_LAB_2"
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET_LAB_2", "from-profile-env")
    found = resolve_secret(name, profile)
    assert (found.secret, found.source) == ("from-profile-env", "$EXPEREO_CLIENT_SECRET_LAB_2")
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET_OTHER", "not-mine")
    assert resolve_secret(name, profile).secret == "from-profile-env"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (keyring.errors.KeyringLocked("the collection is locked"), "KeyringLocked"),
        (keyring.errors.NoKeyringError("no backend"), "no backend"),
        (keyring.errors.PasswordSetError(f"D-Bus said no to {SECRET}"), "PasswordSetError"),
    ],
)
def test_keyring_errors_are_one_line_not_swallowed(
    error: Exception,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(FakeKeyring(fail=error))
    try:
        assert init("--profile", "lab", "--client-id", "cid") == 0
        capsys.readouterr()
        code, said = secret_set(monkeypatch, capsys, "--profile", "lab")
        assert code == 1
        assert words in said and "nothing stored" in said and len(said.strip().splitlines()) == 1
        name, profile = get_profile("lab")
        with pytest.raises(ConfigError) as info:  # reading: said too, not a bare "no secret"
            resolve_secret(name, profile)
        assert words in str(info.value) and len(str(info.value).splitlines()) == 1
    finally:
        keyring.set_keyring(before)


def test_without_the_keyring_package_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init("--profile", "lab", "--client-id", "cid") == 0
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring → ImportError
    code, said = secret_set(monkeypatch, capsys, "--profile", "lab")
    assert code == 2
    assert "pipx inject expereo-tui keyring" in said and len(said.strip().splitlines()) == 1
    name, profile = get_profile("lab")
    with pytest.raises(ConfigError, match="no client secret"):  # not a source, no crash
        resolve_secret(name, profile)


def test_an_empty_secret_is_refused(
    fake_keyring: FakeKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init("--profile", "lab", "--client-id", "cid") == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["config", "secret", "set", "--profile", "lab"]) == 2
    assert fake_keyring.saved == {}


def test_secret_set_for_an_unknown_profile_is_a_config_error(
    fake_keyring: FakeKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init("--profile", "lab", "--client-id", "cid") == 0
    code, said = secret_set(monkeypatch, capsys, "--profile", "nope")
    assert code == 2 and "nope" in said and fake_keyring.saved == {}


@settings(max_examples=60)
@given(name=st.text(min_size=1, max_size=30), value=st.text(max_size=40))
def test_any_name_and_value_round_trip_through_the_written_file(name: str, value: str) -> None:
    """Whatever a person types (quotes, backslashes, brackets, dots, newlines, emoji), the file
    written loads back to the same profile name and values."""
    import tomllib

    import tomlkit

    from expereo_tui.cli.config_cmds import profile_table, read_document

    doc = read_document(Path("/nonexistent/config.toml"))
    doc["default_profile"] = name
    doc["profiles"] = tomlkit.table(is_super_table=True)
    doc["profiles"][name] = profile_table(  # type: ignore[index]
        base_url="https://api.example",
        token_url="https://auth.example/t",
        client_id=value,
        api="v2",
        scopes=[],
        secret_file=value or None,
        sent_by=value or "x",
    )
    loaded = tomllib.loads(tomlkit.dumps(doc))
    assert loaded["default_profile"] == name
    profile = loaded["profiles"][name]
    assert profile["client_id"] == value and profile["sent_by"] == (value or "x")
    assert profile.get("secret_file") == (value or None)
