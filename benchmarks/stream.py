"""Frames per second of make_synthetic_stream (render + write), per image width.

    .venv/bin/python benchmarks/stream.py [--frames 400] [--repeats 3]

Appends rows to benchmarks/results/stream.csv: width, cameras, frames, seconds, fps, machine, git hash.
"""
import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from _common import append_csv
from sbad_nb.data import make_synthetic_stream



def bench(width: int, frames: int, repeats: int) -> list[dict]:
    rows = []
    for r in range(repeats):
        d = Path(tempfile.mkdtemp())
        try:
            t0 = time.perf_counter()
            make_synthetic_stream(d, cameras=[1, 2], weeks=[1], bank_frames=frames, test_frames=frames // 8, width=width,
                                  seed=r, progress=False)
            dt = time.perf_counter() - t0
        finally:
            shutil.rmtree(d, ignore_errors=True)
        n = 2 * (frames + frames // 8)
        rows.append({"width": width, "cameras": 2, "frames": n, "repeat": r, "seconds": round(dt, 3), "fps": round(n / dt, 1)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=400, help="bank frames per camera")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--widths", default="96,160,320")
    a = ap.parse_args()
    rows = [row for w in map(int, a.widths.split(",")) for row in bench(w, a.frames, a.repeats)]
    df = pd.DataFrame(rows).assign(machine=f"{platform.machine()} {platform.processor() or ''}".strip())
    append_csv("stream", df)
    print(df.groupby("width").fps.agg(["median", "min", "max"]).to_string())


if __name__ == "__main__":
    main()
