"""Accuracy against hand labels (LABELS.tsv): rep counts, rep F1, depth / knee / cave-in agreement."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LabelsFileError

MATCH_TOLERANCE_S = 0.75
LABEL_VIEW = {"side": "side", "front": "front", "45deg": "oblique", "rear45": "oblique"}
REQUIRED = ("file", "view", "rep_count", "rep_bottoms_s", "depth_per_rep",
            "knee_past_toes_per_rep", "knees_cave_in_per_rep")


def read_labels(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise LabelsFileError(f"Labels file not found: {path}.")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or any(k not in rows[0] for k in REQUIRED):
        raise LabelsFileError(f"{path} needs tab-separated columns: {', '.join(REQUIRED)}.")
    return rows


def _split(s: str) -> list[str]:
    return [x.strip() for x in s.split(";")] if s and s.strip() else []


def match_reps(truth_s: list[float], found_s: list[float], tol: float = MATCH_TOLERANCE_S
               ) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of bottoms by time, closest pairs first."""
    pairs = sorted((abs(a - b), i, j) for i, a in enumerate(truth_s) for j, b in enumerate(found_s)
                   if abs(a - b) <= tol)
    used_t, used_f, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((i, j))
    return sorted(out)


def _yn(label: str):
    return {"yes": True, "no": False}.get(label)


@dataclass
class Tally:
    """Agreement on one per-rep attribute where both label and report decide."""

    agree: int = 0
    both: int = 0
    label_decided: int = 0
    report_decided_of_label: int = 0
    report_unclear: int = 0
    report_total: int = 0
    per_class: dict = field(default_factory=dict)  # label class -> [right, total]

    def add(self, label, report) -> None:
        self.report_total += 1
        if report is None:
            self.report_unclear += 1
        if label is not None:
            self.label_decided += 1
            if report is not None:
                self.report_decided_of_label += 1
        if label is None or report is None:
            return
        self.both += 1
        ok = label == report
        self.agree += ok
        c = self.per_class.setdefault(str(label), [0, 0])
        c[0] += ok
        c[1] += 1

    @property
    def accuracy(self) -> float | None:
        return self.agree / self.both if self.both else None

    @property
    def balanced_accuracy(self) -> float | None:
        recalls = [r / t for r, t in self.per_class.values() if t]
        return sum(recalls) / len(recalls) if recalls else None

    @property
    def decided_rate(self) -> float | None:
        return self.report_decided_of_label / self.label_decided if self.label_decided else None


@dataclass
class ClipResult:
    file: str
    label_view: str
    view: str
    label_reps: int
    reps: int
    matched: int
    error: str = ""


def evaluate_clip(label: dict, report: dict, tallies: dict[str, Tally]) -> ClipResult:
    truth = [float(x) for x in _split(label["rep_bottoms_s"])]
    found = [r["bottom_s"] for r in report["reps"]]
    pairs = match_reps(truth, found)
    lab_depth = _split(label["depth_per_rep"])
    lab_kpt = _split(label["knee_past_toes_per_rep"])
    lab_cave = _split(label["knees_cave_in_per_rep"])
    for i, j in pairs:
        rep = report["reps"][j]
        d = lab_depth[i] if i < len(lab_depth) else "unclear"
        tallies["depth"].add(None if d == "unclear" else d,
                             None if rep["depth"] == "unclear" else rep["depth"])
        tallies["knee_past_toes"].add(_yn(lab_kpt[i]) if i < len(lab_kpt) else None,
                                      rep["knee_past_toes"])
        tallies["knees_cave_in"].add(_yn(lab_cave[i]) if i < len(lab_cave) else None,
                                     rep["knees_cave_in"])
    return ClipResult(label["file"], label["view"], report["view"], int(label["rep_count"]),
                      report["rep_count"], len(pairs))


def summarize(results: list[ClipResult], tallies: dict[str, Tally]) -> dict:
    ok = [r for r in results if not r.error]
    tp = sum(r.matched for r in ok)
    fp = sum(r.reps - r.matched for r in ok)
    fn = sum(r.label_reps - r.matched for r in ok)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    single = [r for r in ok if r.label_view in LABEL_VIEW]
    out = {
        "clips": len(results),
        "errors": len(results) - len(ok),
        "exact_count": sum(r.reps == r.label_reps for r in ok),
        "rep_precision": prec, "rep_recall": rec,
        "rep_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "view_right": sum(LABEL_VIEW[r.label_view] == r.view for r in single),
        "view_clips": len(single),
    }
    for name, t in tallies.items():
        out[name] = {"agree": t.agree, "both": t.both, "accuracy": t.accuracy,
                     "balanced_accuracy": t.balanced_accuracy, "decided_rate": t.decided_rate,
                     "report_unclear": t.report_unclear, "report_total": t.report_total,
                     "label_decided": t.label_decided, "per_class": dict(t.per_class)}
    return out


