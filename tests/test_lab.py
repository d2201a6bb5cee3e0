"""`make lab` as a newcomer meets it: it starts as root, takes extra options, and a save from JupyterLab leaves the
tracked notebook as it was."""
import copy
import json
import os
import subprocess
import types
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _hook():
    "The pre-save hook `make lab` installs, read from its config file as Jupyter reads it."
    c = types.SimpleNamespace(ContentsManager=types.SimpleNamespace())
    exec((ROOT / "etc" / "jupyter_server_config.py").read_text(), {"c": c})
    return c.ContentsManager.pre_save_hook


def test_a_jupyterlab_save_leaves_the_notebook_clean():
    path = ROOT / "nbs" / "01_data.ipynb"
    tracked = json.loads(path.read_text())
    model = {"type": "notebook", "content": copy.deepcopy(tracked)}
    nb = model["content"]                                     # what JupyterLab's autosave sends: its kernel, counts, outputs
    nb["metadata"]["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"], code["metadata"]["execution"] = 7, {"iopub.status.busy": "2026-12-04T10:00:00"}
    assert nb != tracked
    _hook()(model=model, path=str(path), contents_manager=None)
    assert model["content"] == tracked


def test_make_lab_runs_as_root_and_takes_options():
    env = {**os.environ, "LAB_ARGS": "--port 8890 --no-browser"}
    r = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, env=env)
    line = next(x for x in r.stdout.splitlines() if "jupyter lab" in x)
    assert line.rstrip().endswith("--port 8890 --no-browser")
    assert ("--allow-root" in line) == (os.getuid() == 0)
    assert "cp etc/jupyter_server_config.py" in r.stdout
