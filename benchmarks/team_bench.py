"""Team mode (issue #31, "Done when"): 1, 3 and 10 instances of one API client, each a separate
process with XDG homes of its own (a separate host), against one simulator with its rate limits
on and one throwaway PostgreSQL cluster.  Prints, per count: the API reads per minute the whole
team made (from the simulator's request records), the 429s, the ratio against the 1-instance
run of the same invocation (target: within 5 %, 0 × 429), and the worst time a case changed on
the API took to reach an instance's local store (target: poll interval + 1 s).

    python -m benchmarks.team_bench [--window 90] [--counts 1,3,10] [--poll-interval 10]

What runs in each process: ``benchmarks/team_instance.py``, the app without its screen.  It
builds what ``expereo-tui --profile P`` builds (the profile read from its own config file, the
secret and team password from its environment, ``Store.for_profile``, ``team_factory``,
``engine_factory_for`` with the profile's intervals) and runs that engine.  Not the TUI in
ptys: ten Textual apps on two shared cores would measure the cores, and the screen never reads
the API, so it adds no request to count.

Each count gets a fresh simulator (same seed, no live activity: the same world each time), a
fresh team database and fresh homes; the window starts when the processes are started, so each
run includes the leader's first sync and the threads it loads in the background, as the
baseline does.  During the window the benchmark changes ``--probes`` cases through the
simulator's control API (``POST /_sim/event``, status Resolved) and times, for each instance,
until its store (read read-only) has the change.  The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks.team_hosts import Host, hosts, role
from expereo_tui.sim import SimConfig, Simulator, run_server
from tests.pgcluster import PgCluster, find_bindir

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-do-not-log"
OPEN = ("New", "In Progress", "Awaiting Customer", "Pending")


@dataclass
class Result:
    count: int
    reads: int
    rejected: int
    minutes: float
    worst: float | None  # seconds, the slowest instance over every probe
    worst_follower: float | None

    @property
    def per_minute(self) -> float:
        return self.reads / self.minutes


def _event(url: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"{url}/_sim/event", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _probe(url: str, case_id: str, team: list[Host], limit: float) -> dict[str, float]:
    """Resolve ``case_id`` on the API; seconds until each instance's store has it (an instance
    that has not after 3 × ``limit`` counts as that)."""
    _event(url, {"case": case_id, "status": "Resolved"})
    start = time.monotonic()
    waiting = {h.name: h for h in team}
    took: dict[str, float] = {}
    while waiting and time.monotonic() - start < 3 * limit:
        for name, host in list(waiting.items()):
            if host.case_status(case_id) == "Resolved":
                took[name] = time.monotonic() - start
                del waiting[name]
        time.sleep(0.05)
    for name in waiting:
        took[name] = 3 * limit
    return took


def run_count(
    cluster: PgCluster, base: Path, count: int, window: float, poll: float, probes: int
) -> Result:
    sim = Simulator(
        SimConfig(seed=3, scale="small", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    candidates = [c["id"] for c in sim.data.cases.values() if c["status"] in OPEN]
    team_db = cluster.new_team()
    limit = poll + 1.0
    worst: float | None = None
    worst_follower: float | None = None
    with run_server(sim) as url:
        kwargs = {
            "api_url": url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "team_url": team_db.url(),
            "team_password": team_db.password(),
            "poll_interval": poll,
        }
        with hosts(base / f"n{count}", count, **kwargs) as team:
            start, wall_start = time.monotonic(), time.time()
            for k in range(probes):
                at = start + window * (k + 1) / (probes + 1)
                time.sleep(max(0.0, at - time.monotonic()))
                case_id = candidates[k * 7 % len(candidates)]
                if not all(h.case_status(case_id) for h in team):
                    continue  # not every store has the case yet (a first sync under way)
                followers = {h.name for h in team if role(h) == "follower"}
                took = _probe(url, case_id, team, limit)
                worst = max([worst or 0.0, *took.values()])
                if followers:
                    slowest = max(took[n] for n in followers)
                    worst_follower = max(worst_follower or 0.0, slowest)
            time.sleep(max(0.0, start + window - time.monotonic()))
            records = [r for r in sim.request_records if r.at <= wall_start + window]
    reads = sum(1 for r in records if r.method == "GET")
    rejected = sum(1 for r in records if r.status == 429)
    return Result(count, reads, rejected, window / 60.0, worst, worst_follower)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=float, default=90.0, help="seconds per count (90)")
    parser.add_argument("--counts", default="1,3,10", help="instance counts (1,3,10)")
    parser.add_argument("--poll-interval", type=float, default=10.0, help="profile's (10)")
    parser.add_argument("--probes", type=int, default=3, help="cases changed per count (3)")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    if counts[0] != 1:
        counts.insert(0, 1)  # the baseline, measured in the same run
    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL is not installed (apt-get install postgresql): skipped")
        return 0
    cluster = PgCluster(bindir)
    cluster.start()
    limit = args.poll_interval + 1.0
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="expereo-team-bench-") as folder:
            print(
                f"window {args.window:g} s per count, poll_interval {args.poll_interval:g} s, "
                f"simulator rate limits on (reads 3/s after a burst of 50)"
            )
            print(
                f"{'instances':>9} {'API reads':>9} {'reads/min':>9} {'429s':>5} "
                f"{'vs 1':>6} {'worst change→store':>19} {'limit':>6}  verdict"
            )
            baseline: float | None = None
            for count in counts:
                r = run_count(
                    cluster, Path(folder), count, args.window, args.poll_interval, args.probes
                )
                baseline = baseline or r.per_minute
                ratio = r.per_minute / baseline
                latency = r.worst_follower if count > 1 else r.worst
                ok = abs(ratio - 1.0) <= 0.05 and r.rejected == 0
                ok = ok and latency is not None and latency <= limit
                failed += not ok
                shown = f"{latency:.2f} s" if latency is not None else "not measured"
                print(
                    f"{count:>9} {r.reads:>9} {r.per_minute:>9.1f} {r.rejected:>5} "
                    f"{ratio:>6.3f} {shown:>19} {limit:>5g}s  {'PASS' if ok else 'FAIL'}",
                    flush=True,
                )
            print(
                "(change→store: a case resolved on the API until the slowest follower's local "
                "store has it; with 1 instance, the instance's own store)"
            )
    finally:
        cluster.destroy()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