def new_tallies() -> dict[str, Tally]:
    return {"depth": Tally(), "knee_past_toes": Tally(), "knees_cave_in": Tally()}


def format_table(results: list[ClipResult], summary: dict) -> str:
    lines = ["| clip | view (label → ours) | reps (label → ours) | matched |", "|---|---|---|---|"]
    for r in results:
        mark = "" if r.reps == r.label_reps else " ✗"
        lines.append(f"| {r.file} | {r.label_view} → {r.view} | {r.label_reps} → {r.reps}{mark} | "
                     f"{r.matched} |" if not r.error else f"| {r.file} | error | {r.error} | |")
    s = summary
    lines.append("")
    lines.append(f"exact rep count: {s['exact_count']}/{s['clips'] - s['errors']}; rep F1 "
                 f"{s['rep_f1']:.3f} (precision {s['rep_precision']:.3f}, recall "
                 f"{s['rep_recall']:.3f}); view right on {s['view_right']}/{s['view_clips']} "
                 "single-view clips")
    for name in ("depth", "knee_past_toes", "knees_cave_in"):
        t = s[name]
        acc = "n/a" if t["accuracy"] is None else f"{t['accuracy']:.1%}"
        bal = "n/a" if t["balanced_accuracy"] is None else f"{t['balanced_accuracy']:.2f}"
        dec = "n/a" if t["decided_rate"] is None else f"{t['decided_rate']:.0%}"
        lines.append(f"{name}: agree {t['agree']}/{t['both']} ({acc}), balanced accuracy {bal}; "
                     f"decides on {dec} of the {t['label_decided']} reps the label decides; "
                     f"of {t['report_total']} matched reps, unclear in ours "
                     f"{t['report_unclear']}, in the label {t['report_total'] - t['label_decided']}")
    pc = s["knees_cave_in"].get("per_class", {})
    if pc:
        no, yes = pc.get("False", [0, 0]), pc.get("True", [0, 0])
        lines.append(f"knees_cave_in: labelled tracking well, flagged {no[1] - no[0]}/{no[1]}; "
                     f"labelled caving in, flagged {yes[0]}/{yes[1]}")
    return "\n".join(lines)


# ------------------------------------------------------------------ live path vs clip path
PARITY_TOLERANCE_S = 0.3


@dataclass(frozen=True)
class ParityRow:
    """One clip analysed by the clip path and replayed through the live path."""

    file: str
    clip_reps: int
    live_reps: int
    matched: int                 # reps whose bottoms lie within PARITY_TOLERANCE_S
    max_bottom_gap_s: float      # over matched reps
    knee_agree: int              # matched reps where both decide knee_past_toes, and agree
    knee_both: int
    depth_agree: int             # matched reps where both class the depth, and agree
    depth_both: int


def live_parity(file: str, clip: dict, live: dict) -> ParityRow:
    """Compare two reports (report.to_dict) of the same clip."""
    a, b = clip["reps"], live["reps"]
    pairs = match_reps([r["bottom_s"] for r in a], [r["bottom_s"] for r in b], PARITY_TOLERANCE_S)
    ka = kb = da = db = 0
    gap = 0.0
    for i, j in pairs:
        ra, rb = a[i], b[j]
        gap = max(gap, abs(ra["bottom_s"] - rb["bottom_s"]))
        if ra["knee_past_toes"] is not None and rb["knee_past_toes"] is not None:
            kb += 1
            ka += ra["knee_past_toes"] == rb["knee_past_toes"]
        if ra["depth"] != "unclear" and rb["depth"] != "unclear":
            db += 1
            da += ra["depth"] == rb["depth"]
    return ParityRow(file, len(a), len(b), len(pairs), round(gap, 3), ka, kb, da, db)


def format_parity(rows: list[ParityRow]) -> str:
    out = ["| clip | reps: clip path | reps: live replay | matched (bottoms within 0.3 s) |",
           "|---|---|---|---|"]
    for r in rows:
        mark = "" if r.clip_reps == r.live_reps else " ✗"
        out.append(f"| {r.file} | {r.clip_reps} | {r.live_reps}{mark} | {r.matched} |")
    same = sum(r.clip_reps == r.live_reps for r in rows)
    ka, kb = sum(r.knee_agree for r in rows), sum(r.knee_both for r in rows)
    da, db = sum(r.depth_agree for r in rows), sum(r.depth_both for r in rows)
    m = sum(r.matched for r in rows)
    out.append("")
    gap = max((r.max_bottom_gap_s for r in rows), default=0.0)
    knee = f"{ka}/{kb} ({ka / kb:.1%})" if kb else "none decided"
    depth = f"{da}/{db} ({da / db:.1%})" if db else "none decided"
    out.append(f"same rep count: {same}/{len(rows)}; matched reps {m}; largest bottom gap "
               f"{gap:.2f} s; knee_past_toes agree {knee}; depth class agree {depth}")
    return "\n".join(out)
