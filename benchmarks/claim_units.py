"""Every claim of a committed report with two intervals: the camera as the unit (what claims.csv holds) and the
old pooled interval, which bootstrapped every camera x seed x budget pair (or window) as if it were independent.

    .venv/bin/python benchmarks/claim_units.py [--profiles tiny,small]

The pooled interval is computed by the same claims code with `unit_effect` replaced by a bootstrap over all
pairs, so the two columns differ only in the unit. Appends to benchmarks/results/claim_units.csv.
"""
import argparse
from unittest import mock

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb import claims, stats
from sbad_nb.core import ROOT


def pooled(d, value="d", unit="data_name", inner="seed", level=0.95, n_boot=4000, seed=0, two_stage=False) -> dict:
    "The old interval: every pair a unit."
    x = d[value].astype(float).to_numpy(); x = x[np.isfinite(x)]
    lo, hi = stats.bootstrap_ci(x, level, n_boot, seed)
    return {"effect": float(x.mean()) if len(x) else np.nan, "ci_low": lo, "ci_high": hi, "n_pairs": len(x), "n_cameras": len(x),
            "mde": stats.mde(x.std(ddof=1), len(x), level) if len(x) > 1 else np.nan}


def both(tables) -> pd.DataFrame:
    new, _ = claims.claims_table(tables)
    with mock.patch.object(stats, "unit_effect", pooled), mock.patch.object(claims, "unit_effect", pooled):
        old, _ = claims.claims_table(tables)
    keep = ["claim_id", "effect", "ci_low", "ci_high", "n_cameras", "n_pairs", "identical_pairs", "mde", "verdict", "mixed_verdict"]
    out = new[keep].merge(old[["claim_id", "ci_low", "ci_high", "verdict"]], on="claim_id", suffixes=("", "_pooled"))
    return out[out.verdict != "not measured"].assign(changed=lambda t: t.verdict != t.verdict_pooled)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default="tiny,small")
    a = ap.parse_args()
    rows = []
    for p in a.profiles.split(","):
        t = both(ROOT/"reports"/p/"tables").assign(profile=p)
        rows.append(t)
        for r in t.itertuples():
            print(f"{p:6s} {r.claim_id:15s} {r.effect:+.3f}  camera unit [{r.ci_low:+.3f}, {r.ci_high:+.3f}] ({r.n_cameras:g}) {r.verdict:13s}"
                  f"  pooled [{r.ci_low_pooled:+.3f}, {r.ci_high_pooled:+.3f}] ({r.n_pairs:g}) {r.verdict_pooled}{'  CHANGED' if r.changed else ''}")
    print(append_csv("claim_units", pd.concat(rows).round(4)))
