"""The Ray engine gives the same sweep as the local engine (smoke profile, local Ray with 2 CPUs)."""
import json

import pytest

ray = pytest.importorskip("ray")

from sbad_nb.core import get_profile
from sbad_nb.runs import ray_init, runs_dir
from sbad_nb.student import run_sweep

pytestmark = pytest.mark.slow   # Ray clusters start and train (a minute and more): `make test`, not `make test-quick`


def test_ray_sweep_equals_local_sweep():
    prof = get_profile("smoke")
    grid = dict(cameras=[1, 2], strategies=["n_first", "random"], ceilings=["gt"], progress=False)
    local = run_sweep(prof, force=True, **grid)
    frames = {r: json.loads((runs_dir(prof) / r / "run.json").read_text())["frames"] for r in local.run_id}
    ray_init(num_cpus=2)
    try:
        remote = run_sweep(prof, engine="ray", force=True, **grid)
    finally:
        ray.shutdown()
    assert remote.run_id.tolist() == local.run_id.tolist()
    for r in remote.run_id:                                  # same selections, same trained runs in the same folders
        rec = json.loads((runs_dir(prof) / r / "run.json").read_text())
        assert rec["frames"] == frames[r] and rec["status"] == "done"
    cols = ["selected", "seed", "epochs", "best_epoch"]
    assert remote[cols].equals(local[cols])
    assert (remote.val_mAP50 - local.val_mAP50).abs().max() < 0.02
    again = run_sweep(prof, **grid)                          # and finished runs are reused afterwards
    assert again.seconds.tolist() == remote.seconds.tolist()


def test_ray_cluster_students_equal_local_ones():
    "A cluster student as a Ray task: the same run as the local engine trains (smoke's own cluster: no stray runs)."
    import sbad_nb.csbad as csbad
    prof = get_profile("smoke")
    clusters = {"cam1": 1, "cam2": 1}
    local = csbad.train_cluster_students(prof, clusters, seeds=[0], progress=False)
    for r in local.run_id:                                   # trained again on Ray, into the same folders
        (runs_dir(prof) / r / "run.json").unlink()
    ray_init(num_cpus=2)
    try:
        remote = csbad.train_cluster_students(prof, clusters, seeds=[0], progress=False, engine="ray")
    finally:
        ray.shutdown()
    assert remote.run_id.tolist() == local.run_id.tolist()
    assert remote[["selected", "per_camera", "seed"]].equals(local[["selected", "per_camera", "seed"]])
    with pytest.raises(Exception, match="unknown engine 'spark'"):
        csbad.train_cluster_students(prof, clusters, engine="spark")


def test_ray_students_keep_the_head_as_local_ones_do(tmp_path):
    "A COCO-class generic student: on both engines the students start from its vehicle rows (every tensor), the +reset twins do not."
    from sbad_nb.models import GENERIC_ASSET, coco_indexed
    coco = coco_indexed(GENERIC_ASSET, tmp_path / "coco.pt")
    prof = get_profile("smoke", student=str(coco), student_classes=(2, 5, 7), generic_epochs=0, generic_frames=0, imgsz=160)
    grid = dict(cameras=[1], strategies=["n_first", "n_first+reset"], ceilings=[], progress=False)
    local = run_sweep(prof, force=True, **grid)
    heads = lambda df: [(json.loads((runs_dir(prof) / r / "run.json").read_text())["head"],
                         json.loads((runs_dir(prof) / r / "run.json").read_text())["transferred"]) for r in df.run_id]
    kept = heads(local)
    assert [h for h, _ in kept] == ["keep", "reset"] and kept[0][1][0] == kept[0][1][1] and kept[1][1][1] - kept[1][1][0] == 6
    ray_init(num_cpus=2)
    try:
        remote = run_sweep(prof, engine="ray", force=True, **grid)
    finally:
        ray.shutdown()
    assert heads(remote) == kept
