"""``make bench``: every benchmark, one after the other."""

from __future__ import annotations

import sys

from benchmarks import store_bench, sync_bench, ui_bench, wall_soak

if __name__ == "__main__":
    print("== store ==")
    failed = store_bench.main()
    print("\n== sync request counts ==")
    failed |= sync_bench.main()
    print("\n== inbox and thread (large dataset) ==")
    failed |= ui_bench.main()
    print("\n== wall soak (24 simulated hours) ==")
    sys.argv = [sys.argv[0], "24"]
    failed |= wall_soak.main()
    raise SystemExit(failed)
