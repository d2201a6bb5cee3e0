"""Are two reports' tables the same apart from time? For a change that must not move any result.

Usage: `.venv/bin/python benchmarks/compare_reports.py OLD_REPORT NEW_REPORT` (e.g. reports/tiny /tmp/clone/reports/tiny).
Every `tables/*.csv` of either folder is compared after dropping timing columns (seconds, wall time, frames per second);
columns only one side has, and a different column order, are said but do not count as a changed value.
Prints one line per table and exits 1 when a value differs.
"""
import sys
from pathlib import Path

import pandas as pd

TIMING = ("seconds", "ms_per_frame", "fps", "frames_per_s", "wall_s", "train_seconds")


def timing(col: str) -> bool:
    "Whether a column measures time (it differs run to run on the same results)."
    return col in TIMING or col.endswith(("_s", "_seconds", "_ms", "_fps")) or "per_s" in col


def compare(old: Path, new: Path) -> tuple[str, bool]:
    "One line on table `old` against `new`, and whether a value differs."
    a, b = pd.read_csv(old), pd.read_csv(new)
    notes = []
    if list(a.columns) != list(b.columns):
        only = sorted(set(a.columns) ^ set(b.columns))
        notes.append(f"columns only on one side: {only}" if only else "column order differs")
    cols = [c for c in a.columns if c in b.columns and not timing(c)]
    dropped = sorted(c for c in set(a.columns) & set(b.columns) if timing(c))
    if dropped: notes.append(f"timing ignored: {dropped}")
    if len(a) != len(b): return f"DIFF {old.name}: {len(a)} rows against {len(b)}", True
    A, B = a[cols].reset_index(drop=True), b[cols].reset_index(drop=True)
    if not A.equals(B):
        A, B = (x.sort_values(cols, kind="stable").reset_index(drop=True) for x in (A, B))
        if A.equals(B): notes.append("same rows, another order")
        else:
            bad = [c for c in cols if not A[c].equals(B[c])]
            return f"DIFF {old.name}: values differ in {bad}", True
    return f"same {old.name}" + (f" ({'; '.join(notes)})" if notes else ""), False


def main(old: str, new: str) -> int:
    "Compare every table of two report folders; 1 if any value differs."
    o, n = Path(old)/"tables", Path(new)/"tables"
    names = sorted({p.name for p in o.glob("*.csv")} | {p.name for p in n.glob("*.csv")})
    differ = False
    for name in names:
        if not (o/name).exists() or not (n/name).exists():
            print(f"ONLY IN {'new' if (n/name).exists() else 'old'}: {name}"); differ = True; continue
        line, d = compare(o/name, n/name); print(line); differ |= d
    return int(differ)


if __name__ == "__main__":
    if len(sys.argv) != 3: sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
