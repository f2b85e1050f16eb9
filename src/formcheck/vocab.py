"""The project's typed vocabularies: the words a report, a drawing and a test share."""

from __future__ import annotations

from typing import Literal

View = Literal["side", "front", "oblique", "unknown"]
Leg = Literal["left", "right"]
DepthClass = Literal["above_parallel", "parallel", "below_parallel", "unclear"]
Severity = Literal["info", "warn"]
Check = Literal["ok", "flag", "n/a"]
Phase = Literal["waiting", "no_person", "standing", "down"]

VIEWS: tuple[View, ...] = ("side", "front", "oblique", "unknown")
LEGS: tuple[Leg, ...] = ("left", "right")
DEPTH_CLASSES: tuple[DepthClass, ...] = ("above_parallel", "parallel", "below_parallel", "unclear")
# A physiotherapist's correction of a rep: it is not a rep at all, or one value is wrong.
CorrectionKind = Literal["not_a_rep", "wrong_value"]
CORRECTION_KINDS: tuple[CorrectionKind, ...] = ("not_a_rep", "wrong_value")
