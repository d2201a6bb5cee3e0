"""`sbad_reproduce` runs the notebooks through papermill and records what ran."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


@pytest.mark.slow
def test_reproduce_smoke_data_notebook(tmp_path):
    exe = Path(sys.executable).parent / "sbad_reproduce"
    out = tmp_path / "r"
    r = subprocess.run([str(exe), "--profile", "smoke", "--only", "01", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-3000:]      # a successful run prints no traceback
    assert "ERROR" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-3000:]          # nor a kernel's error line
    assert "Warning" not in r.stderr, r.stderr[-3000:]                                   # nor a third-party warning
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


def test_reproduce_refuses_an_unusable_setting_before_any_notebook(tmp_path):
    "A typo in --set stops the run at once, naming the field and the fix; no notebook runs, nothing is written, no traceback."
    exe, out = Path(sys.executable).parent / "sbad_reproduce", tmp_path / "r"
    for setting, words in (("budgets=abc", "budgets=('abc',): whole numbers >= 1"), ("budgets=-5", "budgets=(-5,): whole numbers >= 1")):
        r = subprocess.run([str(exe), "--profile", "smoke", "--set", setting, "--out", str(out)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and words in r.stderr, r.stderr[-2000:]
        assert "Traceback" not in r.stdout + r.stderr and "01_data" not in r.stdout + r.stderr
        assert not out.exists()


EXPECTED = ["tables/stream_stats.csv", "figures/stream_frames.png", "figures/stream_brightness.png", "figures/teacher_vs_gt.png",
            "figures/bank_scores.png", "figures/strategy_selections.png", "tables/online_seg_results.csv",
            "tables/online_seg_final.csv", "tables/online_seg_speed.csv", "figures/online_seg_masks.png",
            "tables/inference_results.csv", "tables/cross_performance.csv", "tables/csbad_clusters.csv", "tables/csbad_vs_sbad.csv",
            "figures/cross_performance.png", "figures/csbad_dendrogram.png", "figures/map_vs_samples.png", "tables/camera_table.csv",
            "tables/strategy_summary.csv", "figures/online_seg.png", "figures/active_learning.png", "tables/active_learning_results.csv",
            "tables/active_learning_summary.csv", "figures/active_learning_tsne.png", "tables/claims.csv", "figures/claims.png",
            "tables/csbad_linkage.csv", "tables/pseudo_label_quality.csv", "tables/csbad_random_groupings.csv",
            "tables/csbad_vs_random.csv", "tables/dsbad_gamma.csv", "figures/dsbad_gamma.png",
            "tables/fleet_signature_distances.csv", "tables/fleet_signature_agreement.csv", "tables/fleet_leave_one_out.csv",
            "tables/fleet_day_one.csv", "figures/fleet.png"]


@pytest.mark.slow
def test_whole_pipeline_at_smoke(tmp_path, monkeypatch):
    """Every notebook through `reproduce`, every expected table and figure there and non-empty, with a sidecar.
    With SBAD_JOBS=2, as the tiny profile runs: notebook-defined functions (banks, active learning) go to workers."""
    from sbad_nb.reproduce import pipeline_notebooks, reproduce
    monkeypatch.setenv("SBAD_JOBS", "2")
    out = tmp_path / "smoke"
    res = reproduce("smoke", out=out, progress=False)
    assert res["status"] == "ok" and set(res["notebooks"]) == {p.name for p in pipeline_notebooks()}
    assert len(res["notebooks"]) == 13 and list(res["notebooks"])[-1] == "11a_claims.ipynb"
    claims = pd.read_csv(out / "tables" / "claims.csv")                      # computed from this run's tables
    assert {"SBAD-1 n10", "SBAD-2b", "SBAD-3a", "D-SBAD-1 g2", "OD-1", "AL-1a", "CSBAD-4a", "CSBAD-4b"} <= set(claims.claim_id)
    assert set(claims.verdict) <= {"supported", "contradicted", "inconclusive", "not informative", "not measured"}
    for f in EXPECTED:
        p = out / f
        assert p.exists() and p.stat().st_size > 0, f
        side = json.loads(p.with_suffix(".json").read_text())
        assert side["params"]["profile"] == "smoke" and side["git_hash"], f
    for nb in res["notebooks"]:
        assert (out / "executed" / nb).stat().st_size > 0


def test_every_pipeline_notebook_takes_the_profile_fields_its_stage_reads(capfd):
    """papermill reads each parameters cell whole (a line it cannot parse is dropped, with a message) and finds `profile`,
    `out` and exactly the profile fields that notebook's stage reads (`NOTEBOOK_FIELDS`), no others."""
    from dataclasses import fields
    import papermill as pm
    from sbad_nb.core import NOTEBOOK_FIELDS, Profile
    from sbad_nb.reproduce import pipeline_notebooks
    names = {f.name for f in fields(Profile)}
    nbs = pipeline_notebooks()
    assert sorted(nb.stem for nb in nbs) == sorted(NOTEBOOK_FIELDS)
    for nb in nbs:
        declared = set(pm.inspect_notebook(str(nb)))
        assert {"profile", "out"} <= declared, (nb.name, sorted(declared))
        assert sorted(declared & names) == sorted(NOTEBOOK_FIELDS[nb.stem]), (nb.name, sorted(declared))
    assert len(NOTEBOOK_FIELDS["10_figures"]) == 0 and len(NOTEBOOK_FIELDS["11a_claims"]) == 0   # they read CSVs only
    assert "Unable to parse" not in capfd.readouterr().err


def test_a_failing_notebook_stops_the_run_and_says_where(tmp_path):
    "A cell's error stops `reproduce` at that notebook: an SbadError naming the notebook, the cell, the error and the executed copy; run.json records it; later notebooks do not run."
    import nbformat
    import pytest
    from sbad_nb.core import SbadError
    from sbad_nb.reproduce import reproduce
    nbs = tmp_path / "nbs"; nbs.mkdir()
    for name, body in (("01_fine", "x = 1"), ("02_broken", "raise ValueError('boom on purpose')"), ("03_later", "y = 2")):
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell('profile: str = "smoke"\nout: str = None', metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, nbs / f"{name}.ipynb")
    out = tmp_path / "r"
    with pytest.raises(SbadError) as e: reproduce("smoke", out=out, nbs=nbs, progress=False)
    msg = str(e.value)
    assert "notebook 02_broken.ipynb failed in cell" in msg and "ValueError: boom on purpose" in msg, msg
    assert str(out / "executed" / "02_broken.ipynb") in msg                  # where the traceback is
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and run["failed"] == ["02_broken.ipynb"]
    assert run["notebooks"] == {"01_fine.ipynb": "ok", "02_broken.ipynb": "failed"}
    assert "boom on purpose" in (out / "executed" / "02_broken.ipynb").read_text()
    assert not (out / "executed" / "03_later.ipynb").exists()
