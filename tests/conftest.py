"""Shared test set-up: paths to the project's fixtures and to the internal real clips."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "videos" / "fixtures"
SHARED_VIDEOS = Path(os.environ.get("FORMCHECK_SHARED_VIDEOS", ROOT.parent / "shared" / "videos"))


@pytest.fixture(autouse=True)
def _keep_the_main_module():
    """Streamlit's AppTest runs a page as `__main__` and leaves it there. A later test whose
    analysis spawns Dask worker processes would then make every worker re-run that page script
    (multiprocessing's spawn re-imports `__main__` by path) and fail to start. The formcheck
    command and the app have a proper `__main__`; this puts the test runner's back after each
    test."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """The labelled real clips (internal test data, never copied into the project)."""
    if not (SHARED_VIDEOS / "LABELS.tsv").is_file():
        pytest.skip(f"real labelled clips not found at {SHARED_VIDEOS} (../shared is internal "
                    "test data and absent outside the team's machines)")
    return SHARED_VIDEOS


def tasks_backend_gap(reason: str):
    """A known gap of the Tasks pose backend (issue 12): the test is expected to fail there, not
    strictly (its margins are small enough to differ between machines), and runs as usual on the
    legacy backend."""
    from formcheck.pose import default_backend

    return pytest.mark.xfail(default_backend() == "tasks", strict=False, reason=reason)


def write_clip(path: Path, frames, fps: float = 15.0, codec: str = "libx264") -> Path:
    """Encode RGB frames (H, W, 3 uint8) to a small clip with PyAV."""
    import av

    frames = list(frames)
    h, w = frames[0].shape[:2]
    out = av.open(str(path), "w")
    s = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    s.width, s.height, s.pix_fmt = w, h, "yuv420p"
    for img in frames:
        for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
            out.mux(p)
    for p in s.encode(None):
        out.mux(p)
    out.close()
    return path


def read_frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        out = []
        for f in c.decode(video=0):
            out.append(f.to_ndarray(format="rgb24"))
            if limit and len(out) >= limit:
                break
        return out


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where a test saves its screenshots: FORMCHECK_SCREENSHOTS (e.g. docs/screenshots), else
    the test's own temporary folder."""
    d = Path(os.environ.get("FORMCHECK_SCREENSHOTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


# --- one app server for the browser tests that need none of their own ---------------------------
class SharedApp:
    """`streamlit run streamlit_app.py` once for the browser tests that only need a running app
    (its own SQLite clinic and My sets databases and app-files folder, none of them shared with
    another server): a server start, and the start of its tracking workers on the first
    analysis, cost 10-20 s each on the CI machine. It starts on first use and stops after the
    last browser test in a row (pytest_runtest_teardown below), so that no idle server and
    workers run beside the tests after it. A test that needs a database set up before the
    start, accounts (they change every page), another address or a private log or app-files
    folder starts its own server (test_browser.running_app)."""

    def __init__(self):
        self._stack = None
        self.url: str | None = None
        self.dir: Path | None = None

    def start(self, tmp_path_factory) -> tuple[str, Path]:
        """(URL, its folder: clinic.db, my_sets.db, app-files/), started if not running."""
        if self._stack is None:
            from contextlib import ExitStack

            from test_browser import running_app

            d = tmp_path_factory.mktemp("shared_app")
            env = {"FORMCHECK_DATABASE_URL": f"sqlite:///{d / 'clinic.db'}",
                   "FORMCHECK_MY_SETS_DATABASE_URL": f"sqlite:///{d / 'my_sets.db'}",
                   "FORMCHECK_APP_FILES": str(d / "app-files")}
            stack = ExitStack()
            self.url = stack.enter_context(running_app(d, env=env))
            self._stack, self.dir = stack, d
        return self.url, self.dir

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack, self.url, self.dir = self._stack, None, None, None
            stack.close()


_SHARED_APP = SharedApp()


@pytest.fixture(scope="session")
def shared_app() -> SharedApp:
    """The shared app server (SharedApp): `shared_app.start(tmp_path_factory)` gives its URL
    and folder."""
    yield _SHARED_APP
    _SHARED_APP.stop()


def pytest_runtest_teardown(item, nextitem):
    """Stop the shared app server once the next test is not a browser test."""
    if nextitem is None or nextitem.get_closest_marker("browser") is None:
        _SHARED_APP.stop()


def pytest_collection_finish(session):
    """The rendered fixture clips the selected tests track (their module's TRACKED_FIXTURES),
    named to tests/tracking.py before the first test runs, so they are tracked together."""
    from tracking import need_fixtures

    modules = {id(m): m for it in session.items if (m := getattr(it, "module", None)) is not None}
    for m in modules.values():
        need_fixtures(getattr(m, "TRACKED_FIXTURES", ()))


def ffmpeg_decoder_threads() -> set[str]:
    """FFmpeg's decoder threads of this process, by their OS names (av:h264:df0, ...)."""
    names = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name.startswith("av:"):
            names.add(name)
    return names
