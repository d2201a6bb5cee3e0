"""How often the reports' 95 % interval holds the true mean, at the numbers of units our claims rest on.

    .venv/bin/python benchmarks/coverage.py [--reps 1000] [--units 3,4,6,9,18,54] [--designs 4x2x2,10x2x2,6x3x3]

1. One level: for each number of units n and two populations (normal; exponential, skewed like a gain that some
   cameras show strongly), `--reps` samples of n values with a known mean; how often the interval contains it, for
   `sbad_nb.stats.bootstrap_ci` (the expanded percentile bootstrap) and for the plain percentile bootstrap read
   from the same bootstrap means.
2. Two levels, the reports' designs (cameras x seeds x budgets, e.g. tiny's 4 x 2 x 2 and small's 10 x 2 x 2): paired
   differences with a camera effect (sd 0.05), a seed effect within a camera (sd 0.02) and noise (sd 0.01), true mean 0;
   how often the interval contains it, for the camera-unit interval of the claims (`sbad_nb.stats.unit_effect`), the
   same with a second stage that resamples each drawn camera's seeds, and the old pooled interval over every
   camera x seed x budget pair.
Each coverage comes with its standard error. Appends to benchmarks/results/coverage.csv.
"""
import argparse

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb.stats import bootstrap_ci, unit_effect


def plain(x, seed, level=0.95, n_boot=4000):
    "The plain percentile interval: the same bootstrap means as bootstrap_ci, read at (1 -+ level)/2."
    means = x[np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))].mean(1)
    return np.quantile(means, [(1 - level)/2, (1 + level)/2])


def design(rng, cams, seeds, budgets, sd_cam=0.05, sd_seed=0.02, sd_noise=0.01) -> pd.DataFrame:
    "Paired differences of one simulated report: a camera effect, a seed effect within the camera, noise per budget; true mean 0."
    c = rng.normal(0, sd_cam, cams)[:, None, None] + rng.normal(0, sd_seed, (cams, seeds))[:, :, None] + rng.normal(0, sd_noise, (cams, seeds, budgets))
    i, k, n = np.meshgrid(range(cams), range(seeds), range(budgets), indexing="ij")
    return pd.DataFrame({"data_name": i.ravel(), "seed": k.ravel(), "samples": n.ravel(), "d": c.ravel()})


def two_level(designs, reps) -> list[dict]:
    rows = []
    for spec in designs:
        cams, seeds, budgets = map(int, spec.split("x"))
        rng = np.random.default_rng(cams*100 + seeds)
        hits = {"camera unit (unit_effect)": 0, "camera unit, seeds resampled too": 0, "pooled pairs (the old interval)": 0}
        for r in range(reps):
            d = design(rng, cams, seeds, budgets)
            for name, two in (("camera unit (unit_effect)", False), ("camera unit, seeds resampled too", True)):
                e = unit_effect(d, "d", "data_name", "seed", seed=r, two_stage=two)
                hits[name] += e["ci_low"] <= 0 <= e["ci_high"]
            lo, hi = bootstrap_ci(d.d, seed=r); hits["pooled pairs (the old interval)"] += lo <= 0 <= hi
        for name, h in hits.items():
            cov = h/reps
            rows.append(dict(population=f"two-level {spec}", units=cams, interval=name, reps=reps, coverage=round(cov, 3),
                             se=round(float(np.sqrt(cov*(1 - cov)/reps)), 3)))
            print(f"{spec:8s} {name:34s} coverage {cov:.3f}", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--units", default="3,4,6,9,18,54")
    ap.add_argument("--designs", default="4x2x2,10x2x2,6x3x3")
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
    rows += two_level(a.designs.split(","), a.reps)
    print(append_csv("coverage", pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
