"""Threshold profiles: every limit with its unit and a line of help. Frozen; override with replace()."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .errors import UnknownProfileError


@dataclass(frozen=True)
class Thresholds:
    """Limits that turn measurements into flags. Units are in the names."""

    # Depth classes from the hip height at the bottom as a share of the standing hip height
    # (hip level with the knee is about 0.42 for adult proportions). Works in every view.
    below_parallel_max_hip_ratio: float = 0.40
    above_parallel_min_hip_ratio: float = 0.60
    # Seen from the side, a knee bent less than this is above parallel whatever the hip does.
    above_parallel_max_knee_flexion_deg: float = 70.0
    # Knee travel past the toes, in foot lengths (0 = knee over the toes).
    knee_past_toes_min_ratio: float = 0.12
    knee_over_toe_max_ratio: float = 0.35
    shin_angle_max_deg: float = 45.0
    # Target depth: flag reps shallower than this thigh angle (None = no depth target).
    depth_target_deg: float | None = None
    # Knees caving in (front view): frontal-plane projection angle at its peak.
    fppa_max_deg: float = 12.0
    trunk_lean_max_deg: float = 60.0
    # Heels leaving the floor, in foot lengths above their standing height.
    heel_lift_max_ratio: float = 0.35   # large rises only: 2-D foot points wobble ~0.1-0.2
    # A pause at the bottom longer than this counts as sitting on the box.
    box_pause_min_s: float = 0.4
    # Shallowest bottom that counts as a rep, on the depth signal (0 standing, 1 thigh level).
    # A quarter squat (thigh 45 deg below level) reads 1 - sin 45 deg = 0.29 in every view.
    # Default chosen by leave-one-source-out cross-validation (formcheck eval --cv).
    min_rep_depth_ratio: float = 0.22

    def as_dict(self) -> dict:
        return asdict(self)


HELP = {
    "below_parallel_max_hip_ratio": "Bottom hip height (share of standing hip height) under "
                                    "which a rep counts as below parallel.",
    "above_parallel_min_hip_ratio": "Bottom hip height (share of standing hip height) over "
                                    "which a rep counts as above parallel.",
    "above_parallel_max_knee_flexion_deg": "From the side, a rep whose knee bends less than "
                                           "this (deg) counts as above parallel.",
    "knee_past_toes_min_ratio": "Knee ahead of the toes by more than this many foot lengths "
                                "counts as 'knee past toes' (the knee landmark is the joint "
                                "centre, a little behind the kneecap).",
    "knee_over_toe_max_ratio": "Flag knee travel past the toes above this many foot lengths.",
    "shin_angle_max_deg": "Flag a shin leaning forward more than this (deg from vertical).",
    "depth_target_deg": "Flag reps whose thigh angle stays below this target (deg); empty = none.",
    "fppa_max_deg": "Flag knees caving in when the frontal-plane knee angle exceeds this (deg).",
    "heel_lift_max_ratio": "Flag heels rising more than this (foot lengths) at the bottom.",
    "trunk_lean_max_deg": "Flag a trunk leaning forward more than this (deg from vertical).",
    "min_rep_depth_ratio": "Shallowest bottom that counts as a rep: 0 = standing, 1 = thigh "
                           "level (a quarter squat reads about 0.29). Applies when a "
                           "clip is analysed; re-scoring keeps the reps already found.",
    "box_pause_min_s": "A pause at the bottom at least this long (s) counts as sitting on the box.",
}

# THE label table: a human name and a unit for every threshold. The app's sidebar and Targets
# tab, the PDF and the CLI's --help all read it (through `label`); HELP says more.
WORDS: dict[str, tuple[str, str]] = {
    "below_parallel_max_hip_ratio": ("Below parallel: bottom hip height under",
                                     "share of standing hip height"),
    "above_parallel_min_hip_ratio": ("Above parallel: bottom hip height over",
                                     "share of standing hip height"),
    "above_parallel_max_knee_flexion_deg": ("Above parallel: knee bend under", "°"),
    "knee_past_toes_min_ratio": ("Knee counts as past the toes from", "foot lengths"),
    "knee_over_toe_max_ratio": ("Knee past toes: limit", "foot lengths"),
    "shin_angle_max_deg": ("Shin angle: limit", "° from vertical"),
    "depth_target_deg": ("Depth target: thigh angle", "°, + = hip below knee"),
    "fppa_max_deg": ("Knees caving in: limit", "°"),
    "trunk_lean_max_deg": ("Trunk lean: limit", "° from vertical"),
    "heel_lift_max_ratio": ("Heel lift: limit", "foot lengths"),
    "box_pause_min_s": ("Sitting on the box: pause from", "s"),
    "min_rep_depth_ratio": ("Shallowest rep counted", "0 = standing, 1 = thigh level"),
}


def label(name: str) -> str:
    """'Human name (unit)' of a threshold, e.g. 'Knee past toes: limit (foot lengths)'."""
    words = WORDS.get(name)
    return f"{words[0]} ({words[1]})" if words else name


# The labels with their units, by field name (what every shell shows).
LABELS = {name: label(name) for name in WORDS}


def cli_help() -> str:
    """The thresholds for the CLI's --help: NAME: label (unit), one per line."""
    return "; ".join(f"{f.name} = {label(f.name)}" for f in fields(Thresholds))


