"""The stream strategies written the obvious way, one frame at a time: the reference for tests and benchmarks."""
from pathlib import Path

import numpy as np


def loop_n_first(scores, n, seed):
    out = []
    for f in scores.frame:
        if len(out) == n:
            break
        out.append(int(f))
    return out


def loop_uniform(scores, n, seed, p=0.1):
    draws = np.random.default_rng(seed).random(len(scores))    # the generator's draws, in stream order
    out = []
    for i, f in enumerate(scores.frame):
        if len(out) == n:
            break
        if draws[i] < p:
            out.append(int(f))
    return out


def loop_threshold(scores, n, seed, top, agg="max", q=90, warmup=720):
    s = list(scores[f"conf_{agg}"])
    warm = [x for x in s[:warmup] if x == x]
    thr = float(np.percentile(warm, q))
    out = []
    for i in range(warmup, len(s)):
        if len(out) == n:
            break
        x = s[i]
        if x == x and ((x >= thr) if top else (x <= thr)):
            out.append(int(scores.frame.iat[i]))
    return out


LOOPS = {"n_first": loop_n_first, "uniform": loop_uniform,
         "top_confidence": lambda s, n, seed, **kw: loop_threshold(s, n, seed, True, **{"q": 90, **kw}),
         "least_confidence": lambda s, n, seed, **kw: loop_threshold(s, n, seed, False, **{"q": 10, **kw})}


# The CSBAD authors' selection rules, written from their description (the paper profile's `selection_rules="authors"`),
# frame by frame, on a folder of YOLO label files with a confidence column, one file per frame named by its index:
# - n_first: the first n files;
# - uniform: NumPy's legacy generator seeded with the seed draws one number per file of the whole sorted bank; a file
#   whose draw is >= 1 - rate is kept; the first n kept;
# - top / least confidence: files without a box are dropped; a file's score is `agg` of its boxes' confidences; the
#   threshold is the 100 (1 - rate)-th (top) or 100 rate-th (least) percentile of the first `warmup` scores; of the
#   files after those, the first n strictly above (top) or below (least) it.
def authors_files(folder):
    return sorted(Path(folder).glob("*.txt"), key=lambda p: int(p.stem))


def authors_selection(folder, n, strategy, agg="max", warmup=720, rate=0.1, seed=0):
    files = authors_files(folder)
    if strategy == "n_first":
        return [int(p.stem) for p in files[:n]]
    if strategy == "uniform":
        np.random.seed(seed)
        draws = np.random.uniform(0, 1, len(files))
        return [int(p.stem) for p, d in zip(files, draws) if d >= 1 - rate][:n]
    top = strategy == "top_confidence"
    reduce = {"max": max, "min": min, "sum": sum, "mean": lambda c: sum(c) / len(c)}[agg]
    scored = []
    for p in files:
        confs = [float(line.split()[5]) for line in p.read_text().splitlines() if line.strip()]
        if confs:
            scored.append((int(p.stem), reduce(confs)))
    threshold = np.percentile([c for _, c in scored[:warmup]], 100 * (1 - rate) if top else 100 * rate)
    out = []
    for frame, c in scored[warmup:]:
        if len(out) == n:
            break
        if (c > threshold) if top else (c < threshold):
            out.append(frame)
    return out


def write_bank(folder, frames=3000, empty=0.2, seed=0):
    "A bank of YOLO label files with confidences (`frames` files, a share `empty` of them without a box), as a student writes them."
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(frames):
        k = 0 if rng.random() < empty else int(rng.integers(1, 7))
        boxes = rng.uniform(0.05, 0.95, (k, 4)).round(6)
        conf = rng.uniform(0.05, 0.99, k).round(4)
        text = "".join(f"0 {x:.6f} {y:.6f} {w:.6f} {h:.6f} {c:.4f}\n" for (x, y, w, h), c in zip(boxes, conf))
        (folder / f"{f:06d}.txt").write_text(text)
    return folder


def bank_scores(folder):
    "sbad-nb's per-frame score table of a folder of label files (what `score_frames` makes from the student's boxes)."
    import pandas as pd
    from sbad_nb.bank import frame_scores
    from sbad_nb.data import read_labels
    files = authors_files(folder)
    rows = [(int(p.stem), r[5]) for p in files for r in read_labels(p)]
    return frame_scores(pd.DataFrame(rows, columns=["frame", "conf"]), [int(p.stem) for p in files])
