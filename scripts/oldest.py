"""The oldest allowed versions: a venv with every dependency at its lower bound, and a smoke test.

    python3 scripts/oldest.py            # build .venv-oldest, then run the smoke test in it
                                         # (``make oldest``; not part of ``make test``)
    python scripts/oldest.py --smoke     # the smoke test alone, in the running Python

The constraints come from the ``>=`` bounds in pyproject.toml (dependencies and the web and
keyring extras): ``name==bound`` for each, so pip must install exactly the oldest version
the project claims to support (dependencies of dependencies are left to pip).  The smoke test:

1. ``expereo-tui --version`` names the pinned Textual;
2. ``expereo-tui demo`` in a real pseudo-terminal shows a case row (``CS-1…``);
3. ``expereo-tui cases list`` against the simulator on loopback (served by the pinned
   starlette and uvicorn) prints case rows and exits 0.

A lower bound that fails here is wrong: raise it in pyproject.toml."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-oldest"
EXTRAS = ("web", "keyring")


def lower_bounds() -> dict[str, str]:
    """``{name: lowest version}`` for every requirement of the project and of EXTRAS."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    bounds = {}
    for requirement in requirements:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        found = re.search(r">=\s*([0-9][^,;\s]*)", requirement)
        if found is None:
            raise SystemExit(f"{requirement!r} has no lower bound (>=): give it one")
        bounds[name] = found.group(1)
    return bounds


def build() -> Path:
    """.venv-oldest with the project and EXTRAS installed under ``name==lower bound``."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    constraints = VENV / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in lower_bounds().items()))
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run(
        [*pip, "--constraint", str(constraints), f".[{','.join(EXTRAS)}]"], check=True, cwd=ROOT
    )
    return python


def smoke() -> int:
    """Run the three checks with the ``expereo-tui`` beside this Python; 0 when all pass."""
    from importlib.metadata import version

    sys.path.append(str(ROOT))  # benchmarks.pty_apps (a real pty, read with select); last, so
    # expereo_tui comes from the venv, as installed
    from benchmarks.pty_apps import ROW_MARK, launch
    from expereo_tui.sim import SimConfig, Simulator, run_server

    script = str(Path(sys.executable).with_name("expereo-tui"))
    pinned = {name: version(name) for name in lower_bounds()}
    print("installed:", ", ".join(f"{n} {v}" for n, v in pinned.items()))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            **{f"XDG_{d}_HOME": str(root / d) for d in ("CONFIG", "DATA", "STATE", "CACHE")},
        }

        done = subprocess.run(
            [script, "--version"], capture_output=True, text=True, env=env, timeout=60
        )
        print(f"--version: exit {done.returncode}: {done.stdout.strip()}{done.stderr.strip()}")
        if done.returncode != 0 or f"Textual {pinned['textual']}" not in done.stdout:
            return 1

        app = launch([script, "demo", "--scale", "tiny"], env)
        try:
            seconds = app.wait_for(ROW_MARK, limit=120)
            print(f"demo in a pty: a case row after {seconds:.1f} s")
        except RuntimeError as error:
            print(f"demo in a pty: FAILED: {error}")
            return 1
        finally:
            app.stop()

        secret = "oldest-smoke-secret"
        sim = Simulator(SimConfig(seed=1, scale="tiny", client_id="smoke", client_secret=secret))
        with run_server(sim) as url:
            config = root / "CONFIG" / "expereo-tui" / "config.toml"
            config.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
            config.write_text(
                f'[profiles.smoke]\nclient_id = "smoke"\nbase_url = "{url}"\n'
                f'token_url = "{url}/oauth2/token"\n'
            )
            config.chmod(0o600)
            env |= {"EXPEREO_CONFIG": str(config), "EXPEREO_CLIENT_SECRET": secret}
            done = subprocess.run(
                [script, "cases", "list", "--profile", "smoke"],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
        rows = [line for line in done.stdout.splitlines() if line.startswith("CS-")]
        print(f"cases list: exit {done.returncode}, {len(rows)} case rows {done.stderr.strip()}")
        if done.returncode != 0 or not rows:
            return 1
    print("oldest versions: smoke test passed")
    return 0


def main(argv: list[str]) -> int:
    if "--smoke" in argv:
        return smoke()
    python = build()
    return subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--smoke"], cwd=ROOT
    ).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
