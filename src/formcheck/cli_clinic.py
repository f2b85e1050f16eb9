"""Clinic subcommands of `formcheck`: clients, history, report, export, import, forget, and the
`analyze --client NAME --save [--keep-video]` hooks. The database comes from
FORMCHECK_DATABASE_URL (default: a SQLite file in the user's data folder)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict

from .errors import FormcheckError
from .thresholds import LABELS, PROFILES, get_profile, parse_overrides
from .values import fmt_num


def _store():
    from .store import open_store

    return open_store()


def _date(s: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not a date like 2025-03-04 or "
                                         "2025-03-04T10:30") from None


# --- analyze hooks --------------------------------------------------------------------------------
def add_analyze_options(a: argparse.ArgumentParser) -> None:
    """--client, --save, --keep-video (and --note, --date) on `formcheck analyze`."""
    g = a.add_argument_group("clinic")
    g.add_argument("--client", metavar="NAME",
                   help="analyse with this client's thresholds (their profile and overrides; "
                        "--set still applies on top)")
    g.add_argument("--save", action="store_true",
                   help="save the session (landmarks, metrics, cues) to the client's history")
    g.add_argument("--keep-video", action="store_true",
                   help="with --save: store the video file too (off by default)")
    g.add_argument("--note", default="", help="with --save: the physio's note for this session")
    g.add_argument("--date", type=_date, help="with --save: when the clip was recorded "
                                               "(default: now, UTC)")


def analyze_thresholds(args, overrides: dict):
    """(Thresholds, profile name) for `analyze`: the client's when --client is given (checked
    before the slow tracking starts), else --profile. --set overrides apply on top."""
    client = getattr(args, "client", None)
    if getattr(args, "save", False) and not client:
        raise FormcheckError("--save needs --client NAME (the client the session belongs to).")
    if getattr(args, "keep_video", False) and not getattr(args, "save", False):
        raise FormcheckError("--keep-video only makes sense with --save.")
    if not client:
        return get_profile(args.profile, **overrides), args.profile
    info = _store().get_client(client)
    merged = {**info.threshold_overrides, **overrides}
    return get_profile(info.profile, **merged), info.profile


def save_after_analyze(args, analysis, raw_seq):
    """After `analyze`: save the session when --save was given. Returns the SessionInfo or None."""
    if not getattr(args, "save", False):
        return None
    if not getattr(args, "client", None):
        raise FormcheckError("--save needs --client NAME (the client the session belongs to).")
    info = _store().save_session(
        args.client, analysis, raw_seq, clip_path=getattr(args, "clip", None),
        keep_video=getattr(args, "keep_video", False), physio_note=getattr(args, "note", "") or "",
        recorded_at=getattr(args, "date", None), view_requested=getattr(args, "view", "auto"))
    kept = "video kept" if info.has_video else "video not kept (add --keep-video to keep it)"
    print(f"Saved session {info.id} for {args.client}: {info.rep_count} rep(s); landmarks kept, "
          f"{kept}.", file=sys.stderr)
    return info


# --- clients --------------------------------------------------------------------------------------
def cmd_clients(args) -> int:
    action = getattr(args, "action", None) or "list"
    store = _store()
    if action == "list":
        clients = store.list_clients()
        if args.json:
            print(json.dumps([{"label": c.label, "profile": c.profile,
                               "threshold_overrides": c.threshold_overrides, "notes": c.notes,
                               "sessions": c.session_count,
                               "last_session": c.last_session_at.isoformat() if c.last_session_at else None}
                              for c in clients], indent=2))
            return 0
        if not clients:
            print("No clients yet. Add one with `formcheck clients add LABEL` (a pseudonym, "
                  "not a real name).")
            return 0
        w = max(8, *(len(c.label) for c in clients))
        print(f"{'client':<{w}}  {'profile':<11} sessions  last session  notes")
        for c in clients:
            last = c.last_session_at.strftime("%Y-%m-%d") if c.last_session_at else "-"
            note = (c.notes.splitlines() or [""])[0][:40]
            print(f"{c.label:<{w}}  {c.profile:<11} {c.session_count:>8}  {last:<12}  {note}")
        return 0
    if action == "add":
        c = store.add_client(args.label, notes=args.notes or "", profile=args.profile,
                             threshold_overrides=parse_overrides(args.set))
        print(f"Added client {c.label} (profile {c.profile}"
              + (f", {_fmt_overrides(c.threshold_overrides)}" if c.threshold_overrides else "") + ").")
        return 0
    if action == "set":
        c = store.update_client(args.label, new_label=args.rename, notes=args.notes,
                                profile=args.profile, threshold_overrides=parse_overrides(args.set),
                                replace_overrides=args.reset)
        print(f"{c.label}: profile {c.profile}"
              + (f", {_fmt_overrides(c.threshold_overrides)}" if c.threshold_overrides else "") + ".")
        return 0
    if action == "show":
        c = store.get_client(args.label)
        print(f"{c.label}  (profile {c.profile}, {c.session_count} session(s))")
        if c.notes:
            print(f"notes: {c.notes}")
        th = c.thresholds.as_dict()
        for k, v in th.items():
            mark = "  (client's own)" if k in c.threshold_overrides else ""
            print(f"  {k:<36} {'none' if v is None else format(v, 'g'):>6}  "
                  f"{LABELS.get(k, '')}{mark}")
        return 0
    raise FormcheckError(f"Unknown action {action!r}.")


def _fmt_overrides(ov: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(ov.items()))


# --- history ---------------------------------------------------------------------------------------
def cmd_history(args) -> int:
    store = _store()
    client = store.get_client(args.name)
    _audit(store, "open_sessions", client.uid, "formcheck history")
    hist = store.history(args.name)
    sessions = {s.id: s for s in store.list_sessions(args.name)}
    if args.json:
        print(json.dumps({"client": client.label, "profile": client.profile,
                          "thresholds": client.thresholds.as_dict(),
                          "sessions": [{"session_id": h.session_id,
                                        "recorded_at": h.recorded_at.isoformat(), "view": h.view,
                                        **asdict(h.summary),
                                        "clip_name": sessions[h.session_id].clip_name,
                                        "physio_note": sessions[h.session_id].physio_note,
                                        "has_video": sessions[h.session_id].has_video}
                                       for h in hist]}, indent=2))
        return 0
    print(f"{client.label}: {len(hist)} session(s), profile {client.profile}"
          + (f" ({_fmt_overrides(client.threshold_overrides)})" if client.threshold_overrides else ""))
    if not hist:
        print("No sessions yet. Save one with `formcheck analyze CLIP --client "
              f"{client.label!r} --save`.")
        _runs_line(store, client.label)
        return 0
    print("   id  date              reps  view     knee>toe  shin  thigh  knees-in  clip / note")
    for h in hist:
        s, m = sessions[h.session_id], h.summary
        extra = s.clip_name + (f"  \"{s.physio_note.splitlines()[0][:40]}\"" if s.physio_note else "")
        print(f"{h.session_id:>5}  {h.recorded_at:%Y-%m-%d %H:%M}  {m.rep_count:>4}  {h.view:<7}"
              f"  {fmt_num(m.worst_knee_over_toe_ratio, '+8.2f'):>8}"
              f"  {fmt_num(m.worst_shin_angle_deg, '4.0f'):>4}"
              f"  {fmt_num(m.mean_thigh_angle_deg, '+5.0f'):>5}"
              f"  {fmt_num(m.worst_fppa_deg, '8.0f'):>8}  {extra}")
    print("knee>toe: worst rep, foot lengths past the toes; shin: steepest, deg from vertical; "
          "thigh: mean at the bottom, deg (+ = below parallel); knees-in: largest FPPA, deg "
          "(front view).")
    _runs_line(store, client.label)
    return 0


def _runs_line(store, label: str) -> None:
    from .store.runs_store import list_runs

    runs = list_runs(store, label)
    if runs:
        print(f"Runs: {len(runs)} imported, the last on {runs[-1].start[:10]}; load and step "
              f"rate: `formcheck runs load --client {label!r}`.")


# --- report of a saved session --------------------------------------------------------------------
def cmd_report(args) -> int:
    from .pdf_report import session_files

    if not args.pdf and not args.csv:
        raise FormcheckError("Say where to write: --pdf REPORT.pdf and/or --csv REPS.csv.")
    from .report import write_bytes_atomic, write_text_atomic

    store = _store()
    pdf, csv = session_files(store, args.session)
    _audit(store, "open_sessions", store.get_client(store.get_session(args.session).client_label).uid,
           f"formcheck report {args.session}")
    if args.pdf:
        write_bytes_atomic(args.pdf, pdf)
        print(f"Wrote {args.pdf}")
    if args.csv:
        write_text_atomic(args.csv, csv)
        print(f"Wrote {args.csv}")
    return 0


# --- export / import / forget ---------------------------------------------------------------------
def _audit(store, action: str, client_uid: str | None = None, detail: str = "") -> None:
    from .auth import audit, cli_actor

    audit(store, cli_actor(), action, client_uid, detail)


def cmd_export(args) -> int:
    store = _store()
    counts = store.export(args.file)
    _audit(store, "export", detail=f"{counts['clients']} client(s), {counts['sessions']} session(s)")
    print(f"Exported {counts['clients']} client(s), {counts['sessions']} session(s) and "
          f"{counts['files']} file(s) to {args.file}. It holds health data: keep it safe.")
    return 0


def cmd_import(args) -> int:
    store = _store()
    c = store.import_(args.file, merge=args.merge)
    _audit(store, "import", detail=f"{c['sessions_added']} session(s), {c['clients_added']} new "
                                   f"client(s), {c['clients_merged']} merged")
    print(f"Imported {c['sessions_added']} session(s): {c['clients_added']} new client(s), "
          f"{c['clients_merged']} already here; {c['sessions_skipped']} session(s) were here already.")
    return 0


def cmd_forget(args) -> int:
    store = _store()
    client = store.get_client(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise FormcheckError(f"This deletes {client.label} and all {client.session_count} "
                                 "session(s) for good. Add --yes to confirm.")
        answer = input(f"Delete {client.label} with {client.session_count} session(s), their "
                       "landmarks and videos, for good? Type the client's label to confirm: ")
        if answer.strip() != client.label:
            print("Nothing deleted.")
            return 1
    r = store.forget_client(args.name)
    _audit(store, "forget", client.uid, f"{r['sessions']} session(s)")
    from .app.session_files import remove_clips

    copies = remove_clips(r["clip_sha256s"])
    from .engine import forget_worker_copies

    try:
        on_workers = forget_worker_copies(r["clip_sha256s"])
        unreached = ""
    except FormcheckError as exc:
        on_workers, unreached = None, str(exc)
    print(f"Forgot {r['client']}: {r['sessions']} session(s) and {r['videos']} video(s) deleted"
          + (" and the freed space scrubbed." if r["scrubbed"] else
             ". Another program has the database open: some freed pages are scrubbed when it "
             "closes.")
          + (f" {copies} copy(ies) of their clips in the app's files deleted." if copies else ""))
    if on_workers:
        print(f"{on_workers} copy(ies) of their clips on the cluster's workers deleted.")
    if unreached:
        print("Their clips may still be on the cluster's workers until those jobs end: "
              f"{unreached}")
    print("Exports made earlier still contain this client; delete those files too.")
    return 0


# --- accounts and audit -----------------------------------------------------------------------------
def _read_password(name: str) -> str:
    """From a prompt (typed twice) or one line of stdin; never from the command line."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != first:
            raise FormcheckError("The two passwords differ; nothing was changed.")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def cmd_users(args) -> int:
    from . import auth

    store = _store()
    action = getattr(args, "action", None) or "list"
    if action == "add":
        name = auth.check_name(args.name)
        user = auth.add_account(store, name, args.role, _read_password(name))
        print(f"Added {user.role.value} account {user.name}. The app's clinic pages now ask "
              "for a sign-in.")
        return 0
    if action == "remove":
        auth.remove_account(store, args.name)
        print(f"Removed the account {args.name}.")
        return 0
    accounts = auth.list_accounts(store)
    if not accounts:
        print("No accounts: the app's clinic pages are open on this computer only. Add one with "
              "`formcheck users add NAME --role admin`.")
    for name, role, created in accounts:
        print(f"{name:<30} {role.value:<7} since {created:%Y-%m-%d}")
    return 0


