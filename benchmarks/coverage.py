"""How often the reports' 95 % interval holds the true mean, at the numbers of units our claims rest on.

    .venv/bin/python benchmarks/coverage.py [--reps 1000] [--units 3,4,6,9,18,54]

For each number of units n and two populations (normal; exponential, skewed like a gain that some cameras
show strongly), it draws `--reps` samples of n values with a known mean and counts how often the interval
contains it, for `sbad_nb.stats.bootstrap_ci` (the expanded percentile bootstrap) and for the plain
percentile bootstrap read from the same bootstrap means, each with the standard error of its coverage.
Appends to benchmarks/results/coverage.csv.
"""
import argparse

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb.stats import bootstrap_ci


def plain(x, seed, level=0.95, n_boot=4000):
    "The plain percentile interval: the same bootstrap means as bootstrap_ci, read at (1 -+ level)/2."
    means = x[np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))].mean(1)
    return np.quantile(means, [(1 - level)/2, (1 + level)/2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--units", default="3,4,6,9,18,54")
    a = ap.parse_args()
    draw = {"normal": lambda rng, n: rng.normal(0, 1, n), "exponential": lambda rng, n: rng.exponential(1, n) - 1}   # true mean 0
    rows = []
    for pop, f in draw.items():
        for n in map(int, a.units.split(",")):
            rng = np.random.default_rng(n)
            xs = [f(rng, n) for _ in range(a.reps)]
            for name, ci in (("expanded (bootstrap_ci)", bootstrap_ci), ("plain percentile", plain)):
                cov = float(np.mean([lo <= 0 <= hi for lo, hi in (ci(x, seed=r) for r, x in enumerate(xs))]))
                rows.append(dict(population=pop, units=n, interval=name, reps=a.reps, coverage=round(cov, 3),
                                 se=round(float(np.sqrt(cov*(1 - cov)/a.reps)), 3)))
                print(f"{pop:12s} n={n:3d} {name:24s} coverage {cov:.3f}", flush=True)
    print(append_csv("coverage", pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
