"""Evaluation: COCO mAP against pycocotools, test truth, clipping, precision / recall."""
import numpy as np
import pandas as pd
import pytest

from sbad_nb.core import DataError
from sbad_nb.data import list_frames
from sbad_nb.evaluation import coco_map, evaluate, precision_recall, predictions, ground_truth
from sbad_nb.models import Detections


def random_case(seed, n_img=30, per=6):
    rng = np.random.default_rng(seed)
    g = pd.DataFrame({"image_id": np.repeat(np.arange(n_img), per), "x1": rng.uniform(0, 200, n_img * per),
                      "y1": rng.uniform(0, 200, n_img * per), "cls": rng.integers(0, 2, n_img * per)})
    g = g.assign(x2=g.x1 + rng.uniform(5, 60, len(g)), y2=g.y1 + rng.uniform(5, 60, len(g)))
    p = g.sample(frac=0.8, random_state=seed).copy()
    p[["x1", "x2"]] += rng.normal(0, 4, (len(p), 1))
    fp = g.sample(frac=0.3, random_state=seed + 1).assign(x1=lambda d: d.x1 + 100, x2=lambda d: d.x2 + 100)
    p = pd.concat([p, fp]).assign(conf=lambda d: rng.uniform(0.05, 1, len(d)))
    return p, g


@pytest.mark.parametrize("seed", range(4))
def test_coco_map_equals_pycocotools(seed):
    p, g = random_case(seed)
    a, b = coco_map(p, g), coco_map(p, g, backend="pycocotools")
    assert a["mAP50"] == pytest.approx(b["mAP50"], abs=1e-6) and a["mAP50_95"] == pytest.approx(b["mAP50_95"], abs=1e-6)
    assert 0 < a["mAP50_95"] < a["mAP50"] < 1


def test_coco_map_bad_input():
    p, g = random_case(0)
    with pytest.raises(DataError, match="x2 < x1"):
        coco_map(p.assign(x2=p.x1 - 1), g)
    with pytest.raises(DataError, match="NaN"):
        coco_map(p.assign(conf=np.nan), g)
    assert np.isnan(coco_map(p, g.iloc[:0])["mAP50"])


def test_test_truth_and_missing_labels(stream_copy):
    fr = list_frames(stream_copy, 1, split="test")
    t = ground_truth(fr)
    assert set(t.image_id) <= set(fr.frame) and (t.x2 > t.x1).all()
    (stream_copy / "cam1/test/labels/000002.txt").unlink()
    with pytest.raises(DataError, match=r"1 of 4 test frames have no label file .*copy the human labels"):
        ground_truth(list_frames(stream_copy, 1, split="test"))


def test_predictions_are_clipped_to_the_image(stream):
    fr = list_frames(stream, 1, split="test").iloc[:2]

    class OutOfBounds:
        name = "oob"
        def predict(self, images):
            return [Detections([[-20, -5, 30, 40], [60, 40, 90, 70], [70, 50, 80, 60]], [0.9, 0.8, 0.1], [0, 0, 0], (48, 64))
                    for _ in images]
    p = predictions(OutOfBounds(), fr, conf=0.25)
    assert len(p) == 2 * 2                                   # the 0.1 box is below the threshold
    assert (p.x1 >= 0).all() and (p.x2 <= 64).all() and (p.y2 <= 48).all()


def test_precision_recall_perfect_and_empty():
    p, g = random_case(1)
    assert precision_recall(g.assign(conf=1.0), g) == (1.0, 1.0)
    assert precision_recall(g.iloc[:0].assign(conf=[]), g) == (0.0, 0.0)
    e = evaluate(g.assign(conf=1.0), g)
    assert e["fitness"] == pytest.approx(1.0)


def test_label_quality_on_a_hand_made_bank(tmp_path):
    from sbad_nb.evaluation import label_quality
    # frame 0: a pseudo box on its true box, one on nothing; frame 1: a true box the teacher missed;
    # frame 2: two true boxes, one pseudo box overlapping both (IoU 0.67 and 0.25: it matches one)
    files = {"p0": "0 0.3 0.3 0.2 0.2\n0 0.8 0.8 0.1 0.1\n", "t0": "0 0.3 0.3 0.2 0.2\n",
             "p1": "", "t1": "0 0.5 0.5 0.1 0.1\n",
             "p2": "0 0.45 0.5 0.3 0.2\n", "t2": "0 0.4 0.5 0.2 0.2\n2 0.6 0.5 0.2 0.2\n"}
    for k, v in files.items(): (tmp_path / f"{k}.txt").write_text(v)
    fr = pd.DataFrame({"frame": [0, 1, 2], "label": [str(tmp_path / f"p{i}.txt") for i in range(3)],
                       "truth": [str(tmp_path / f"t{i}.txt") for i in range(3)]})
    q = label_quality(fr)
    assert (q["pseudo_boxes"], q["true_boxes"]) == (3, 4)
    assert q["precision"] == pytest.approx(2 / 3) and q["recall"] == pytest.approx(2 / 4)
    assert label_quality(fr.iloc[[1]])["precision"] != label_quality(fr.iloc[[1]])["precision"]   # no pseudo box: NaN, not 0
    (tmp_path / "t1.txt").unlink()
    with pytest.raises(DataError, match="t1.txt"):
        label_quality(fr)


def test_class_maps_reach_the_detector_and_count_as_vehicles(stream, monkeypatch):
    "A COCO generic student: only its car, bus and truck boxes count, as class 0; the profile's class maps reach every stage."
    import sbad_nb.bank as bank
    import sbad_nb.evaluation as evaluation
    import sbad_nb.pseudolabel as pseudolabel
    from sbad_nb.core import get_profile
    fr = list_frames(stream, 1, split="test").iloc[:2]
    seen = []

    def coco_predict(model, images, classes=None, features=False, **kw):   # ultralytics keeps `classes` only, as it does
        seen.append(classes)
        d = [Detections([[1, 1, 20, 20], [30, 30, 50, 50]], [0.9, 0.8], [2, 0], (48, 64)) for _ in images]   # a car, a person
        d = [Detections(x.xyxy[np.isin(x.cls, classes)], x.conf[np.isin(x.cls, classes)], x.cls[np.isin(x.cls, classes)], x.shape)
             if classes else x for x in d]
        return (d, np.zeros((len(d), 4))) if features else d
    monkeypatch.setattr(evaluation, "predict", coco_predict)
    p = predictions(object(), fr, classes=(7, 2, 5))
    assert seen[-1] == [2, 5, 7] and len(p) == 2 and (p.cls == 0).all()          # the person is gone, the car is a vehicle
    assert sorted(predictions(object(), fr).cls) == [0, 0, 2, 2]                   # no map: classes as the detector gives them
    monkeypatch.setattr(bank, "predict", coco_predict)
    scores, _ = bank.score_frames(object(), fr, classes=(2, 5, 7))
    assert seen[-1] == [2, 5, 7] and scores.n_boxes.tolist() == [1, 1]
    made = {}
    monkeypatch.setattr(pseudolabel, "YoloTeacher", lambda w, **kw: made.update(weights=w, **kw))
    pseudolabel.make_teacher(get_profile("paper;teacher_conf=0.4"))
    assert made["class_map"] == {2: 0, 5: 0, 7: 0} and made["imgsz"] == 1280 and made["conf"] == 0.4
    assert get_profile("paper").student_classes == (2, 5, 7) and get_profile("tiny").student_classes == ()
