"""``[profiles.NAME.sla]``: targets per priority, and a clear one-line error for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.config import ConfigError, load_config
from expereo_tui.triage.sla import Targets


def _write(tmp_path: Path, sla: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.work]\nclient_id = "x"\n{sla}', encoding="utf-8")
    return path


def test_sla_targets_per_priority_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[profiles.work.sla.P1]\nfirst_response = "10m"\nupdate_interval = "1h"\n'
        'resolution = "1d2h"\n',
    )
    sla = load_config(path).profiles["work"].sla
    assert sla["P1"].targets() == Targets(600, 3600, 26 * 3600)
    assert "P2" not in sla


@pytest.mark.parametrize(
    ("sla", "words"),
    [
        ('[profiles.work.sla.P1]\nresolution = "soon"\n', "sla.P1.resolution"),
        ('[profiles.work.sla.P9]\nresolution = "1h"\n', "sla.P9"),
    ],
)
def test_a_bad_target_is_one_line(tmp_path: Path, sla: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, sla))
    assert words in str(err.value) and "\n" not in str(err.value)
