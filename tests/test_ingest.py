"""sbad_ingest as an engineer runs it on recordings of fixed cameras: the synthetic stream's frames encoded as H.264
videos go in, the WALT layout comes out, frame for frame, resumable, with clear errors; and the paper path runs on it."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fractions import Fraction

import av
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import snapshot
from sbad_nb.core import ConfigError, DataError
from sbad_nb.data import LABEL_LIST, list_frames, make_synthetic_stream, validate_layout
from sbad_nb import ingest
from sbad_nb.ingest import MANIFEST, META, ingest_videos, probe_video, write_video

BIN = Path(sys.executable).parent
CAMS = ("cam1", "cam2", "cam3")
N = 60                                           # bank frames a camera: 2 weeks of 30


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """The synthetic stream's bank frames (3 cameras, 2 weeks of 30 frames, 160x120) as H.264 at 10 fps, two files a
    camera, the run that ingests them and the original frames. crf 12: at crf 18 the coding error of a frame (its sensor
    noise smoothed away) can exceed its difference from a neighbouring frame, and "closest to its own original" fails."""
    d = tmp_path_factory.mktemp("ingest")
    make_synthetic_stream(d / "stream", cameras=[1, 2, 3], weeks=[1, 2], bank_frames=30, test_frames=2, width=160, seed=0,
                          progress=False)
    originals = {c: list_frames(d / "stream", c).image.tolist() for c in CAMS}
    for c, imgs in originals.items():
        write_video(imgs[:25], d / "videos" / c / "part1.mp4", crf=12)
        write_video(imgs[25:], d / "videos" / c / "part2.mp4", crf=12)
    ref = d / "ref"                                                 # the uninterrupted run the other runs must equal
    ingest_videos(d / "videos", ref, weeks=2, test=6, progress=False)
    return d / "videos", ref, {c: np.stack([np.asarray(Image.open(p), float) for p in imgs]) for c, imgs in originals.items()}


def frames(root, cam) -> pd.DataFrame:
    "Every ingested frame of a camera, bank weeks and test, in stream order."
    test = [list_frames(root, cam, split="test")] if (Path(root) / cam / "test/images").is_dir() else []
    return pd.concat([list_frames(root, cam), *test]).sort_values("frame", ignore_index=True)


def psnr(a, b) -> float:
    return float(10 * np.log10(255 ** 2 / np.mean((a - b) ** 2)))


def test_frames_come_back_in_order_close_to_the_originals(videos):
    _, ref, orig = videos
    for c in CAMS:
        got = frames(ref, c)
        assert got.frame.tolist() == list(range(N))                                # no frame lost, none twice
        for f, p in zip(got.frame, got.image):
            img = np.asarray(Image.open(p), float)
            mse = ((orig[c] - img) ** 2).mean(axis=(1, 2, 3))
            assert int(np.argmin(mse)) == f, (c, f)                                  # closest to its own original
            assert psnr(orig[c][f], img) > 30, (c, f, psnr(orig[c][f], img))


def test_weeks_and_test_frames_as_asked(videos):
    _, ref, _ = videos
    for c in CAMS:
        test_frames = list_frames(ref, c, split="test").frame.tolist()
        assert test_frames == [5, 15, 25, 35, 45, 55]                               # floor((j + 1/2) 60/6): spread evenly
        w1, w2 = (list_frames(ref, c, week=w).frame for w in (1, 2))
        assert len(w1) == len(w2) == 27 and w1.max() < w2.min()                     # contiguous, near-equal weeks
    todo = pd.read_csv(ref / LABEL_LIST)
    assert len(todo) == 18 and all((ref / p).exists() for p in todo.image)
    assert todo.label[0] == "cam1/test/labels/000005.txt" and (ref / "cam1/test/labels").is_dir()
    summary = validate_layout(ref, labels=False)                                   # the tree sbad-nb reads
    assert summary.images.tolist() == [27, 27, 6] * 3
    with pytest.raises(DataError, match=f"test frames to label are listed in {ref / LABEL_LIST}"):
        validate_layout(ref)                                                         # until a person labels them
    meta = json.loads((ref / META).read_text())
    assert meta["status"] == "done" and meta["recipe"]["every"] == 1 and meta["test_frames"]["cam2"][0] == 5
    assert [v["frames"] for v in meta["recipe"]["videos"]["cam1"]] == [25, 35] and meta["versions"]["av"]


def test_every_is_honoured(videos, tmp_path):
    v, _, orig = videos
    res = ingest_videos(v, tmp_path / "r", every=5, weeks=2, progress=False)
    assert res.frames.tolist() == [6, 6] * 3
    got = frames(tmp_path / "r", "cam3")
    assert got.frame.tolist() == list(range(0, N, 5))                            # the index counts every decoded frame
    for f, p in zip(got.frame, got.image):
        assert psnr(orig["cam3"][f], np.asarray(Image.open(p), float)) > 30


def test_a_second_run_writes_nothing(videos):
    v, ref, _ = videos
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in ref.rglob("*") if p.is_file()}
    res = ingest_videos(v, ref, weeks=2, test=6, progress=False)
    assert res.written.sum() == 0
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in ref.rglob("*") if p.is_file()} == before


def test_a_killed_run_resumes_to_the_same_tree(videos, tmp_path):
    "A run killed (SIGKILL, perhaps mid-write) after some frames: the rerun finishes it, byte for byte the uninterrupted tree."
    v, ref, _ = videos
    out = tmp_path / "killed"
    code = ("import time\nimport sbad_nb.ingest as ig\nwrite = ig._write_frame\n"
            "def slow(*a):\n    time.sleep(0.03); write(*a)\n"
            "ig._write_frame = slow\n"
            f"ig.ingest_videos({str(v)!r}, {str(out)!r}, weeks=2, test=6, progress=False)\n")
    p = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline and len(list(out.rglob("*.jpg"))) < 40:
        time.sleep(0.01)
    p.kill(); p.wait()
    n = len(list(out.rglob("*.jpg")))
    assert 40 <= n < 3 * N and json.loads((out / META).read_text())["status"] == "running"
    res = ingest_videos(v, out, weeks=2, test=6, progress=False)
    assert res.written.sum() == 3 * N - n                                           # only what was missing
    mine = lambda root: {k: b for k, b in snapshot(root).items() if k.name != MANIFEST}   # the manifest names its root
    assert mine(out) == mine(ref)                                                   # no duplicate, no gap, no temp file


def test_other_settings_on_the_same_root_are_refused(videos, tmp_path):
    v, ref, _ = videos
    before = snapshot(ref)
    with pytest.raises(DataError, match=r"ingested with every 1 \(now 3\), test 6 \(now 0\); .*--force"):
        ingest_videos(v, ref, every=3, weeks=2, progress=False)
    assert snapshot(ref) == before
    with pytest.raises(DataError, match="not empty and holds no ingest.json"):
        ingest_videos(v, v.parent / "stream", progress=False)
    root = tmp_path / "r"
    ingest_videos(v / "cam1", root, test=2, progress=False)                   # one camera's folder: it names the camera
    assert [p.name for p in root.glob("cam*")] == ["cam1"]
    res = ingest_videos(v / "cam1", root, every=2, force=True, progress=False)
    assert res.frames.tolist() == [30] and not (root / LABEL_LIST).exists() and not (root / "cam1/test").exists()


def test_a_weeks_map_gives_each_video_its_week(videos, tmp_path):
    v, _, _ = videos
    (tmp_path / "weeks.yaml").write_text("".join(f"{c}/part1.mp4: 1\n{c}/part2.mp4: 3\n" for c in CAMS))
    ingest_videos(v, tmp_path / "r", weeks_map=tmp_path / "weeks.yaml", progress=False)
    assert list_frames(tmp_path / "r", 2, week=1).frame.tolist() == list(range(25))
    assert list_frames(tmp_path / "r", 2, week=3).frame.tolist() == list(range(25, N))
    with pytest.raises(ConfigError, match="not both"):
        ingest_videos(v, tmp_path / "r2", weeks=2, weeks_map=tmp_path / "weeks.yaml", progress=False)


@pytest.fixture
def broken(videos, tmp_path):
    "A copy of the videos that a test may damage."
    d = tmp_path / "videos"
    for p in videos[0].rglob("*.mp4"):
        (d / p.parent.name).mkdir(parents=True, exist_ok=True)
        (d / p.parent.name / p.name).write_bytes(p.read_bytes())
    return d


@pytest.mark.parametrize("damage", ["truncated", "text", "garbage"])
def test_a_bad_video_stops_the_run_before_anything_is_written(broken, tmp_path, damage):
    b = (broken / "cam2/part2.mp4").read_bytes()
    bad = broken / "cam2/part3.mp4"
    bad.write_bytes({"truncated": b[: len(b) // 2], "text": b"frame list\n" * 50,
                     "garbage": np.random.default_rng(0).bytes(5000)}[damage])
    with pytest.raises(DataError, match=f"{bad}: not a video FFmpeg can read .*re-encode it .* or remove it"):
        ingest_videos(broken, tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_a_camera_of_two_sizes_or_rates_is_refused(broken, tmp_path, videos):
    big = [np.asarray(Image.open(p).resize((320, 240))) for p in sorted((videos[1] / "cam1/week1/bank/images").glob("*.jpg"))[:3]]
    write_video(big, broken / "cam3/part3.mp4")
    with pytest.raises(DataError, match=r"cam3/part3.mp4: 320x240, but part1.mp4 of cam3 is 160x120"):
        ingest_videos(broken, tmp_path / "r", progress=False)
    write_video([b[:120, :160] for b in big], broken / "cam3/part3.mp4", fps=25)
    with pytest.raises(DataError, match=r"cam3/part3.mp4: 25 fps, but part1.mp4 of cam3 has 10 fps"):
        ingest_videos(broken, tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def faststart(imgs, path):
    "An H.264 mp4 with its index at the front (`-movflags faststart`, as for streaming): cut short, it still opens."
    with av.open(str(path), "w", options={"movflags": "faststart"}) as o:
        s = ingest._h264(o, imgs[0].shape, 10, 18)
        for i, a in enumerate(imgs):
            f = av.VideoFrame.from_ndarray(a, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 10)
            o.mux(s.encode(f))
        o.mux(s.encode())


def test_a_video_truncated_mid_decode_leaves_whole_frames_only(videos, broken, tmp_path, monkeypatch):
    "A truncated video that passes the probe (here the probe is made to trust it): its name, whole frames, no temp file."
    faststart(list(videos[2]["cam2"][25:].astype(np.uint8)), broken / "cam2/part2.mp4")
    b = (broken / "cam2/part2.mp4").read_bytes()
    (broken / "cam2/part2.mp4").write_bytes(b[: int(len(b) * 0.6)])
    with pytest.raises(DataError, match=r"part2.mp4: truncated: the container declares 35 frames"):
        probe_video(broken / "cam2/part2.mp4")
    probe = ingest.probe_video
    real = probe(broken / "cam1/part2.mp4")
    monkeypatch.setattr(ingest, "probe_video", lambda p, allow_vfr=False: real if p.name == "part2.mp4" else probe(p))
    with pytest.raises(DataError, match=r"cam2/part2.mp4: (decoding failed|ended) after \d+ frame\(s\).*then run again"):
        ingest_videos(broken, tmp_path / "r", progress=False)
    assert not list((tmp_path / "r").rglob("*.tmp"))
    written = list((tmp_path / "r").rglob("*.jpg"))
    assert len(written) >= N + 25                                                      # cam1, and cam2 up to the cut
    for p in written:
        Image.open(p).verify()


def test_the_command_as_the_user_runs_it(videos, tmp_path):
    v, ref, _ = videos
    cmd = [str(BIN / "sbad_ingest"), str(v), "--out", str(tmp_path / "r"), "--weeks", "2", "--test", "6"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stdout + r.stderr, r.stderr[-3000:]
    assert f"180 frame(s) written to {tmp_path / 'r'}" in r.stdout and "cam3: test 6 (frames 5-55), week1 27" in r.stdout
    assert f"next: label the 18 test frames listed in {tmp_path / 'r' / LABEL_LIST}" in r.stdout
    assert "cam{c}/test/labels/<frame>.txt" in r.stdout
    assert {k: b for k, b in snapshot(tmp_path / "r").items() if k.name not in (META, MANIFEST)} == \
           {k: b for k, b in snapshot(ref).items() if k.name not in (META, MANIFEST)}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "is up to date (180 frames, 3 camera(s)); nothing written" in r.stdout
    for args, says in ((["--every", "0"], "every must be a whole number of at least 1, got 0"),
                       (["--test", "100"], "cam1: 100 test frame(s) and 1 week(s) need 101 kept frames"),
                       (["--weeks", "61"], "61 week(s) need 61 kept frames")):
        r = subprocess.run(cmd[:3] + [str(tmp_path / "r2"), *args], capture_output=True, text=True, timeout=300)
        assert r.returncode == 1 and r.stdout == "" and "Traceback" not in r.stderr
        assert r.stderr.splitlines()[-1].startswith("sbad_ingest: ") and says in r.stderr, r.stderr
    assert not (tmp_path / "r2").exists()
    (tmp_path / "empty").mkdir()
    r = subprocess.run([str(BIN / "sbad_ingest"), str(tmp_path / "empty"), "--out", str(tmp_path / "e"), "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and r.stderr == f"sbad_ingest: {tmp_path / 'empty'} holds no video ({'/'.join(ingest.VIDEO_EXTS)}) " \
        f"and no cam{{c}}/ folder; put each camera's videos in {tmp_path / 'empty' / 'cam1'}, {tmp_path / 'empty' / 'cam2'}, ...\n"


def test_a_bad_video_from_the_command_line_is_one_line(broken, tmp_path):
    (broken / "cam1/notes.mp4").write_text("not a video\n")
    r = subprocess.run([str(BIN / "sbad_ingest"), str(broken), "--out", str(tmp_path / "r"), "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and r.stdout == "" and len(r.stderr.splitlines()) == 1, r.stderr   # no FFmpeg log lines either
    assert r.stderr.startswith(f"sbad_ingest: {broken / 'cam1/notes.mp4'}: not a video FFmpeg can read")


@pytest.mark.slow
def test_own_cameras_from_videos_to_onnx_students(tmp_path_factory):
    """The guide's "your own cameras", command by command: videos -> sbad_ingest -> labels for the listed test frames ->
    `sbad_reproduce --profile paper --set manifest=ROOT/manifest.yaml` -> `sbad_export --report`."""
    from test_paper_cli import settings, third_party_warnings
    from sbad_nb.models import GENERIC_ASSET, coco_indexed
    d = tmp_path_factory.mktemp("paper_ingest")
    make_synthetic_stream(d / "stream", cameras=[1, 2], weeks=[1, 2], bank_frames=60, test_frames=1, width=160, seed=0,
                          progress=False)
    for c in ("cam1", "cam2"):
        imgs = list_frames(d / "stream", c).image.tolist()
        write_video(imgs[:50], d / "videos" / c / "a.mp4"); write_video(imgs[50:], d / "videos" / c / "b.mp4")
    tree = d / "walt"
    r = subprocess.run([str(BIN / "sbad_ingest"), str(d / "videos"), "--out", str(tree), "--weeks", "2", "--test", "12",
                        "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for t in pd.read_csv(tree / LABEL_LIST).itertuples():                 # a person's labels: the ground truth as vehicles
        gt = next((d / "stream" / t.camera).glob(f"week*/bank/gt/{t.frame:06d}.txt")).read_text().splitlines()
        (tree / t.label).write_text("".join("0 " + line.split(maxsplit=1)[1] + "\n" for line in gt))
    validate_layout(tree)                                                 # labelled: the whole tree passes
    models = {k: coco_indexed(GENERIC_ASSET, d / "models" / f"{k}.pt") for k in ("yolov8x6", "yolov8n")}
    env = {**os.environ, "SBAD_HOME": str(d / "home"), "SBAD_JOBS": "2"}
    out = d / "reports"
    sets = [a for k, v in zip(*[iter(settings(tree, models))] * 2) if not v.startswith(("root=", "cameras=", "weeks="))
            for a in (k, v)]                                                  # the tree's manifest names them
    r = subprocess.run([str(BIN / "sbad_reproduce"), "--profile", "paper", "--set", f"manifest={tree / MANIFEST}", *sets,
                        "--out", str(out)], cwd=d, env=env, capture_output=True, text=True, timeout=1800)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text[-4000:]
    assert "Traceback" not in text and "ERROR" not in text and not third_party_warnings(r.stderr), text[-4000:]
    assert "partial copy" not in text                                      # its manifest, not WALT's test-set sizes
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "ok" and not run["failed"]
    inf = pd.read_csv(out / "tables/inference_results.csv")
    assert set(inf[inf.model_role == "student"].data_name) == {"cam1", "cam2"}
    r = subprocess.run([str(BIN / "sbad_export"), "--report", str(out), "--out", str(d / "deploy")], cwd=d, env=env,
                       capture_output=True, text=True, timeout=900)                 # -> one ONNX student per camera and cluster
    assert r.returncode == 0 and "Traceback" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-4000:]
    doc = json.loads((d / "deploy/students.json").read_text())
    assert set(doc["cameras"]) == {"cam1", "cam2"} and all((d / "deploy" / f).stat().st_size > 0
                                                           for m in doc["cameras"].values() for f in m.values())
    for st in doc["students"]:                                                       # each checked against PyTorch
        assert st["check"]["passed"] and all(abs(c["mAP50_onnx"] - c["mAP50_pt"]) <= 0.005
                                             for c in st["check"]["cameras"].values()), st["check"]
