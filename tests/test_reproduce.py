"""`sbad_reproduce` runs the notebooks through papermill and records what ran."""
import json
import subprocess
import sys
from pathlib import Path


def test_reproduce_smoke_data_notebook(tmp_path):
    exe = Path(sys.executable).parent / "sbad_reproduce"
    out = tmp_path / "r"
    r = subprocess.run([str(exe), "--profile", "smoke", "--only", "01", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    for f in ("figures/stream_frames.png", "figures/stream_frames.json", "tables/stream_stats.csv",
              "tables/stream_stats.md", "executed/01_data.ipynb", "run.json"):
        assert (out / f).stat().st_size > 0, f
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "ok" and run["params"]["profile"] == "smoke"
    assert set(run["timings"]) == {"01_data.ipynb"} and run["versions"]["papermill"]
    side = json.loads((out / "tables/stream_stats.json").read_text())
    assert side["params"]["profile"] == "smoke" and "git_hash" in side


def test_reproduce_bad_only(tmp_path):
    exe = Path(sys.executable).parent / "sbad_reproduce"
    r = subprocess.run([str(exe), "--profile", "smoke", "--only", "42", "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert r.returncode == 1 and "no notebook numbered 42" in r.stderr
