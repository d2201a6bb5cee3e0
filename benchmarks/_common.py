"""What every benchmark shares: appending its rows, stamped with git hash and time, to a CSV under results/."""
import time
from pathlib import Path

import pandas as pd

from sbad_nb.core import git_info, write_text

RESULTS = Path(__file__).parent / "results"


def append_csv(name: str, df: pd.DataFrame) -> Path:
    "Append `df` (plus git hash and time) to benchmarks/results/<name>.csv, atomically."
    out = RESULTS / f"{name}.csv"
    df = df.assign(git_hash=git_info()["git_hash"], when=time.strftime("%Y-%m-%d %H:%M"))
    old = pd.read_csv(out) if out.exists() else None
    return write_text(out, (pd.concat([old, df]) if old is not None else df).to_csv(index=False))
