# sbad-nb: every target installs first (a .venv in the project, created if missing).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sbad-installed
PROFILE ?= tiny

# Offline by default, inside the project, never in the user's home.
export YOLO_OFFLINE := 1
export YOLO_CONFIG_DIR := $(CURDIR)/.cache/ultralytics
export WANDB_MODE ?= offline
export WANDB_DIR := $(CURDIR)/.cache/wandb
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
# Jupyter's and IPython's runtime files, data and history (JupyterLab, papermill and nbdev-test kernels): under .cache too.
export JUPYTER_CONFIG_DIR := $(CURDIR)/.cache/jupyter/config
export JUPYTER_DATA_DIR := $(CURDIR)/.cache/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter/runtime
export IPYTHONDIR := $(CURDIR)/.cache/ipython
# Every tool here is .venv's: say so, or a shell's other activated venv makes each IPython kernel warn that it is outside it.
export VIRTUAL_ENV := $(CURDIR)/.venv
# pip's check for a newer pip needs the internet: without it, every install ends in a warning about it.
export PIP_DISABLE_PIP_VERSION_CHECK := 1
FONT := $(YOLO_CONFIG_DIR)/Ultralytics/Arial.ttf

.PHONY: install reproduce test test-quick lab bench generic teacher mmseg clean-data help
help:
	@echo "make reproduce   regenerate the tiny profile's tables and figures under reports/tiny/"
	@echo "make test        nbdev-clean/export leave no diff, nbdev-test on every notebook, pytest"
	@echo "make test-quick  the same, less the cells and tests flagged slow (under 5 minutes)"
	@echo "make lab         JupyterLab on nbs/"
	@echo "make bench       benchmarks/ -> benchmarks/results/*.csv"
	@echo "make generic     retrain the shipped generic student sbad_nb/assets/generic_student.pt (~20 min)"
	@echo "make teacher     retrain the shipped learned teacher sbad_nb/assets/teacher.pt (~1.5 h; a stopped run resumes)"
	@echo "make mmseg       the optional mmseg extra (mmcv 2.1 built from source once, ~30 min) and its checks"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/pip install -q -e '.[dev]'   # without setuptools' note that it is editable
	touch $@

# ultralytics looks for Arial.ttf in its config dir and downloads it when missing: give it a local font.
$(FONT): $(STAMP)
	mkdir -p $(dir $@) $(WANDB_DIR) $(MPLCONFIGDIR) $(JUPYTER_CONFIG_DIR) $(JUPYTER_DATA_DIR) $(JUPYTER_RUNTIME_DIR) $(IPYTHONDIR)
	cp "$$($(BIN)/python -c 'import matplotlib, pathlib; print(pathlib.Path(matplotlib.get_data_path())/"fonts/ttf/DejaVuSans.ttf")')" $@
	$(BIN)/python -c "from ultralytics import settings; settings.update({'sync': False})" > /dev/null

install: $(STAMP) $(FONT)

reproduce: install
	$(BIN)/sbad_reproduce --profile $(PROFILE)

NBTEST := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/nbdev-test --n-workers 2   # one thread per worker: 2 workers x 2 threads on 2 cores ran small torch work ~10x slower (07 smoke: 15 s alone, 161 s beside another)

define CLEAN_EXPORT
$(BIN)/nbdev-clean
$(BIN)/nbdev-export
@if [ -n "$$(git status --porcelain -- nbs sbad_nb)" ]; then \
  git status --short -- nbs sbad_nb; git --no-pager diff --stat -- nbs sbad_nb; \
  echo "nbdev-clean / nbdev-export changed the files above: run them and commit the result"; exit 1; fi
endef

test: install   # everything: the slow cells and tests too
	$(CLEAN_EXPORT)
	$(NBTEST) --flags slow
	$(BIN)/pytest tests/ -q -p no:cacheprovider

