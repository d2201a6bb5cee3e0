"""The original online-distillation teachers through mmsegmentation (the optional `mmseg` extra, `make mmseg`): shipped
configs by name, checkpoints with random weights made locally (no download), masks over our classes, and online
segmentation with such a teacher on the smoke profile and on frames without ground truth. Skipped without mmseg."""
import warnings

import numpy as np
import pytest

pytest.importorskip("mmcv.ops")        # a full mmcv build (mmcv-lite lacks mmcv._ext)
pytest.importorskip("mmseg.apis")

from sbad_nb.core import ConfigError, DataError, get_profile                                    # noqa: E402
from sbad_nb.data import SEG_CLASSES, list_frames                                     # noqa: E402
from sbad_nb.online_seg import (CITYSCAPES_CLASSES, CITYSCAPES_TO_OURS, MMSEG_TEACHERS, REPLAYS, MMSegTeacher,  # noqa: E402
                                make_seg_teacher, mmseg_checkpoint, mmseg_config, online_seg_run, read_mask,
                                teacher_masks)

pytestmark = pytest.mark.mmseg


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    "The two light teachers with random weights, made with every download forbidden."
    import mmengine.runner.checkpoint as ck
    import torch.hub

    def no_download(*a, **k): raise AssertionError(f"a download was attempted: {a}")
    d = tmp_path_factory.mktemp("mmseg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ck, "load_from_http", no_download)
        mp.setattr(torch.hub, "load_state_dict_from_url", no_download)
        mp.setattr(torch.hub, "download_url_to_file", no_download)
        return {k: mmseg_checkpoint(k, d / f"{k}.pth") for k in ("segformer_b0", "pspnet_r18")}


def test_cityscapes_classes_are_mmsegs():
    from mmseg.datasets import CityscapesDataset
    assert tuple(CityscapesDataset.METAINFO["classes"]) == CITYSCAPES_CLASSES
    assert sorted(CITYSCAPES_TO_OURS) == list(range(19)) and max(CITYSCAPES_TO_OURS.values()) < len(SEG_CLASSES)


def test_every_named_teacher_is_a_shipped_config(tmp_path):
    for name, file in MMSEG_TEACHERS.items():
        assert mmseg_config(name).name == file and mmseg_config(file) == mmseg_config(name)
    (tmp_path / "mine.py").write_text("_base_ = []\n")
    assert mmseg_config(tmp_path / "mine.py") == tmp_path / "mine.py"                      # a path, as it is
    with pytest.raises(ConfigError, match="no mmsegmentation config 'pspnet_r5'.*segformer_b0"):
        mmseg_config("pspnet_r5")


def test_random_teacher_labels_frames_at_their_size(checkpoints, stream, tmp_path):
    import torch
    sd = torch.load(checkpoints["segformer_b0"], map_location="cpu", weights_only=True)   # as mmengine reads it
    assert sd["meta"]["dataset_meta"]["classes"] == list(CITYSCAPES_CLASSES) and sd["meta"]["weights"] == "random"
    fr = list_frames(stream, 1, split="bank").iloc[:3]
    for name, ck in checkpoints.items():
        t = MMSegTeacher(name, ck, scale=(64, 48))
        assert t.name == f"mmseg_{MMSEG_TEACHERS[name][:-3]}" and (t.lut[:19] == [CITYSCAPES_TO_OURS[i] for i in range(19)]).all()
        out = teacher_masks(t, fr, tmp_path / name, progress=False)                       # cached, checked at frame size
        m = [read_mask(p, shape=(48, 64)) for p in out.teacher_mask]
        assert len(m) == 3 and max(int(x.max()) for x in m) < len(SEG_CLASSES)
    keys = {MMSegTeacher("segformer_b0", checkpoints["segformer_b0"], scale=s).key for s in (None, (64, 48), (64, 48))}
    assert len(keys) == 2                                                  # another scale, other masks: another cache


def test_teacher_arguments_are_checked(checkpoints, tmp_path):
    with pytest.raises(ConfigError, match="checkpoint .*none.pth not found"):
        MMSegTeacher("segformer_b0", tmp_path / "none.pth")
    with pytest.raises(ConfigError, match=r"ade20k-512x512.py is not a Cityscapes config: give class_map"):
        MMSegTeacher("segformer_mit-b0_8xb2-160k_ade20k-512x512.py", checkpoints["segformer_b0"])
    with pytest.raises(ConfigError, match="class_map maps 13 to 9"):
        MMSegTeacher("segformer_b0", checkpoints["segformer_b0"], class_map={13: 9})
    ade = "segformer_mit-b0_8xb2-160k_ade20k-512x512.py"                  # 150 classes: the Cityscapes head does not fit
    with pytest.raises(DataError, match=r"segformer_b0.pth does not fit segformer_mit-b0_8xb2-160k_ade20k-512x512.py .*size mismatch"):
        MMSegTeacher(ade, checkpoints["segformer_b0"], class_map={})
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="bad.pth does not fit"):
        MMSegTeacher("segformer_b0", tmp_path / "bad.pth")


def _teacher(checkpoints):
    return dict(kind="mmseg", config="segformer_b0", checkpoint=str(checkpoints["segformer_b0"]), scale=[96, 72])


def test_online_seg_run_smoke_with_an_mmseg_teacher(checkpoints, tmp_path, monkeypatch):
    import sbad_nb.online_seg as online_seg
    monkeypatch.setattr(online_seg, "data_dir", lambda p: tmp_path / "work")              # caches and the pretrained student
    smoke = get_profile("smoke")
    prof = get_profile("smoke", online_seg={**smoke.online_seg, "teacher": _teacher(checkpoints)})
    res, speed, first = online_seg_run(prof, progress=False)
    assert set(res.target) == {"teacher", "gt"} and set(res.student) == {"online", "frozen", "teacher"}
    assert set(res[res.student == "online"].replay) == set(REPLAYS) and set(res.camera) == {"cam1", "cam2"}
    assert set(res.teacher) == {"mmseg_segformer_mit-b0_8xb1-160k_cityscapes-1024x1024"}
    masks = sorted((tmp_path / "work/seg_teacher/cam1").glob("mmseg_segformer_mit-b0_*/*.npz"))
    assert len(masks) == smoke.online_seg["frames"] and first["teacher"][0].shape == (72, 96)


def test_online_seg_on_frames_without_ground_truth_with_mmseg(checkpoints, stream, tmp_path, monkeypatch):
    import sbad_nb.online_seg as online_seg
    from sbad_nb.data import walt_tree
    tree = walt_tree(stream, tmp_path / "walt", cameras=[1])
    monkeypatch.setattr(online_seg, "data_dir", lambda p: tmp_path / "work")
    seg = dict(train_window=4, test_window=2, step=4, capacity=4, width=4, batch=4, replays=("none",),
               teacher={**_teacher(checkpoints), "scale": [64, 48]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                                   # a partial copy of WALT
        res, _, first = online_seg_run(get_profile(f"paper;root={tree};cameras=1;weeks=1;device=cpu", online_seg=seg),
                                       progress=False)
    assert set(res.target) == {"teacher"} and set(res.student) == {"online", "frozen"} and first["gt"] is None
    assert res.window_start.nunique() == 3 and np.isfinite(res.mIoU).all()


def test_make_seg_teacher_makes_it(checkpoints):
    t = make_seg_teacher("mmseg", config=MMSEG_TEACHERS["pspnet_r18"], checkpoint=checkpoints["pspnet_r18"], scale=(64, 48))
    assert t.name.startswith("mmseg_pspnet_r18") and len(t.predict([np.zeros((48, 64, 3), np.uint8)])[0]) == 48
