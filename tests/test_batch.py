"""`formcheck batch`: a folder in, a report per clip and a summary out; a bad clip is skipped;
a re-run skips what is done."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from conftest import FIXTURES
from formcheck import batch
from formcheck.cli import main
from formcheck.errors import FormcheckError
from formcheck.thresholds import get_profile

CLIP = FIXTURES / "side_knees_past_toes.mp4"


def test_find_clips_takes_folders_globs_and_files_once_each(tmp_path):
    (tmp_path / "a").mkdir()
    for n in ("a/one.mp4", "a/two.MOV", "a/notes.txt", "three.mp4"):
        (tmp_path / n).write_bytes(b"x")
    found = batch.find_clips([str(tmp_path / "a"), str(tmp_path / "*.mp4"),
                              str(tmp_path / "a" / "one.mp4")])
    assert [p.name for p in found] == ["one.mp4", "two.MOV", "three.mp4"]
    with pytest.raises(FormcheckError, match="does not exist"):
        batch.find_clips([str(tmp_path / "missing")])
    with pytest.raises(FormcheckError, match="No video files"):
        batch.find_clips([str(tmp_path / "*.webm")])


def test_output_names_stay_distinct(tmp_path):
    clips = [tmp_path / "a" / "squat.mp4", tmp_path / "b" / "squat.mp4", tmp_path / "Squat.mov"]
    assert batch.output_names(clips) == ["squat", "squat-2", "Squat-3"]


def test_no_clip_writes_over_the_summary_another_clip_or_a_clip(tmp_path):
    """A clip named summary.mp4 would write its reps to summary.csv (and a re-run would take
    the summary for its report); x.mp4's annotated video would be x.annotated.mp4, a clip of
    the batch itself when --out is the clips' folder."""
    clips = [tmp_path / "summary.mp4", tmp_path / "x.mp4", tmp_path / "x.annotated.mp4",
             tmp_path / "y.mp4", tmp_path / "y-2.mp4", tmp_path / "sub" / "y.mp4"]
    names = batch.output_names(clips, tmp_path)
    assert names == ["summary-2", "x-2", "x.annotated", "y", "y-2", "y-3"]
    files = [n + suffix for n in names for suffix in batch.OUTPUT_SUFFIXES]
    assert len({f.lower() for f in files}) == len(files)
    assert batch.SUMMARY_NAME not in files
    assert not {c.name for c in clips} & set(files)
    # elsewhere, x.mp4 keeps its own name; the same clips give the same names (a re-run)
    assert batch.output_names(clips, tmp_path / "out")[1] == "x"
    assert batch.output_names(clips, tmp_path) == names


def test_other_settings_make_a_report_stale(tmp_path):
    general = batch.BatchSettings(get_profile("general"), "general")
    stricter = batch.BatchSettings(get_profile("general", knee_over_toe_max_ratio=0.1), "general")
    paths = batch.paths_for(tmp_path, "clip", general)
    for p in paths.values():
        p.write_text("{}")
    paths["report"].write_text(json.dumps({"batch": {"clip_sha256": "abc",
                                                     "settings": general.key()}}))
    assert batch._previous(paths, "abc", general) is not None
    assert batch._previous(paths, "abc", stricter) is None
    assert batch._previous(paths, "abd", general) is None
    # what the user says about the person filmed changes the outputs too; not saying it keeps
    # the key that reports written before these settings existed carry
    for said in ({"box": True}, {"box": False}, {"height_cm": 175.0}, {"shin_cm": 42.0}):
        other = batch.BatchSettings(get_profile("general"), "general", **said)
        assert other.key() != general.key()
        assert batch._previous(paths, "abc", other) is None
    paths["csv"].unlink()
    assert batch._previous(paths, "abc", general) is None


@pytest.mark.slow
def test_batch_writes_reports_skips_a_bad_clip_and_resumes(tmp_path, capsys):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    src = tmp_path / "clips"
    src.mkdir()
    shutil.copy(CLIP, src / "monday.mp4")
    (src / "broken.mp4").write_bytes(b"this is not a video")
    out = tmp_path / "out"
    code = main(["batch", str(src), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 3  # one clip could not be analysed
    assert "broken.mp4: skipped: Cannot read broken.mp4 as a video" in err
    report = json.loads((out / "monday.json").read_text())
    assert report["rep_count"] == 3
    assert (out / "monday.csv").read_text().count("\n") == 4  # header + 3 reps
    assert (out / "monday.landmarks.npz").is_file()
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["clip"].split("/")[-1], r["status"], r["rep_count"]) for r in rows] == [
        ("broken.mp4", "error", ""), ("monday.mp4", "done", "3")]
    assert rows[1]["reps_knee_past_toes"] == "3"
    assert "export it again" in rows[0]["message"]

    before = (out / "monday.json").stat().st_mtime_ns
    code = main(["batch", str(src), "--out", str(out), "--workers", "1"])
    captured = capsys.readouterr()
    assert "monday.mp4: 3 rep(s) (already done)" in captured.err
    assert "0 analysed, 1 already done, 1 could not be analysed" in captured.out
    assert (out / "monday.json").stat().st_mtime_ns == before
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["status"], r["rep_count"]) for r in rows] == [("error", ""), ("skipped", "3")]

    # said to squat onto a box, with a height: redone, with box contact and cm as `analyze` has
    main(["batch", str(src), "--out", str(out), "--workers", "1", "--box", "--height-cm", "172"])
    assert "monday.mp4: 3 rep(s) (already done)" not in capsys.readouterr().err
    report = json.loads((out / "monday.json").read_text())
    assert report["box"]["squats_onto_box"] is True
    assert [r["box_squat"] for r in report["reps"]] == [True] * 3
    assert all(r["box_contact"] is not None for r in report["reps"])
    assert all(r["higher_box_cm"] is not None for r in report["reps"])


