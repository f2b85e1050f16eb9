"""What the user says about the person filmed, on the command line (`analyze` and `batch` alike):
their height or shin length (box heights and the higher-box advice in cm) and whether they squat
onto a box or chair. The app's Settings ask the same (app.components.person_controls); the
analysis applies them with analysis.with_person."""

from __future__ import annotations

import argparse

from .thresholds import BODY_CM_RANGE


def body_cm(text: str) -> float:
    """A height or shin length in centimetres, within BODY_CM_RANGE."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of centimetres") from None
    lo, hi = BODY_CM_RANGE
    if not lo <= v <= hi:
        raise argparse.ArgumentTypeError(f"{text} cm: give centimetres (e.g. 175 for a height, "
                                         "42 for a shin)")
    return v


def add_person_options(a: argparse.ArgumentParser) -> None:
    a.add_argument("--height-cm", type=body_cm, metavar="CM",
                   help="the person's height: box heights and the higher-box advice in cm")
    a.add_argument("--shin-cm", type=body_cm, metavar="CM",
                   help="the person's shin length (knee joint to ankle), instead of the height")
    a.add_argument("--box", action=argparse.BooleanOptionalAction, default=None,
                   help="the person squats onto a box or chair: a hold at the bottom is reported "
                        "as box contact (default: only with --profile knee-rehab; without a box "
                        "a hold is a paused squat)")
