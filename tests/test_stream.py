"""The synthetic stream: deterministic, resumable, and its ground truth agrees with its images and masks."""
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from sbad_nb.data import CLASSES, SEG_CLASSES, list_frames, make_synthetic_stream, read_labels, validate_layout


def digest(root):
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode()); h.update(p.read_bytes())
    return h.hexdigest()


def test_byte_identical_for_the_same_seed(stream, tmp_path):
    make_synthetic_stream(tmp_path, cameras=[1, 2], weeks=[1], bank_frames=16, test_frames=4, width=64, seed=0, progress=False)
    assert digest(tmp_path) == digest(stream)


def test_cameras_differ(stream):
    a = np.asarray(Image.open(stream / "cam1/week1/bank/images/000000.jpg"), float)
    b = np.asarray(Image.open(stream / "cam2/week1/bank/images/000000.jpg"), float)
    assert np.abs(a - b).mean() > 5


def test_layout_and_order(stream):
    summary = validate_layout(stream)
    assert set(summary.split) == {"bank", "test"}
    fr = list_frames(stream, 1)
    assert fr.frame.tolist() == list(range(16))
    assert all(Path(p).exists() for p in fr.image)
    assert list(fr.columns) == ["frame", "image", "label"]
    assert len(list_frames(stream, "cam2", split="test")) == 4


def test_ground_truth_matches_masks(stream):
    "Every labelled box covers vehicle pixels of its class in the semantic mask; labels are valid YOLO."
    d = stream / "cam1/week1/bank"
    gt = pd.read_csv(d / "gt.csv")
    assert len(gt) > 10
    for r in gt.itertuples():
        mask = np.asarray(Image.open(d / "masks" / f"{r.frame:06d}.png"))
        crop = mask[int(r.y1):int(np.ceil(r.y2)), int(r.x1):int(np.ceil(r.x2))]
        assert (crop == SEG_CLASSES.index(CLASSES[r.cls])).any(), r
        lab = read_labels(d / "gt" / f"{r.frame:06d}.txt", allow_conf=False)
        assert len(lab) == (gt.frame == r.frame).sum()
    assert set(np.unique(mask)) <= set(range(len(SEG_CLASSES)))


def test_test_labels_are_single_class(stream):
    t = stream / "cam1/test"
    for p in (t / "labels").glob("*.txt"):
        lab = read_labels(p)
        gt = read_labels(t / "gt" / p.name)
        assert (lab[:, 0] == 0).all() and np.allclose(lab[:, 1:], gt[:, 1:])


def test_resume_after_interruption(stream, tmp_path):
    "A camera interrupted mid-render (its .partial folder) is redone; finished cameras are kept as they are."
    root = tmp_path / "s"
    kw = dict(cameras=[1, 2], weeks=[1], bank_frames=16, test_frames=4, width=64, seed=0, progress=False)
    make_synthetic_stream(root, **{**kw, "cameras": [1]})
    t1 = (root / "cam1/stream.json").stat().st_mtime_ns
    (root / ".cam2.partial/week1/bank/images").mkdir(parents=True)
    (root / ".cam2.partial/week1/bank/images/000000.jpg").write_bytes(b"half")
    make_synthetic_stream(root, **kw)
    assert (root / "cam1/stream.json").stat().st_mtime_ns == t1
    assert not (root / ".cam2.partial").exists()
    assert digest(root) == digest(stream)


def test_overwrite_replaces_a_camera(tmp_path):
    kw = dict(cameras=[1], weeks=[1], bank_frames=8, test_frames=2, width=64, progress=False)
    make_synthetic_stream(tmp_path, seed=0, **kw)
    make_synthetic_stream(tmp_path, seed=1, overwrite=True, **kw)
    assert json.loads((tmp_path / "cam1/stream.json").read_text())["seed"] == 1


def test_stats(stream):
    from sbad_nb.data import stream_stats
    st = stream_stats(stream, [1, 2])
    assert st.frames.tolist() == [16, 4, 16, 4]
    assert (st.vehicles == st[list(CLASSES)].sum(axis=1)).all()


def test_families_are_recorded_and_alike(tmp_path):
    "Cameras of one family are drawn from the family's ranges (and recorded in stream.json); cameras of two families differ more."
    from dataclasses import replace
    import pytest
    from sbad_nb.core import ConfigError, get_profile
    from sbad_nb.data import FAMILIES, _scene, camera_families, scene_spec
    fam = {1: "avenue", 2: "avenue", 3: "highway", 4: "highway"}
    make_synthetic_stream(tmp_path, cameras=list(fam), weeks=[1], bank_frames=6, test_frames=2, width=64, seed=0,
                          families=fam, progress=False)
    assert [json.loads((tmp_path / f"cam{c}" / "stream.json").read_text())["family"] for c in fam] == list(fam.values())
    cams = {c: _scene(c, 160, 120, np.random.default_rng(c), f) for c, f in fam.items()}
    for c, f in fam.items():                                   # every drawn horizon lies in its family's range
        lo, hi = FAMILIES[f]["horizon"]
        assert lo <= cams[c].horizon / 120 <= hi
    mean = {c: np.asarray(Image.open(list_frames(tmp_path, c).image.iloc[0]).convert("RGB"), np.float32).mean((0, 1)) for c in fam}
    within = np.mean([np.abs(mean[1] - mean[2]).sum(), np.abs(mean[3] - mean[4]).sum()])
    across = np.mean([np.abs(mean[a] - mean[b]).sum() for a in (1, 2) for b in (3, 4)])
    assert within < across
    with pytest.raises(ConfigError, match="unknown camera family 'forest'"):
        make_synthetic_stream(tmp_path / "x", cameras=[1], weeks=[1], bank_frames=2, test_frames=1, width=64, families={1: "forest"}, progress=False)
    assert not (tmp_path / "x").exists()
    assert scene_spec(None)["lanes"] == (2, 3, 4) and scene_spec("highway")["lanes"] == (4,)
    bad = replace(get_profile("smoke"), stream={**get_profile("smoke").stream, "families": {"avenue": [1], "highway": [1]}})
    with pytest.raises(ConfigError, match="cam1 is in families 'avenue' and 'highway'"):
        camera_families(bad)
