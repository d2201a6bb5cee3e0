"""The README quotes the committed claims tables; it never states a verdict of its own."""
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]


def claim_lines(csv) -> list[str]:
    "The README's row for each claim of a committed claims.csv (the format the README quotes)."
    df = pd.read_csv(csv)
    out = []
    for r in df.itertuples():
        if r.verdict == "not measured":
            out.append(f"| {r.claim_id} | {r.statement} | not measured | | {r.verdict} |")
        else:
            out.append(f"| {r.claim_id} | {r.statement} | {r.effect:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] | {int(r.n_pairs)} | {r.verdict} |")
    return out


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_readme_quotes_the_claims(profile):
    csv = ROOT / "reports" / profile / "tables" / "claims.csv"
    if not csv.exists():
        pytest.skip(f"no committed {profile} report")
    readme = (ROOT / "README.md").read_text()
    for line in claim_lines(csv):
        assert line in readme, f"README does not quote this row of {csv.relative_to(ROOT)}:\n{line}"


def test_readme_is_an_entry_point():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 8192
    first = re.findall(r"^make \w+", readme, re.M)[:2]
    assert first == ["make reproduce", "make test"]
