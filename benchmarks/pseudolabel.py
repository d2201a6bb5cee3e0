"""Throughput of pseudo_label with a YoloTeacher vs the raw batched predict of the same model on the same frames.

    .venv/bin/python benchmarks/pseudolabel.py [--frames 256] [--imgsz 160] [--repeats 3]

The teacher is a trained local checkpoint (default: the tiny profile's generic student, trained if missing),
so it emits real boxes on traffic and label files and tables are really written. Raw = ultralytics'
`model.predict` over the same image paths in batches of the same size, results discarded.
Raw and pseudo_label alternate, `--repeats` times each; the ratio of the best throughputs is the figure
(best-of-N filters out the noise of a shared 2-core machine), the median per-repeat ratio is printed too.
Appends to benchmarks/results/pseudolabel.csv.
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from _common import append_csv
from sbad_nb.data import list_frames, make_synthetic_stream
from sbad_nb.models import train_generic_student
from sbad_nb.pseudolabel import YoloTeacher, pseudo_label



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=256)
    ap.add_argument("--imgsz", type=int, default=160)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--conf", type=float, default=0.1)
    ap.add_argument("--weights", default=None, help="local YOLO weights (default: tiny generic student)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    make_synthetic_stream(tmp / "s", cameras=[1], weeks=[1], bank_frames=a.frames, test_frames=1, width=a.imgsz, progress=False)
    weights = a.weights or train_generic_student("tiny", progress=False)
    frames = list_frames(tmp / "s", 1, 1)
    teacher = YoloTeacher(weights, class_map={0: 0}, conf=a.conf, imgsz=a.imgsz, batch=a.batch)
    model, paths, classes = teacher.model, [str(p) for p in frames.image], sorted(teacher.class_map)
    model.predict(paths[:a.batch], imgsz=a.imgsz, conf=a.conf, classes=classes, batch=a.batch, verbose=False)  # warm up
    rows = []
    for r in range(a.repeats):
        t0 = time.perf_counter()
        for s in range(0, len(paths), a.batch):
            model.predict(paths[s:s + a.batch], imgsz=a.imgsz, conf=a.conf, classes=classes, batch=a.batch, verbose=False)
        raw = time.perf_counter() - t0
        shutil.rmtree(tmp / "s/cam1/week1/bank/labels", ignore_errors=True)
        t0 = time.perf_counter()
        s = pseudo_label(teacher, frames, batch_size=a.batch, resume=False, progress=False)
        ours = time.perf_counter() - t0
        rows.append({"repeat": r, "frames": len(frames), "imgsz": a.imgsz, "batch": a.batch, "boxes_per_frame": round(float(s.boxes[0]) / len(frames), 1),
                     "raw_fps": round(len(frames) / raw, 1), "pseudo_label_fps": round(len(frames) / ours, 1),
                     "ratio": round(raw / ours, 3)})
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    append_csv("pseudolabel", df)
    best = df.raw_fps.max(), df.pseudo_label_fps.max()
    print(f"pseudo_label / raw throughput: best-of-{len(df)} {best[1] / best[0]:.3f}, median of per-repeat ratios "
          f"{df.ratio.median():.3f} (target >= 0.9)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
