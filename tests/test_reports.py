"""The committed reports' verdicts are what the code computes from their own tables, not stale or hand-edited."""
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sbad_nb.claims import make_claims

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_committed_claims_and_scale_checks_are_recomputed(profile, tmp_path):
    "11a's make_claims, run again on a copy of the report's tables, writes the same claims and scale checks."
    tables = ROOT / "reports" / profile / "tables"
    if not (tables / "claims.csv").exists(): pytest.skip(f"no committed {profile} report")
    shutil.copytree(tables, tmp_path / "tables")
    for f in ("claims.csv", "scale_checks.csv"): (tmp_path / "tables" / f).unlink()
    made = make_claims(tmp_path, profile)
    for name in ("claims", "scale_checks"):
        pd.testing.assert_frame_equal(pd.read_csv(made[name]), pd.read_csv(tables / f"{name}.csv"), check_dtype=False)
    checks = pd.read_csv(made["scale_checks"])
    assert checks.met.dtype == bool and len(checks) >= 5          # the targets are computed, one row each


def committed(profile: str, name: str) -> tuple[Path, pd.DataFrame]:
    "A committed report's table and its path; the test is skipped where the profile has no committed report."
    f = ROOT / "reports" / profile / "tables" / f"{name}.csv"
    if not f.exists(): pytest.skip(f"no committed {profile} report")
    return f, pd.read_csv(f)


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_committed_selections_fill_their_budgets(profile):
    "Every strategy's selection on every camera holds its whole budget: a short run would train the same load on fewer frames."
    f, tab = committed(profile, "selection_counts")
    total = tab[tab.week == 0]
    assert len(total) > 0
    short = total[total.selected < total.budget]
    assert short.empty, f"short selections in {f}:\n{short.to_string()}"
    assert (total.short == (total.selected < total.budget)).all()


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_committed_claims_have_the_camera_as_unit(profile):
    "Each measured detection claim counts its cameras and runs, and its MDE; the mixed model's verdict sits beside it."
    c = committed(profile, "claims")[1]
    for col in ("n_cameras", "n_runs", "identical_pairs", "mde", "mixed_verdict", "agree"): assert col in c.columns, col
    measured = c[~c.verdict.isin(["not measured"])]
    assert (measured.n_cameras >= 2).all() and (measured.n_runs >= measured.n_cameras).all()
    assert (measured.ci_low <= measured.effect).all() and (measured.effect <= measured.ci_high).all()
