"""Where the app keeps a browser session's files, and for how long.

Every browser session gets its own folder with a random name under ROOT (0700; files 0600).
Each clip analysed in it gets a random sub-folder holding the upload copy and everything derived
from it (annotated video), plus a `sha256` note so that `formcheck forget` can find the copies
of a forgotten client's clips. Nothing is named or shared by content.

A clip folder is deleted:
- when the session moves on to another clip (the old one is no longer needed),
- when the analysis fails (nothing can be made from it),
- when the browser session ends: its browser disconnected and did not come back within
  Streamlit's server.disconnectedSessionTTL (checked every few seconds by a background thread),
  or its folder object in st.session_state was collected; except a folder holding a finished
  result (`result.json`, see save_result), which stays until the expiry below so that a reload
  (a phone reloading a background tab) finds it again through the result id in the page's URL,
  and moves it into the new session's folder (adopt_result),
- in any case `session_files_ttl_s` after it was written (default 1 h; FORMCHECK_SESSION_FILES_TTL_S),
  by a sweep that runs in a background thread of the app process and on every page run,
- when its clip belongs to a client the clinic forgets.

Videos the physio chose to keep are stored in the clinic database, not here.
No Streamlit import: the CLI's `forget` uses this module too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

from .. import limits
from ..errors import FormcheckError

log = logging.getLogger(__name__)

ROOT_ENV = "FORMCHECK_APP_FILES"
SHA_NOTE = "sha256"
# A finished result: its raw landmarks, and how its analysis was made (written last, so this
# file marks a finished result). A reload re-analyses the landmarks (pure, fast): nothing but
# numbers and text is read back.
RESULT_FILE = "result.json"
RESULT_LANDMARKS = "result-landmarks.npz"
RESULT_FORMAT = 1
# The page's settings the result was last shown with (profile, threshold changes, box, height:
# components.page_settings), rewritten when the user changes them, so that a reload shows the
# result as it was shown before (the same box words). Optional: without it, the defaults.
SETTINGS_FILE = "settings.json"
MAX_RESULT_FILE_BYTES = 1 << 20
OLD_RESULT_FILE = "result.pkl"   # earlier formcheck versions' pickle: never loaded (it can run code)
OWNER_FILE = "owner"        # the owner tag of the browser that made the result (browser_key)
LIVE_NOTE = "live-set"      # a live set's folder: the Live page deletes it, not the uploads
_RESULT_ID = re.compile(r"^[0-9a-f]{16}$")
SWEEP_EVERY_S = 60.0
SESSION_CHECK_EVERY_S = 2.0


def root() -> Path:
    """The parent of all session folders ($FORMCHECK_APP_FILES or <tmp>/formcheck-app)."""
    base = os.environ.get(ROOT_ENV)
    return Path(base) if base else Path(tempfile.gettempdir()) / "formcheck-app"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)        # clips are health data: only this user may read them
    return path


def _write_private(path: Path, data: bytes) -> None:
    from formcheck.atomic import write_bytes_atomic

    write_bytes_atomic(path, data, mode=0o600)


class ClipFolder:
    """One analysed clip's files: the upload copy and what is derived from it."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def clip(self) -> Path:
        return next((p for p in self.path.glob("upload*") if not p.name.startswith(".")),
                    self.path / "upload.mp4")

    def derived(self, stem: str, suffix: str) -> Path:
        """A new file name for something made from the clip (random, never reused)."""
        return self.path / f"{stem}-{secrets.token_hex(6)}{suffix}"

    def exists(self) -> bool:
        return self.clip.is_file()

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    @property
    def result_id(self) -> str:
        """The folder's random name: what the page puts in its URL to find the result again."""
        return self.path.name

    def save_result(self, raw, analysis, name: str, live: bool = False,
                    rep_thresholds=None, owner: str | None = None) -> None:
        """Keep a finished result beside the clip, private to this user, so that a reload can
        show it again without the model: the raw landmarks `raw` exactly as they are, and how
        `analysis` was made from them (its profile and thresholds, its notes, the user's file
        name `name`); its view is the detected one, as both pages make it. `live`: the analysis
        is the live path's (stream.StreamingAnalyser), whose reps were counted with
        `rep_thresholds` (default the analysis's own). `owner`: the owner tag of the browser
        that made it (browser_key.owner_tag); only that browser can adopt it after a reload
        (without one, no other browser session can)."""
        from formcheck.landmarks import save_npz

        if owner:
            _write_private(self.path / OWNER_FILE, owner.encode("ascii"))
        save_npz(raw, self.path / RESULT_LANDMARKS, exact=True, mode=0o600)
        how = {"format": RESULT_FORMAT, "name": name, "live": bool(live),
               "profile": analysis.profile, "thresholds": analysis.thresholds.as_dict(),
               "rep_thresholds": (rep_thresholds or analysis.thresholds).as_dict(),
               "warnings": list(analysis.warnings)}
        _write_private(self.path / RESULT_FILE, json.dumps(how).encode("utf-8"))

    def save_settings(self, settings: dict) -> None:
        """Remember the page settings the result is shown with (see SETTINGS_FILE); written only
        when they changed."""
        data = json.dumps(settings, sort_keys=True).encode("utf-8")
        path = self.path / SETTINGS_FILE
        try:
            if path.is_file() and path.read_bytes() == data:
                return
        except OSError:
            pass
        _write_private(path, data)

    def load_result(self) -> dict | None:
        """The saved result as {"raw", "base" (the analysis), "name", "settings" (the page
        settings it was last shown with, or None)}, its analysis made again
        from the landmarks as it was made then; None when there is none. A result.pkl of an
        earlier version is never unpickled: it counts as none. Raises SavedResultError (a
        message for the user) when the files are there but damaged or not formcheck's."""
        if not has_result(self.path):
            return None
        try:
            return _load_result(self.path)
        except SavedResultError as exc:
            log.warning("%s: %s", self.path, exc)
            raise
        except Exception:  # e.g. the analysis of landmarks someone changed: no traceback shown
            log.exception("reading the saved result in %s", self.path)
            raise SavedResultError("The saved result cannot be read: its files are damaged."
                                   ) from None


