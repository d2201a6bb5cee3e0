"""Teachers and resumable pseudo-labelling: bad inputs, corrupt frames, and a SIGKILL in the middle of a run."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sbad_nb.core import ConfigError, DataError
from sbad_nb.data import list_frames, make_synthetic_stream, read_labels
from sbad_nb.pseudolabel import OracleTeacher, Teacher, YoloTeacher, pseudo_label


@pytest.fixture(scope="module")
def long_stream(tmp_path_factory):
    root = tmp_path_factory.mktemp("long")
    make_synthetic_stream(root, cameras=[1], weeks=[1], bank_frames=64, test_frames=2, width=64, seed=2, progress=False)
    return root


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    "Randomly initialised local checkpoints: an 80-class (COCO-like) and a 1-class detector."
    from sbad_nb.models import build_detector
    d = tmp_path_factory.mktemp("w")
    build_detector("yolov8n.yaml", nc=80, width=0.125).save(d / "coco_like.pt")
    build_detector("yolov8n.yaml", nc=1, width=0.125).save(d / "one_class.pt")
    return d


def bank_copy(src, dst):
    shutil.copytree(src, dst)
    return list_frames(dst, 1, 1)


def label_texts(frames):
    return {Path(p).name: Path(p).read_text() for p in frames.label}


# --- the kill test -----------------------------------------------------------------------------------------
SCRIPT = textwrap.dedent("""
    import signal, sys
    from pathlib import Path
    from sbad_nb.data import list_frames
    from sbad_nb.pseudolabel import OracleTeacher, pseudo_label
    parts = Path(sys.argv[1])/"cam1/week1/bank/labels/.parts"
    class Stopping(OracleTeacher):
        def predict(self, images):
            if len(list(parts.glob("*.csv"))) >= int(sys.argv[2]):   # that many batches written: wait here to be killed
                Path(sys.argv[3]).write_text("ready"); signal.pause()
            return super().predict(images)
    pseudo_label(Stopping(noise=1.0, seed=3), list_frames(sys.argv[1], 1, 1), batch_size=4, progress=False)
