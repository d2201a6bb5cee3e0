"""How long the paper profile's sweep takes: an estimate from measured student-training times.

    .venv/bin/python benchmarks/paper_estimate.py [--profile tiny] [--gpu-img-s 450] [--gpus 8]

Reads every finished run of `--profile` (run.json: seconds, epochs, frames selected) and fits
seconds = overhead + cost x (epochs x frames): a fixed cost per run and a cost per image-epoch, measured here.
The paper sweep (9 cameras x 6 strategies x budgets 25..250 x 3 seeds, 100 epochs, 640 px, a validation of
300 frames after every epoch) is then costed two ways: on this machine's CPU (image cost scaled by pixels,
(640/imgsz)^2), and on GPUs at `--gpu-img-s` training images per second for yolov8n at 640 px (an assumption,
not a measurement here: no GPU was lent; pass your own figure) with validation at 3x that rate. Appends to
benchmarks/results/paper_estimate.csv and prints the arithmetic.

Then the cost of CSBAD's clusters at fleet scale (9, 100 and 1,000 cameras; `--fleet`), two routes at the paper's
recipe (`--fleet-budget` frames per camera, 100 epochs, 300 validation frames per epoch), with k = C /
`--cluster-size` clusters:
- cross-performance: C camera students (each as above), then C x C evaluations of `--test-frames` labelled test
  frames (each student streams every test set: no per-pair start-up), and C x `--test-frames` human labels;
- signatures (09a): C x `--signature-frames` feature passes of the generic student, no label.
Both routes then train the k cluster students (C x budget frames in all, k runs), shown apart. A feature pass or a
test frame costs one inference: on the CPU as measured here (the shipped generic student at 160 and 640 px, after a
warm-up; the paper's yolov8n at 640 px is ~4x wider: x16 in operations, not measured), on a GPU at 3 x
`--gpu-img-s` (the validation rate above). Appends to benchmarks/results/fleet_estimate.csv.
"""
import argparse
import json
import math
import tempfile
import time

import numpy as np
import pandas as pd

from _common import RESULTS, append_csv
from sbad_nb.core import get_profile
from sbad_nb.runs import runs_dir


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--gpu-img-s", type=float, default=450.0)
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--strategies", type=int, default=6)
    ap.add_argument("--fleet", default="9,100,1000")
    ap.add_argument("--fleet-budget", type=int, default=100)
    ap.add_argument("--cluster-size", type=int, default=3)
    ap.add_argument("--test-frames", type=int, default=300)
    ap.add_argument("--signature-frames", type=int, default=64)
    a = ap.parse_args()
    prof, paper = get_profile(a.profile), get_profile("paper")
    recs = [json.loads(p.read_text()) for p in runs_dir(prof).glob("*/run.json")]
    df = pd.DataFrame([{"s": r["seconds"], "ie": r["epochs"] * r["selected"], "epochs": r["epochs"]} for r in recs if r.get("status") == "done"])
    fresh = len(df) >= 3 and df.ie.nunique() >= 3                   # runs at three training loads at least: a fit
    if fresh: cost, overhead = np.polyfit(df.ie, df.s, 1)
    elif (RESULTS / "paper_estimate.csv").exists():
        last = pd.read_csv(RESULTS / "paper_estimate.csv").iloc[-1]
        cost, overhead = last.ms_per_image_epoch / 1000, last.overhead_s
        print(f"{a.profile} has {len(df)} finished runs at {df.ie.nunique() if len(df) else 0} training loads, too few "
              f"to fit: the fit of {last.git_hash[:7]} ({last.when}, {last.runs_measured} runs) is used, and not appended")
    else:
        raise SystemExit(f"need finished runs of profile {a.profile} at three training loads at least; run its sweep first")
    cams, seeds, budgets, epochs, val = len(paper.stream["cameras"]), len(paper.seeds), paper.budgets, paper.epochs, paper.val_frames
    runs = cams * a.strategies * len(budgets) * seeds
    train_ie = cams * a.strategies * seeds * epochs * sum(budgets)
    val_ie = runs * epochs * val
    scale = (paper.imgsz / prof.imgsz) ** 2
    cpu_h = (runs * overhead + (train_ie + val_ie / 3) * cost * scale) / 3600
    gpu_h = (train_ie / a.gpu_img_s + val_ie / (3 * a.gpu_img_s) + runs * epochs * 2.0) / 3600   # + ~2 s per epoch of loader start-up
    lines = [
        f"{'measured on' if fresh else 'as measured before on'} {a.profile} ({len(df) if fresh else last.runs_measured} runs, {prof.imgsz} px): {overhead:.1f} s per run + {cost * 1000:.2f} ms per image-epoch",
        f"paper sweep: {cams} cameras x {a.strategies} strategies x {len(budgets)} budgets x {seeds} seeds = {runs} runs of {epochs} epochs",
        f"  training image-epochs: {cams}x{a.strategies}x{seeds}x{epochs}x{sum(budgets)} = {train_ie:,}",
        f"  validation image-epochs: {runs}x{epochs}x{val} = {val_ie:,}",
        f"  this CPU: ({runs} x {overhead:.1f} s + ({train_ie:,} + {val_ie:,}/3) x {cost * 1000:.2f} ms x {scale:.0f}) = {cpu_h:,.0f} h",
        f"  GPU at {a.gpu_img_s:.0f} img/s (assumed): {train_ie:,}/{a.gpu_img_s:.0f} + {val_ie:,}/{3 * a.gpu_img_s:.0f} + {runs * epochs:,} epochs x 2 s "
        f"= {gpu_h:.0f} GPU-hours; on {a.gpus} GPUs ~{gpu_h / a.gpus:.1f} h wall (runs are independent)",
    ]
    print("\n".join(lines))
    if fresh: append_csv("paper_estimate", pd.DataFrame([{"profile": a.profile, "runs_measured": len(df), "overhead_s": round(overhead, 2),
                                               "ms_per_image_epoch": round(cost * 1000, 3), "paper_runs": runs, "train_image_epochs": train_ie,
                                               "val_image_epochs": val_ie, "cpu_hours": round(cpu_h), "gpu_img_s_assumed": a.gpu_img_s,
                                               "gpu_hours": round(gpu_h, 1), "gpus": a.gpus, "wall_hours": round(gpu_h / a.gpus, 2)}]))
    fleet_estimate(a, paper, overhead, cost * scale)


