"""Student sweep, evaluation of runs and CSBAD cluster students on the smoke profile (runs in a temporary folder)."""
import json
from pathlib import Path
import warnings

import numpy as np
import pandas as pd
import pytest

import sbad_nb.csbad as csbad
import sbad_nb.evaluation as evaluation
import sbad_nb.student as student
from sbad_nb.bank import prepare_bank
from sbad_nb.core import ConfigError, DataError, get_profile
from sbad_nb.runs import finished, run_id, runs_dir
from sbad_nb.strategies import select


@pytest.fixture
def runs(tmp_path, monkeypatch):
    "Every run of this test goes to a private folder, not data/smoke/runs."
    d = tmp_path / "runs"
    for mod in (student, evaluation, csbad):
        monkeypatch.setattr(mod, "runs_dir", lambda prof: d)
    return d


def test_interrupted_sweep_continues(runs, monkeypatch):
    prof = get_profile("smoke")
    real, calls = student.fit_run, []

    def interrupted(*a, **k):
        calls.append(a[1].name)
        if len(calls) == 2: raise KeyboardInterrupt
        return real(*a, **k)
    monkeypatch.setattr(student, "fit_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        student.run_sweep(prof, cameras=[1], strategies=["n_first", "random"], ceilings=[], progress=False)
    first = runs / calls[0] / "run.json"
    assert finished(runs / calls[0]) and not finished(runs / calls[1])
    stamp = first.stat().st_mtime_ns
    monkeypatch.setattr(student, "fit_run", real)
    df = student.run_sweep(prof, cameras=[1], strategies=["n_first", "random"], ceilings=[], progress=False)
    assert df.run_id.tolist() == calls and first.stat().st_mtime_ns == stamp     # the finished run was reused
    assert all(finished(runs / r) for r in calls)


def test_grid_errors_come_before_training(runs):
    prof = get_profile("smoke")
    with pytest.raises(DataError, match=r"camera\(s\) \[7\] are not target cameras"):
        student.run_sweep(prof, cameras=[7], progress=False)
    with pytest.raises(ConfigError, match="budget 100000 is larger than the bank of cam1"):
        student.run_sweep(prof, cameras=[1], budgets=[100000], progress=False)
    with pytest.raises(ConfigError, match="budget 100000 is larger than the bank of cam1"):
        student.train_student(prof, 1, "random", 100000)
    assert not runs.exists() or not any(runs.iterdir())


def test_run_without_weights_is_reported_and_skipped(runs):
    prof = get_profile("smoke")
    student.train_student(prof, 1, "n_first", 10, 0)
    broken = runs / "cam1_w1_random_n10_s0_e1"
    broken.mkdir(parents=True)
    (broken / "run.json").write_text(json.dumps({"run_id": broken.name, "status": "done", "cam": "cam1"}))
    with pytest.warns(UserWarning, match=r"1 run folder\(s\) without finished weights skipped: cam1_w1_random_n10_s0_e1"):
        res = evaluation.evaluate_runs(prof, progress=False)
    assert res[res.model_role == "student"].run_id.tolist() == ["cam1_w1_n_first_n10_s0_e1"]
    assert set(res.model_role) == {"teacher", "baseline", "student"} and res.mAP50.notna().all()


def test_evaluation_is_like_for_like(runs):
    "Teacher, generic and students: mAP on predictions above eval_conf, precision / recall above conf."
    prof = get_profile("smoke")
    res = evaluation.evaluate_runs(prof, cameras=[1], progress=False)
    kw, op = evaluation._eval_settings(prof)
    assert kw["conf"] == prof.eval_conf and op == prof.conf
    fr = evaluation.list_frames(evaluation.data_root(prof), 1, split="test")
    gts = evaluation.ground_truth(fr)
    teacher = evaluation.make_teacher(get_profile("smoke", conf=prof.eval_conf))
    again = evaluation.evaluate(evaluation.predictions(teacher, fr, **kw), gts, images=fr.frame, conf=op)
    row = res[res.model_role == "teacher"].iloc[0]
    assert row.mAP50 == pytest.approx(again["mAP50"]) and row.precision == pytest.approx(again["precision"])


def test_cluster_student_takes_its_cameras_budgets(runs):
    "A cluster student: the budget's frames from each of its cameras, the teacher labels of its cameras' own students together."
    prof = get_profile("smoke")
    rec = csbad.train_cluster_student(prof, ["cam2", 1], "top_confidence", 10, 0)
    assert rec["run_id"] == "csbad_cam1+cam2_w1_top_confidence_n10_s0_e1" and rec["per_camera"] == 10
    for c in (1, 2):                                        # each camera's part is that camera's own selection of 10
        b = prepare_bank(prof, c, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = select("top_confidence", b["scores"], 10, seed=0, **student.strategy_params(prof, "top_confidence", b))
        assert rec["frames"][f"cam{c}"] == [int(x) for x in want] == student.train_student(prof, c, "top_confidence", 10, 0)["frames"]
    assert csbad.train_cluster_student(prof, [1, 2], "top_confidence", 10, 0)["seconds"] == rec["seconds"]   # reused
    res = evaluation.evaluate_runs(prof, progress=False)
    cl = res[res.run_id == rec["run_id"]]
    assert sorted(cl.data_name) == ["cam1", "cam2"] and set(cl.strategy) == {"csbad_top_confidence"}
    with pytest.raises(ConfigError, match="budget 0 must be at least 1 frame per camera"):
        csbad.train_cluster_student(prof, [1, 2], "top_confidence", 0, 0)
    with pytest.raises(DataError, match=r"camera\(s\) \[9\] are not target cameras"):
        csbad.train_cluster_students(prof, {"cam1": 1, "cam9": 1})


def test_one_camera_cluster_is_the_camera_student(runs, monkeypatch):
    "A singleton cluster links the camera's own run (same frames and weights) instead of training it again."
    prof = get_profile("smoke")
    own = student.train_student(prof, 1, "top_confidence", 10, 0)
    monkeypatch.setattr(csbad, "fit_run", lambda *a, **k: pytest.fail("a one-camera cluster was trained again"))
    rec = csbad.train_cluster_student(prof, ["cam1"], "top_confidence", 10, 0)
    assert rec["run_id"] == "csbad_cam1_w1_top_confidence_n10_s0_e1" and rec["same_as"] == own["run_id"]
    assert rec["frames"] == {"cam1": own["frames"]} and rec["per_camera"] == 10 and rec["cams"] == ["cam1"]
    assert (runs / rec["run_id"] / "weights" / "best.pt").read_bytes() == (runs / own["run_id"] / "weights" / "best.pt").read_bytes()
    assert csbad.train_cluster_student(prof, [1], "top_confidence", 10, 0) == rec                       # reused as it is
    res = evaluation.evaluate_runs(prof, cameras=[1], progress=False).set_index("run_id")
    assert res.loc[rec["run_id"], "strategy"] == "csbad_top_confidence"
    assert res.loc[rec["run_id"], "mAP50"] == pytest.approx(res.loc[own["run_id"], "mAP50"])


def test_a_selection_already_trained_is_linked_not_trained_again(runs, monkeypatch):
    "gamma 1 selects top_confidence's frames: the same fine-tuning, so its run links the first one's weights."
    prof = get_profile("smoke")
    own, real = student.train_student(prof, 1, "top_confidence", 10, 0), student.fit_run
    monkeypatch.setattr(student, "fit_run", lambda *a, **k: pytest.fail("the same selection was trained again"))
    rec = student.train_student(prof, 1, "farthest_first_confident_g1", 10, 0)
    assert rec["same_as"] == own["run_id"] and rec["frames"] == own["frames"] and rec["seconds"] == 0.0
    assert rec["strategy"] == "farthest_first_confident_g1" and rec["selection"] == own["selection"]
    assert (runs / rec["run_id"] / "weights" / "best.pt").read_bytes() == (runs / own["run_id"] / "weights" / "best.pt").read_bytes()
    assert student.train_student(prof, 1, "farthest_first_confident_g1", 10, 0) == rec                 # reused as it is
    monkeypatch.setattr(student, "fit_run", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("trained")))
    with pytest.raises(RuntimeError, match="trained"):                                     # force trains anyway
        student.train_student(prof, 1, "farthest_first_confident_g1", 10, 0, force=True)
    monkeypatch.setattr(student, "fit_run", real)
    seed1 = student.train_student(prof, 1, "top_confidence", 10, 1)                           # another seed: its own training
    assert "same_as" not in seed1 and seed1["selection"] != own["selection"]


def test_budget_epochs_train_a_short_selection_for_its_budget(runs, monkeypatch):
    "Under budget_epochs a run trains its budget's load whatever its strategy found: two budgets on the same frames are two trainings."
    from dataclasses import replace
    prof = replace(get_profile("smoke"), budget_epochs=4)
    bank = prepare_bank(prof, 1, progress=False)
    five = bank["bank"].frame.to_numpy()[:5]
    monkeypatch.setattr(student, "select_frames", lambda *a, **k: (five, True))     # a stream that runs short at 5 frames
    a = student.train_student(prof, 1, "n_first", 10, 0, bank=bank)
    b = student.train_student(prof, 1, "n_first", 20, 0, bank=bank)
    assert (a["epochs"], b["epochs"]) == (8, 16)                   # 4 epochs of 10 (of 20) frames, on 5 frames
    assert a["frames"] == b["frames"] and "same_as" not in b and a["selection"] != b["selection"]
    assert a["run_id"].endswith("_n10_s0_b4") and b["run_id"].endswith("_n20_s0_b4")
    ceiling = student.train_ceiling(prof, 1, "teacher", 0, bank=bank)      # the whole bank at the largest budget's load:
    assert ceiling["samples"] == len(bank["bank"]) >= 80 and ceiling["epochs"] == 1   # 40 image-iterations, not 4 epochs


def test_parallel_sweep_is_the_serial_sweep():
    "jobs=2 trains in worker processes (the real runs folder: workers do not see monkeypatches); same rows, same frames."
    import shutil
    prof = get_profile("smoke")
    grid = dict(cameras=[1], strategies=["random"], seeds=[901, 902], ceilings=[], progress=False)
    ids = [run_id(1, prof.stream["weeks"], "random", 10, k, prof.epochs) for k in (901, 902)]
    try:
        par = student.run_sweep(prof, jobs=2, force=True, **grid)
        assert par.run_id.tolist() == ids and all(finished(runs_dir(prof) / r) for r in ids)
        again = student.run_sweep(prof, jobs=1, **grid)                 # finished runs are reused, not retrained
        pd.testing.assert_frame_equal(again, par)
        b = prepare_bank(prof, 1, progress=False)
        for r, k in zip(ids, (901, 902)):
            got = json.loads((runs_dir(prof) / r / "run.json").read_text())["frames"]
            assert got == [int(x) for x in select("random", b["scores"], 10, seed=k)]
    finally:
        for r in ids: shutil.rmtree(runs_dir(prof) / r, ignore_errors=True)


@pytest.mark.parametrize("seed", range(5))
def test_cluster_cameras_matches_sklearn(seed):
    "Same partition as scikit-learn's average-linkage agglomerative clustering on the same distances."
    from sklearn.cluster import AgglomerativeClustering
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(4, 10)), int(rng.integers(2, 4))
    groups = rng.integers(0, k, n)
    v = np.where(groups[:, None] == groups[None, :], 0.7, 0.3) + rng.uniform(-0.2, 0.2, (n, n))
    cams = [f"cam{i}" for i in range(1, n + 1)]
    M = pd.DataFrame(np.clip(v, 0, 1), index=cams, columns=cams)
    ours = csbad.cluster_cameras(M, k)
    theirs = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average").fit_predict(csbad.camera_distance(M).to_numpy())
    same = lambda a: {frozenset(np.flatnonzero(np.asarray(a) == x)) for x in set(a)}
    assert same([ours[c] for c in cams]) == same(theirs)
    assert ours[cams[0]] == 1 and sorted(set(ours.values())) == list(range(1, len(set(ours.values())) + 1))


