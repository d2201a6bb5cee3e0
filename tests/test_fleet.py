"""Label-free camera signatures (09a): deterministic and order-free, near 0 for the same camera, far across families;
leave-one-out never reads a held-out camera's test labels; a planted fleet's families are recovered; bad input named."""
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import sbad_nb.fleet as fleet
from sbad_nb.core import ConfigError, DataError
from sbad_nb.data import make_synthetic_stream
from sbad_nb.fleet import (camera_signatures, leave_one_out, make_signature, signature_clusters, signature_distance,
                           signature_matrix, simulate_fleet)
from sbad_nb.stats import adjusted_rand

FAM = {1: "avenue", 2: "avenue", 3: "highway", 4: "industrial"}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    "Four cameras (two avenue, a highway, an industrial) and a second render of cam1 from the same parameters."
    root = tmp_path_factory.mktemp("planted")
    make_synthetic_stream(root / "a", cameras=list(FAM), bank_frames=24, test_frames=2, width=64, families=FAM, progress=False)
    make_synthetic_stream(root / "b", cameras=[1], bank_frames=24, test_frames=2, width=64, families={1: "avenue"}, progress=False)
    return root


def test_signatures_are_deterministic_and_order_free(planted, monkeypatch):
    a = camera_signatures(planted / "a", frames=12, seed=3, progress=False)
    b = camera_signatures(planted / "a", frames=12, seed=3, progress=False)
    for c in a:
        assert np.array_equal(a[c].frames, b[c].frames) and np.allclose(a[c].features, b[c].features, atol=1e-9)
    assert not np.array_equal(a["cam1"].frames, camera_signatures(planted / "a", frames=12, seed=4, progress=False)["cam1"].frames)
    listing = fleet.list_frames                              # a listing in another order: the same sample, the same signature
    monkeypatch.setattr(fleet, "list_frames", lambda *x, **k: listing(*x, **k).sample(frac=1, random_state=0))
    c = camera_signatures(planted / "a", frames=12, seed=3, progress=False)
    for cam in a:
        assert np.array_equal(c[cam].frames, a[cam].frames) and np.allclose(c[cam].features, a[cam].features, atol=1e-9)
    X, fr = np.random.default_rng(0).normal(size=(8, 5)), np.arange(8)
    p = np.random.default_rng(1).permutation(8)
    assert np.array_equal(make_signature(1, fr[p], X[p]).features, make_signature(1, fr, X).features)


@pytest.mark.parametrize("kind", ["frechet", "mmd"])
def test_same_camera_near_zero_other_family_far(planted, kind):
    a = camera_signatures(planted / "a", frames=16, progress=False)
    b = camera_signatures(planted / "b", frames=16, progress=False)
    same = signature_distance(a["cam1"], b["cam1"], kind)
    across = [signature_distance(a["cam1"], a[c], kind) for c in ("cam3", "cam4")]
    assert same == pytest.approx(0, abs=1e-6)
    assert min(across) > 1e3 * max(same, 1e-9)


def test_leave_one_out_never_reads_held_out_labels(planted, tmp_path):
    "Each camera's test labels (and test images) removed before its signature and assignment: the same assignment."
    root = tmp_path / "fleet"
    shutil.copytree(planted / "a", root)
    full = leave_one_out(signature_matrix(camera_signatures(root, frames=16, progress=False)), 2, {f"cam{c}": f for c, f in FAM.items()})
    for c in FAM:
        test, away = root / f"cam{c}" / "test", tmp_path / "away"
        shutil.move(test, away)
        try:
            assert not test.exists()
            M = signature_matrix(camera_signatures(root, frames=16, progress=False))
            row = leave_one_out(M, 2).set_index("camera").loc[f"cam{c}"]
        finally:
            shutil.move(away, test)
        assert row.cluster == full.set_index("camera").loc[f"cam{c}", "cluster"]
    assert (root / "cam1" / "test" / "labels").is_dir()
    assert set(full.columns) >= {"camera", "cluster", "distance", "family", "cluster_family", "same_family"}


def test_planted_toy_fleet_recovers_its_families():
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=8, size=(5, 16))
    fam = {f"cam{c}": (c - 1) % 5 for c in range(1, 61)}            # 60 cameras in 5 families
    sigs = {c: make_signature(c, range(24), centres[f] + rng.normal(size=(24, 16))) for c, f in fam.items()}
    for kind in ("frechet", "mmd"):
        assert adjusted_rand(signature_clusters(signature_matrix(sigs, kind), 5), fam) == 1.0
    loo = leave_one_out(signature_matrix(sigs), 5, fam)
    assert loo.same_family.all() and (loo.cameras == 11).all()


