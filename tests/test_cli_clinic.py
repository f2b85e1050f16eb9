"""`formcheck clients / analyze --client --save / history / report / export / import / forget`."""

from __future__ import annotations

import csv
import io
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_helpers import squat_sequence
from formcheck.cli import main
from formcheck.landmarks import save_npz
from formcheck.store.db import close_all

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    for i in range(2):
        save_npz(squat_sequence(seed=i, source=f"visit{i}.mp4",
                                bottom_shin_deg=(38 - 8 * i, 30 - 6 * i, 24 - 4 * i)),
                 tmp_path / f"visit{i}.npz")
    yield tmp_path
    close_all()


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_physio_workflow_end_to_end(clinic, capsys):
    code, out, _ = run(capsys, "clients")
    assert code == 0 and "No clients yet" in out
    code, out, _ = run(capsys, "clients", "add", "knee-07", "--notes", "R knee",
                       "--set", "knee_over_toe_max_ratio=0.1")
    assert code == 0 and "Added client knee-07" in out
    # analyse and save two visits (from saved landmarks: no model needed)
    for i, date in enumerate(["2025-03-01T10:00", "2025-03-15T10:00"]):
        code, out, err = run(capsys, "analyze", "--from-landmarks", clinic / f"visit{i}.npz",
                             "--client", "knee-07", "--save", "--date", date,
                             "--note", f"visit {i}")
        assert code == 0, err
        assert f"Saved session {i + 1} for knee-07" in err and "video not kept" in err
        assert "3 rep(s)" in out
    code, out, _ = run(capsys, "history", "knee-07")
    assert code == 0 and "2 session(s)" in out
    assert "2025-03-01 10:00" in out and "2025-03-15 10:00" in out and '"visit 1"' in out
    code, out, _ = run(capsys, "history", "knee-07", "--json")
    data = json.loads(out)
    assert [s["session_id"] for s in data["sessions"]] == [1, 2]
    assert data["thresholds"]["knee_over_toe_max_ratio"] == 0.1
    # the client's own threshold was used for the analysis
    code, out, _ = run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz",
                       "--client", "knee-07", "--json")
    assert json.loads(out)["thresholds"]["knee_over_toe_max_ratio"] == 0.1
    # report of a saved session
    code, out, _ = run(capsys, "report", "2", "--pdf", clinic / "s2.pdf", "--csv", clinic / "s2.csv")
    assert code == 0
    assert (clinic / "s2.pdf").read_bytes().startswith(b"%PDF")
    assert (clinic / "s2.csv").read_text().splitlines()[0].startswith("rep,")
    assert len((clinic / "s2.csv").read_text().splitlines()) == 4
    # export, forget, import back
    code, out, _ = run(capsys, "export", clinic / "backup.zip")
    assert code == 0 and "1 client(s), 2 session(s)" in out
    code, out, err = run(capsys, "forget", "knee-07")      # stdin is not a terminal here
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "forget", "knee-07", "--yes")
    assert code == 0 and "2 session(s)" in out
    code, out, err = run(capsys, "history", "knee-07")
    assert code == 2 and "No client called 'knee-07'" in err
    code, out, _ = run(capsys, "import", clinic / "backup.zip")
    assert code == 0 and "Imported 2 session(s)" in out
    code, out, _ = run(capsys, "clients")
    assert "knee-07" in out and "2025-03-15" in out


def test_clients_set_and_show(clinic, capsys):
    run(capsys, "clients", "add", "a1", "--profile", "general")
    code, out, _ = run(capsys, "clients", "set", "a1", "--profile", "knee-rehab",
                       "--set", "depth_target_deg=-20", "--rename", "a2")
    assert code == 0 and "a2: profile knee-rehab, depth_target_deg=-20.0" in out
    code, out, _ = run(capsys, "clients", "show", "a2")
    lines = out.splitlines()
    assert lines[0] == "a2  (profile knee-rehab, 0 session(s))"
    assert "  depth_target_deg                        -20  Depth target: thigh angle " \
        "(°, + = hip below knee)  (client's own)" in lines
    assert "  shin_angle_max_deg                       30  Shin angle: limit (° from vertical)" in lines


def test_errors_are_one_line_with_what_to_do(clinic, capsys, tmp_path):
    code, _, err = run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz", "--save")
    assert code == 2 and "--save needs --client" in err
    code, _, err = run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz",
                       "--client", "nobody", "--save")
    assert code == 2 and "No client called 'nobody'" in err and "Traceback" not in err
    code, _, err = run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz",
                       "--client", "x", "--keep-video")
    assert code == 2 and "--keep-video" in err
    (tmp_path / "not.zip").write_text("hello")
    code, _, err = run(capsys, "import", tmp_path / "not.zip")
    assert code == 2 and "not a formcheck export" in err
    run(capsys, "clients", "add", "dup")
    code, _, err = run(capsys, "clients", "add", "dup")
    assert code == 2 and "exists already" in err
    code, _, err = run(capsys, "report", "99", "--pdf", tmp_path / "x.pdf")
    assert code == 2 and "No session with id 99" in err


