"""Bad input gets a DataError / ConfigError that names the file and the fix, before anything is written."""
import pytest
from PIL import Image

from conftest import ROOT, snapshot
from sbad_nb.core import ConfigError, DataError, atomic_write, get_profile
from sbad_nb.data import list_frames, load_manifest, make_synthetic_stream, read_labels, validate_layout


def test_missing_root(tmp_path):
    with pytest.raises(DataError, match=r"data root .*nope does not exist; render the synthetic stream"):
        list_frames(tmp_path / "nope", 1, 1)
    with pytest.raises(DataError, match="does not exist"):
        validate_layout(tmp_path / "nope")


def test_missing_camera_folder(stream):
    with pytest.raises(DataError, match=r"camera folder .*cam7 does not exist \(cameras in .*: cam1, cam2\)"):
        list_frames(stream, 7, 1)
    with pytest.raises(DataError, match=r"cam7: camera folder missing"):
        validate_layout(stream, cameras=[1, 7])


def test_missing_week(stream):
    with pytest.raises(DataError, match=r"week9.*does not exist \(weeks of cam1: \[1\]\)"):
        list_frames(stream, 1, 9)


def test_empty_images_folder(stream_copy):
    imgs = stream_copy / "cam1/week1/bank/images"
    for p in imgs.iterdir():
        p.unlink()
    with pytest.raises(DataError, match=r"cam1/week1/bank/images is empty"):
        list_frames(stream_copy, 1, 1)
    with pytest.raises(DataError, match=r"cam1/week1/bank/images: empty; copy the frames there"):
        validate_layout(stream_copy)


def test_corrupt_and_non_image_files(stream_copy):
    imgs = stream_copy / "cam2/test/images"
    (imgs / "000001.jpg").write_bytes(b"\xff\xd8 truncated")
    (imgs / "000002.jpg").write_bytes(b"")
    (imgs / "notes.txt").write_text("hello")
    with pytest.raises(DataError) as e:
        validate_layout(stream_copy)
    msg = str(e.value)
    assert "3 problem(s)" in msg
    assert "000001.jpg: corrupt or unreadable image" in msg
    assert "000002.jpg: empty file (0 bytes)" in msg
    assert "notes.txt: not an image (.txt); move it out of images/" in msg


