"""Model wrappers: offline setup, dataset yaml checks, detections to YOLO labels."""
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from sbad_nb.core import ROOT, ConfigError, DataError
from sbad_nb.data import list_frames, read_labels
from sbad_nb.models import Detections, build_detector, dataset_yaml, link_dataset, n_params


def test_import_changes_nothing_and_setup_stays_in_the_project(tmp_path):
    """Importing every module sets no variable and writes no file; `setup()` then puts ultralytics', wandb's and
    matplotlib's files under <work dir>/.cache (a local font too) and keeps what the user set."""
    import subprocess, sys, json
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOLO_", "WANDB_", "MPLCONFIGDIR", "SBAD_"))}
    env["SBAD_HOME"] = str(tmp_path)                       # an empty work directory: any file written shows
    mods = "core data models pseudolabel bank strategies student online_seg evaluation csbad figures active stats claims reproduce"
    code = ("import os, json; before = dict(os.environ); import importlib\n"
            f"for m in {mods.split()!r}: importlib.import_module('sbad_nb.' + m)\n"
            "changed = sorted(k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k))\n"
            "from sbad_nb.core import setup\n"
            "print(json.dumps(dict(changed=changed, files=sorted(os.listdir(os.environ['SBAD_HOME'])), env=setup())))")
    run = lambda e: json.loads(subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True,
                                              cwd=tmp_path).stdout)
    out = run(env)
    assert out["changed"] == [] and out["files"] == []
    assert out["env"]["YOLO_OFFLINE"] == "1" and out["env"]["WANDB_MODE"] == "offline"
    for k in ("YOLO_CONFIG_DIR", "WANDB_DIR", "MPLCONFIGDIR"):
        assert Path(out["env"][k]).is_relative_to(tmp_path / ".cache"), out["env"][k]
    assert (Path(out["env"]["YOLO_CONFIG_DIR"]) / "Ultralytics" / "Arial.ttf").stat().st_size > 10_000
    assert run({**env, "WANDB_MODE": "online"})["env"]["WANDB_MODE"] == "online"             # a user's choice is kept


def test_narrow_detector_is_smaller():
    assert n_params(build_detector(width=0.125)) < n_params(build_detector(width=0.25)) / 2


def test_dataset_yaml_needs_labels(stream, tmp_path):
    fr = list_frames(stream, 1, 1)
    with pytest.raises(DataError, match=r"16 train image\(s\) have no label file, e.g. .*labels/000000.txt; run the teacher"):
        dataset_yaml(tmp_path / "d.yaml", fr, fr)
    with pytest.raises(ConfigError, match="the train split is empty"):
        dataset_yaml(tmp_path / "d.yaml", fr.iloc[:0], fr)


def test_link_dataset_then_yaml(stream, tmp_path):
    fr = list_frames(stream, 1, 1)
    fr = fr.assign(truth=[str(Path(i).parent.parent / "gt" / (Path(i).stem + ".txt")) for i in fr.image])
    imgs = link_dataset(tmp_path / "train", fr, "truth", class_map={0: 0, 1: 0, 2: 0})
    assert len(imgs) == len(fr) and all(Path(i).resolve() == Path(j) for i, j in zip(imgs, fr.image))
    for i, g in zip(imgs, fr.truth):
        lab = read_labels(Path(i).parent.parent / "labels" / (Path(i).stem + ".txt"))
        ref = read_labels(g)
        assert (lab[:, 0] == 0).all() and np.allclose(lab[:, 1:], ref[:, 1:], atol=1e-6)
    y = yaml.safe_load(dataset_yaml(tmp_path / "data.yaml", imgs, imgs).read_text())
    assert y["names"] == {0: "vehicle"} and Path(y["train"]).read_text().splitlines() == [str(Path(i).absolute()) for i in imgs]


def test_detections_to_yolo_lines_clip_and_drop_empty():
    d = Detections([[-10, -10, 50, 40], [100, 50, 120, 130], [30, 30, 30, 35]], [0.9, 0.8, 0.7], [0, 0, 0], (100, 200))
    lines = d.yolo_lines().splitlines()
    assert len(lines) == 2                                    # the zero-width box is dropped, the others clipped
    vals = np.array([l.split() for l in lines], float)
    assert ((vals[:, 1:] >= 0) & (vals[:, 1:] <= 1)).all()
    with pytest.raises(ValueError, match="2 boxes, 1 confidences"):
        Detections(np.zeros((2, 4)), [0.5], [0, 0], (10, 10))


def test_a_profile_can_train_its_own_generic_student(tmp_path, monkeypatch):
    """generic_epochs > 0: the profile trains its generic student on its source cameras, once (cached with its recipe under
    data/<profile>/models/, here a temporary folder), and reuses it while the recipe holds; another recipe trains again."""
    import json
    from dataclasses import replace
    import sbad_nb.models as models
    from sbad_nb.core import get_profile
    monkeypatch.setattr(models, "data_dir", lambda prof: tmp_path)
    own = replace(get_profile("smoke"), generic_epochs=1, generic_frames=16)
    w = models.train_generic_student(own, progress=False)
    assert w == tmp_path / "models" / "generic.pt"
    assert json.loads(w.with_suffix(".json").read_text())["recipe"] == json.loads(json.dumps(models.generic_recipe(own)))
    assert len(models.load_detector(w).names) == 1
    stamp = w.stat().st_mtime_ns
    assert models.train_generic_student(own, progress=False) == w and w.stat().st_mtime_ns == stamp     # reused, not retrained
    models.train_generic_student(replace(own, generic_frames=12), progress=False)
    assert w.stat().st_mtime_ns != stamp                                                               # another recipe: trained again