def has_result(folder: Path) -> bool:
    """The clip folder holds a finished result (save_result). Logs a result.pkl of an earlier
    formcheck version, which is never read (unpickling can run code): it counts as none."""
    if (folder / RESULT_FILE).is_file():
        return True
    if (folder / OLD_RESULT_FILE).exists():
        log.warning("%s holds a result.pkl of an earlier formcheck version; it is not read "
                    "(unpickling can run code): treated as no saved result", folder)
    return False


class NotYourResultError(FormcheckError):
    """A result link opened by a browser other than the one that made the result."""


class SavedResultError(FormcheckError):
    """A saved result's files are there but cannot be read: the message says so."""


def _read_how(path: Path) -> dict:
    """result.json, checked field by field (SavedResultError on anything unexpected)."""
    from formcheck.store.archive import check_thresholds

    def bad(why: str) -> SavedResultError:
        return SavedResultError(f"The saved result cannot be read: {why}.")

    try:
        if path.stat().st_size > MAX_RESULT_FILE_BYTES:
            raise bad("its settings file is too large")
        how = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise bad("its settings file is damaged") from None
    if not isinstance(how, dict):
        raise bad("its settings file is damaged")
    if how.get("format") != RESULT_FORMAT:
        raise bad("it was saved by another formcheck version")
    if not isinstance(how.get("name"), str) or not isinstance(how.get("profile"), str):
        raise bad("its file name or profile is missing")
    if not isinstance(how.get("live"), bool):
        raise bad("it does not say how it was made")
    warnings = how.get("warnings")
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise bad("its notes are not text")
    for key in ("thresholds", "rep_thresholds"):
        try:
            check_thresholds("general", how.get(key))
        except FormcheckError as exc:
            log.warning("%s: %s", path, exc)
            raise bad("its settings file is damaged") from None
    return how


def _load_result(folder: Path) -> dict:
    from formcheck.analysis import rescore
    from formcheck.errors import LandmarksFileError
    from formcheck.landmarks import load_npz
    from formcheck.pipeline import analyze_landmarks
    from formcheck.thresholds import get_profile

    how = _read_how(folder / RESULT_FILE)
    try:
        raw = load_npz(folder / RESULT_LANDMARKS, display_name=RESULT_LANDMARKS)
    except LandmarksFileError as exc:
        log.warning("%s: %s", folder, exc)
        raise SavedResultError("The saved result cannot be read: its landmarks file is "
                               "damaged.") from None
    th = get_profile("general", **how["thresholds"])
    base = analyze_landmarks(raw, get_profile("general", **how["rep_thresholds"]),
                             how["profile"], replay_live=how["live"])
    base = dataclasses.replace(rescore(base, th, how["profile"]), warnings=how["warnings"])
    return {"raw": raw, "base": base, "name": how["name"],
            "settings": _read_settings(folder / SETTINGS_FILE)}