PROFILES: dict[str, Thresholds] = {
    # Healthy lifters: knees past the toes are normal; flag only large travel.
    "general": Thresholds(),
    # Runner's knee / patellofemoral pain: keep the knee behind the toes, sit back onto a box,
    # depth no lower than parallel.
    # Shallower squats count (a thigh 52 deg below level reads 0.21 on the depth signal).
    "knee-rehab": Thresholds(knee_over_toe_max_ratio=0.0, shin_angle_max_deg=30.0,
                             fppa_max_deg=10.0, min_rep_depth_ratio=0.2),
}

# The profiles whose protocol is a box squat: with them a hold at the bottom of a rep is
# reported as sitting on (or touching) the box. With the others the user says so (the CLI's
# --box, the app's "Squatting onto a box or chair"): a hold with no box is a paused squat, and
# the landmarks cannot tell the two apart.
BOX_PROFILES = frozenset({"knee-rehab"})
# A person's height or shin length given in centimetres (the CLI's --height-cm / --shin-cm, the
# app's height field): outside this it is a typo (metres, inches), not a body.
BODY_CM_RANGE = (10.0, 250.0)


def is_box_profile(profile: str) -> bool:
    """Whether a profile's protocol is a box squat (BOX_PROFILES), also when the app labels it
    as adjusted ("knee-rehab (adjusted)": a threshold was changed)."""
    return profile.split(" (", 1)[0] in BOX_PROFILES


PROFILE_HELP = {
    "general": "Healthy lifters: flags only large knee travel (more than a third of a foot past "
               "the toes or a shin past 45 deg) and knees caving in.",
    "knee-rehab": "Runner's knee rehab (box squats): the knee should stay behind the toes and "
                  "the shin within 30 deg of vertical.",
}


def parse_overrides(items: list[str] | None) -> dict:
    """`NAME=VALUE` strings (the CLI's --set) -> {name: float or None}."""
    out: dict = {}
    for item in items or []:
        if "=" not in item:
            raise UnknownProfileError(f"--set takes NAME=VALUE, got '{item}'.")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = None if v.strip().lower() in ("", "none") else float(v)
        except ValueError:
            raise UnknownProfileError(f"--set {k}: '{v}' is not a number.") from None
    return out


def get_profile(name: str, **overrides) -> Thresholds:
    if name not in PROFILES:
        raise UnknownProfileError(f"Unknown profile '{name}'. Choose one of: {', '.join(PROFILES)}.")
    known = {f.name for f in fields(Thresholds)}
    bad = set(overrides) - known
    if bad:
        raise UnknownProfileError(f"Unknown threshold(s): {', '.join(sorted(bad))}. "
                                  f"Known: {', '.join(sorted(known))}.")
    return replace(PROFILES[name], **overrides)