def cmd_audit(args) -> int:
    from .auth import audit_log

    for e in reversed(audit_log(_store(), args.last)):
        print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<24} {e.action:<14} "
              f"{e.client_uid or '-':<32}  {e.detail}")
    return 0


def register(sub) -> None:
    """Add the clinic subcommands to `formcheck`'s subparsers."""
    c = sub.add_parser("clients", help="list, add or change clients",
                       description="Clients are known by a pseudonymous label. Without an action: "
                                   "list them.")
    c.add_argument("--json", action="store_true", help="print the list as JSON")
    c.set_defaults(func=cmd_clients, action="list")
    ca = c.add_subparsers(dest="action")
    add = ca.add_parser("add", help="add a client")
    add.add_argument("label", help="a pseudonym such as knee-07 (not a real name)")
    add.add_argument("--profile", default="knee-rehab", choices=sorted(PROFILES))
    add.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="the client's own threshold, e.g. --set depth_target_deg=-20")
    add.add_argument("--notes", help="free-text notes")
    st = ca.add_parser("set", help="change a client's thresholds, notes or label")
    st.add_argument("label")
    st.add_argument("--profile", choices=sorted(PROFILES))
    st.add_argument("--set", action="append", metavar="NAME=VALUE",
                    help="set one threshold (NAME= with no value removes the client's own value)")
    st.add_argument("--reset", action="store_true", help="drop all the client's own thresholds first")
    st.add_argument("--notes", help="replace the notes")
    st.add_argument("--rename", metavar="NEW", help="new label")
    sh = ca.add_parser("show", help="a client's thresholds and notes")
    sh.add_argument("label")

    h = sub.add_parser("history", help="a client's saved sessions and trends")
    h.add_argument("name", help="client label")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_history)

    r = sub.add_parser("report", help="PDF and CSV of a saved session")
    r.add_argument("session", type=int, help="session id (see `formcheck history NAME`)")
    r.add_argument("--pdf", metavar="OUT.pdf")
    r.add_argument("--csv", metavar="OUT.csv")
    r.set_defaults(func=cmd_report)

    e = sub.add_parser("export", help="write everything to one file (backup, moving clinics)")
    e.add_argument("file", help="output .zip")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="load a file written by `formcheck export`")
    i.add_argument("file")
    i.add_argument("--merge", action="store_true",
                   help="when a client with the same label is here already, add the export's "
                        "sessions to it (without this, such a clash stops the import)")
    i.set_defaults(func=cmd_import)
    f = sub.add_parser("forget", help="delete every trace of a client, videos included")
    f.add_argument("name", help="client label")
    f.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    f.set_defaults(func=cmd_forget)

    u = sub.add_parser("users", help="accounts for the app's clinic pages (admin, physio)",
                       description="Without an action: list the accounts. Passwords are read "
                                   "from a prompt, or from one line of standard input.")
    u.set_defaults(func=cmd_users, action="list")
    ua = u.add_subparsers(dest="action")
    uadd = ua.add_parser("add", help="add an account (asks for its password)")
    uadd.add_argument("name", help="sign-in name, e.g. ana or ana@clinic.example")
    uadd.add_argument("--role", required=True, choices=["admin", "physio"],
                      help="admin: also export, import and forget; physio: analyse, save, report")
    urm = ua.add_parser("remove", help="remove an account")
    urm.add_argument("name")
    a = sub.add_parser("audit", help="who exported, imported, forgot or opened sessions, and when")
    a.add_argument("--last", type=int, default=200, help="how many events (newest)")
    a.set_defaults(func=cmd_audit)
