import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")


@pytest.fixture(scope="session")
def stream(tmp_path_factory):
    "A small rendered stream (2 cameras, 1 week, 16 bank + 4 test frames at 64 px), shared read-only."
    from sbad_nb.data import make_synthetic_stream
    root = tmp_path_factory.mktemp("stream")
    make_synthetic_stream(root, cameras=[1, 2], weeks=[1], bank_frames=16, test_frames=4, width=64, seed=0, progress=False)
    return root


@pytest.fixture
def stream_copy(stream, tmp_path):
    "A private copy of the small stream that a test may damage."
    dst = tmp_path / "copy"
    shutil.copytree(stream, dst)
    return dst


def snapshot(root):
    "Every file under root with its bytes: to prove that nothing was written."
    return {p.relative_to(root): p.read_bytes() for p in Path(root).rglob("*") if p.is_file()}
