"""The app as ``memory_bench --diagnose`` runs it: on SIGUSR1 it writes where its memory is
(RSS by layer, before and after ``malloc_trim(0)``; object types; with $MEMORY_BENCH_TRACE, the
top tracemalloc sites) to $MEMORY_BENCH_DUMP.  Never the verdict.

    python benchmarks/memory_probe.py --profile NAME
"""

# ruff: noqa
# mypy: ignore-errors
import os, signal, sys, tracemalloc

if os.environ.get("MEMORY_BENCH_TRACE"):
    tracemalloc.start(8)


def layers():
    """RSS by layer: glibc's heap (in use, freed but kept), SQLite's heap, pymalloc."""
    import ctypes, re, tempfile
    import _sqlite3

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (n, ctypes.c_size_t)
            for n in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    used.restype = ctypes.c_int64
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        sys._debugmallocstats()
        os.dup2(saved, 2)
        out.seek(0)
        stats = out.read().decode(errors="replace")
    arenas = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", stats)
    in_use = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", stats)
    info = libc.mallinfo2()
    rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return (
        f"RSS {rss / 1e6:.1f} MB; glibc in use {(info.uordblks + info.hblkhd) / 1e6:.1f}"
        f" MB, freed but kept {info.fordblks / 1e6:.1f} MB; SQLite heap "
        f"{used() / 1e6:.1f} MB; "
        + (  # tracemalloc's hooks hide pymalloc from _debugmallocstats
            f"pymalloc arenas {arenas.group(1)} (blocks in use "
            f"{int(in_use.group(1).replace(',', '')) / 1e6:.1f} MB)"
            if arenas and in_use
            else "pymalloc not shown (tracemalloc is on)"
        )
    )


def dump(signum, frame):
    import ctypes, gc
    from collections import Counter

    gc.collect()
    lines = ["layers: " + layers()]
    ctypes.CDLL(None).malloc_trim(0)
    lines.append("after malloc_trim(0): " + layers())
    counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    lines.append("-- gc-tracked objects by type --")
    lines.extend(f"{n:9d}  {t}" for t, n in counts.most_common(12))
    packages = Counter(name.split(".")[0] for name in list(sys.modules))
    lines.append(f"-- modules loaded: {len(sys.modules)}, by package --")
    lines.append("  " + ", ".join(f"{p} {n}" for p, n in packages.most_common(25)))
    ours = sorted(n for n in sys.modules if n.startswith("expereo_tui."))
    lines.append("  expereo_tui: " + " ".join(n[len("expereo_tui."):] for n in ours))
    if not tracemalloc.is_tracing():
        with open(os.environ["MEMORY_BENCH_DUMP"], "w") as out:
            out.write("\n".join(lines) + "\n")
        return
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    total = sum(s.size for s in snap.statistics("filename"))
    lines.append(f"traced: {total / 1e6:.1f} MB")
    lines.append("-- by file --")
    for s in snap.statistics("filename")[:15]:
        lines.append(f"{s.size / 1e6:8.2f} MB {s.count:9d}  {s.traceback[0].filename}")
    lines.append("-- by line --")
    for s in snap.statistics("lineno")[:25]:
        f = s.traceback[0]
        lines.append(f"{s.size / 1e6:8.2f} MB {s.count:9d}  {f.filename}:{f.lineno}")
    lines.append("-- by traceback (top 8) --")
    for s in snap.statistics("traceback")[:8]:
        lines.append(f"{s.size / 1e6:8.2f} MB {s.count:9d}")
        lines.extend("      " + l for l in s.traceback.format()[-12:])
    with open(os.environ["MEMORY_BENCH_DUMP"], "w") as out:
        out.write("\n".join(lines) + "\n")


signal.signal(signal.SIGUSR1, dump)
from expereo_tui.cli.main import main

sys.argv[0] = "expereo-tui"
sys.exit(main())
