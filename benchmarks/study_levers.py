"""The lever study: what the tiny-scale student can learn, and which levers move it (issue 15).

Fine-tunes the generic student on evenly spaced bank frames of each target camera (teacher pseudo-labels, or
ground truth, or the whole bank for the ceilings) under several recipes, and evaluates each on the camera's test
set. Appends one row per run to benchmarks/results/levers.csv (test mAP50, seconds). Not part of `make bench`
(about 10 minutes on 2 cores, after `make generic`): run it by hand,

    .venv/bin/python benchmarks/study_levers.py [CONDITION ...]

A condition is a name in CONDITIONS below, its generic student one of GENERICS (trained first if missing; "street"
is the shipped asset of `make generic`).
"""
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import append_csv  # noqa: E402

from sbad_nb.bank import split_bank  # noqa: E402
from sbad_nb.core import data_dir, get_profile, pmap, resolve  # noqa: E402
from sbad_nb.data import data_root, list_frames, with_truth  # noqa: E402
from sbad_nb.evaluation import evaluate, ground_truth, predictions  # noqa: E402
from sbad_nb.models import GENERIC, GENERIC_ASSET, check_generic, fit_generic  # noqa: E402
from sbad_nb.pseudolabel import make_teacher, pseudo_label  # noqa: E402
from sbad_nb.student import fit_run, run_epochs  # noqa: E402

WORK = data_dir("levers")
FINETUNE = dict(lr0=0.001, warmup_epochs=0)
# the generic students compared (trained here when missing):
# "strong": GENERIC's recipe on source cameras drawn from the whole scene, like the targets (shipped until issue 15's
# lever study); "street": GENERIC itself, on eye-level street views (sbad_nb.data.FAMILIES["street"]), the shipped asset
SCENE_GENERIC = {k: v for k, v in GENERIC.items() if k != "source_family"}
GENERICS = {"strong": SCENE_GENERIC,
            "medium": dict(SCENE_GENERIC, source_cameras=list(range(101, 107)), frames=1200, epochs=10),   # half the sources, 1/4 of the load
            "street": GENERIC,
            "wide": dict(GENERIC, width=0.25)}     # the street recipe at yolov8n's own width (twice the profiles' 0.125)
BUDGETS = (20, 60)
# name: (generic, profile overrides, budgets, labels); budgets None = the whole bank (a ceiling)
CONDITIONS = {
    "strong_i300": ("strong", dict(train_images=300), BUDGETS, "label"),
    "strong_i600": ("strong", dict(train_images=600), BUDGETS, "label"),
    "strong_i1200": ("strong", dict(train_images=1200), BUDGETS, "label"),
    "strong_ceiling_teacher_i600": ("strong", dict(train_images=600), None, "label"),
    "strong_ceiling_gt_i600": ("strong", dict(train_images=600), None, "truth"),
    # the ceilings trained to convergence (about 4 epochs of the whole bank), not at the sweep's equal training load
    "strong_ceiling_teacher_i3000": ("strong", dict(train_images=3000), None, "label"),
    "strong_ceiling_gt_i3000": ("strong", dict(train_images=3000), None, "truth"),
    "street_i300": ("street", dict(train_images=300), BUDGETS, "label"),
    "street_i600": ("street", dict(train_images=600), BUDGETS, "label"),
    "street_b8": ("street", dict(budget_epochs=8), (30, 60), "label"),     # 8 epochs of the budget: tiny's and small's recipe
    "street_b8_ceiling_teacher": ("street", dict(budget_epochs=8), None, "label"),
    # input size against object size: the same frames upsampled to 224 px (median vehicle about 14 px tall, not 10)
    "street_b8_224": ("street", dict(budget_epochs=8, imgsz=224), (30, 60), "label"),
    "street_b8_224_ceiling_teacher": ("street", dict(budget_epochs=8, imgsz=224), None, "label"),
    # the budget beyond the reports' 60 frames (the papers' go to 250), at small's input size: what the every-cell target needs
    "street_b8_224_budget": ("street", dict(budget_epochs=8, imgsz=224), (120, 240), "label"),
    # student width: yolov8n's 0.25, from a generic student of that width
    "wide_b8": ("wide", dict(budget_epochs=8, width=0.25), (30, 60), "label"),
    "wide_b8_ceiling_teacher": ("wide", dict(budget_epochs=8, width=0.25), None, "label"),
    "street_ceiling_teacher_i3000": ("street", dict(train_images=3000), None, "label"),
    "street_ceiling_gt_i3000": ("street", dict(train_images=3000), None, "truth"),
    "medium_i600": ("medium", dict(train_images=600), BUDGETS, "label"),
    "medium_i1200": ("medium", dict(train_images=1200), BUDGETS, "label"),
    "medium_i2400": ("medium", dict(train_images=2400), BUDGETS, "label"),
    "medium_i1200_lr3": ("medium", dict(train_images=1200, finetune_args=dict(FINETUNE, lr0=0.003)), BUDGETS, "label"),
    "medium_ceiling_teacher_i600": ("medium", dict(train_images=600), None, "label"),
    "medium_ceiling_gt_i600": ("medium", dict(train_images=600), None, "truth"),
    "medium_ceiling_teacher_i3000": ("medium", dict(train_images=3000), None, "label"),
    "medium_ceiling_gt_i3000": ("medium", dict(train_images=3000), None, "truth"),
}


