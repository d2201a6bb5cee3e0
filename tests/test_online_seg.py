"""Online segmentation: metrics against scikit-learn, teacher-mask cache, bad input, teachers."""
import numpy as np
import pytest
import torch
from PIL import Image

from sbad_nb.core import ConfigError, DataError
from sbad_nb.data import SEG_CLASSES, list_frames
from sbad_nb.models import build_segmenter
from sbad_nb.online_seg import (MMSegTeacher, OnlineDistiller, OracleSegTeacher, ReplayBuffer, TorchvisionSegTeacher, confusion,
                                mask_path, miou, pixel_accuracy, read_mask, teacher_masks)


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_sklearn(seed):
    from sklearn.metrics import accuracy_score, confusion_matrix, jaccard_score
    rng = np.random.default_rng(seed)
    C = 7
    t = rng.integers(0, C - 2, (30, 40))                      # classes 5 and 6 absent from the target
    p = np.where(rng.random((30, 40)) < 0.7, t, rng.integers(0, C - 1, (30, 40)))    # class 6 absent from both
    cm = confusion(p, t, C)
    assert (cm == confusion_matrix(t.ravel(), p.ravel(), labels=range(C))).all()
    assert pixel_accuracy(cm) == pytest.approx(accuracy_score(t.ravel(), p.ravel()))
    present = sorted(set(t.ravel()) | set(p.ravel()))
    assert 6 not in present
    assert miou(cm) == pytest.approx(jaccard_score(t.ravel(), p.ravel(), labels=present, average="macro"))


def test_teacher_masks_cached_resumable_and_checked(stream, tmp_path):
    fr = list_frames(stream, 1, split="bank").iloc[:6]
    t = OracleSegTeacher(noise=1.0)
    out = teacher_masks(t, fr, tmp_path / "c", progress=False)
    assert len(out) == 6 and all(p.exists() for p in out.teacher_mask)
    m = read_mask(out.teacher_mask[0])
    gt = read_mask(mask_path(fr.image.iloc[0]))
    assert m.shape == gt.shape and 0.5 < (m == gt).mean() < 1.0   # noisy, but mostly right
    stamp = out.teacher_mask[1].stat().st_mtime_ns
    out.teacher_mask[0].write_bytes(b"garbage")               # corrupt: recomputed with a warning, the others kept
    with pytest.warns(UserWarning, match="is corrupt"):
        again = teacher_masks(t, fr, tmp_path / "c", progress=False)
    assert (read_mask(again.teacher_mask[0]) == m).all() and out.teacher_mask[1].stat().st_mtime_ns == stamp
    assert len(teacher_masks(t, fr, tmp_path / "s", subsample=4, progress=False)) == 2


def test_teacher_with_wrong_shape_or_classes_writes_nothing(stream, tmp_path):
    fr = list_frames(stream, 1, split="bank").iloc[:3]

    class Bad:
        name = "bad"
        def __init__(self, mask): self.mask = mask
        def predict(self, images): return [self.mask for _ in images]
    with pytest.raises(DataError, match=r"gave a 5x4 mask for .*000000.jpg.*must label at frame size"):
        teacher_masks(Bad(np.zeros((4, 5), np.uint8)), fr, tmp_path / "a", progress=False)
    h, w = read_mask(mask_path(fr.image.iloc[0])).shape
    with pytest.raises(DataError, match="class ids outside 0..6"):
        teacher_masks(Bad(np.full((h, w), 9, np.uint8)), fr, tmp_path / "b", progress=False)
    assert not any((tmp_path / "a").iterdir()) and not any((tmp_path / "b").iterdir())


def test_mask_files_missing_corrupt_or_wrong(tmp_path):
    with pytest.raises(DataError, match="is missing"):
        read_mask(tmp_path / "nope.npz")
    (tmp_path / "bad.npz").write_bytes(b"xx")
    with pytest.raises(DataError, match="bad.npz is corrupt.*delete it and rerun the teacher"):
        read_mask(tmp_path / "bad.npz")
    np.savez_compressed(tmp_path / "m.npz", mask=np.zeros((4, 6), np.uint8))
    with pytest.raises(DataError, match="is 6x4 but its frame is 8x5"):
        read_mask(tmp_path / "m.npz", shape=(5, 8, 3))
    Image.fromarray(np.full((4, 6), 200, np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(DataError, match="class id 200"):
        read_mask(tmp_path / "m.png")


def test_video_shorter_than_a_window():
    d = OnlineDistiller(build_segmenter("unet", 2), n_classes=2, train_window=10, test_window=5)
    img, m = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)
    with pytest.raises(DataError, match="the video has 14 frames, shorter than one window"):
        d.run([img] * 14, [m] * 14, progress=False)
    with pytest.raises(ConfigError, match="step must be >= 1"):
        OnlineDistiller(build_segmenter("unet", 2), step=0)


def test_frozen_student_never_changes():
    s = build_segmenter("unet", 2, seed=1)
    before = {k: v.clone() for k, v in s.state_dict().items()}
    img = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    OnlineDistiller(s, n_classes=2, train_window=4, test_window=2, step=2, train=False).run([img] * 12, [np.zeros((16, 16), np.uint8)] * 12, progress=False)
    assert all(torch.equal(before[k], v) for k, v in s.state_dict().items())


def test_replay_buffers():
    f = ReplayBuffer("fifo", 5); f.add(range(100))
    assert list(f.items) == [95, 96, 97, 98, 99]
    means = []
    for seed in range(20):
        u = ReplayBuffer("uniform", 20, seed=seed); u.add(range(1000)); means.append(np.mean(u.items))
    assert abs(np.mean(means) - 500) < 60                     # reservoir: uniform over everything seen
    x = u.sample(5)
    assert len(set(x)) == 5 and set(x) <= set(u.items) and len(u.sample(50)) == 20


def test_torchvision_teacher_from_local_weights(stream, tmp_path):
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large
    torch.manual_seed(0)
    torch.save(lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=7).state_dict(), tmp_path / "t.pt")
    t = TorchvisionSegTeacher(tmp_path / "t.pt", arch="lraspp_mobilenet_v3_large", num_classes=7)
    fr = list_frames(stream, 1, split="bank").iloc[:2]
    out = teacher_masks(t, fr, tmp_path / "c", progress=False)
    m = read_mask(out.teacher_mask[0])
    assert m.shape == np.asarray(Image.open(fr.image.iloc[0])).shape[:2] and m.max() < len(SEG_CLASSES)
    with pytest.raises(ConfigError, match="not found"):
        TorchvisionSegTeacher(tmp_path / "missing.pt")


