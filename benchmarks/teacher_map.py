"""mAP of the OracleTeacher against the ground truth of a profile's test sets, for several noise levels.

    .venv/bin/python benchmarks/teacher_map.py [--profile tiny] [--noise 0.5,1,1.5,2]

The oracle stands in for yolov8x6: it should be strong but imperfect. Evaluated like any model: COCO mAP
(sbad_nb.evaluation.coco_map) on every target camera's test labels (one class, vehicle).
Appends to benchmarks/results/teacher_map.csv.
"""
import argparse
import time
from pathlib import Path

import pandas as pd

from _common import append_csv
from sbad_nb.core import get_profile
from sbad_nb.data import list_frames, profile_stream
from sbad_nb.evaluation import coco_map, ground_truth
from sbad_nb.pseudolabel import OracleTeacher



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--noise", default="0.5,1,1.5,2")
    a = ap.parse_args()
    prof = get_profile(a.profile)
    root = profile_stream(prof, progress=False)
    rows = []
    for noise in map(float, a.noise.split(",")):
        t = OracleTeacher(noise=noise, conf=prof.conf)
        for cam in prof.stream["cameras"]:
            fr = list_frames(root, cam, split="test")
            preds = pd.concat([d.to_frame(image_id=f) for f, d in zip(fr.frame, t.predict(fr.image))])
            m = coco_map(preds, ground_truth(fr), images=fr.frame)
            rows.append({"profile": a.profile, "noise": noise, "camera": f"cam{cam}", "images": len(fr), **m})
    df = pd.DataFrame(rows)
    summary = df.groupby("noise")[["mAP50", "mAP50_95"]].mean().round(4)
    print(df.round(4).to_string(index=False)); print(summary.to_string())
    append_csv("teacher_map", df)


if __name__ == "__main__":
    main()
