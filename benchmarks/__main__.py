"""``make bench``: every benchmark, one after the other."""

from __future__ import annotations

import sys

from benchmarks import (
    first_sync_bench,
    idle_bench,
    launch_bench,
    memory_bench,
    store_bench,
    sync_bench,
    team_bench,
    ui_bench,
    wall_soak,
)

if __name__ == "__main__":
    print("== store ==")
    failed = store_bench.main()
    print("\n== sync request counts ==")
    failed |= sync_bench.main()
    print("\n== inbox and thread (large dataset) ==")
    failed |= ui_bench.main()
    print("\n== launch to case rows in a pty, beside a bare Textual app (issue 13) ==")
    sys.argv = [sys.argv[0], "5"]
    failed |= launch_bench.main()
    print("\n== idle CPU over 60 s: inbox and wall beside an idle bare app (issue 13) ==")
    sys.argv = [sys.argv[0], "60", "1"]
    failed |= idle_bench.main()
    print("\n== first sync of a large account over loopback (issue 13) ==")
    sys.argv = [sys.argv[0], "1"]
    failed |= first_sync_bench.main()
    print("\n== RSS after the first sync, small and large, beside a bare Textual app (issue 30) ==")
    sys.argv = [sys.argv[0], "small,large"]
    failed |= memory_bench.main()
    print("\n== wall soak (24 h warm-up, then 72 measured simulated hours, a poll per 5 min) ==")
    sys.argv = [sys.argv[0], "72", "5"]
    failed |= wall_soak.main()
    print("\n== team mode: 1, 3 and 10 instances as separate hosts, 90 s each (issue 31) ==")
    sys.argv = [sys.argv[0], "--window", "90"]
    failed |= team_bench.main()
    raise SystemExit(failed)