""")


@pytest.mark.parametrize("kill_after", [1, 4, 9])
def test_sigkill_then_resume(long_stream, tmp_path, kill_after):
    "Kill pseudo_label after `kill_after` batches; resuming gives exactly the files of an uninterrupted run."
    ref = bank_copy(long_stream, tmp_path / "ref")
    pseudo_label(OracleTeacher(noise=1.0, seed=3), ref, batch_size=4, progress=False)

    frames = bank_copy(long_stream, tmp_path / "run")
    parts = tmp_path / "run/cam1/week1/bank/labels/.parts"
    ready = tmp_path / "ready"
    (tmp_path / "job.py").write_text(SCRIPT)
    p = subprocess.Popen([sys.executable, str(tmp_path / "job.py"), str(tmp_path / "run"), str(kill_after), str(ready)])
    deadline = time.time() + 120                                   # the job says when it is mid-run: no timing to guess
    while time.time() < deadline and p.poll() is None and not ready.exists():
        time.sleep(0.01)
    assert ready.exists(), "the job never reached the batch to be killed at"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    done_before = len(list(parts.glob("*.csv")))
    assert kill_after <= done_before < 16, "the kill must land mid-run"
    assert not (tmp_path / "run/cam1/week1/bank/labels/teacher.csv").exists()

    s = pseudo_label(OracleTeacher(noise=1.0, seed=3), frames, batch_size=4, progress=False)
    assert s.resumed[0] >= 4 * done_before and s.labelled[0] + s.resumed[0] == len(frames)
    assert label_texts(frames) == label_texts(ref)                     # nothing lost, duplicated or truncated
    labels = tmp_path / "run/cam1/week1/bank/labels"
    assert not list(labels.glob(".*.tmp")) and not list(parts.glob("*"))
    got, want = pd.read_csv(labels / "teacher.csv"), pd.read_csv(tmp_path / "ref/cam1/week1/bank/labels/teacher.csv")
    pd.testing.assert_frame_equal(got, want)
    fr = pd.read_csv(labels / "teacher_frames.csv")
    assert fr.frame.is_unique and len(fr) == len(frames)
    assert (fr.set_index("frame").n_boxes == got.groupby("frame").size().reindex(fr.frame, fill_value=0)).all()
    for lab in frames.label:
        read_labels(lab, allow_conf=False)


# --- corrupt frames and bad input -------------------------------------------------------------------------
def test_corrupt_frame_is_skipped_and_counted(long_stream, tmp_path):
    frames = bank_copy(long_stream, tmp_path / "c")
    Path(frames.image[10]).write_bytes(b"")
    Path(frames.image[11]).write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.warns(UserWarning, match="2 corrupt frame"):
        s = pseudo_label(OracleTeacher(), frames, batch_size=8, progress=False)
    assert (s.corrupt[0], s.labelled[0]) == (2, len(frames) - 2)
    assert not Path(frames.label[10]).exists() and Path(frames.label[12]).exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2 = pseudo_label(OracleTeacher(), frames, batch_size=8, progress=False)   # a rerun does not retry them
    assert (s2.labelled[0], s2.corrupt[0]) == (0, 2)


def test_bad_inputs(long_stream, tmp_path, weights):
    frames = list_frames(long_stream, 1, 1)
    with pytest.raises(DataError, match="bank is empty"):
        pseudo_label(OracleTeacher(), frames.iloc[:0])
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="cannot create labels folder .*file/labels"):
        pseudo_label(OracleTeacher(), frames, labels_dir=tmp_path / "file" / "labels")
    with pytest.raises(ConfigError, match="batch_size must be >= 1"):
        pseudo_label(OracleTeacher(), frames, batch_size=0)
    with pytest.raises(DataError, match=r"weights file .*yolov8x6.pt does not exist; put the checkpoint there"):
        YoloTeacher(tmp_path / "yolov8x6.pt")
    (tmp_path / "fake.pt").write_bytes(b"\x80\x04 not a checkpoint")
    with pytest.raises(DataError, match="is not a YOLO checkpoint"):
        YoloTeacher(tmp_path / "fake.pt")
    with pytest.raises(ConfigError, match=r"class_map maps classes \[2, 5, 7\] that one_class.pt does not have \(its classes: 0 "):
        YoloTeacher(weights / "one_class.pt")
    assert not list((tmp_path).glob("**/labels/*.txt"))


def test_oracle_needs_ground_truth(long_stream, tmp_path):
    frames = bank_copy(long_stream, tmp_path / "o")
    (tmp_path / "o/cam1/week1/bank/gt.csv").unlink()
    with pytest.warns(UserWarning, match="OracleTeacher needs ground truth"):
        s = pseudo_label(OracleTeacher(), frames, progress=False)
    assert s.corrupt[0] == len(frames)


def test_yolo_teacher_maps_classes(weights, tmp_path):
    import ultralytics
    bus = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
    from sbad_nb.models import predict
    t = YoloTeacher(weights / "coco_like.pt", class_map={k: k % 2 for k in range(80)}, conf=0.0001, imgsz=128)
    assert isinstance(t, Teacher)
    d = t.predict([bus, bus])
    raw = predict(t.model, [bus], imgsz=128, conf=0.0001)[0]
    assert len(d) == 2 and d[0].shape == (1080, 810) and len(d[0]) == len(raw) > 0
    np.testing.assert_array_equal(d[0].cls, raw.cls % 2)
    np.testing.assert_allclose(d[0].xyxy, d[1].xyxy)
    only_cars = YoloTeacher(weights / "coco_like.pt", class_map={2: 0}, conf=0.0001, imgsz=128).predict([bus])[0]
    assert len(only_cars) == int((raw.cls == 2).sum())
    # through pseudo_label, on a copy of the packaged image
    (tmp_path / "cam1/week1/bank/images").mkdir(parents=True)
    shutil.copy(bus, tmp_path / "cam1/week1/bank/images/000001.jpg")
    s = pseudo_label(t, list_frames(tmp_path, 1, 1), progress=False)
    assert s.boxes[0] == len(d[0]) == len(read_labels(tmp_path / "cam1/week1/bank/labels/000001.txt"))


def test_oracle_quality_follows_noise(long_stream):
    "Noise 0 reproduces the ground truth (mAP 1); more noise, lower mAP50."
    from sbad_nb.evaluation import coco_map
    frames = list_frames(long_stream, 1, 1)
    gt = pd.read_csv(long_stream / "cam1/week1/bank/gt.csv").rename(columns={"frame": "image_id"}).assign(cls=0)
    maps = []
    for k in (0.0, 1.0, 2.0):
        preds = pd.concat([d.to_frame(image_id=f) for f, d in zip(frames.frame, OracleTeacher(noise=k).predict(frames.image))])
        maps.append(coco_map(preds, gt, images=frames.frame)["mAP50"])
    assert maps[0] == pytest.approx(1.0) and maps[0] > maps[1] > maps[2] > 0.3, maps


def test_the_learned_teacher_ships_checked_and_errs_where_the_image_is_hard(tmp_path):
    "The shipped teacher matches its sidecar, and misses more of the occluded and of the dark frames' vehicles than of the others."
    import hashlib
    import json
    from PIL import Image
    from sbad_nb.core import resolve
    from sbad_nb.evaluation import match_boxes
    from sbad_nb.models import TEACHER, TEACHER_ASSET, check_generic
    w = resolve(TEACHER_ASSET)
    side = json.loads(w.with_suffix(".json").read_text())
    assert check_generic(TEACHER_ASSET) == w and side["sha256"] == hashlib.sha256(w.read_bytes()).hexdigest()
    assert side["make"] == "make teacher" and not side["git_dirty"] and w.stat().st_size <= 25e6
    assert not set(side["recipe"]["source_cameras"]) & set(range(1, 100))   # never a target camera of any profile
    root = tmp_path / "s"                                                      # two cameras it never saw, at its size
    make_synthetic_stream(root, cameras=[301, 302], weeks=[1], bank_frames=200, test_frames=1, width=TEACHER["imgsz"], seed=5,
                          families={301: "avenue", 302: "industrial"}, progress=False)
    teacher = YoloTeacher(w, class_map={0: 0}, imgsz=TEACHER["imgsz"], conf=0.25)
    found = []
    for cam in (301, 302):
        frames = list_frames(root, cam).iloc[::2]
        gt = pd.read_csv(root / f"cam{cam}" / "week1" / "bank" / "gt.csv").rename(columns={"frame": "image_id"})
        gt = gt[gt.image_id.isin(frames.frame)].reset_index(drop=True)
        preds = pd.concat([d.to_frame(image_id=f) for f, d in zip(frames.frame, teacher.predict(list(frames.image)))])
        light = {f: np.asarray(Image.open(i).convert("L")).mean() for f, i in zip(frames.frame, frames.image)}
        found.append(gt.assign(found=match_boxes(preds, gt)[1], light=gt.image_id.map(light)))
    found = pd.concat(found)
    assert found.found.mean() > 0.5                                            # a teacher, not noise
    occluded, clear = found[found.visible < 0.6].found.mean(), found[found.visible >= 0.95].found.mean()
    dark = found[found.light <= found.light.quantile(1 / 3)].found.mean()
    bright = found[found.light >= found.light.quantile(2 / 3)].found.mean()
    assert occluded < clear and dark < bright, (occluded, clear, dark, bright)