def inference_ms(imgsz: int, n: int = 64) -> float:
    "CPU milliseconds per image of the shipped generic student's feature pass at `imgsz` (batch 32, warm; median of 3)."
    from sbad_nb.data import list_frames, make_synthetic_stream
    from sbad_nb.fleet import frame_features
    with tempfile.TemporaryDirectory() as d:
        make_synthetic_stream(d, cameras=[1], bank_frames=n, test_frames=1, width=320, progress=False)
        images = list_frames(d, 1).image
        frame_features(images[:8], imgsz=imgsz)
        times = []
        for _ in range(3):
            t0 = time.perf_counter(); frame_features(images, imgsz=imgsz); times.append(time.perf_counter() - t0)
        return float(np.median(times)) / n * 1000


def fleet_estimate(a, paper, overhead: float, ie_s: float):
    "GPU- and CPU-hours to CSBAD's clusters by cross-performance and by signatures, at the fleet sizes of `a.fleet`."
    import torch
    ms = {s: inference_ms(s) for s in (160, 640)}
    g, E, val, n, T, F = a.gpu_img_s, paper.epochs, paper.val_frames, a.fleet_budget, a.test_frames, a.signature_frames
    train_gpu = n * E / g + E * val / (3 * g) + E * 2.0                  # one camera student, as the sweep above
    train_cpu = overhead + (n * E + E * val / 3) * ie_s
    lines, rows = [f"CPU feature pass (generic student, batch 32, {torch.get_num_threads()} thread(s)): {ms[160]:.1f} ms/image at 160 px, "
                   f"{ms[640]:.1f} at 640 px"], []
    for C in map(int, a.fleet.split(",")):
        k = max(1, math.ceil(C / a.cluster_size))
        clus_gpu = C * n * E / g + k * (E * val / (3 * g) + E * 2.0)
        clus_cpu = k * overhead + (C * n * E + k * E * val / 3) * ie_s
        routes = {"cross-performance": (C * train_gpu + C * C * T / (3 * g), C * train_cpu + C * C * T * ms[640] / 1000, C, C * C, C * T),
                  "signatures": (C * F / (3 * g), C * F * ms[640] / 1000, 0, 0, 0)}
        for route, (gpu_s, cpu_s, trainings, evals, labels) in routes.items():
            rows.append({"route": route, "cameras": C, "clusters": k, "trainings": trainings, "evaluations": evals,
                         "inference_images": C * C * T if evals else C * F, "human_labels": labels,
                         "gpu_hours": round(gpu_s / 3600, 4), "cpu_hours": round(cpu_s / 3600, 3),
                         "cluster_students_gpu_hours": round(clus_gpu / 3600, 3),
                         "cluster_students_cpu_hours": round(clus_cpu / 3600, 2), "gpu_img_s_assumed": g,
                         "cpu_ms_image_160": round(ms[160], 2), "cpu_ms_image_640": round(ms[640], 2),
                         "cpu_threads": torch.get_num_threads(), "budget": n, "epochs": E, "test_frames": T,
                         "signature_frames": F})
            lines.append(f"  {C:>5} cameras, {route:>17}: {gpu_s / 3600:10.3f} GPU-h, {cpu_s / 3600:10.1f} CPU-h to the clusters"
                         f" ({trainings} trainings, {evals:,} evaluations, {labels:,} human labels);"
                         f" then {k} cluster students: {clus_gpu / 3600:.1f} GPU-h")
    print("\n".join(lines))
    append_csv("fleet_estimate", pd.DataFrame(rows))


if __name__ == "__main__":
    main()
