"""ONNX export of students: export time, test mAP50 of PyTorch and ONNX Runtime on the same frames, CPU frames per
second.

    .venv/bin/python benchmarks/export.py [--weights FILE.pt] [--test DIR | --profile tiny] [--report DIR]

Default: the shipped generic student, checked on the test frames of --profile's first target camera (tiny: cam21, 200
frames at 160 px); `--report DIR` exports a report's students instead (`sbad_export --report`). Both engines run through
ultralytics' predictor at batch 1 with torch's thread count (OMP_NUM_THREADS), end to end (read, letterbox, network,
NMS), after a warm-up. Appends to benchmarks/results/export.csv: model, imgsz, mAP50 pt, mAP50 onnx, fps pt, fps onnx,
export seconds.
"""
import argparse
import tempfile

import torch

from _common import append_csv
from sbad_nb.core import get_profile, setup
from sbad_nb.data import data_root
from sbad_nb.deploy import export_students
from sbad_nb.models import GENERIC_ASSET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=GENERIC_ASSET)
    ap.add_argument("--test", default=None, help="a test folder (default: --profile's first target camera's)")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--report", default=None, help="a report folder: export its students instead")
    a = ap.parse_args()
    setup()
    with tempfile.TemporaryDirectory() as out:
        if a.report:
            res = export_students(report=a.report, out=out, progress=False)
        else:
            prof = get_profile(a.profile)
            test = a.test or data_root(prof) / f"cam{prof.camera_ids[0]}" / "test"
            res = export_students(weights=a.weights, out=out, imgsz=prof.imgsz, test=test, progress=False)
    df = res.rename(columns={"name": "model", "export_s": "export_seconds"})[
        ["model", "kind", "imgsz", "mAP50_report", "mAP50_pt", "mAP50_onnx", "fps_pt", "fps_onnx", "export_seconds"]]
    df = df.assign(source=a.report or str(a.weights), threads=torch.get_num_threads())
    print(df.to_string(index=False))
    append_csv("export", df)


if __name__ == "__main__":
    main()
