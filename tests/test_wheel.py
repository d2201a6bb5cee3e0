"""The built wheel works from an empty folder: profiles, the synthetic stream, a smoke student, selection, mAP;
and it writes nothing outside its work directory (the current folder), neither in the checkout nor in the home."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # builds the wheel and installs it into a fresh environment: `make test`, not `make test-quick`

ROOT = Path(__file__).resolve().parents[1]

USER_SCRIPT = textwrap.dedent("""
    import json, os, sys, warnings
    from pathlib import Path
    import numpy as np, pandas as pd
    import sbad_nb
    from sbad_nb.core import ROOT, PROFILES, get_profile
    from sbad_nb.data import data_root, list_frames, make_synthetic_stream
    from sbad_nb.strategies import select
    from sbad_nb.student import train_student
    from sbad_nb.evaluation import coco_map, ground_truth
    warnings.simplefilter("ignore")
    out = {"package": sbad_nb.__file__, "root": str(ROOT)}
    out["profiles"] = {n: get_profile(n).manifest for n in PROFILES}
    own = make_synthetic_stream("mine", cameras=[3], weeks=[1], bank_frames=8, test_frames=2, width=64, progress=False)
    out["own_stream"] = sorted(str(p) for p in Path("mine").glob("cam3/*"))
    root = data_root("smoke", progress=False)            # the smoke profile's stream, made in the work directory
    out["stream"] = str(root)
    rec = train_student("smoke", 1, "top_confidence", 8, 0)
    out["run"] = {k: rec[k] for k in ("run_id", "selected", "weights")}
    sc = pd.DataFrame({"frame": np.arange(50), "n_boxes": 1, "conf_max": np.linspace(0.1, 0.9, 50)})
    sc = sc.assign(conf_min=sc.conf_max, conf_mean=sc.conf_max, conf_sum=sc.conf_max)
    out["select"] = select("top_confidence", sc, 5, warmup=10).tolist()
    g = ground_truth(list_frames(root, 1, split="test"))
    out["map_self"] = coco_map(g.assign(conf=1.0), g)["mAP50"]
    print("RESULT " + json.dumps(out))
""")


def _touched(root: Path, since: float) -> list:
    "Files under `root` modified after `since`, without the virtual environment, git and Python's own caches."
    skip = {".venv", ".git", "__pycache__", ".pytest_cache"}
    found = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        found += [Path(dirpath, f) for f in files if Path(dirpath, f).stat().st_mtime > since]
    return found


@pytest.mark.timeout(900)
def test_wheel_from_an_empty_folder(tmp_path):
    src, wheels, venv, work, home = (tmp_path / d for d in ("src", "wheels", "venv", "work", "home"))
    for d in (work, home): d.mkdir()
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True, text=True).stdout.split("\0")
    for f in filter(None, tracked):                             # the working tree's files: the build leaves nothing in the checkout
        if (ROOT / f).is_file(): (src / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT / f, src / f)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next(wheels.glob("sbad_nb-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)   # a fresh virtual environment
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "project_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")   # the project's packages, not its sbad_nb
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path)
    start = time.time() - 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SBAD_", "YOLO_", "WANDB_", "MPLCONFIGDIR"))}
    env.update(HOME=str(home), OMP_NUM_THREADS="2")
    env.pop("PYTHONPATH", None); env.pop("VIRTUAL_ENV", None)
    p = subprocess.run([str(venv / "bin" / "python"), "-c", USER_SCRIPT], cwd=work, env=env, capture_output=True, text=True, timeout=850)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    out = json.loads(next(l for l in p.stdout.splitlines() if l.startswith("RESULT "))[7:])
    print(json.dumps(out, indent=1))
    assert Path(out["package"]).is_relative_to(site)           # the wheel, not the checkout's editable install
    assert out["own_stream"] == ["mine/cam3/camera.json", "mine/cam3/stream.json", "mine/cam3/test", "mine/cam3/week1"]   # make_synthetic_stream, by hand
    assert Path(out["root"]) == work.resolve()                  # an empty folder is its own work directory
    assert out["profiles"] == {"smoke": "synthetic", "tiny": "synthetic", "small": "synthetic", "paper": "walt"}
    assert Path(out["stream"]).is_relative_to(work.resolve()) and out["run"]["selected"] == 8
    assert out["select"] == [10, 11, 12, 13, 14]              # the first 5 frames after the warm-up above its 90th percentile
    assert out["map_self"] == pytest.approx(1.0)
    assert (work / "data" / "smoke" / "runs" / out["run"]["run_id"] / "weights" / "best.pt").is_file()
    assert list(home.rglob("*")) == [], f"written in the home directory: {list(home.rglob('*'))[:5]}"
    assert _touched(ROOT, start) == [], "written in the checkout"
