"""`formcheck test chair-stand-30|five-times-sit-to-stand CLIP`: the chair-stand tests."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import FormcheckError


def cmd_test(args) -> int:
    from . import chairstand
    from .atomic import write_text_atomic
    from .landmarks import load_npz, save_npz
    from .pipeline import analyze_landmarks
    from .thresholds import get_profile

    if args.age is not None and not 18 <= args.age <= 120:
        raise FormcheckError(f"--age {args.age}: give the person's age in years (18-120).")
    for path in (args.report, args.landmarks, args.pdf):   # before the model runs
        if path and not (Path(path).parent if str(Path(path).parent) else Path(".")).is_dir():
            raise FormcheckError(f"Folder {Path(path).parent} does not exist; create it or "
                                 f"write {Path(path).name} somewhere else.")
    th = get_profile("general")
    if args.from_landmarks:
        raw = load_npz(args.from_landmarks)
        analysis = analyze_landmarks(raw, th, "general")
    else:
        if not args.clip:
            raise FormcheckError("Give the video of the test (or --from-landmarks FILE.npz).")
        from .pipeline import analyze_video

        analysis, raw = analyze_video(args.clip, th, "general")
        if args.landmarks:
            save_npz(raw, args.landmarks)
    result = chairstand.from_analysis(analysis, args.test, args.age, args.sex)
    out = chairstand.to_dict(result, analysis.source)
    if args.report:
        write_text_atomic(args.report, json.dumps(out, indent=2) + "\n")
    if args.pdf:
        from .atomic import write_bytes_atomic
        from .pdf_report import chair_stand_pdf

        write_bytes_atomic(args.pdf, chair_stand_pdf(out))
    print(json.dumps(out, indent=2) if args.json else chairstand.summary_text(result, analysis.source))
    # 3 (as `formcheck analyze`): the report is written, but the clip gave no result
    return 3 if result.first_movement_s is None else 0


def register(sub) -> None:
    from .chairstand import TESTS

    t = sub.add_parser("test", help="count and time a chair-stand test (30-s chair stand, "
                       "five-times sit-to-stand) from a clip that starts seated")
    t.add_argument("test", choices=TESTS, help="chair-stand-30: complete stands in 30 s; "
                   "five-times-sit-to-stand: time to sitting after the fifth stand")
    t.add_argument("clip", nargs="?", help="video file, filmed from the side, starting seated")
    t.add_argument("--age", type=int, help="age in years, to compare with the published norms")
    t.add_argument("--sex", choices=["F", "M"], help="sex, for the 30-s chair stand norms")
    t.add_argument("--report", metavar="R.json", help="write the test's JSON report")
    t.add_argument("--pdf", metavar="OUT.pdf", help="write the test's PDF (result, norm, every "
                   "stand) to hand over")
    t.add_argument("--json", action="store_true", help="print the JSON report")
    t.add_argument("--landmarks", metavar="L.npz", help="save the pose landmarks")
    t.add_argument("--from-landmarks", metavar="L.npz", help="re-score saved landmarks")
    t.set_defaults(func=cmd_test)
