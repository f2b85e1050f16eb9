"""Fixed costs (issue 20): heavy libraries are imported only where they are used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import FIXTURES

HEAVY = ("scipy", "distributed", "dask", "sqlalchemy", "fpdf", "matplotlib.pyplot", "mediapipe",
         "cryptography", "streamlit")


def _imported(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return set(out.split())


def test_the_command_line_starts_without_the_heavy_libraries():
    got = _imported("import formcheck.cli\nformcheck.cli.build_parser()")
    assert got.isdisjoint(HEAVY), got & set(HEAVY)


def test_mediapipe_comes_without_pyplot_which_still_works_when_asked_for():
    """mediapipe's drawing_utils imports pyplot (most of mediapipe's import time; in mediapipe
    0.10 under solutions, in 1.x under tasks.python.vision): formcheck imports mediapipe with a
    stand-in, and the real pyplot loads where it is used, also inside drawing_utils. The
    package `matplotlib` itself (imported first by `import matplotlib.pyplot`, ~0.4 CPU-s)
    is not loaded either."""
    code = ("import sys\nfrom formcheck.pose import _mediapipe\nmp = _mediapipe()\n"
            "assert 'mediapipe' in sys.modules\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
            "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
            "assert type(plt).__name__ == 'module' and plt.figure() is not None\n"
            "if hasattr(mp, 'solutions'):   # mediapipe 0.10 (legacy backend)\n"
            "    from mediapipe.python.solutions import drawing_utils as du\n"
            "else:                          # mediapipe 1.x (Tasks backend)\n"
            "    from mediapipe.tasks.python.vision import drawing_utils as du\n"
            "assert du.plt.figure is plt.figure\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_mediapipe_comes_without_sounddevice_which_still_loads_when_used():
    """mediapipe's audio recorder imports sounddevice at import time (it loads and starts
    PortAudio, or looks for it: about 0.1 s per process); formcheck never records sound, so
    mediapipe is imported with a stand-in: no import of sounddevice is even attempted, and
    the recorder's `sd` gives what the real module gives (its class, or its import error)."""
    code = ("import sys\n"
            "attempts = []\n"
            "class Spy:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'sounddevice':\n"
            "            attempts.append(name)\n"
            "        return None\n"
            "sys.meta_path.insert(0, Spy())\n"
            "from formcheck.pose import _mediapipe\n"
            "mp = _mediapipe()\n"
            "assert attempts == [], attempts\n"
            "assert 'sounddevice' not in sys.modules\n"
            "from mediapipe.tasks.python.audio.core import audio_record\n"
            "def outcome(get):\n"
            "    try:\n"
            "        return ('ok', get())\n"
            "    except Exception as exc:\n"
            "        return ('error', type(exc).__name__, str(exc))\n"
            "via = outcome(lambda: audio_record.sd.InputStream)\n"
            "assert attempts == ['sounddevice'], attempts\n"
            "direct = outcome(lambda: __import__('sounddevice').InputStream)\n"
            "assert via == direct, (via, direct)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_mediapipe_comes_without_opencv_which_its_drawing_code_still_gets_when_used():
    """mediapipe's drawing_utils imports cv2 at import time for its drawing functions, which
    formcheck never calls (about 0.09 s per process): no import of cv2 is attempted while
    mediapipe is imported; drawing_utils' `cv2` then gives the real OpenCV, which is also what
    `import cv2` gives afterwards (overlay.py)."""
    code = ("import sys\n"
            "attempts = []\n"
            "class Spy:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'cv2':\n"
            "            attempts.append(name)\n"
            "        return None\n"
            "sys.meta_path.insert(0, Spy())\n"
            "from formcheck.pose import _mediapipe\n"
            "mp = _mediapipe()\n"
            "assert attempts == [] and 'cv2' not in sys.modules, attempts\n"
            "if hasattr(mp, 'solutions'):   # mediapipe 0.10 (legacy backend)\n"
            "    from mediapipe.python.solutions import drawing_utils as du\n"
            "else:                          # mediapipe 1.x (Tasks backend)\n"
            "    from mediapipe.tasks.python.vision import drawing_utils as du\n"
            "circle = du.cv2.circle\n"
            "import cv2\n"
            "assert type(cv2).__name__ == 'module' and circle is cv2.circle\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


@pytest.mark.slow
def test_analyze_with_one_worker_imports_no_cluster_store_pdf_or_scipy(tmp_path):
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "formcheck.cli", "analyze",
                        str(FIXTURES / "side_box_pause.mp4"), "--workers", "1", "--report",
                        str(tmp_path / "r.json")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    names = {ln.split("|")[-1].strip() for ln in p.stderr.splitlines() if ln.count("|") == 2}
    assert "mediapipe" in names                                  # what it does need
    # scipy.signal cost 1.3 s of every run; clean.butter_lowpass/filtfilt_many replace it
    unused = {"distributed", "dask", "sqlalchemy", "fpdf", "matplotlib.pyplot", "cryptography",
              "scipy"}
    assert names.isdisjoint(unused), names & unused


def test_a_chunk_tracked_outside_dask_imports_no_dask():
    """parallel.track_chunk in analyze's own processes (the one that tracks the first chunk,
    the plain worker processes) asked Dask whether it ran as a Dask task by importing it: about
    1 CPU-second per process and chunk (benchmarks/cpu_profile.py). A process that has not
    imported Dask is not a Dask worker."""
    code = ("import sys\nfrom formcheck.parallel import Chunk, track_chunk\n"
            f"clip = {str(FIXTURES / 'side_knees_past_toes.mp4')!r}\n"
            "seen = []\n"
            "part = track_chunk(clip, Chunk(0, 0.0, 1.0, 0.0), 30.0, 360, 480, 24.0, 1.0, 's',\n"
            "                   lambda done_s, total_s: seen.append(done_s))\n"
            "print(len(part['t_s']), len(seen))\n"
            "print(' '.join(sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    n_frames, n_reports = map(int, out[0].split())
    assert n_frames == n_reports == 24          # 1 s of a 24 fps clip, each frame reported
    got = set(out[1].split())
    assert "mediapipe" in got
    assert got.isdisjoint({"distributed", "dask"}), got & {"distributed", "dask"}


def test_a_chunk_is_decoded_without_ffmpegs_decoder_threads():
    """A chunk is tracked beside other trackers that keep the cores busy: its decoder runs in
    the prefetch thread alone (parallel.CHUNK_DECODER_THREADS), not in FFmpeg's frame
    threads (about 16% more decoding CPU on a 1080p clip; issue 20). The threads alive are
    read at every frame's progress report."""
    code = ("import os\nfrom formcheck.parallel import Chunk, track_chunk\n"
            f"clip = {str(FIXTURES / 'side_knees_past_toes.mp4')!r}\n"
            "names = set()\n"
            "def threads(done_s, total_s):\n"
            "    for tid in os.listdir('/proc/self/task'):\n"
            "        try:\n"
            "            names.add(open(f'/proc/self/task/{tid}/comm').read().strip())\n"
            "        except OSError:\n"
            "            pass\n"
            "part = track_chunk(clip, Chunk(0, 0.0, 1.0, 0.0), 30.0, 360, 480, 24.0, 1.0, 's',\n"
            "                   threads)\n"
            "print(len(part['t_s']))\n"
            "print(' '.join(sorted(names)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    assert int(out[0]) == 24
    names = set(out[1].split())
    # the native threads alive while it tracked are seen (MediaPipe's, named by it: the legacy
    # graph's "mediapipe/..." threads, the Tasks API's "drishti" ones) ...
    from formcheck.pose import default_backend

    if default_backend() == "legacy":
        assert {n for n in names if n.startswith("mediapipe/")}, names
    else:
        assert "drishti" in names, names
    # ... and FFmpeg's decoder threads (av:h264:df0, ...) are not among them
    assert not {n for n in names if n.startswith("av:")}, names


def test_a_batch_hashes_its_clips_without_importing_the_store(tmp_path):
    """`formcheck batch` hashes every clip before it starts; the hash came from the store's
    module, whose import (SQLAlchemy, the models) cost ~1 s before the first clip."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "holiday.mp4").write_bytes(b"not a video at all" * 100)
    code = ("import sys\nfrom pathlib import Path\nfrom formcheck import batch\n"
            "from formcheck.thresholds import get_profile\n"
            "class NoEngine:\n"
            "    def n_workers(self): return 1\n"
            "    def run(self, jobs, progress=None): return iter(())\n"
            f"tmp = Path({str(tmp_path)!r})\n"
            "[oc] = batch.run_batch(batch.find_clips([str(tmp / 'in')]), tmp / 'out',\n"
            "                       batch.BatchSettings(get_profile('general')), NoEngine())\n"
            "assert oc.status == 'error' and 'holiday.mp4' in oc.message, oc\n"
            "assert (tmp / 'out' / 'summary.csv').is_file()\n")
    got = _imported(code)
    assert "formcheck.digest" in got
    assert got.isdisjoint({"sqlalchemy", "formcheck.store"}), got & {"sqlalchemy",
                                                                     "formcheck.store"}
