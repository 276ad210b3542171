"""Pre-send lint: credentials pasted into a message are found, line by line, and shown masked."""

from __future__ import annotations

import pytest

from expereo_tui.triage.lint import MASK, lint, secret_matcher

CAUGHT = [
    ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "password", "$1$mERr"),
    ("username admin privilege 15 password 7 0822455D0A16", "password", "0822455D0A16"),
    (" pre-shared-key Sup3rS3cret!", "password", "Sup3rS3cret!"),
    ('set system root-authentication encrypted-password "$6$abc$def"', "password", "$6$abc$def"),
    ("password: hunter2", "password", "hunter2"),
    ("snmp-server community N0cR34d RO 10", "snmp-community", "N0cR34d"),
    ('set snmp community "public-ro" authorization read-only', "snmp-community", "public-ro"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private-key", None),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private-key", None),
    ("Authorization: Bearer abcdef0123456789abcdef.xyz", "bearer-token", "abcdef0123456789"),
    ("token eyJhbGciOiJIUzI1.eyJzdWIiOiIx.SflKxwRJSMeKKF2QT4", "bearer-token", "eyJzdWIiOiIx"),
]


@pytest.mark.parametrize(("line", "code", "secret"), CAUGHT)
def test_credentials_are_found_and_masked(line: str, code: str, secret: str | None) -> None:
    [finding] = lint(f"Hello,\n{line}\nThanks")
    assert finding.code == code and finding.line_number == 2
    if secret is not None:
        assert secret not in finding.masked and MASK in finding.masked


@pytest.mark.parametrize(
    "text",
    [
        "Please reset the password on the portal, the link has expired.",
        "The SNMP community is the one we agreed on the call.",
        "Our secret sauce is patience.",
        "Interface Gi0/1 is down since 09:12, bearer traffic unaffected.",
    ],
)
def test_ordinary_prose_passes(text: str) -> None:
    assert lint(text) == []


def test_this_profiles_client_secret_is_found_by_digest() -> None:
    matcher = secret_matcher("s3cr3t-VALUE-42")
    [finding] = lint("debug: client=abc s3cr3t-VALUE-42 failed", matcher)
    assert finding.code == "client-secret" and "s3cr3t" not in finding.masked
    assert lint("debug: client=abc s3cr3t-VALUE-43 failed", matcher) == []


# -- the masked line, character by character (written by hand): two characters of a value of
# eight or more stay as a hint, the rest is 4 to 12 dots, and the rest of the line stays.
D = "•"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("password: hunter2!", "password: hu" + D * 6),
        ("password: hunter2! # the lab", "password: hu" + D * 6 + " # the lab"),
        ("pwd=ab1", "pwd=" + D * 4),  # 3 characters: no hint, at least 4 dots
        ("pwd=abc1234", "pwd=a" + D * 6),  # 7 characters: a hint of one (7 // 4)
        ("pwd=abcd1234", "pwd=ab" + D * 6),
        ("secret 5 " + "x1" * 20, "secret 5 x1" + D * 12),  # 40 characters: at most 12 dots
        ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ab" + D * 12),
        ("token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl here", "token ey" + D * 12 + " here"),
        ("  -----BEGIN RSA PRIVATE KEY-----  ", "-----BEGIN RSA PRIVATE KEY-----"),
    ],
)
def test_the_masked_line_keeps_a_hint_and_never_most_of_the_value(line: str, masked: str) -> None:
    (finding,) = lint(line)
    assert finding.masked == masked


def test_the_client_secret_is_replaced_by_twelve_dots() -> None:
    text = "ok\nthe key is S3cr3t-Value, thanks"
    (finding,) = lint(text, lambda word: word == "S3cr3t-Value")
    assert (finding.code, finding.line_number) == ("client-secret", 2)
    assert finding.masked == "the key is " + D * 12 + ", thanks"
