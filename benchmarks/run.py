"""Run every benchmark in this folder (`make bench`; `study_*` scripts are long studies, run by hand); each appends its rows to benchmarks/results/<name>.csv."""
import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here))
for script in sorted(here.glob("[!_]*.py")):
    if script.name in ("run.py", "compare_reports.py") or script.name.startswith("study_"):   # studies are long; a comparison takes two reports
        continue
    print(f"== {script.name}", flush=True)
    sys.argv = [str(script)]
    runpy.run_path(str(script), run_name="__main__")
