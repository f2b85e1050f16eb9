"""The labelled clips' reps from a landmark cache, collected as `formcheck eval` collects them
(crossval.collect with the general profile, DEPTH_POINTS.tsv's marks matched to them): the one
prelude of the depth tools (depth_call_misses.py, depth_marks_noise.py), which import it from
this folder (a script's own folder is on its import path)."""

from __future__ import annotations

from pathlib import Path

from formcheck.crossval import RepRow, collect, read_depth_points
from formcheck.evaluate import read_labels
from formcheck.landmarks import load_npz
from formcheck.thresholds import get_profile


def labelled_reps(videos: str | Path, cache: str | Path) -> list[RepRow]:
    """Every labelled rep formcheck finds in `videos` (LABELS.tsv, DEPTH_POINTS.tsv), tracked
    from `cache` (CLIP_STEM.npz per clip). One minimum depth only: these tools read the reps,
    not the rep counts over the minimum-depth grid."""
    videos, cache = Path(videos), Path(cache)
    labels = read_labels(videos / "LABELS.tsv")
    _, reps = collect(labels, lambda lab: load_npz(cache / (Path(lab["file"]).stem + ".npz")),
                      get_profile("general"), min_depth_grid=(0.22,),
                      points=read_depth_points(videos / "DEPTH_POINTS.tsv"))
    return reps
