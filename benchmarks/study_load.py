"""The load study: would a longer training load let the small profile meet issue 15's two missed targets?

The small profile's report at 160 px input and 8 epochs of the budget missed two of issue 15's targets (its
scale_checks.md): a gain of 0.10 over the generic student in every camera x strategy cell at 60 frames, and
diagonal dominance on 4 of 6 cameras. This study runs the small profile's own pipeline (run_sweep, evaluate_runs,
cross_matrix) at 160 px and seed 0 with `budget_epochs` of 8 (tiny's and small's then), 16 and 32: every camera's
top_confidence student at 60 frames (they define the cross-performance matrix), and uniform, n_first and both
ceilings on the cameras whose cells missed (cam2, cam5, cam6). It appends one row per run to
benchmarks/results/load.csv: test mAP50, gain over the generic student, image-iterations, the run's training
seconds and, on a top_confidence row, the camera's own student's lead over the best other student on it. Not part
of `make bench` (about 30 minutes on 2 cores; finished runs are reused from data/small): run it by hand,

    .venv/bin/python benchmarks/study_load.py [BUDGET_EPOCHS ...]
"""
import sys
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import append_csv  # noqa: E402

from sbad_nb.core import get_profile  # noqa: E402
from sbad_nb.evaluation import cross_matrix, evaluate_runs  # noqa: E402
from sbad_nb.student import run_sweep  # noqa: E402

MISSED = [2, 5, 6]          # the cameras of small's missed cells (scale_checks.md)
IMGSZ = 160                 # small's input size when load.csv was measured (it moved to 224 px after the lever study)


def condition(budget_epochs: int) -> pd.DataFrame:
    prof = get_profile(f"small;budget_epochs={budget_epochs};imgsz={IMGSZ}")
    sw = pd.concat([run_sweep(prof, strategies=["top_confidence"], budgets=[60], seeds=[0], ceilings=[], progress=False),
                    run_sweep(prof, cameras=MISSED, strategies=["uniform", "n_first"], budgets=[60], seeds=[0],
                              ceilings=["teacher", "gt"], progress=False)])
    res = evaluate_runs(prof, progress=False)
    M = cross_matrix(prof, seed=0)
    gen = res[res.run_id.eq("generic")].set_index("data_name").mAP50
    runs = res[res.run_id.isin(sw.run_id)].merge(sw[["run_id", "selected", "seconds"]], on="run_id")   # a run's own training time
    rows = runs.assign(budget_epochs=budget_epochs, cam=runs.data_name, image_iterations=runs.epochs*runs.selected,
                       generic_mAP50=runs.data_name.map(gen))
    rows["gain"] = rows.mAP50 - rows.generic_mAP50
    own = {c: M.loc[c, c] - M[c].drop(c).max() for c in M.columns}           # own student's lead on its camera
    rows["own_lead"] = [own[c] if s == "top_confidence" and r.startswith(c + "_") else None
                        for c, s, r in zip(rows.cam, rows.strategy, rows.run_id)]
    return rows[["budget_epochs", "cam", "strategy", "samples", "selected", "seed", "epochs", "image_iterations",
                 "mAP50", "generic_mAP50", "gain", "own_lead", "seconds", "run_id"]].round(4)


if __name__ == "__main__":
    warnings.filterwarnings("ignore", r".*finished run\(s\) made with other settings")   # the other loads' runs, by design
    loads = [int(x) for x in sys.argv[1:]] or [8, 16, 32]
    df = pd.concat([condition(b) for b in loads], ignore_index=True)
    append_csv("load", df)
    print(df.pivot_table(index=["strategy", "cam"], columns="budget_epochs", values="gain").round(3).to_string())
    d = df.dropna(subset=["own_lead"])
    print("cameras whose own top_confidence student is the best on them:",
          (d.own_lead >= 0).groupby(d.budget_epochs).sum().to_dict(), "of", d.cam.nunique())
