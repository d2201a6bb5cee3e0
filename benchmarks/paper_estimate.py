"""How long the paper profile's sweep takes: an estimate from measured student-training times.

    .venv/bin/python benchmarks/paper_estimate.py [--profile tiny] [--gpu-img-s 450] [--gpus 8]

Reads every finished run of `--profile` (run.json: seconds, epochs, frames selected) and fits
seconds = overhead + cost x (epochs x frames): a fixed cost per run and a cost per image-epoch, measured here.
The paper sweep (9 cameras x 6 strategies x budgets 25..250 x 3 seeds, 100 epochs, 640 px, a validation of
300 frames after every epoch) is then costed two ways: on this machine's CPU (image cost scaled by pixels,
(640/imgsz)^2), and on GPUs at `--gpu-img-s` training images per second for yolov8n at 640 px (an assumption,
not a measurement here: no GPU was lent; pass your own figure) with validation at 3x that rate. Appends to
benchmarks/results/paper_estimate.csv and prints the arithmetic.
"""
import argparse
import json

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb.core import get_profile
from sbad_nb.runs import runs_dir


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--gpu-img-s", type=float, default=450.0)
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--strategies", type=int, default=6)
    a = ap.parse_args()
    prof, paper = get_profile(a.profile), get_profile("paper")
    recs = [json.loads(p.read_text()) for p in runs_dir(prof).glob("*/run.json")]
    df = pd.DataFrame([{"s": r["seconds"], "ie": r["epochs"] * r["selected"], "epochs": r["epochs"]} for r in recs if r.get("status") == "done"])
    if len(df) < 3:
        raise SystemExit(f"need at least 3 finished runs of profile {a.profile}; run its sweep first")
    cost, overhead = np.polyfit(df.ie, df.s, 1)
    cams, seeds, budgets, epochs, val = len(paper.stream["cameras"]), len(paper.seeds), paper.budgets, paper.epochs, paper.val_frames
    runs = cams * a.strategies * len(budgets) * seeds
    train_ie = cams * a.strategies * seeds * epochs * sum(budgets)
    val_ie = runs * epochs * val
    scale = (paper.imgsz / prof.imgsz) ** 2
    cpu_h = (runs * overhead + (train_ie + val_ie / 3) * cost * scale) / 3600
    gpu_h = (train_ie / a.gpu_img_s + val_ie / (3 * a.gpu_img_s) + runs * epochs * 2.0) / 3600   # + ~2 s per epoch of loader start-up
    lines = [
        f"measured on {a.profile} ({len(df)} runs, {prof.imgsz} px): {overhead:.1f} s per run + {cost * 1000:.2f} ms per image-epoch",
        f"paper sweep: {cams} cameras x {a.strategies} strategies x {len(budgets)} budgets x {seeds} seeds = {runs} runs of {epochs} epochs",
        f"  training image-epochs: {cams}x{a.strategies}x{seeds}x{epochs}x{sum(budgets)} = {train_ie:,}",
        f"  validation image-epochs: {runs}x{epochs}x{val} = {val_ie:,}",
        f"  this CPU: ({runs} x {overhead:.1f} s + ({train_ie:,} + {val_ie:,}/3) x {cost * 1000:.2f} ms x {scale:.0f}) = {cpu_h:,.0f} h",
        f"  GPU at {a.gpu_img_s:.0f} img/s (assumed): {train_ie:,}/{a.gpu_img_s:.0f} + {val_ie:,}/{3 * a.gpu_img_s:.0f} + {runs * epochs:,} epochs x 2 s "
        f"= {gpu_h:.0f} GPU-hours; on {a.gpus} GPUs ~{gpu_h / a.gpus:.1f} h wall (runs are independent)",
    ]
    print("\n".join(lines))
    append_csv("paper_estimate", pd.DataFrame([{"profile": a.profile, "runs_measured": len(df), "overhead_s": round(overhead, 2),
                                               "ms_per_image_epoch": round(cost * 1000, 3), "paper_runs": runs, "train_image_epochs": train_ie,
                                               "val_image_epochs": val_ie, "cpu_hours": round(cpu_h), "gpu_img_s_assumed": a.gpu_img_s,
                                               "gpu_hours": round(gpu_h, 1), "gpus": a.gpus, "wall_hours": round(gpu_h / a.gpus, 2)}]))


if __name__ == "__main__":
    main()
