"""Chair-stand tests (chairstand.py) on synthetic people with known stand times."""

import json

import pytest

from formcheck.analysis import analyze_sequence
from formcheck.chairstand import (BOHANNON_2006, RIKLI_JONES_1999, TEST_5X, TEST_30S,
                                  from_analysis, norm_5x, norm_30s, to_dict)
from formcheck.cli import main
from formcheck.landmarks import save_npz
from formcheck.synthetic import RepSpec, squat_sequence
from formcheck.thresholds import get_profile

SIT = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25, up_s=0.9,
              rest_s=0.3)
SEATED_S, LEAD_S = 1.0, 0.3
CYCLE_S = SIT.down_s + SIT.pause_s + SIT.up_s + SIT.rest_s      # 2.35 s


def run(reps, test, age=None, sex=None, **kw):
    seq = squat_sequence(reps, lead_s=LEAD_S, seated_start_s=SEATED_S, seated_end_s=1.0,
                         arms="chest", **kw)
    return from_analysis(analyze_sequence(seq, get_profile("general")), test, age, sex)


def stand_up_s(k):
    """When stand k (1-based) is complete, from the first movement (exact)."""
    return SIT.up_s + (k - 1) * CYCLE_S


def test_thirty_second_count_and_stand_times():
    r = run([SIT] * 13, TEST_30S)           # 14 stands: the 14th completes after 30 s
    assert stand_up_s(13) < 30.0 < stand_up_s(14)
    assert r.stands == 13
    assert r.time_s == 30.0
    assert r.first_movement_s == pytest.approx(SEATED_S, abs=0.15)
    assert r.stand_times_s == pytest.approx([stand_up_s(k) for k in range(1, 15)], abs=0.3)
    assert r.notes == ()


def test_five_times_sit_to_stand_time_to_the_seat_after_the_fifth_stand():
    r = run([SIT] * 6, TEST_5X)
    truth = stand_up_s(5) + SIT.rest_s + SIT.down_s     # seat contact after the fifth stand
    assert r.stands == 5
    assert r.time_s == pytest.approx(truth, abs=0.3)


def test_five_times_needs_the_sit_after_the_fifth_stand():
    r = run([SIT] * 3, TEST_5X)             # 4 stands
    assert r.time_s is None
    assert "Fewer than five" in r.notes[0]


def test_incomplete_stands_are_flagged_and_not_counted():
    bent = RepSpec(**{**SIT.__dict__, "top_u": 0.2})     # back up with the knees bent ~24 deg
    half = RepSpec(**{**SIT.__dict__, "top_u": 0.5})     # sits back from half-way up
    r = run([SIT, bent, SIT, half, SIT, SIT], TEST_30S)
    d = to_dict(r)
    # rises: 1 (from the seated start), 2, 3 (bent: knees not straight), 4, the half rise
    # (sat back: not a stand), 5, 6
    assert d["incomplete_stands"] == [3]
    assert len(d["partial_rises_s"]) == 1
    assert len(r.stand_list) == 6
    assert r.stands == 5
    assert any("Incomplete stands" in n for n in r.notes)


def test_arms_off_the_chest_are_flagged():
    # the third stand's rise: from leaving the seat after rep 2 to standing
    t_push = SEATED_S + SIT.up_s + LEAD_S + CYCLE_S + SIT.down_s + SIT.pause_s
    seq = squat_sequence([SIT] * 4, lead_s=LEAD_S, seated_start_s=SEATED_S, seated_end_s=1.0,
                         arms_at=lambda t: "thighs" if t_push - 0.7 < t < t_push + 1.2 else "chest")
    r = from_analysis(analyze_sequence(seq, get_profile("general")), TEST_30S)
    assert to_dict(r)["arms_off_chest_stands"] == [3]


def test_a_clip_that_does_not_start_seated_is_refused_with_a_reason():
    seq = squat_sequence([SIT] * 3)
    r = from_analysis(analyze_sequence(seq, get_profile("general")), TEST_30S)
    assert r.stands == 0 and r.time_s is None
    assert "does not start seated" in r.notes[0]


@pytest.mark.parametrize("stands,age,sex,verdict,band", [
    (11, 72, "F", "within", "F 70-74"), (9, 72, "F", "below", "F 70-74"),
    (16, 72, "F", "above", "F 70-74"), (14, 60, "M", "within", "M 60-64"),
    (13, 64, "M", "below", "M 60-64"), (12, 94, "M", "within", "M 90-94")])
def test_rikli_jones_lookup(stands, age, sex, verdict, band):
    n = norm_30s(stands, age, sex)
    assert (n.verdict, n.band) == (verdict, band)


