"""The smoke sweep on the local engine against Ray on this machine (2 worker processes): wall time and ratio.

    .venv/bin/python benchmarks/ray_sweep.py [--profile smoke]

Both retrain every run of the grid (force), the same runs in the same folders. Needs the `ray` extra.
Appends to benchmarks/results/ray_sweep.csv.
"""
import argparse
import os
import time

import pandas as pd

from _common import append_csv
from sbad_nb.core import get_profile
from sbad_nb.runs import ray_init
from sbad_nb.student import run_sweep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    prof = get_profile(a.profile)
    run_sweep(prof, progress=False)                          # data, generic student and banks ready for both
    t0 = time.perf_counter(); n = len(run_sweep(prof, progress=False, force=True)); local = time.perf_counter() - t0
    import ray
    t0 = time.perf_counter(); ray_init(num_cpus=a.workers); start = time.perf_counter() - t0
    t0 = time.perf_counter(); run_sweep(prof, progress=False, force=True, engine="ray"); remote = time.perf_counter() - t0
    ray.shutdown()
    row = pd.DataFrame([{"profile": a.profile, "runs": n, "cpus": os.cpu_count(), "ray_workers": a.workers, "local_s": round(local, 2),
                         "ray_start_s": round(start, 2), "ray_s": round(remote, 2), "ratio_local_over_ray": round(local / remote, 3)}])
    print(row.to_string(index=False))
    append_csv("ray_sweep", row)


if __name__ == "__main__":
    main()