def generic(name):
    recipe = GENERICS[name]
    if recipe == GENERIC and resolve(GENERIC_ASSET).exists(): return check_generic(resolve(GENERIC_ASSET))
    root = WORK/"generic"/("stream" if "source_family" not in recipe else f"stream_{recipe['source_family']}")   # one stream per domain
    return fit_generic(recipe, WORK/"generic"/name, root=root, progress=False)[0]


def bank(prof, cam):
    "The camera's bank and validation frames, pseudo-labelled by the profile's teacher (cached)."
    sp = split_bank(data_root(prof), cam, prof.stream["weeks"], prof.val_frames)
    pseudo_label(make_teacher(prof), pd.concat([sp["bank"], sp["val"]]), batch_size=prof.batch, progress=False)
    return sp


def job(cond, cam, n, seed):
    gname, over, _, labels = CONDITIONS[cond]
    weights = generic(gname)
    prof = replace(get_profile("tiny", jobs=1), student=str(weights), generic_epochs=0,
                   **{"finetune_args": FINETUNE, "train_args": GENERIC["train_args"], "train_images": 0, **over})
    sp = bank(prof, cam)
    frames = sp["bank"] if n is None else sp["bank"].iloc[np.linspace(0, len(sp["bank"]) - 1, n).round().astype(int)]
    if labels == "truth": frames = with_truth(frames)
    d = WORK/"runs"/f"{cond}_cam{cam}_n{n or 'all'}_s{seed}"
    t0 = time.perf_counter()
    # a ceiling (the whole bank) trains the largest budget's load under budget_epochs, as the reports' ceilings do
    rec = fit_run(prof, d, frames, sp["val"], weights, seed, dict(cond=cond), {}, labels=labels, budget=n or max(prof.budgets))
    secs = time.perf_counter() - t0
    test = list_frames(data_root(prof), cam, split="test")
    kw = dict(conf=prof.eval_conf, iou=prof.iou, imgsz=prof.imgsz, batch=prof.batch)
    m = evaluate(predictions(d/"weights"/"best.pt", test, **kw), ground_truth(test), images=test.frame, conf=prof.conf)
    g = evaluate(predictions(weights, test, **kw), ground_truth(test), images=test.frame, conf=prof.conf)
    return dict(condition=cond, generic=gname, cam=f"cam{cam}", frames=len(frames), seed=seed, epochs=rec["epochs"],
                image_iterations=rec["epochs"]*len(frames), imgsz=prof.imgsz, width=prof.width, labels=labels,
                seconds=round(secs, 1), mAP50=round(m["mAP50"], 4), mAP50_95=round(m["mAP50_95"], 4),
                generic_mAP50=round(g["mAP50"], 4), overrides=json.dumps(over, sort_keys=True))


if __name__ == "__main__":
    conds = sys.argv[1:] or list(CONDITIONS)
    cams, seeds = get_profile("tiny").stream["cameras"], (0,)
    for g in dict.fromkeys(CONDITIONS[c][0] for c in conds): generic(g)      # one at a time, whole machine
    items = [(c, cam, n, s) for c in conds for n in (CONDITIONS[c][2] or (None,)) for cam in cams for s in seeds]
    rows = pmap(job, items, jobs=2, desc="lever study", unit="run", label=lambda a: f"{a[0]} cam{a[1]} n{a[2]}")
    df = pd.DataFrame(rows)
    append_csv("levers", df)
    budgets = {n for c in conds for n in CONDITIONS[c][2] or ()}            # a ceiling's frames are the whole bank
    df["budget"] = [str(f) if f in budgets else "bank" for f in df.frames]
    print(df.pivot_table(index="condition", columns="budget", values=["mAP50", "seconds"], aggfunc="mean").round(3).to_string())
    print("generic mAP50 (camera mean):", df.drop_duplicates(["generic", "cam"]).groupby("generic").generic_mAP50.mean().round(3).to_dict())
