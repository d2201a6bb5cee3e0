"""`sbad_export`: students to ONNX, each checked against PyTorch, with students.json; resumable, and bad input stops it
before anything is written."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sbad_nb.deploy as deploy
from sbad_nb.core import DataError, resolve
from sbad_nb.models import GENERIC_ASSET, TEACHER_ASSET
from sbad_nb.runs import weights_digest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    "One camera of the avenue family (the generic student knows it: test mAP50 ~0.6), 20 test frames at 160 px."
    from sbad_nb.data import make_synthetic_stream
    root = tmp_path_factory.mktemp("cam")
    make_synthetic_stream(root, cameras=[1], weeks=[1], bank_frames=4, test_frames=20, width=160, seed=0, progress=False,
                          families={1: "avenue"})
    return root / "cam1" / "test"


def sbad_export(*args, home):
    "The command as a user runs it, with its work directory in `home`."
    env = {**os.environ, "SBAD_HOME": str(home), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([str(BIN / "sbad_export"), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-3000:]
    return r


def test_generic_student_onnx_equals_pytorch(camera, tmp_path):
    "The shipped generic student: one .onnx, students.json that names it truly, ONNX mAP50 = PyTorch's on the test frames."
    out = tmp_path / "deploy"
    res = deploy.export_students(weights=GENERIC_ASSET, out=out, test=camera, progress=False)
    doc = json.loads((out / "students.json").read_text())
    st = doc["students"][0]
    assert sorted(p.name for p in out.iterdir()) == ["generic_student.onnx", "students.json"]
    assert st["sha256"] == weights_digest(out / "generic_student.onnx", None)
    assert st["source"]["sha256"] == weights_digest(resolve(GENERIC_ASSET), None)
    assert (st["imgsz"], st["input"]["shape"], st["classes"]) == (160, [1, 3, 160, 160], ["vehicle"])
    cam = st["check"]["cameras"]["cam1"]
    assert st["check"]["passed"] and cam["frames"] == 20 and cam["mAP50_pt"] > 0.3
    assert abs(cam["mAP50_onnx"] - cam["mAP50_pt"]) <= deploy.TOLERANCE
    assert st["check"]["fps"]["pt"] > 0 and st["check"]["fps"]["onnx"] > 0
    assert doc["cameras"] == {"cam1": {"weights": "generic_student.onnx"}}
    assert doc["made_with"]["versions"]["onnxruntime"] and "git_hash" in doc["made_with"]
    assert res.mAP50_pt[0] == cam["mAP50_pt"] and not res.reused[0]


def test_rerun_reuses_unchanged_weights_and_redoes_changed_ones(camera, tmp_path):
    w, out = tmp_path / "w" / "student.pt", tmp_path / "deploy"
    w.parent.mkdir()
    shutil.copyfile(resolve(GENERIC_ASSET), w)
    deploy.export_students(weights=w, out=out, imgsz=96, test=camera, progress=False)
    stamp = (out / "student.onnx").stat().st_mtime_ns
    assert deploy.export_students(weights=w, out=out, imgsz=96, test=camera, progress=False).reused[0]
    assert (out / "student.onnx").stat().st_mtime_ns == stamp               # not written again
    shutil.copyfile(resolve(TEACHER_ASSET), w)                              # other weights under the same name
    res = deploy.export_students(weights=w, out=out, imgsz=96, test=camera, progress=False)
    st = json.loads((out / "students.json").read_text())["students"][0]
    assert not res.reused[0] and st["source"]["sha256"] == weights_digest(w, None)
    assert st["sha256"] == weights_digest(out / "student.onnx", None)
    assert sorted(p.name for p in out.iterdir()) == ["student.onnx", "students.json"]
    # an interrupted run: a student that passed is staged (its .onnx and record), students.json not yet written
    again = tmp_path / "again"
    (again / ".staging").mkdir(parents=True)
    shutil.copyfile(out / "student.onnx", again / ".staging" / "student.onnx")
    (again / ".staging" / "student.json").write_text(json.dumps(st))
    assert deploy.export_students(weights=w, out=again, imgsz=96, test=camera, progress=False).reused[0]
    assert sorted(p.name for p in again.iterdir()) == ["student.onnx", "students.json"]     # moved into place
    assert json.loads((again / "students.json").read_text())["students"][0]["sha256"] == st["sha256"]


def test_a_failed_check_writes_nothing(camera, tmp_path, monkeypatch):
    "An export that does not predict what PyTorch does (here: another network's) raises and leaves no claim of success."
    real = deploy.export_onnx
    monkeypatch.setattr(deploy, "export_onnx", lambda w, dest, imgsz: real(TEACHER_ASSET, dest, imgsz))
    out = tmp_path / "deploy"
    with pytest.raises(DataError, match="does not predict what PyTorch does.*students.json was not written"):
        deploy.export_students(weights=GENERIC_ASSET, out=out, test=camera, progress=False)
    assert not out.exists()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    r = sbad_export("--weights", tmp_path / "nope.pt", "--out", out, home=home)
    assert r.returncode == 1 and r.stderr.startswith("sbad_export: weights file") and "nope.pt does not exist" in r.stderr
    r = sbad_export("--report", tmp_path, "--out", out, home=home)                 # a folder, not a report
    assert r.returncode == 1 and f"{tmp_path}/run.json does not exist" in r.stderr and "its --out" in r.stderr
    report = tmp_path / "report"
    (report / "tables").mkdir(parents=True)
    (report / "run.json").write_text(json.dumps({"params": {"profile": "smoke;budgets=10"}}))
    r = sbad_export("--report", report, "--out", out, home=home)                   # a report without 08's table
    assert r.returncode == 1 and "inference_results.csv does not exist" in r.stderr
    assert "sbad_reproduce --profile smoke --set budgets=10 --out" in r.stderr and "--only 06,08" in r.stderr
    (report / "tables" / "inference_results.csv").write_text(
        "run_id,data_name,strategy,samples,seed,mAP50,model_role\n"
        "cam1_w1_n_first_n10_s0_e1,cam1,n_first,10,0,0.5,student\n"
        "csbad_cam1+cam2_w1_n_first_n10_s0_e1,cam1,csbad_n_first,10,0,0.5,student\n"
        "csbad_cam1+cam2_w1_n_first_n10_s0_e1,cam2,csbad_n_first,10,0,0.5,student\n")
    r = sbad_export("--report", report, "--out", out, home=home)                   # its runs are not there
    assert r.returncode == 1 and "2 student run(s)" in r.stderr and "cam1_w1_n_first_n10_s0_e1" in r.stderr
    assert "--only 06" in r.stderr and "--only 09" in r.stderr
    r = sbad_export("--weights", GENERIC_ASSET, "--out", report / "run.json", home=home)   # --out is a file
    assert r.returncode == 1 and "is a file; give a folder" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (home / "data").exists()


@pytest.mark.slow
def test_sbad_export_report_as_a_user_runs_it(tmp_path):
    """A smoke student trained and evaluated into a report (06 and 08, reduced to one run), then `sbad_export --report`:
    exit 0, no traceback, students.json lists the camera, ONNX mAP50 = PyTorch's."""
    home, report, out = tmp_path / "home", tmp_path / "report", tmp_path / "deploy"
    env = {**os.environ, "SBAD_HOME": str(home), "OMP_NUM_THREADS": "1"}
    make = ("from sbad_nb.core import write_json; from sbad_nb.student import train_student; "
            "from sbad_nb.evaluation import evaluate_runs; "
            "train_student('smoke', 1, 'n_first', 10, 0); "
            f"write_json({str(report / 'run.json')!r}, {{'params': {{'profile': 'smoke'}}}}); "
            f"evaluate_runs('smoke', cameras=[1], out={str(report)!r}, progress=False)")
    r = subprocess.run([sys.executable, "-c", make], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    r = sbad_export("--report", report, "--out", out, home=home)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"1 student(s) -> {out / 'students.json'}" in r.stdout
    doc = json.loads((out / "students.json").read_text())
    st = doc["students"][0]
    assert doc["cameras"] == {"cam1": {"camera": "cam1.onnx"}} and doc["source"]["rule"] == deploy.RULE
    assert st["source"]["run_id"] == "cam1_w1_n_first_n10_s0_e1" and st["imgsz"] == 96
    assert st["source"]["sha256"] == weights_digest(home / "data/smoke/runs/cam1_w1_n_first_n10_s0_e1/weights/best.pt", None)
    cam = st["check"]["cameras"]["cam1"]
    assert st["check"]["passed"] and abs(cam["mAP50_onnx"] - cam["mAP50_pt"]) <= deploy.TOLERANCE
    assert abs(cam["mAP50_pt"] - st["report_mAP50"]["cam1"]) < 0.05        # the report's figure, rectangular letterbox
    assert sorted(p.name for p in out.iterdir()) == ["cam1.onnx", "students.json"]