def test_mmseg_teacher_without_mmseg():
    try:
        import mmseg  # noqa: F401
        pytest.skip("mmseg is installed")
    except ImportError:
        pass
    with pytest.raises(ConfigError, match=r'pip install -e "\.\[mmseg\]"'):
        MMSegTeacher("cfg.py", "ckpt.pth")


def test_cityscapes_classes_map_onto_ours():
    from sbad_nb.online_seg import CITYSCAPES_CLASSES, CITYSCAPES_TO_OURS
    assert len(CITYSCAPES_CLASSES) == 19 and sorted(CITYSCAPES_TO_OURS) == list(range(19))       # every class mapped
    assert {SEG_CLASSES[v] for v in CITYSCAPES_TO_OURS.values()} == set(SEG_CLASSES)             # onto existing ones, all used
    ours = {c: SEG_CLASSES[CITYSCAPES_TO_OURS[i]] for i, c in enumerate(CITYSCAPES_CLASSES)}
    assert ours["road"] == "road" and ours["sky"] == "sky" and ours["truck"] == "truck" and ours["sidewalk"] == "background"


@pytest.fixture
def own_frames(stream, tmp_path, monkeypatch):
    "A WALT-shaped tree (frames and test labels, no masks: what sbad_ingest writes), a local torchvision teacher, caches in tmp."
    import sbad_nb.online_seg as online_seg
    from sbad_nb.data import walt_tree
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large
    tree = walt_tree(stream, tmp_path / "walt")
    torch.manual_seed(0)
    torch.save(lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=7).state_dict(), tmp_path / "t.pt")
    monkeypatch.setattr(online_seg, "data_dir", lambda p: tmp_path / "work")
    teacher = dict(kind="torchvision", weights=str(tmp_path / "t.pt"), arch="lraspp_mobilenet_v3_large", num_classes=7)
    return tree, teacher


def test_online_seg_on_frames_without_ground_truth(own_frames, tmp_path):
    "The original work's setting: students scored against the teacher's masks on the test windows; no ground truth read."
    import warnings
    from sbad_nb.core import get_profile
    from sbad_nb.online_seg import REPLAYS, online_seg_run
    tree, teacher = own_frames
    assert not list(tree.rglob("masks"))
    seg = dict(train_window=4, test_window=2, step=4, capacity=4, width=4, batch=4, teacher=teacher)
    prof = get_profile(f"paper;root={tree};cameras=1,2;weeks=1;device=cpu", online_seg=seg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                  # a partial copy of WALT
        res, speed, first = online_seg_run(prof, out=tmp_path / "report", progress=False)
    assert set(res.target) == {"teacher"} and set(res.student) == {"online", "frozen"} and first["gt"] is None
    assert set(res[res.student == "online"].replay) == set(REPLAYS) and set(res.camera) == {"cam1", "cam2"}
    assert res.groupby(["camera", "replay"]).window_start.nunique().eq(3).all()        # 16 frames: windows at 0, 4, 8
    assert (tmp_path / "report/tables/online_seg_results.csv").exists() and len(speed) == 2 * (len(REPLAYS) + 1)
    assert len(list((tmp_path / "work/seg_teacher/cam1").glob("tv_lraspp_mobilenet_v3_large_*/*.npz"))) == 16


def test_online_seg_without_ground_truth_needs_a_real_teacher(own_frames, tmp_path):
    import warnings
    from sbad_nb.core import get_profile
    from sbad_nb.online_seg import online_seg_run
    tree, teacher = own_frames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError, match=r"no ground-truth masks: set a real teacher, e.g. --set 'online_seg.teacher="):
            online_seg_run(get_profile(f"paper;root={tree};cameras=1;weeks=1"), progress=False)
        with pytest.raises(ConfigError, match="online_seg student .*nope.pt not found"):
            online_seg_run(get_profile(f"paper;root={tree};cameras=1;weeks=1", online_seg=dict(teacher=teacher, student=str(tmp_path / "nope.pt"))), progress=False)
    assert not (tmp_path / "work").exists()                              # nothing written