def test_bad_input_is_named(planted, tmp_path):
    with pytest.raises(DataError, match=r"4 camera\(s\) cannot be signed") as e:
        camera_signatures(planted / "a", frames=25, progress=False)
    assert "cam3 has 24 bank frames" in str(e.value) and "lower `frames`" in str(e.value)
    root = tmp_path / "black"
    shutil.copytree(planted / "a", root)
    for p in (root / "cam3" / "week1" / "bank" / "images").glob("*.jpg"):
        Image.new("RGB", (64, 48)).save(p)
    with pytest.raises(DataError, match="cam3: its 16 sampled frames give the same features"):
        camera_signatures(root, frames=16, progress=False)
    assert list(camera_signatures(root, cameras=[1, 2, 4], frames=16, progress=False)) == ["cam1", "cam2", "cam4"]
    with pytest.raises(ConfigError, match="at least 2 frames"):
        camera_signatures(root, frames=1, progress=False)
    with pytest.raises(DataError, match="does not exist"):
        camera_signatures(tmp_path / "nowhere/", progress=False)


def test_fleet_simulation_is_deterministic(tmp_path):
    a = simulate_fleet(10, 5, frames=8, width=64, root=tmp_path / "f", progress=False)
    b = simulate_fleet(10, 5, frames=8, width=64, progress=False)
    assert a["clusters"] == b["clusters"] and np.allclose(a["matrix"], b["matrix"])
    assert sorted((tmp_path / "f").iterdir())[0].name == "cam1"      # kept when a root is given
    assert a["ari"] == adjusted_rand(a["clusters"], a["families"])
    assert set(a["families"].values()) == set(list(fleet.FAMILIES)[:5])


@pytest.mark.slow
def test_fleet_on_ray_equals_local():
    ray = pytest.importorskip("ray")
    from sbad_nb.runs import ray_init
    local = simulate_fleet(10, 5, frames=8, width=64, jobs=2, progress=False)
    ray_init(num_cpus=2)
    try:
        remote = simulate_fleet(10, 5, frames=8, width=64, engine="ray", progress=False)
    finally:
        ray.shutdown()
    assert remote["clusters"] == local["clusters"]
    assert np.allclose(remote["matrix"], local["matrix"], atol=1e-6)


def test_day_one_students_never_saw_the_held_out_camera():
    """On the smoke profile: each camera held out is scored with a student trained on the other camera only (its run
    names its cameras), beside the generic student and its own; a second call trains nothing; a camera inside its
    own cluster is refused."""
    import json
    from sbad_nb.core import get_profile
    from sbad_nb.fleet import camera_signatures, day_one, leave_one_out, signature_matrix
    from sbad_nb.evaluation import reference_metrics
    from sbad_nb.runs import runs_dir
    from sbad_nb.student import run_sweep
    prof = get_profile("smoke")
    run_sweep(prof, strategies=["top_confidence"], ceilings=[], progress=False)
    loo = leave_one_out(signature_matrix(camera_signatures(prof, frames=12, progress=False)), 1)
    d1 = day_one(prof, loo, progress=False)
    assert len(d1) == 2 * len(prof.seeds) and d1[["day_one_mAP50", "generic_mAP50", "own_mAP50"]].notna().all().all()
    ref = reference_metrics(prof, prof.camera_ids)
    for r in d1.itertuples():
        rec = json.loads((runs_dir(prof) / r.run_id / "run.json").read_text())
        assert r.camera not in rec.get("cams", [rec["cam"]]) and r.camera not in r.run_id
        assert r.generic_mAP50 == ref[int(r.camera[3:])]["generic"]["mAP50"]
    stamps = {p: p.stat().st_mtime_ns for p in runs_dir(prof).glob("csbad_signature_*/run.json")}
    again = day_one(prof, loo, progress=False)
    assert again.equals(d1) and stamps == {p: p.stat().st_mtime_ns for p in runs_dir(prof).glob("csbad_signature_*/run.json")}
    with pytest.raises(ConfigError, match="cam1 is in the cluster it is assigned to"):
        day_one(prof, loo.assign(cluster="cam1+cam2"), progress=False)


def test_a_profile_with_settings_is_not_a_data_root(tmp_path):
    "`sbad_reproduce --set root=/data` hands 09a `paper;root=/data;...`: a profile with settings, though it holds a '/'."
    assert not fleet._is_root("paper;root=/data/walt;cameras=1,2") and not fleet._is_root("smoke")
    assert fleet._is_root(tmp_path) and fleet._is_root(str(tmp_path)) and fleet._is_root("data/tiny/stream")
