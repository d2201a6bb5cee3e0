"""Frames in common with the CSBAD code's selection, sbad-nb's own rules against the authors' (the paper profile's).

    .venv/bin/python benchmarks/paper_rules.py [--frames 3000]

On banks of YOLO label files with 0%, 20% and 50% frames without a box, each strategy selects n = 25, 100, 250
frames (max and mean aggregation, seed 0) with `rule="sbad_nb"` and `rule="authors"`; the authors' frames come
from tests/strategy_loops.py (their rules written from their description). Appends to benchmarks/results/paper_rules.csv:
strategy, empty share, n, agg, frames the authors select, frames in common under each rule.
"""
import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from _common import append_csv
from sbad_nb.strategies import ShortSelection, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from strategy_loops import authors_selection, bank_scores, write_bank  # noqa: E402


def main(frames: int = 3000) -> pd.DataFrame:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSelection)
        for empty in (0.0, 0.2, 0.5):
            folder = write_bank(Path(tmp) / f"e{empty}", frames, empty, seed=int(empty * 10))
            scores = bank_scores(folder)
            for name in ("n_first", "uniform", "top_confidence", "least_confidence"):
                for agg in (("max", "mean") if name.endswith("confidence") else ("-",)):
                    for n in (25, 100, 250):
                        kw = {"warmup": 720, "agg": agg} if agg != "-" else {}
                        want = authors_selection(folder, n, name, **({"agg": agg, "warmup": 720} if agg != "-" else {}))
                        common = {}
                        for rule in ("sbad_nb", "authors"):
                            got = select(name, scores, n, seed=0, **kw, **({"rule": rule} if name != "n_first" else {}))
                            common[rule] = len(set(got) & set(want))
                        rows.append(dict(strategy=name, empty=empty, n=n, agg=agg, frames=frames, authors_selected=len(want),
                                         common_sbad_nb=common["sbad_nb"], common_authors=common["authors"]))
    df = pd.DataFrame(rows)
    append_csv("paper_rules", df)
    return df


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3000)
    print(main(ap.parse_args().frames).to_string(index=False))