def test_save_files_a_finished_clip_under_the_client_once(tmp_path, capsys, monkeypatch):
    """--client NAME --save on a batch whose clip was analysed before: its saved landmarks are
    re-scored and filed under the client (no model run), and a re-run does not file it twice."""
    from formcheck.landmarks import save_npz
    from formcheck.store import open_store
    from formcheck.store.repo import sha256_file
    from formcheck.synthetic import squat_sequence

    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    assert main(["clients", "add", "knee-07", "--profile", "general"]) == 0
    clip = tmp_path / "clips" / "tuesday.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"stands in for a clip analysed in an earlier run")
    out = tmp_path / "out"
    out.mkdir()
    settings = batch.BatchSettings(get_profile("general"), "general")
    paths = batch.paths_for(out, "tuesday", settings)
    save_npz(squat_sequence(3, fps=30.0), paths["landmarks"])
    paths["csv"].write_text("rep\n")
    paths["report"].write_text(json.dumps({"rep_count": 3, "reps": [], "warnings": [], "batch": {
        "clip_sha256": sha256_file(clip), "settings": settings.key()}}))
    capsys.readouterr()
    assert main(["batch", str(clip.parent), "--out", str(out), "--client", "knee-07",
                 "--save"]) == 0
    assert "saved as session" in capsys.readouterr().err
    sessions = open_store().list_sessions("knee-07")
    assert [(s.rep_count, s.clip_sha256) for s in sessions] == [(3, sha256_file(clip))]
    assert main(["batch", str(clip.parent), "--out", str(out), "--client", "knee-07",
                 "--save"]) == 0
    assert "tuesday.mp4 is already in knee-07's history" in capsys.readouterr().err
    assert len(open_store().list_sessions("knee-07")) == 1


class Recorder:
    """An engine that records the order the clips are handed out in and tracks none."""

    order: list[str] = []

    def n_workers(self) -> int:
        return 2

    def run(self, jobs, progress=None):
        from formcheck.engine import ClipResult

        self.order = [j.path.name for j in jobs]
        for j in jobs:
            yield ClipResult(j, None, [], "not tracked in this test")


def test_the_longest_clips_go_to_the_workers_first(tmp_path):
    import numpy as np

    from conftest import write_clip

    src = tmp_path / "clips"
    src.mkdir()
    frame = np.zeros((32, 48, 3), dtype=np.uint8)
    for name, seconds in (("a_short.mp4", 1), ("b_long.mp4", 3), ("c_middle.mp4", 2)):
        write_clip(src / name, [frame] * (15 * seconds), fps=15.0)

    eng = Recorder()
    clips = batch.find_clips([str(src)])
    settings = batch.BatchSettings(get_profile("general"), "general", "auto")
    outcomes = batch.run_batch(clips, tmp_path / "out", settings, eng)
    assert eng.order == ["b_long.mp4", "c_middle.mp4", "a_short.mp4"]
    # outcomes and the summary keep the order given
    assert [o.clip.name for o in outcomes] == ["a_short.mp4", "b_long.mp4", "c_middle.mp4"]
    assert [o.status for o in outcomes] == ["error"] * 3


def test_tracking_cost_counts_tracked_frames_and_decoded_megapixels():
    from pathlib import Path

    from formcheck.engine import ClipJob
    from formcheck.parallel import Chunk
    from formcheck.video import VideoInfo

    def job(w, h, fps, seconds):
        info = VideoInfo("x.mp4", w, h, fps, seconds, 0, "h264")
        return ClipJob(Path("x.mp4"), info, (Chunk(0, 0.0, None, 0.0),), 30.0)

    # 10 s at 60 fps, 1920x1080: 300 tracked frames + 0.13 x 2.0736 MP x 600 decoded frames
    assert batch.tracking_cost(job(1920, 1080, 60.0, 10.0)) == pytest.approx(
        10 * (30 + 0.13 * 2.0736 * 60))
    assert batch.tracking_cost(job(1280, 720, 30.0, 20.0)) == pytest.approx(
        20 * (30 + 0.13 * 0.9216 * 30))
    # a clip at or under max_fps: every frame tracked
    assert batch.tracking_cost(job(620, 720, 24.0, 17.0)) == pytest.approx(
        17 * (24 + 0.13 * 0.4464 * 24))


def test_a_short_full_hd_clip_goes_before_a_longer_small_one(tmp_path):
    """Clips go out costliest first, not longest: 2 s of 1920x1080 (38.1 tracked frames'
    worth: 30 frames and 62 decoded megapixels) before 2.2 s of 48x32 (33 frames)."""
    import numpy as np

    from conftest import write_clip

    src = tmp_path / "clips"
    src.mkdir()
    write_clip(src / "a_big.mp4", [np.zeros((1080, 1920, 3), np.uint8)] * 30, fps=15.0)
    write_clip(src / "b_small.mp4", [np.zeros((32, 48, 3), np.uint8)] * 33, fps=15.0)

    eng = Recorder()
    clips = batch.find_clips([str(src)])
    settings = batch.BatchSettings(get_profile("general"), "general", "auto")
    batch.run_batch(clips, tmp_path / "out", settings, eng)
    assert eng.order == ["a_big.mp4", "b_small.mp4"]
