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
