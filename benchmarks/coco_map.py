"""coco_map (faster-coco-eval) against pycocotools on the same predictions: agreement and speed.

    .venv/bin/python benchmarks/coco_map.py [--images 2000] [--boxes 20] [--repeats 3]

Synthetic but realistic predictions: ground truth of `--boxes` boxes per image, 85 % of them detected with
jitter, 25 % extra false positives, random confidences. Same inputs for both backends; the figures must be
identical to 1e-6. Appends to benchmarks/results/coco_map.csv.
"""
import argparse
import time

import numpy as np
import pandas as pd

from _common import append_csv
from sbad_nb.evaluation import coco_map


def case(n_img, per, seed=0):
    rng = np.random.default_rng(seed)
    n = n_img * per
    g = pd.DataFrame({"image_id": np.repeat(np.arange(n_img), per), "x1": rng.uniform(0, 600, n), "y1": rng.uniform(0, 400, n), "cls": 0})
    g = g.assign(x2=g.x1 + rng.uniform(8, 80, n), y2=g.y1 + rng.uniform(8, 60, n))
    p = g.sample(frac=0.85, random_state=seed).copy()
    p[["x1", "y1", "x2", "y2"]] += rng.normal(0, 3, (len(p), 4))
    fp = g.sample(frac=0.25, random_state=seed + 1).assign(x1=lambda d: d.x1 + 90, x2=lambda d: d.x2 + 90)
    p = pd.concat([p, fp], ignore_index=True)
    p = p.assign(x2=np.maximum(p.x2, p.x1 + 1), y2=np.maximum(p.y2, p.y1 + 1), conf=rng.uniform(0.05, 1, len(p)))
    return p, g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--boxes", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    p, g = case(a.images, a.boxes)
    res, rows = {}, []
    for backend in ("faster", "pycocotools"):
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter(); res[backend] = coco_map(p, g, backend=backend); times.append(time.perf_counter() - t0)
        rows.append({"backend": backend, "images": a.images, "gt_boxes": len(g), "pred_boxes": len(p), "seconds": round(min(times), 3),
                     **{k: round(v, 8) for k, v in res[backend].items()}})
        print(rows[-1], flush=True)
    d50 = abs(res["faster"]["mAP50"] - res["pycocotools"]["mAP50"]); d95 = abs(res["faster"]["mAP50_95"] - res["pycocotools"]["mAP50_95"])
    print(f"|diff| mAP50 {d50:.2e}, mAP50_95 {d95:.2e}; speed-up of faster-coco-eval: {rows[1]['seconds'] / rows[0]['seconds']:.1f}x")
    append_csv("coco_map", pd.DataFrame(rows).assign(abs_diff_mAP50=d50, abs_diff_mAP50_95=d95))


if __name__ == "__main__":
    main()
