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
