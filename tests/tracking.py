"""Track many clips for the tests in worker processes (the accuracy gate's real clips, the truth
grid): the suite's biggest single cost.

Whole clips per process, so each clip's landmarks are what sequential tracking
(formcheck.pose.track_video) gives, bit for bit (tests/test_tracking.py). A MediaPipe loop uses
one core; TRACK_WORKERS processes run side by side. Spawned (a clean interpreter, not a fork of
pytest and whatever it has loaded); memory stays bounded: at most TRACK_WORKERS models at once,
frames stay in the worker, and only each clip's landmarks come back.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Sequence

# the CI machine has 2 cores; FORMCHECK_TEST_TRACK_WORKERS=1 tracks in this process instead
TRACK_WORKERS = int(os.environ.get("FORMCHECK_TEST_TRACK_WORKERS", "2"))


def _track_one(path: str):
    from formcheck.pose import track_video

    return track_video(path)


def track_clips(paths: Sequence[Path], workers: int = TRACK_WORKERS) -> list:
    """PoseSequence of each clip, in the order given, as formcheck.pose.track_video(path)
    tracks it (default frame rate cap, the default pose backend)."""
    paths = [str(p) for p in paths]
    n = min(workers, len(paths))
    if n <= 1:
        return [_track_one(p) for p in paths]
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as ex:
        return list(ex.map(_track_one, paths))


def load_cached(npz: Path):
    """Landmarks from a cache file for a gate, refused (RuntimeError naming the file) unless its
    provenance names the pose backend, model file and MediaPipe version this interpreter tracks
    with: a gate's figures are those of the backend it runs on, never another's."""
    from formcheck.landmarks import load_npz
    from formcheck.pose import default_backend, provenance

    seq = load_npz(npz)
    want, got = provenance(default_backend()), seq.meta.get("provenance") or {}
    if got != want:
        raise RuntimeError(f"{npz} was tracked by {got or 'an unnamed pose model'}, not by "
                           f"{want} as this test run tracks; delete it (or point the cache "
                           "variable elsewhere) to track again")
    return seq


# ------------------------------------------------------------------ rendered fixture clips
_FIXTURES: dict[str, tuple] = {}     # resolved clip path -> (PoseSequence, tracking warnings)
_NEEDED: list[str] = []              # clips the selected tests' modules use (need_fixtures)


def need_fixtures(paths) -> None:
    """Clips the selected tests will track: conftest.py passes each selected test's module's
    TRACKED_FIXTURES once collection is done, before any test runs, so the first
    tracked_fixture call tracks them all together, TRACK_WORKERS at a time, and no clip that
    no selected test needs (a browser test run alone tracks its one clip)."""
    for p in paths:
        key = str(Path(p).resolve())
        if key not in _NEEDED:
            _NEEDED.append(key)


def _track_with_warnings(path: str):
    from formcheck.pose import track_video

    warnings: list[str] = []
    return track_video(path, warnings=warnings), warnings


def tracked_fixture(path: Path) -> tuple:
    """(landmarks, tracking warnings) of a rendered fixture clip (videos/fixtures), tracked once
    per test session for every module that needs it, as pipeline.analyze_video tracks it. A clip
    not tracked yet is tracked with every clip the selected tests need (need_fixtures) and that
    is not tracked yet, TRACK_WORKERS at a time."""
    key = str(Path(path).resolve())
    if key not in _FIXTURES:
        todo = [p for p in _NEEDED if p not in _FIXTURES and Path(p).is_file()]
        todo += [key] if key not in todo else []
        n = min(TRACK_WORKERS, len(todo))
        if n <= 1:
            got = [_track_with_warnings(p) for p in todo]
        else:
            with ProcessPoolExecutor(max_workers=n,
                                     mp_context=multiprocessing.get_context("spawn")) as ex:
                got = list(ex.map(_track_with_warnings, todo))
        _FIXTURES.update(zip(todo, got))
    return _FIXTURES[key]


def analyze_fixture(path: Path, thresholds, profile: str = "custom"):
    """pipeline.analyze_video(path, thresholds, profile) on the session's tracked copy of a
    fixture clip: (analysis, raw landmarks)."""
    from formcheck.pipeline import analyze_landmarks

    seq, warnings = tracked_fixture(path)
    return analyze_landmarks(seq, thresholds, profile, "auto", list(warnings)), seq