def test_norm_tables_and_ages_outside_them():
    assert RIKLI_JONES_1999["F"][(60, 64)] == (12, 17)
    assert RIKLI_JONES_1999["M"][(90, 94)] == (7, 12)
    assert BOHANNON_2006 == {(60, 69): 11.4, (70, 79): 12.6, (80, 89): 14.8}
    assert norm_30s(12, 45, "F") is None
    assert norm_30s(12, 70, None) is None
    assert norm_5x(13.0, 75).verdict == "slower"
    assert norm_5x(12.0, 75).verdict == "faster"
    assert norm_5x(12.0, 55) is None


def test_cli_writes_the_report(tmp_path, capsys):
    seq = squat_sequence([SIT] * 6, lead_s=LEAD_S, seated_start_s=SEATED_S, seated_end_s=1.0,
                         arms="chest")
    save_npz(seq, tmp_path / "l.npz")
    out = tmp_path / "r.json"
    assert main(["test", "five-times-sit-to-stand", "--from-landmarks", str(tmp_path / "l.npz"),
                 "--age", "66", "--report", str(out)]) == 0
    rep = json.loads(out.read_text())
    assert rep["test"] == "five-times-sit-to-stand"
    assert rep["stands"] == 5
    assert rep["time_s"] == pytest.approx(stand_up_s(5) + SIT.rest_s + SIT.down_s, abs=0.3)
    assert len(rep["stand_times_s"]) == 7
    assert rep["norm"]["source"] == "Bohannon 2006"
    assert "five-times sit-to-stand" in capsys.readouterr().out


def test_cli_on_a_clip_that_does_not_start_seated_says_why(tmp_path, capsys):
    save_npz(squat_sequence([SIT] * 3), tmp_path / "l.npz")
    assert main(["test", "chair-stand-30", "--from-landmarks", str(tmp_path / "l.npz")]) == 3
    assert "does not start seated" in capsys.readouterr().out


def test_cli_refuses_an_impossible_age(tmp_path, capsys):
    assert main(["test", "chair-stand-30", "x.mp4", "--age", "7"]) == 2
    assert "--age 7" in capsys.readouterr().err


def test_cli_writes_the_pdf_and_checks_its_folder_first(tmp_path, capsys):
    import shutil
    import subprocess

    seq = squat_sequence([SIT] * 6, lead_s=LEAD_S, seated_start_s=SEATED_S, seated_end_s=1.0,
                         arms="chest")
    save_npz(seq, tmp_path / "l.npz")
    assert main(["test", "five-times-sit-to-stand", "--from-landmarks", str(tmp_path / "l.npz"),
                 "--age", "66", "--pdf", str(tmp_path / "missing" / "t.pdf")]) == 2
    assert f"Folder {tmp_path / 'missing'} does not exist" in capsys.readouterr().err
    out = tmp_path / "t.pdf"
    assert main(["test", "five-times-sit-to-stand", "--from-landmarks", str(tmp_path / "l.npz"),
                 "--age", "66", "--pdf", str(out), "--report", str(tmp_path / "r.json")]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not checked")
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    rep = json.loads((tmp_path / "r.json").read_text())
    assert "Five-times sit-to-stand" in text
    assert f"{rep['time_s']:.2f} s to sitting after the fifth stand" in text
    assert "Bohannon 2006, age 60-69: reference time 11.4 s" in text


def test_a_clip_that_starts_seated_counts_its_first_stand_however_it_sits():
    """The squat counter does not count a seated start as a rep only when its first depth is
    near the deepest (reps.RepSettings.seated_frac); a test always starts seated, so its first
    rise is stand 1 even when the person sat higher than they later go down (here the first
    second reads 0.3 of the depth range, the rise itself goes deeper)."""
    import dataclasses

    import numpy as np

    from formcheck.chairstand import chair_stand

    seq = squat_sequence([SIT] * 6, lead_s=LEAD_S, seated_start_s=SEATED_S, seated_end_s=1.0,
                         arms="chest")
    a = analyze_sequence(seq, get_profile("general"))
    depth = a.series.depth.copy()
    sat = a.series.t_s < SEATED_S
    depth[sat] = np.minimum(depth[sat], 0.3)          # above `enter`: still seated, but higher
    series = dataclasses.replace(a.series, depth=depth)
    r = chair_stand(a.clean_seq, series, TEST_5X)
    assert r.stands == 5 and r.time_s is not None
    assert [s.index for s in r.stand_list][:2] == [1, 2]
