"""Active learning: image folders, label CSVs that are never truncated, queries, the labelling session."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import sbad_nb.active as active
from sbad_nb.active import ActiveLearner, LabelSession, LabelStore, image_folder, run_active
from sbad_nb.core import ConfigError, DataError
from sbad_nb.strategies import margin_score


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    "Two colour classes (with a few ambiguous purples), pool and test."
    t = tmp_path_factory.mktemp("toy"); rng = np.random.default_rng(0)
    for split, n in (("pool", 40), ("test", 12)):
        for c, col in (("red", (200, 30, 60)), ("blue", (60, 30, 200))):
            (t / split / c).mkdir(parents=True)
            for i in range(n):
                base = np.array(col) if i % 5 else np.array((130, 30, 130))
                Image.fromarray((base + rng.normal(0, 20, (16, 16, 3))).clip(0, 255).astype(np.uint8)).save(t / split / c / f"{i}.png")
    return image_folder(t / "pool"), image_folder(t / "test")


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        image_folder(tmp_path / "none")
    (tmp_path / "only").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "only" / "a.png")
    with pytest.raises(DataError, match=r"single class \(only\)"):
        image_folder(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"1 unreadable image\(s\) .*x.png"):
        image_folder(tmp_path)


def test_label_csv_is_never_truncated(tmp_path, monkeypatch):
    s = LabelStore(tmp_path / "l.csv", ["car", "bus"])
    s.add("a.png", "car"); s.add("b.png", "bus")
    before = (tmp_path / "l.csv").read_bytes()

    class Boom:
        def __init__(self, f): self.f = f
        def writerow(self, r): self.f.write(",".join(r) + "\n")
        def writerows(self, rows): raise OSError("disk full")
    monkeypatch.setattr(active.csv, "writer", Boom)
    with pytest.raises(OSError):
        s.add("c.png", "car")
    assert (tmp_path / "l.csv").read_bytes() == before
    with pytest.raises(ConfigError, match="unknown class 'plane'"):
        s.add("d.png", "plane")


def test_label_csv_bad_content(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("path,label\na.png,car\na.png,bus\n")
    with pytest.raises(DataError, match="labels a.png more than once"):
        LabelStore(p, ["car", "bus"])
    p.write_text("file,cls\na.png,car\n")
    with pytest.raises(DataError, match="must have the columns path,label"):
        LabelStore(p, ["car"])


def test_session_survives_restart_with_skip_and_undo(tmp_path):
    st = LabelStore(tmp_path / "l.csv", ["car", "bus"])
    s = LabelSession(["a", "b", "c", "d"], st)
    s.label("car"); s.skip(); s.label("bus"); s.undo()
    assert st.labelled == {"a": "car"} and s.current == "c"
    s.undo(); assert s.current == "b"                          # the skip is undone too
    s2 = LabelSession(["a", "b", "c", "d"], LabelStore(tmp_path / "l.csv", ["car", "bus"]))
    assert s2.current == "b" and s2.progress == (1, 4)


def test_margin_query_takes_the_smallest_margins(toy):
    pool, test = toy
    al = ActiveLearner(pool, test, size=16, epochs=2, seed=0, min_steps=10, arch="xresnet18", widen=0.25)
    al.label(range(0, 80, 8)); al.fit()
    probs, _ = al._forward(al.X)
    free = al.unlabelled()
    want = free[np.argsort(margin_score(probs[free]), kind="stable")[::-1][:6]]
    assert sorted(al.query("margin", 6)) == sorted(want)
    assert not set(al.query("kcenter_greedy", 6)) & set(al.labelled)
    with pytest.raises(ConfigError, match="larger than the unlabelled pool"):
        al.query("random", 100)


def test_loop_is_reproducible_and_learns(toy):
    pool, test = toy
    a = run_active(pool, test, "entropy", seed=1, init=6, query=6, rounds=2, size=16, epochs=3, min_steps=20, arch="xresnet18", widen=0.25)
    b = run_active(pool, test, "entropy", seed=1, init=6, query=6, rounds=2, size=16, epochs=3, min_steps=20, arch="xresnet18", widen=0.25)
    assert a.drop(columns="seconds").equals(b.drop(columns="seconds"))
    assert a.labelled.tolist() == [6, 12, 18] and a.accuracy.iloc[-1] >= 0.75


def test_human_labels_from_the_store(toy, tmp_path):
    pool, test = toy
    al = ActiveLearner(pool, test, size=16, epochs=1, min_steps=1, arch="xresnet18", widen=0.25)
    st = LabelStore(tmp_path / "l.csv", al.classes)
    rows = [0, 50]
    st.add(pool.path[0], "blue")                               # a person disagrees with the folder name
    assert al.label(rows, store=st) == [0] and al.labelled == [0]
    assert al.classes[int(al.y[0])] == "blue"