def test_label_wrong_number_of_fields(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("0 0.5 0.5 0.2 0.2\n0 0.5 0.5\n")
    with pytest.raises(DataError, match=r"a.txt:2: 3 fields .* expected 5 .*fix or delete the line"):
        read_labels(f)
    f.write_text("0 0.5 0.5 0.2 0.2 0.9\n")
    assert read_labels(f).shape == (1, 6)
    with pytest.raises(DataError, match="expected 5"):
        read_labels(f, allow_conf=False)


@pytest.mark.parametrize("line", ["0 1.2 0.5 0.1 0.1", "0 0.5 -0.1 0.1 0.1", "0 0.5 0.5 0.1 7"])
def test_label_coordinates_outside_unit_square(tmp_path, line):
    f = tmp_path / "b.txt"
    f.write_text(line + "\n")
    with pytest.raises(DataError, match=r"b.txt:1: value .* outside \[0, 1\]; YOLO coordinates"):
        read_labels(f)


def test_label_errors_found_by_validate_layout(stream_copy):
    (stream_copy / "cam1/test/labels/000000.txt").write_text("0 0.5 0.5 0.1\n")
    (stream_copy / "cam1/week1/bank/gt/000003.txt").write_text("2 0.5 1.5 0.1 0.1\n")
    with pytest.raises(DataError) as e:
        validate_layout(stream_copy)
    assert "test/labels/000000.txt:1: 4 fields" in str(e.value)
    assert "bank/gt/000003.txt:1: value 1.5 outside" in str(e.value)


def test_duplicate_frame_index(stream_copy):
    imgs = stream_copy / "cam1/week1/bank/images"
    Image.open(imgs / "000004.jpg").save(imgs / "frame_4.png")
    with pytest.raises(DataError, match="frame index 4 appears twice"):
        list_frames(stream_copy, 1, 1)


def test_unknown_profile():
    with pytest.raises(ConfigError, match="unknown profile 'big'; choose one of smoke, tiny, small, paper"):
        get_profile("big")


def test_manifest_missing_key(tmp_path):
    m = tmp_path / "mine.yaml"
    m.write_text("name: mine\nclasses: [vehicle]\nsplits: [bank, test]\n")
    with pytest.raises(ConfigError, match=r"mine.yaml: missing key 'layout'; add it"):
        load_manifest(m)
    m.write_text("name: mine\nlayout: {bank: x}\nclasses: [vehicle]\nsplits: [bank, test]\n")
    with pytest.raises(ConfigError, match="layout has no 'test' entry"):
        load_manifest(m)
    with pytest.raises(ConfigError, match=r"no shipped data manifest .nosuch. \(sbad-nb ships: synthetic, walt\)"):
        load_manifest("nosuch")


def test_manifest_count_mismatch_is_a_partial_copy(stream_copy):
    from sbad_nb.core import SbadWarning
    m = {**load_manifest("synthetic"), "cameras": {1: {"test_images": 300}}}
    with pytest.warns(SbadWarning, match=r"4 images, the synthetic manifest expects 300: a partial copy"):
        t = validate_layout(stream_copy, manifest=m, cameras=[1])
    assert t[t.split == "test"].images.tolist() == [4]


def test_validation_writes_nothing(stream_copy):
    (stream_copy / "cam1/week1/bank/images/000001.jpg").write_bytes(b"junk")
    before = snapshot(stream_copy)
    with pytest.raises(DataError):
        validate_layout(stream_copy)
    assert snapshot(stream_copy) == before


@pytest.mark.parametrize("kw, msg", [(dict(width=50), "multiple of 8"), (dict(bank_frames=0), "bank_frames must be at least 1"),
                                     (dict(cameras=[1, 1]), "cameras repeat"), (dict(weeks=[]), "at least one camera and one week")])
def test_stream_parameters_checked_before_writing(tmp_path, kw, msg):
    with pytest.raises(ConfigError, match=msg):
        make_synthetic_stream(tmp_path / "s", **kw, progress=False)
    assert not (tmp_path / "s").exists()


def test_stream_root_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file; choose a folder"):
        make_synthetic_stream(tmp_path / "f", progress=False)


def test_existing_foreign_camera_folder_is_not_overwritten(tmp_path):
    (tmp_path / "cam1").mkdir()
    (tmp_path / "cam1" / "mine.txt").write_text("precious")
    with pytest.raises(DataError, match=r"cam1 exists and was not rendered with these parameters .*overwrite=True"):
        make_synthetic_stream(tmp_path, cameras=[1], progress=False)
    assert (tmp_path / "cam1" / "mine.txt").read_text() == "precious"


def test_atomic_write_into_a_path_under_a_file(tmp_path):
    (tmp_path / "f.txt").write_text("keep")
    with pytest.raises(DataError, match=r"cannot create folder .*f.txt .*check the path"):
        with atomic_write(tmp_path / "f.txt" / "x.txt") as f:
            f.write("x")
    assert (tmp_path / "f.txt").read_text() == "keep"


def test_paper_profile_checks_the_walt_tree_first(stream, tmp_path):
    from sbad_nb.data import data_root
    with pytest.raises(DataError, match=r"data root .*missing_walt does not exist"):
        data_root(get_profile("paper", stream={"root": str(tmp_path / "missing_walt"), "cameras": [1], "weeks": [1]}))
    with pytest.warns(UserWarning, match=r"4 images, the walt manifest expects 300: a partial copy"):   # a WALT-layout tree, incomplete
        assert data_root(get_profile("paper", stream={"root": str(stream), "cameras": [1], "weeks": [1]})) == stream


def test_a_teacher_that_finds_nothing_stops_before_training(tmp_path):
    from sbad_nb.bank import check_labels
    import pandas as pd
    from sbad_nb.core import SbadWarning
    labels = [tmp_path / f"{i:06d}.txt" for i in range(20)]
    for l in labels: l.write_text("")
    bank = pd.DataFrame({"frame": range(20), "label": [str(l) for l in labels]})
    prof = get_profile("paper")
    with pytest.raises(DataError, match=r"found no vehicle in any of the 20 frames of cam3 it labelled .*teacher_classes, teacher_conf, teacher_imgsz"):
        check_labels(prof, 3, bank)
    labels[0].write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.warns(SbadWarning, match="found vehicles in only 1 of the 20 frames of cam3 it labelled"):
        check_labels(prof, 3, bank)


def test_validate_layout_finds_what_fails_after_hours(stream_copy):
    "3-class test labels, a test image without its label, a duplicate frame index: found before anything trains."
    t = stream_copy / "cam1/test"
    lab = sorted((t / "labels").glob("*.txt"))
    lab[0].write_text("2 0.5 0.5 0.1 0.1\n0 0.2 0.2 0.1 0.1\n")                # car / bus / truck classes, not vehicle
    lab[1].unlink()                                                              # a test image without its label
    img = sorted((t / "images").glob("*.jpg"))[2]
    (img.parent / f"{int(img.stem)}.jpg").write_bytes(img.read_bytes())         # the same frame index twice (3.jpg, 000003.jpg)
    with pytest.raises(DataError) as e:
        validate_layout(stream_copy, cameras=[1])
    msg = str(e.value)
    assert "4 problem(s)" in msg and "class(es) [2], but labels/ holds 1 class(es) (vehicle); map every vehicle class to 0" in msg
    assert f"no label file {lab[1]}" in msg and f"frame index {int(img.stem)} again" in msg   # (the copy lacks a label too)


def test_roboflow_names_keep_their_frame_index():
    from sbad_nb.data import frame_index
    assert frame_index("000003_jpg.rf.8f2c4e1b9d0a7c6e5f4a3b2c1d0e9f87.jpg") == 3
    assert frame_index("cam2/000120.jpg") == 120 and frame_index("frame_17_png.rf.0123abc.png") == 17


def test_the_profile_root_is_where_the_data_is_looked_for(tmp_path):
    from sbad_nb.data import data_root
    with pytest.raises(DataError, match=rf"data root {tmp_path}/walt does not exist"):
        data_root(get_profile(f"paper;root={tmp_path}/walt;cameras=1,2"))


def test_a_read_only_walt_tree_is_only_read(stream, tmp_path, monkeypatch):
    "On a real tree the teacher's labels, caches and locks go to the work directory: a read-only copy works."
    import os, shutil, stat, warnings
    import sbad_nb.bank as bank
    from sbad_nb.core import resolve
    walt = tmp_path / "walt"
    shutil.copytree(stream, walt, ignore=shutil.ignore_patterns("gt", "masks", "labels", "stream.json"))
    shutil.copytree(stream / "cam1/test/labels", walt / "cam1/test/labels", dirs_exist_ok=True)   # human test labels only
    monkeypatch.setattr(bank, "data_dir", lambda p: tmp_path / "work" / (p if isinstance(p, str) else p.name))
    for p in sorted(walt.rglob("*"), reverse=True): p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        asset = resolve("sbad_nb:assets/generic_student.pt")
        prof = get_profile(f"paper;root={walt};cameras=1;weeks=1;teacher={asset};teacher_classes=0;student={asset};student_classes=0;"
                           "imgsz=96;device=cpu;warmup=4;val_frames=4;batch=4;workers=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = bank.prepare_bank(prof, 1, progress=False)
        assert all(str(l).startswith(str(tmp_path / "work" / "paper" / "teacher_labels")) for l in b["bank"].label)
        got = bank.labelled(b["val"])                                   # the teacher labels what is needed (validation), on demand
        assert len(b["scores"]) == len(b["bank"]) == 12 and len(got) > 0 and any(os.path.getsize(l) for l in got.label)
    finally:
        for p in walt.rglob("*"): p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_frame_names_follow_the_manifests_pattern(stream_copy, tmp_path):
    "Integer names by default; Roboflow's export names are accepted once the manifest declares them, with their index."
    import yaml
    from sbad_nb.data import list_frames
    t = stream_copy / "cam1/test"
    for p in sorted((t / "images").glob("*.jpg")):                              # as the CSBAD test sets are published
        p.rename(p.with_name(f"{p.stem}_jpg.rf.{'ab12' * 8}.jpg"))
        (t / "labels" / f"{p.stem}.txt").rename(t / "labels" / f"{p.stem}_jpg.rf.{'ab12' * 8}.txt")
    with pytest.raises(DataError, match=r"000000_jpg.rf.ab12.*does not follow the manifest's frame_names: integer .*frame_names: integer \| roboflow \| any"):
        validate_layout(stream_copy, cameras=[1])
    m = yaml.safe_load((ROOT / "sbad_nb/manifests/synthetic.yaml").read_text())
    (tmp_path / "rf.yaml").write_text(yaml.safe_dump({**m, "frame_names": "roboflow"}))
    validate_layout(stream_copy, manifest=tmp_path / "rf.yaml", cameras=[1])
    assert list_frames(stream_copy, 1, split="test").frame.tolist() == [0, 1, 2, 3]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**m, "frame_names": "rf"}))
    with pytest.raises(ConfigError, match="frame_names 'rf' is not one of integer, roboflow, any"):
        validate_layout(stream_copy, manifest=tmp_path / "bad.yaml", cameras=[1])
