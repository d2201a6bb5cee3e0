"""Speed of sbad_ingest: frames decoded and frames written per second, 2 cameras x 2 H.264 files at 640x360.

    .venv/bin/python benchmarks/ingest.py [--frames 400] [--repeats 2] [--every 1,5]

The synthetic stream (rendered at 160 px, upscaled to 640x360) is encoded as H.264 (crf 18, 25 fps), two files a
camera. Rows: `decode` (PyAV decoding alone, no conversion), then `ingest` at each `every` (probe, decode, convert,
JPEG q95, atomic writes; into a fresh root). Appends to benchmarks/results/ingest.csv: case, every, repeat,
frames_decoded, frames_written, seconds, cameras, videos, width, height, decoded_fps, written_fps, machine, git hash.
"""
import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import av
import pandas as pd
from PIL import Image

from _common import append_csv
from sbad_nb.data import list_frames, make_synthetic_stream
from sbad_nb.ingest import ingest_videos, write_video

W, H = 640, 360


def make_videos(d: Path, frames: int) -> Path:
    "2 cameras, `frames` frames each, as two H.264 files a camera at 640x360."
    make_synthetic_stream(d / "stream", cameras=[1, 2], weeks=[1], bank_frames=frames, test_frames=1, width=160, seed=0,
                          progress=False)
    for c in ("cam1", "cam2"):
        imgs = [Image.open(p).resize((W, H), Image.BILINEAR) for p in list_frames(d / "stream", c).image]
        half = len(imgs) // 2
        write_video(imgs[:half], d / "videos" / c / "part1.mp4", fps=25)
        write_video(imgs[half:], d / "videos" / c / "part2.mp4", fps=25)
    return d / "videos"


def decode_only(videos: Path) -> int:
    "Decode every frame of every video (no conversion): the frames decoded."
    n = 0
    for v in sorted(videos.rglob("*.mp4")):
        with av.open(str(v)) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO"
            n += sum(1 for _ in c.decode(s))
    return n


def bench(videos: Path, everies, repeats: int) -> list[dict]:
    rows, total = [], 0
    for r in range(repeats):
        t0 = time.perf_counter()
        total = decode_only(videos)
        dt = time.perf_counter() - t0
        rows.append(dict(case="decode", every=1, repeat=r, frames_decoded=total, frames_written=0, seconds=dt))
        for every in everies:
            out = Path(tempfile.mkdtemp())
            try:
                t0 = time.perf_counter()
                res = ingest_videos(videos, out / "root", every=every, progress=False)
                dt = time.perf_counter() - t0
            finally:
                shutil.rmtree(out, ignore_errors=True)
            rows.append(dict(case="ingest", every=every, repeat=r, frames_decoded=total, frames_written=int(res.written.sum()),
                             seconds=dt))
    df = pd.DataFrame(rows).assign(cameras=2, videos=4, width=W, height=H)
    df["decoded_fps"] = (df.frames_decoded / df.seconds).round(1)
    df["written_fps"] = (df.frames_written / df.seconds).round(1)
    df["seconds"] = df.seconds.round(3)
    return df


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=400, help="frames per camera (two files of half each)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--every", default="1,5", help="comma-separated values of --every to time")
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp())
    try:
        df = bench(make_videos(d, a.frames), [int(e) for e in a.every.split(",")], a.repeats)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    df = df.assign(machine=f"{platform.machine()} {platform.processor() or ''}".strip())
    append_csv("ingest", df)
    print(df.groupby(["case", "every"])[["seconds", "decoded_fps", "written_fps"]].median().to_string())


if __name__ == "__main__":
    main()
