"""Speed of the selection strategies.

    .venv/bin/python benchmarks/strategies.py [--frames 1000000] [--kc-n 100000] [--kc-d 512] [--kc-k 1000]

1. Every stream strategy on a 1,000,000-frame score table (target < 1 s each), against a straightforward
   per-frame Python loop implementing the same rule (same answer checked, time ratio reported).
2. kcenter_greedy on 100,000 x 512 float32 features selecting 1,000 (target < 10 s on 2 cores, peak memory
   < 2 GB; it never builds an N x N matrix), with its default PCA to 64 dims and, with --exact, in full 512-d. Peak memory = the features plus the peak of
   what the call allocates (tracemalloc, which numpy reports to); timing is taken in a separate, untraced run.
Appends to benchmarks/results/strategies.csv.
"""
import argparse
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb.strategies import ShortSelection, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from strategy_loops import LOOPS  # noqa: E402  (the same rules, one frame at a time)



def score_table(n, seed=0):
    rng = np.random.default_rng(seed)
    nb = rng.poisson(3, n)
    c = np.where(nb > 0, rng.beta(5, 2, n), np.nan)
    return pd.DataFrame({"frame": np.arange(n), "n_boxes": nb, "conf_max": c, "conf_min": c * 0.8, "conf_mean": c * 0.9,
                         "conf_sum": c * nb})


def timed(f, repeats=3):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); res = f(); best = min(best, time.perf_counter() - t0)
    return best, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--kc-n", type=int, default=100_000)
    ap.add_argument("--kc-d", type=int, default=512)
    ap.add_argument("--kc-k", type=int, default=1000)
    ap.add_argument("--exact", action="store_true", help="also time k-center in the full feature space (dims=None)")
    a = ap.parse_args()
    scores = score_table(a.frames)
    rows = []
    # A budget the stream can never fill, so every strategy (and loop) walks the whole stream: the worst case.
    n = a.frames
    for name, loop in LOOPS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ShortSelection)
            t_vec, sel = timed(lambda: select(name, scores, n, seed=0))
        t_loop, ref = timed(lambda: loop(scores, n, 0), repeats=1)
        assert list(sel) == list(ref), f"{name}: vectorised and loop disagree"
        rows.append({"benchmark": f"{name} ({a.frames:,} frames)", "seconds": round(t_vec, 4), "loop_seconds": round(t_loop, 3),
                     "speedup": round(t_loop / t_vec, 1), "selected": len(sel), "target": "< 1 s", "peak_mb": np.nan})
        print(rows[-1], flush=True)
    X = np.random.default_rng(0).normal(size=(a.kc_n, a.kc_d)).astype(np.float32)   # worst case: no structure to prune
    sc = score_table(a.kc_n)
    for dims in ([64, None] if a.exact else [64]):
        t0 = time.perf_counter()
        select("kcenter_greedy", sc, a.kc_k, seed=0, features=X, dims=dims)
        t = time.perf_counter() - t0
        tracemalloc.start()                                # numpy reports its buffers to tracemalloc
        sel = select("kcenter_greedy", sc, a.kc_k, seed=0, features=X, dims=dims)
        peak = (tracemalloc.get_traced_memory()[1] + X.nbytes) / 2**20   # the features themselves count too
        tracemalloc.stop()
        rows.append({"benchmark": f"kcenter_greedy ({a.kc_n:,} x {a.kc_d} -> {a.kc_k}, dims={dims})", "seconds": round(t, 3),
                     "loop_seconds": np.nan, "speedup": np.nan, "selected": len(sel), "target": "< 10 s, < 2 GB", "peak_mb": round(peak, 1)})
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    append_csv("strategies", df)


if __name__ == "__main__":
    main()