def _read_settings(path: Path) -> dict | None:
    """settings.json checked field by field; None (the page's defaults) when it is missing or
    not what save_settings writes."""
    from formcheck.store.archive import check_thresholds
    from formcheck.thresholds import PROFILES

    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_RESULT_FILE_BYTES:
            raise ValueError("too large")
        d = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(d, dict) or set(d) != {"profile", "overrides", "box", "height_cm"}:
            raise ValueError("not the settings")
        if d["profile"] not in PROFILES or not isinstance(d["box"], bool):
            raise ValueError("profile or box")
        h = d["height_cm"]
        if h is not None and (isinstance(h, bool) or not isinstance(h, (int, float))
                              or not 0 < h <= 250):
            raise ValueError("height")
        check_thresholds(d["profile"], d["overrides"])
        return d
    except (OSError, UnicodeDecodeError, ValueError, TypeError, FormcheckError) as exc:
        log.warning("%s: ignored (%s); the page's default settings apply", path, exc)
        return None


class SessionFolder:
    """The files of one browser session. Keep the object in st.session_state: when Streamlit
    drops the session (browser closed, disconnected past server.disconnectedSessionTTL), the
    object is collected and its folder deleted."""

    def __init__(self, base: Path | None = None, owner: str | None = None):
        base = _private_dir(base or root())
        self.path = _private_dir(base / secrets.token_hex(16))
        self._finalizer = weakref.finalize(self, end_session, self.path)
        if owner:
            with _owners_lock:
                _owners[owner] = [self.path, None]
        ensure_sweeper()

    def new_live_folder(self) -> ClipFolder:
        """An empty clip folder (random name) for a live set being recorded. The Analyse page's
        keep_only leaves it alone: the Live page deletes it (next START, "Clear this set")."""
        folder = ClipFolder(_private_dir(self.path / secrets.token_hex(8)))
        (folder.path / SHA_NOTE).write_text("")      # written-at mark for the expiry sweep
        (folder.path / LIVE_NOTE).write_text("")
        return folder

    def adopt_result(self, result_id: str, owner: str | None) -> ClipFolder | None:
        """Move the clip folder with this result id (from an earlier browser session of the
        same browser: a reload) into this session's folder; None when it is gone or not a
        result. Raises NotYourResultError, and moves nothing, when the result was made by
        another browser (its owner tag is not `owner`, browser_key.owner_tag)."""
        if not isinstance(result_id, str) or not _RESULT_ID.match(result_id):
            return None
        mine = self.path / result_id
        if has_result(mine):
            return ClipFolder(mine)
        for found in root().glob(f"*/{result_id}"):
            if has_result(found):
                try:
                    theirs = (found / OWNER_FILE).read_text(encoding="ascii").strip()
                except (OSError, UnicodeDecodeError):
                    theirs = None
                if not (theirs and owner and hmac.compare_digest(theirs, owner)):
                    log.warning("result %s asked for by another browser: not opened", result_id)
                    raise NotYourResultError(
                        "This result link belongs to another browser: results open only in "
                        "the browser that made them. Upload the clip here to see its results.")
                try:
                    os.replace(found, mine)
                except OSError:
                    return None
                return ClipFolder(mine)
        return None

    def add_clip(self, data: bytes, name: str) -> ClipFolder:
        """Store an upload under a random name (the user's file name is kept only in memory)."""
        folder = ClipFolder(_private_dir(self.path / secrets.token_hex(8)))
        suffix = Path(name).suffix.lower()
        if suffix not in (".mp4", ".mov", ".avi", ".webm", ".m4v"):
            suffix = ".mp4"
        (folder.path / SHA_NOTE).write_text(hashlib.sha256(data).hexdigest())
        _write_private(folder.path / f"upload{suffix}", data)
        return folder

    def clips(self) -> list[ClipFolder]:
        return [ClipFolder(p) for p in self.path.iterdir() if p.is_dir()] if self.path.is_dir() else []

    def keep_only(self, keep: ClipFolder | None) -> None:
        """Delete every uploaded clip's folder but `keep` (the analysis no longer needs them);
        live sets' folders stay (see new_live_folder)."""
        for c in self.clips():
            if (keep is None or c.path != keep.path) and not (c.path / LIVE_NOTE).exists():
                c.remove()

    def close(self) -> None:
        self._finalizer()


def end_session(path: Path) -> None:
    """A browser session ended: delete its files but the finished results (kept for a reload
    until the expiry sweep)."""
    path = Path(path)
    if not path.is_dir():
        return
    for p in list(path.iterdir()):
        if p.is_dir() and (p / RESULT_FILE).is_file():
            for drawn in p.glob("annotated-*"):     # re-drawn after a reload if needed
                drawn.unlink(missing_ok=True)
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    try:
        path.rmdir()          # only when nothing is left
    except OSError:
        pass


