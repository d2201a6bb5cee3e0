"""Bank splits and the per-frame score table."""
import numpy as np
import pandas as pd
import pytest

from sbad_nb.bank import SCORE_COLS, frame_scores, split_bank
from sbad_nb.core import ConfigError, DataError


def naive_scores(boxes, frames):
    rows = []
    for f in frames:
        c = [r.conf for r in boxes.itertuples() if r.frame == f]
        rows.append((f, len(c), max(c) if c else np.nan, min(c) if c else np.nan,
                     sum(c) / len(c) if c else np.nan, sum(c) if c else np.nan))
    return pd.DataFrame(rows, columns=SCORE_COLS)


@pytest.mark.parametrize("seed", range(5))
def test_frame_scores_matches_a_loop(seed):
    rng = np.random.default_rng(seed)
    boxes = pd.DataFrame({"frame": rng.integers(0, 60, 300), "conf": rng.uniform(0.05, 1, 300), "cls": 0})
    frames = rng.permutation(np.arange(-5, 70))[:50]                   # some frames without boxes, unordered
    got = frame_scores(boxes, frames)
    pd.testing.assert_frame_equal(got, naive_scores(boxes, frames), check_dtype=False)
    assert got.frame.tolist() == frames.tolist()


def test_frame_scores_edge_cases():
    empty = frame_scores(pd.DataFrame({"frame": [], "conf": []}), [1, 2])
    assert empty.n_boxes.tolist() == [0, 0] and empty.conf_max.isna().all()
    assert len(frame_scores(pd.DataFrame({"frame": [1], "conf": [0.5]}), [])) == 0
    with pytest.raises(DataError, match="NaN confidence"):
        frame_scores(pd.DataFrame({"frame": [1], "conf": [np.nan]}), [1])


def test_split_bank(stream):
    sp = split_bank(stream, 1, val_frames=4)
    assert (len(sp["bank"]), len(sp["val"]), len(sp["test"])) == (12, 4, 4)
    assert sp["val"].frame.tolist() == [12, 13, 14, 15]
    assert set(sp["bank"].frame).isdisjoint(sp["val"].frame)
    with pytest.raises(ConfigError, match=r"val_frames=16 leaves no bank frames in cam1/week1 \(16 frames\)"):
        split_bank(stream, 1, val_frames=16)
    with pytest.raises(DataError, match="camera folder"):
        split_bank(stream, 9, val_frames=4)


def test_split_bank_drops_corrupt_frames(stream_copy):
    labels = stream_copy / "cam1/week1/bank/labels"
    labels.mkdir()
    pd.DataFrame({"frame": [2, 3], "image": ["a", "b"], "status": ["corrupt", "ok"], "n_boxes": [0, 1]}).to_csv(
        labels / "teacher_frames.csv", index=False)
    sp = split_bank(stream_copy, 1, val_frames=4)
    assert 2 not in set(sp["bank"].frame) and 3 in set(sp["bank"].frame)


def test_on_demand_labels_each_needed_frame_once(stream_copy, monkeypatch):
    "Two runs asking at once for overlapping frames: the teacher labels their union, each frame once, and nothing else."
    import threading
    from dataclasses import replace
    import sbad_nb.bank as bank
    from sbad_nb.core import get_profile
    from sbad_nb.data import list_frames
    from sbad_nb.pseudolabel import OracleTeacher
    asked, lock = [], threading.Lock()

    class Counting(OracleTeacher):
        def predict(self, images):
            with lock: asked.extend(images)
            return super().predict(images)
    monkeypatch.setattr(bank, "_teacher", lambda prof: Counting())
    prof = replace(get_profile("smoke"), batch=2)
    frames = list_frames(stream_copy, 1, 1)
    a, b = frames.iloc[:10], frames.iloc[6:14]                           # frames 6-9 are asked for twice
    runs = [threading.Thread(target=bank.teacher_labels, args=(prof, f)) for f in (a, b)]
    for t in runs: t.start()
    for t in runs: t.join()
    assert sorted(asked) == sorted(frames.image.iloc[:14]) and len(asked) == 14     # the union, each frame once
    assert bank.labelled(frames).frame.tolist() == frames.frame.iloc[:14].tolist()  # and only what was asked for
    bank.teacher_labels(prof, frames.iloc[:14])                          # everything there: the teacher is not asked again
    assert len(asked) == 14
