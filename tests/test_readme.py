"""The README quotes the committed claims tables; it never states a verdict of its own."""
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
PROFILES = ("tiny", "small")


def claim_cell(r) -> str:
    "How the README writes one claim of one profile: effect [95% interval] (cameras, or the claim's units): verdict."
    if r.verdict == "not measured": return "not measured"
    return f"{r.effect:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] ({int(r.n_cameras)}): {r.verdict}"


def replicates(rows) -> str:
    """Whether the independent profiles agree on a claim: `yes` (the same verdict), `no` (one supports what the other
    contradicts), `one only` (decided on one, not on the other), or '' (not measured on both)."""
    v = {r.verdict for r in rows if r is not None and r.verdict != "not measured"}
    n = sum(r is not None and r.verdict != "not measured" for r in rows)
    if n < 2: return ""
    return "yes" if len(v) == 1 else "no" if {"supported", "contradicted"} <= v else "one only"


def claims_table(root=ROOT) -> str:
    "The README's claims table: one row per claim, one column per committed profile report, and whether they replicate."
    tabs = {p: pd.read_csv(f).set_index("claim_id") for p in PROFILES if (f := root / "reports" / p / "tables" / "claims.csv").exists()}
    ids = list(dict.fromkeys(i for t in tabs.values() for i in t.index))
    lines = ["| claim | statement | " + " | ".join(f"{p}: effect [95% CI] (cameras): verdict" for p in tabs) + " | replicates |",
             "|---|---|" + "---|" * len(tabs) + "---|"]
    for i in ids:
        stmt = next(t.loc[i, "statement"] for t in tabs.values() if i in t.index)
        rows = [t.loc[i].rename(i) if i in t.index else None for t in tabs.values()]
        cells = [claim_cell(r) if r is not None else "" for r in rows]
        lines.append(f"| {i} | {stmt} | " + " | ".join(cells) + f" | {replicates(rows)} |")
    return "\n".join(lines)


def test_readme_quotes_the_claims():
    if not any((ROOT / "reports" / p / "tables" / "claims.csv").exists() for p in PROFILES):
        pytest.skip("no committed claims table")
    readme = (ROOT / "README.md").read_text()
    for line in claims_table().splitlines():
        assert line in readme, f"README does not quote this row of the committed claims tables:\n{line}"


def test_readme_is_an_entry_point():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 8192
    first = re.findall(r"^make \w+", readme, re.M)[:2]
    assert first == ["make reproduce", "make test"]