def sweep(now: float | None = None, ttl_s: float | None = None, base: Path | None = None) -> int:
    """Delete clip folders written more than ttl_s ago, and session folders left empty.
    Returns how many clip folders were deleted."""
    base = base or root()
    if not base.is_dir():
        return 0
    now = time.time() if now is None else now
    ttl_s = limits.current().session_files_ttl_s if ttl_s is None else ttl_s
    n = 0
    for session in list(base.iterdir()):
        if not session.is_dir():
            continue
        for clip in list(session.iterdir()):
            try:
                written = (clip / SHA_NOTE).stat().st_mtime if clip.is_dir() else clip.stat().st_mtime
            except FileNotFoundError:
                written = clip.stat().st_mtime if clip.exists() else now - ttl_s - 1
            if now - written > ttl_s:
                shutil.rmtree(clip, ignore_errors=True) if clip.is_dir() else clip.unlink(missing_ok=True)
                n += 1
        try:
            if now - session.stat().st_mtime > ttl_s and not any(session.iterdir()):
                session.rmdir()
        except OSError:
            pass
    if n:
        log.info("deleted %d expired clip folder(s) under %s", n, base)
    return n


def remove_clips(sha256s, base: Path | None = None) -> int:
    """Delete every clip folder (upload copy and derived files) whose clip has one of these
    SHA-256s: what `forget` calls so a forgotten client's clips leave the app too."""
    wanted = {s for s in sha256s if s}
    base = base or root()
    if not wanted or not base.is_dir():
        return 0
    n = 0
    for note in base.glob(f"*/*/{SHA_NOTE}"):
        try:
            if note.read_text().strip() in wanted:
                shutil.rmtree(note.parent, ignore_errors=True)
                n += 1
        except OSError:
            continue
    return n


_sweeper_lock = threading.Lock()
_sweeper: threading.Thread | None = None
_owners_lock = threading.Lock()
_owners: dict[str, list] = {}     # Streamlit session id -> [folder, first seen disconnected]


def current_session_id() -> str | None:
    """The Streamlit session running this script (None outside the app)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def close_ended_sessions(now: float | None = None) -> int:
    """Delete the folders of browser sessions that disconnected and did not come back within
    server.disconnectedSessionTTL. Returns how many were deleted."""
    try:
        from streamlit import config
        from streamlit.runtime import Runtime
    except ImportError:
        return 0
    if not Runtime.exists():
        return 0
    runtime = Runtime.instance()
    grace = float(config.get_option("server.disconnectedSessionTTL") or 0)
    now = time.monotonic() if now is None else now
    n = 0
    with _owners_lock:
        for sid, entry in list(_owners.items()):
            if runtime.is_active_session(sid):
                entry[1] = None
            elif entry[1] is None:
                entry[1] = now
            elif now - entry[1] >= grace:
                end_session(entry[0])
                del _owners[sid]
                n += 1
    if n:
        log.info("deleted the files of %d ended browser session(s)", n)
    return n


def ensure_sweeper() -> None:
    """Start (once per process) the background thread that deletes expired files even when
    nobody uses the app."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return

        def loop():
            last_sweep = 0.0
            while True:
                try:
                    close_ended_sessions()
                    if time.monotonic() - last_sweep >= SWEEP_EVERY_S:
                        sweep()
                        last_sweep = time.monotonic()
                except Exception:  # noqa: BLE001 - a sweep must never stop the sweeper
                    log.exception("sweeping the app's files")
                time.sleep(SESSION_CHECK_EVERY_S)

        _sweeper = threading.Thread(target=loop, name="formcheck-file-sweeper", daemon=True)
        _sweeper.start()


def user_words(message: str, folder: ClipFolder, name: str) -> str:
    """A library message about the private copy, told with the user's own file name (no server
    paths, no random names)."""
    clip = folder.clip
    for private in (str(clip), str(clip.resolve()), clip.name):
        message = message.replace(private, name)
    return app_words(message)


# Command-line words in library messages that mean nothing in the app, and Python's names for
# errors ("(InvalidDataError)"): left out of what the app shows.
_CLI_WORDS = re.compile(r" \(or raise the limit with --max-minutes\)"
                        r"| \((?:[A-Z][A-Za-z]*(?:Error|Exception|Warning))\)")


def app_words(message: str) -> str:
    """A library message as the app says it: without command-line options or error class
    names (the CLI shows them)."""
    return _CLI_WORDS.sub("", message)
