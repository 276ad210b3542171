"""A team lab on one machine, to try team mode by hand: a throwaway PostgreSQL cluster (Debian's
package, tests/pgcluster.py), the simulator, and N instances' homes (their own XDG folders, a
profile ``lab`` with ``team_url``), then the tmux commands that run them side by side.

    .venv/bin/python scripts/team_lab.py [--instances 3] [--wall]

It prints the commands and waits; Ctrl+C stops the simulator and removes the cluster.  Each
instance is a separate process with separate folders, as on separate hosts; they share only the
simulator (the API) and PostgreSQL.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from expereo_tui.sim import SimConfig, Simulator, run_server  # noqa: E402
from tests.pgcluster import PgCluster, find_bindir  # noqa: E402

NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=3, choices=range(1, len(NAMES) + 1))
    parser.add_argument("--wall", action="store_true", help="and a read-only wall (its role)")
    parser.add_argument("--activity", type=float, default=6.0, help="simulator events a minute")
    args = parser.parse_args(argv)
    bindir = find_bindir()
    if bindir is None:
        print("team_lab: PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="expereo-team-lab-"))
    root.chmod(0o755)  # the cluster runs as the postgres user when we are root: it must get in
    cluster = PgCluster(bindir, root / "pg")
    cluster.start()
    try:
        team = cluster.new_team()
        sim = Simulator(SimConfig(seed=7, scale="small", activity_rate=args.activity))
        with run_server(sim) as url:
            exe = Path(sys.executable).with_name("expereo-tui")
            homes = list(NAMES[: args.instances]) + (["wall"] if args.wall else [])
            print(f"simulator {url}, PostgreSQL {team.url()} (the lab lives in {root})\n")
            print("tmux new-session -d -s team -x 240 -y 50")
            for i, name in enumerate(homes):
                home = root / name
                conf = home / "config" / "expereo-tui"
                conf.mkdir(parents=True)
                reader = name == "wall"
                (conf / "config.toml").write_text(
                    "[profiles.lab]\n"
                    f'base_url = "{url}"\ntoken_url = "{url}/oauth2/token"\n'
                    f'client_id = "{sim.client_id}"\nsent_by = "{name}@noc"\n'
                    f'team_url = "{team.url(reader=reader)}"\npoll_interval = 10\n'
                    + ("read_only = true\n" if reader else ""),
                    encoding="utf-8",
                )
                env = {
                    "XDG_CONFIG_HOME": home / "config",
                    "XDG_DATA_HOME": home / "data",
                    "XDG_STATE_HOME": home / "state",
                    "XDG_CACHE_HOME": home / "cache",
                    "USER": name,
                    "EXPEREO_CLIENT_SECRET": sim.client_secret,
                    "EXPEREO_TEAM_PASSWORD": team.password(reader=reader),
                }
                cmd = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items())
                cmd += f" {exe} --profile lab" + (" --wall" if reader else "")
                split = "" if i == 0 else "tmux split-window -t team -h && "
                print(f"{split}tmux send-keys -t team {shlex.quote(cmd)} Enter")
            print("tmux select-layout -t team tiled && tmux attach -t team\n")
            print("team status:", f"XDG_CONFIG_HOME={root / homes[0] / 'config'} "
                  f"EXPEREO_TEAM_PASSWORD={team.password()} {exe} --profile lab team status")
            print("\nCtrl+C here stops the simulator and removes the cluster.", flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
