"""Limits on what formcheck accepts from a file, whatever the file claims: landmark files,
export archives, and how long the app keeps a browser session's files.

Each limit is a setting: the default below, or the environment variable named in `ENV`
(e.g. FORMCHECK_MAX_LANDMARK_FRAMES=200000). Read when used, so a test or a clinic can change
them without restarting anything but the process.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, fields, replace

log = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # Landmark files (.npz written by `formcheck analyze --landmarks`): a 30-min clip at 60 fps
    # is 108,000 frames, about 100 MB on disk (float32) and 200 MB in memory (float64).
    landmark_file_bytes: int = 256 * MB
    landmark_frames: int = 108_000
    landmark_duration_s: float = 1800.0
    # Export archives: data.json (clients, sessions, reps, reports) and each stored file.
    import_json_bytes: int = 64 * MB
    import_video_bytes: int = 500 * MB
    import_members: int = 100_000
    # A member that inflates more than this many times is a zip bomb, not an export
    # (landmarks and videos are stored uncompressed; JSON compresses about 10x).
    import_ratio: int = 200
    # Clinic text fields
    label_chars: int = 120
    notes_chars: int = 20_000
    # The app: a browser session's files are deleted after this long at the latest.
    session_files_ttl_s: float = 3600.0
    # The app: one analysis (tracking a clip) is stopped after this long (wall-clock). A 30-min
    # clip at 30 fps is 54,000 frames; on one busy core at ~20 frames/s that is 45 min.
    app_job_time_limit_s: float = 3600.0


ENV = {f.name: "FORMCHECK_" + f.name.upper().replace("IMPORT_", "IMPORT_MAX_")
       .replace("LANDMARK_", "MAX_LANDMARK_") for f in fields(Limits)}
ENV["label_chars"] = "FORMCHECK_MAX_LABEL_CHARS"
ENV["notes_chars"] = "FORMCHECK_MAX_NOTES_CHARS"
ENV["session_files_ttl_s"] = "FORMCHECK_SESSION_FILES_TTL_S"
ENV["app_job_time_limit_s"] = "FORMCHECK_APP_JOB_TIME_LIMIT_S"


def current() -> Limits:
    """The defaults with any FORMCHECK_* environment overrides applied (bad values are logged
    and ignored)."""
    changes = {}
    for f in fields(Limits):
        raw = os.environ.get(ENV[f.name])
        if raw is None or not raw.strip():
            continue
        kind = float if f.type in ("float", float) else int
        try:
            value = kind(float(raw)) if kind is int else kind(raw)
        except ValueError:
            log.warning("ignoring %s=%r: not a number", ENV[f.name], raw)
            continue
        if value <= 0:
            log.warning("ignoring %s=%r: must be positive", ENV[f.name], raw)
            continue
        changes[f.name] = value
    return replace(Limits(), **changes)


def size_words(n_bytes: int) -> str:
    return f"{n_bytes / MB:.1f} MB" if n_bytes >= MB else f"{n_bytes} bytes"
