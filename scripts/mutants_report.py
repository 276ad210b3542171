"""The killed share per rule module from mutmut's results (``make mutants``).

mutmut 3 keeps each mutated file's verdicts in ``mutants/<path>.meta`` (JSON: mutant name →
the exit code of its test run).  Killed: the tests failed (or timed out, or the type checker
refused the mutant).  A mutant listed in docs/development.md's "Equivalent mutants" table
(its name in backticks in the first column; ``NAME__mutmut_{3,7,12}`` names several of one
function) changes no behaviour: it is counted apart and left out of the share.  Modules whose
mutants were not run (``make mutants MUTANTS=...`` ran others) say so.

    python scripts/mutants_report.py [--survivors] [--results DIR]

``--results DIR`` reads another copy of mutmut's ``mutants/`` directory (an earlier run kept
aside, to compare before and after).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
EQUIVALENT_ROW = re.compile(r"^\|\s*`(expereo_tui\.[\w.]+__mutmut_)(\d+|\{[\d, ]+\})`\s*\|")


def equivalents(doc: Path = ROOT / "docs" / "development.md") -> set[str]:
    if not doc.exists():
        return set()
    names = set()
    for line in doc.read_text("utf-8").splitlines():
        if m := EQUIVALENT_ROW.match(line):
            names |= {m.group(1) + n.strip() for n in m.group(2).strip("{}").split(",")}
    return names


def main(argv: list[str]) -> int:
    results = ROOT / "mutants"
    if "--results" in argv:
        results = Path(argv[argv.index("--results") + 1]).resolve()
    metas = sorted(results.rglob("*.py.meta"))
    if not metas:
        print("no mutmut results: run `make mutants` first", file=sys.stderr)
        return 1
    equivalent = equivalents()
    show_survivors = "--survivors" in argv
    rows = []
    for meta in metas:
        module = str(meta.relative_to(results)).removesuffix(".meta")
        codes = json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {})
        if not codes:
            continue
        count: Counter[str] = Counter()
        survivors = []
        for name, code in codes.items():
            if name in equivalent:
                count["equivalent"] += 1
            elif code is None:
                count["not run"] += 1
            elif code in KILLED:
                count["killed"] += 1
            elif code in SURVIVED:
                count["survived"] += 1
                survivors.append(name)
            elif code in NO_TESTS:
                count["no tests"] += 1
                survivors.append(name)
            else:
                count["suspicious"] += 1
                survivors.append(name)
        rows.append((module, count, survivors))
    print(f"{'module':42} {'killed':>9} {'share':>6}  survived  no-tests  equivalent  not-run")
    for module, c, survivors in rows:
        judged = c["killed"] + c["survived"] + c["no tests"] + c["suspicious"]
        share = f"{100 * c['killed'] / judged:5.1f}%" if judged else "  —   "
        print(
            f"{module:42} {c['killed']:>4}/{judged:<4} {share}  {c['survived']:>8}  "
            f"{c['no tests']:>8}  {c['equivalent']:>10}  {c['not run']:>7}"
        )
        if show_survivors:
            for name in survivors:
                print(f"    {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