def test_ceilings_train_on_the_whole_bank(runs):
    "A ceiling is a run on the camera's whole bank, with the teacher's labels or ground truth (all classes -> vehicle)."
    from sbad_nb.data import read_labels
    prof = get_profile("smoke")
    bank = prepare_bank(prof, 1, progress=False)
    gt = student.train_ceiling(prof, 1, "gt", 0, bank=bank)
    assert gt["strategy"] == "ceiling_gt" and gt["samples"] == len(bank["bank"]) == len(gt["frames"])
    assert gt["frames"] == bank["bank"].frame.astype(int).tolist()
    d = runs / gt["run_id"]
    for img in bank["bank"].image[:5]:                     # the training labels are the ground truth, as one class
        p = Path(img)
        truth = read_labels(p.parent.parent / "gt" / (p.stem + ".txt"), allow_conf=False)
        copy = read_labels(d / "labelled" / "labels" / f"{p.parents[3].name}_{p.parents[2].name}_{p.stem}.txt", allow_conf=False)
        assert len(copy) == len(truth) and (copy[:, 0] == 0).all() and np.allclose(copy[:, 1:], truth[:, 1:], atol=1e-5)
    teacher = student.train_ceiling(prof, 1, "teacher", 0, bank=bank)
    assert teacher["strategy"] == "ceiling_teacher" and not (runs / teacher["run_id"] / "labelled").exists()
    assert teacher["run_id"] != gt["run_id"] and student.train_ceiling(prof, 1, "teacher", 0, bank=bank) == teacher   # reused
    with pytest.raises(ConfigError, match="unknown ceiling 'oracle'"):
        student.train_ceiling(prof, 1, "oracle", 0, bank=bank)
    res = evaluation.evaluate_runs(prof, cameras=[1], progress=False).set_index("run_id")
    assert res.loc[[gt["run_id"], teacher["run_id"]], "model_role"].tolist() == ["ceiling", "ceiling"]


def test_one_camera_cluster_reads_its_own_run(runs):
    "A cluster of one camera links the camera's own run, which 06 makes; without it, the error names 06 and nothing trains."
    prof = get_profile("smoke")
    with pytest.raises(DataError, match="which is not finished; run 06 first"):
        csbad.train_cluster_student(prof, [1], "random", 10, 7)
    assert not any(p.name.startswith("csbad_") for p in runs.glob("*"))
    own = student.train_student(prof, 1, "random", 10, 7)
    rec = csbad.train_cluster_student(prof, [1], "random", 10, 7)
    assert (rec["same_as"], rec["frames"], rec["seconds"]) == (own["run_id"], {"cam1": own["frames"]}, own["seconds"])


def test_later_stages_never_train_the_generic_student():
    "Evaluation and the cluster students read the generic student 04 made; one never made is an error naming 04."
    from dataclasses import replace
    prof = replace(get_profile("smoke"), generic_epochs=1, generic_frames=17)   # a generic student nobody trained
    for call in (lambda: evaluation.evaluate_runs(prof, progress=False), lambda: csbad.train_cluster_student(prof, [1, 2])):
        with pytest.raises(DataError, match=r"generic student of profile 'smoke' .*--only 04"):
            call()