def test_unreachable_database_is_named_with_the_password_masked(tmp_path):
    env = {"FORMCHECK_DATABASE_URL": "postgresql://physio:hunter2@127.0.0.1:9/clinic",
           "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, "-m", "formcheck.cli", "clients"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "hunter2" not in p.stderr and "***" in p.stderr and "127.0.0.1:9" in p.stderr
    assert "Traceback" not in p.stderr


def test_the_rename_hint_names_a_command_that_exists_and_works(clinic, capsys, monkeypatch):
    from formcheck.cli import build_parser
    from formcheck.cli_clinic import cmd_clients

    run(capsys, "clients", "add", "knee 07")          # a label that needs quoting
    run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz", "--client", "knee 07",
        "--save")
    assert run(capsys, "export", clinic / "a.zip")[0] == 0
    # another clinic has a different client with the same label
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{clinic / 'other.db'}")
    run(capsys, "clients", "add", "knee 07")
    code, _, err = run(capsys, "import", clinic / "a.zip")
    assert code == 2
    hint = err.split("`")[1]
    assert hint == "formcheck clients set 'knee 07' --rename NEW"
    args = build_parser().parse_args(shlex.split(hint)[1:])
    assert (args.func, args.action, args.label, args.rename) == (cmd_clients, "set", "knee 07", "NEW")
    # following the hint, the import goes through
    code, out, _ = run(capsys, *shlex.split(hint.replace("NEW", "knee-07-here"))[1:])
    assert code == 0 and out == "knee-07-here: profile knee-rehab.\n"
    code, out, _ = run(capsys, "import", clinic / "a.zip")
    assert code == 0 and "Imported 1 session(s): 1 new client(s)" in out


def test_history_the_pdf_and_the_store_show_the_same_set_summary(clinic, capsys):
    """One definition (report.summarize): the numbers `formcheck history` prints, the PDF's
    headline (read back with pdftotext) and the store's trend points are the same."""
    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (apt-get install poppler-utils)")
    from formcheck.feedback import CHECK_BY_CODE, value_and_limit
    from formcheck.report import analysis_summary
    from formcheck.store import open_store
    from formcheck.thresholds import get_profile
    from formcheck.values import fmt_num

    run(capsys, "clients", "add", "knee-07")
    for i in range(2):
        code, _, err = run(capsys, "analyze", "--from-landmarks", clinic / f"visit{i}.npz",
                           "--client", "knee-07", "--save", "--date", f"2025-03-0{i + 1}T10:00")
        assert code == 0, err
    store = open_store()
    hist = store.history("knee-07")
    code, out, _ = run(capsys, "history", "knee-07")
    lines = out.splitlines()
    for h in hist:
        sm = h.summary
        # the store's summary is the library's, of the same analysis re-made from the landmarks
        assert sm == analysis_summary(store.load_analysis(h.session_id))
        line = next(x for x in lines if x.split()[:1] == [str(h.session_id)])
        assert line.split()[3:8] == [str(sm.rep_count), "side",
                                     fmt_num(sm.worst_knee_over_toe_ratio, "+.2f"),
                                     fmt_num(sm.worst_shin_angle_deg, ".0f"),
                                     fmt_num(sm.mean_thigh_angle_deg, "+.0f")]
        pdf = clinic / f"s{h.session_id}.pdf"
        assert run(capsys, "report", h.session_id, "--pdf", pdf)[0] == 0
        text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                                       capture_output=True, text=True).stdout.split())
        th = get_profile("knee-rehab")
        kot, kot_lim = value_and_limit(CHECK_BY_CODE["knee_travel"], sm.worst_knee_over_toe_ratio,
                                       th.knee_over_toe_max_ratio)
        shin, shin_lim = value_and_limit(CHECK_BY_CODE["shin_angle"], sm.worst_shin_angle_deg,
                                         th.shin_angle_max_deg)
        assert kot == fmt_num(sm.worst_knee_over_toe_ratio, "+.2f")
        assert (f"Worst knee past toes {kot} foot lengths (limit {kot_lim}) "
                f"Steepest shin {shin}° (limit {shin_lim}°)") in text
        assert (f"thigh {fmt_num(sm.shallowest_thigh_angle_deg, '+.0f')}° to "
                f"{fmt_num(sm.deepest_thigh_angle_deg, '+.0f')}°") in text
    data = json.loads(run(capsys, "history", "knee-07", "--json")[1])
    assert [(s["worst_knee_over_toe_ratio"], s["worst_shin_angle_deg"], s["mean_thigh_angle_deg"])
            for s in data["sessions"]] == \
        [(h.summary.worst_knee_over_toe_ratio, h.summary.worst_shin_angle_deg,
          h.summary.mean_thigh_angle_deg) for h in hist]


@pytest.mark.parametrize("flags", [["--no-box", "--height-cm", "172"], ["--box", "--shin-cm", "41"]])
def test_a_saved_session_reports_what_the_analysis_said_when_saved(clinic, capsys, flags):
    """--box/--no-box and the person's size are kept with the session: `formcheck report` of
    the saved session writes the same rep CSV (box words, cm) as `analyze` did then."""
    run(capsys, "clients", "add", "knee-07")           # knee-rehab: a box squat by default
    code, _, err = run(capsys, "analyze", "--from-landmarks", clinic / "visit0.npz", *flags,
                       "--client", "knee-07", "--save", "--csv", clinic / "then.csv",
                       "--report", clinic / "then.json")
    assert code == 0, err
    then_json = json.loads((clinic / "then.json").read_text())
    assert run(capsys, "report", "1", "--csv", clinic / "now.csv")[0] == 0
    then, now = (clinic / "then.csv").read_text(), (clinic / "now.csv").read_text()
    assert now == then
    rows = list(csv.DictReader(io.StringIO(then)))   # fields may hold quoted commas
    col = {k: [r[k] for r in rows] for k in ("box_contact", "box_hip_height_cm")}
    if flags[0] == "--no-box":
        assert col == {"box_contact": [""] * 3, "box_hip_height_cm": [""] * 3}
        assert then_json["cm_per_shin"] == 41.46        # from the height given
    else:
        assert col["box_contact"] == ["True"] * 3 and all(col["box_hip_height_cm"])
        assert then_json["cm_per_shin"] == 41.0