# The same checks as `make test`, less what is flagged slow: `#| slow` notebook cells (tst_flags) and `@pytest.mark.slow` tests.
test-quick: install   # the developer's loop (under 5 minutes here): what `make test` runs, less what is flagged slow
	$(CLEAN_EXPORT)
	$(NBTEST)
	$(BIN)/pytest tests/ -q -p no:cacheprovider -m "not slow"

LAB_ARGS ?=
lab: install   # saves go through nbdev's cleaner (etc/jupyter_server_config.py); as root, --allow-root; more options: LAB_ARGS="--port 8890"
	@mkdir -p $(JUPYTER_CONFIG_DIR) && cp etc/jupyter_server_config.py $(JUPYTER_CONFIG_DIR)/
	$(BIN)/jupyter lab nbs/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: install
	$(BIN)/python benchmarks/run.py

# The generic student the tiny profile starts from (the stand-in for COCO-pretrained yolov8n), with its sidecar.
generic: install
	$(BIN)/python -c "from sbad_nb.models import make_asset; make_asset('generic', force=True)"

# The learned teacher of tiny and small (a detector 3x the student at 320 px, trained on cameras that are never targets), with
# its sidecar; from a clean commit. Rerun after a stop: the training resumes from its last epoch.
teacher: install
	$(BIN)/python -c "from sbad_nb.models import make_asset; make_asset('teacher')"

# The original online-distillation teachers (mmsegmentation): the `mmseg` extra of pyproject.toml, pinned to what .venv
# holds (nothing installed changes), with mmcv 2.1 built once into a wheel under .cache/mmcv/ (2 cores: ~27 min), then
# the checks flagged mmseg. The build needs: setuptools<81 (mmcv's setup.py imports pkg_resources; kept out of .venv, on
# PYTHONPATH), no build isolation (it imports torch), and C++20 (torch's headers; mmcv asks for -std=c++17, so the
# compiler wrapper puts -std=c++20 last). MAX_JOBS=4 make mmseg: more compiler processes.
MMCV := $(CURDIR)/.cache/mmcv
MMCV_WHEEL = $(firstword $(wildcard $(MMCV)/wheels/mmcv-2.1.0-*.whl))
# the extra's requirements, read from pyproject.toml (tomllib: Python 3.11; before, pip's own tomli)
MMSEG_EXTRA = $$($(BIN)/python -c "import sys; t = __import__('tomllib' if sys.version_info >= (3, 11) else 'pip._vendor.tomli', \
  fromlist=['load']); print(' '.join(t.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['mmseg']))")
mmseg: install
	@mkdir -p $(MMCV)/wheels
	@if [ -z "$(MMCV_WHEEL)" ]; then \
	  $(BIN)/pip install -q --upgrade --target $(MMCV)/setuptools 'setuptools<81' && \
	  printf '#!/bin/sh\nexec g++ "$$@" -std=c++20\n' > $(MMCV)/cxx20 && chmod +x $(MMCV)/cxx20 && \
	  echo "building mmcv 2.1.0 from source, once (~30 min on 2 cores) -> $(MMCV)/wheels" && \
	  CC=$(MMCV)/cxx20 CXX=$(MMCV)/cxx20 MMCV_WITH_OPS=1 MAX_JOBS=$${MAX_JOBS:-2} PYTHONPATH=$(MMCV)/setuptools \
	    nice $(BIN)/pip wheel -q --no-deps --no-build-isolation --no-binary mmcv mmcv==2.1.0 -w $(MMCV)/wheels; fi
	$(BIN)/pip list --format=freeze --exclude-editable > $(MMCV)/constraints.txt
	$(BIN)/pip install -q -c $(MMCV)/constraints.txt $(MMCV)/wheels/mmcv-2.1.0-*.whl $(MMSEG_EXTRA)
	$(BIN)/python -c "import mmcv.ops, mmseg.apis; print('mmsegmentation', mmseg.__version__, 'mmcv', mmcv.__version__, '(with ops)')"
	$(BIN)/pytest tests/ -q -p no:cacheprovider -m mmseg
	$(NBTEST) --flags mmseg nbs/07_online_seg.ipynb

clean-data:
	rm -rf data/smoke data/tiny data/small reports/smoke
