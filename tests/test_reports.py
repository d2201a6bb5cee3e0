"""The committed reports' verdicts are what the code computes from their own tables, not stale or hand-edited."""
import io
from pathlib import Path

import pandas as pd
import pytest

from sbad_nb.claims import claims_table, scale_checks

ROOT = Path(__file__).parents[1]


def _as_saved(df: pd.DataFrame) -> pd.DataFrame:
    "A frame as it reads back from the CSV that save_table writes."
    return pd.read_csv(io.StringIO(df.to_csv(index=False)))


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_committed_claims_and_scale_checks_are_recomputed(profile):
    tables = ROOT / "reports" / profile / "tables"
    if not (tables / "claims.csv").exists(): pytest.skip(f"no committed {profile} report")
    claims, _ = claims_table(tables)
    pd.testing.assert_frame_equal(_as_saved(claims.round(4)), pd.read_csv(tables / "claims.csv"), check_dtype=False)
    read = lambda n, **kw: pd.read_csv(tables / f"{n}.csv", **kw)
    checks = scale_checks(read("inference_results"), read("cross_performance", index_col=0), read("csbad_clusters"))
    pd.testing.assert_frame_equal(_as_saved(checks), read("scale_checks"), check_dtype=False)
    assert checks.met.dtype == bool and len(checks) >= 5          # the targets are computed, one row each
