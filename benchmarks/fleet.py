"""The fleet simulation (09a) as the fleet grows, on the local engine and on Ray; and the signature clusters of the
tiny and small profiles' cameras over frame samples, against their families and their reports' cross-performance
clusters.

    .venv/bin/python benchmarks/fleet.py [--sizes 15,30,60,120] [--engines local,ray] [--jobs 2] [--frames 32]
        [--width 128] [--seed 1] [--layer 4|sppf] [--profiles tiny,small] [--profile-imgsz 0] [--seeds 5]
        [--profile-frames 64] [--data DIR] [--repeat 1]

Each fleet runs in a fresh process, so that its time and peak memory are its own: wall time of `simulate_fleet`
(Ray's start-up apart, in `ray_start_s`), and the peak resident memory of the process and all its children (the
local engine's workers; Ray's GCS, raylet and workers), sampled every 0.1 s; each fleet `--repeat` times (a row
each, `rep`). A profile's cameras are read from
`--data`/<profile>/stream (default: the work directory's data/), never written, at each `--profile-imgsz` (0: the
profile's own input size). The fleets' world is `--seed` 1 by default: layer 4 (`fleet.SIGNATURE_LAYER`, the
default; `--layer sppf` pools the last backbone layer) was picked on world 0's first 30 cameras, so world 1 is a
fresh test of it. Appends to
benchmarks/results/fleet.csv: one `kind=fleet` row per engine and size, one `kind=profile` row per profile.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from _common import append_csv


def peak_memory(stop: threading.Event, out: list):
    "Sample the resident memory (MB) of this process and its descendants until `stop`; the peak goes to out[0]."
    import psutil
    me, peak = psutil.Process(), 0.0
    while not stop.is_set():
        rss = 0
        for p in [me, *me.children(recursive=True)]:
            try: rss += p.memory_info().rss
            except psutil.Error: pass
        peak = max(peak, rss / 2**20)
        stop.wait(0.1)
    out.append(peak)


def one(a) -> dict:
    "One fleet in this process: its row."
    from sbad_nb.core import setup
    from sbad_nb.fleet import simulate_fleet
    setup()
    stop, peak = threading.Event(), []
    th = threading.Thread(target=peak_memory, args=(stop, peak), daemon=True); th.start()
    start = 0.0
    if a.engine == "ray":
        from sbad_nb.runs import ray_init
        t0 = time.perf_counter(); ray_init(num_cpus=a.jobs); start = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = simulate_fleet(a.one, a.families, frames=a.frames, width=a.width, seed=a.seed, engine=a.engine, jobs=a.jobs,
                       layer=a.layer, progress=False)
    wall = time.perf_counter() - t0
    stop.set(); th.join()
    if a.engine == "ray":
        import ray; ray.shutdown()
    return {"kind": "fleet", "engine": a.engine, "cameras": a.one, "families": a.families, "frames": a.frames,
            "width": a.width, "seed": a.seed, "imgsz": 160, "layer": a.layer, "jobs": a.jobs, "ari": round(r["ari"], 4),
            "wall_s": round(wall, 2), "ray_start_s": round(start, 2), "render_s": round(r["render_s"], 2),
            "feature_s": round(r["feature_s"], 2), "cluster_s": round(r["cluster_s"], 3), "peak_mb": round(peak[0]),
            "cpus": os.cpu_count()}


def profile_row(name: str, imgsz: int, a) -> dict:
    "The signature clusters of a profile's cameras over `a.seeds` frame samples, at `imgsz` (0: the profile's)."
    from sbad_nb.core import code_dir, get_profile, resolve
    from sbad_nb.data import camera_families
    from sbad_nb.fleet import agreement_summary, report_clusters, signature_agreement
    from sbad_nb.student import generic_weights
    prof = get_profile(name)
    root = Path(a.data or resolve("data")) / name / "stream"
    report = code_dir() / "reports" / name
    fam, ref = camera_families(prof), report_clusters(report)
    cross = pd.read_csv(report / "tables" / "csbad_clusters.csv")
    k, imgsz = int(cross.cluster.nunique()), imgsz or prof.imgsz
    t0 = time.perf_counter()
    ag = signature_agreement(root, k, fam, ref, seeds=range(a.seeds), cameras=prof.camera_ids, frames=a.profile_frames,
                             weights=generic_weights(prof), imgsz=imgsz, layer=a.layer, progress=False)
    wall = time.perf_counter() - t0
    s = agreement_summary(ag).set_index("metric")
    print(ag.to_string(index=False))
    f, x = s.loc["ari_families"], s.loc["ari_reference"]
    return {"kind": "profile", "profile": name, "cameras": len(prof.camera_ids), "families": len(set(fam.values())),
            "frames": a.profile_frames, "imgsz": imgsz, "layer": a.layer, "k": k, "seeds": a.seeds,
            "ari": round(f["mean"], 4), "ari_min": round(f["min"], 4), "ari_max": round(f["max"], 4),
            "ci_low": round(f.ci_low, 4), "ci_high": round(f.ci_high, 4), "ari_vs_cross": round(x["mean"], 4),
            "ari_vs_cross_min": round(x["min"], 4), "ari_vs_cross_max": round(x["max"], 4),
            "cross_ari": round(float(cross.ari.iloc[0]), 4), "clusters": ag.clusters.mode().iloc[0],
            "wall_s": round(wall, 2), "cpus": os.cpu_count()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="15,30,60,120")
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--families", type=int, default=5)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layer", default="4", type=lambda x: None if x.lower() == "sppf" else int(x))
    ap.add_argument("--profiles", default="tiny,small")
    ap.add_argument("--profile-imgsz", default="0")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--profile-frames", type=int, default=64)
    ap.add_argument("--data", default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--one", type=int, default=None)      # internal: one fleet of this size, in this process
    ap.add_argument("--engine", default="local")          # internal: its engine
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a))); return
    rows = [profile_row(p, int(z), a) for p in a.profiles.split(",") if p for z in a.profile_imgsz.split(",")]
    for engine, rep in [(e, r) for e in a.engines.split(",") if e for r in range(a.repeat)]:
        for n in map(int, a.sizes.split(",")):
            cmd = [sys.executable, __file__, "--one", str(n), "--engine", engine, "--jobs", str(a.jobs),
                   "--families", str(a.families), "--frames", str(a.frames), "--width", str(a.width), "--seed", str(a.seed)]
            cmd += ["--layer", "sppf" if a.layer is None else str(a.layer)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
            rows.append({**json.loads(r.stdout.strip().splitlines()[-1]), "rep": rep})
            print(rows[-1], flush=True)
    cols = ["kind", "profile", "engine", "rep", "cameras", "families", "frames", "width", "seed", "imgsz", "layer", "jobs",
            "k", "seeds", "ari", "ari_min", "ari_max", "ci_low", "ci_high", "ari_vs_cross", "ari_vs_cross_min",
            "ari_vs_cross_max", "cross_ari", "clusters", "wall_s", "ray_start_s", "render_s", "feature_s", "cluster_s",
            "peak_mb", "cpus"]
    df = pd.DataFrame(rows).reindex(columns=cols)
    print(df.to_string(index=False))
    append_csv("fleet", df)


if __name__ == "__main__":
    main()
