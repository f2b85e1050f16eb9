"""My sets: a home user's own sets, kept per browser without the clinic's sign-in.

- Where: a database of their own, never the clinic's (FORMCHECK_MY_SETS_DATABASE_URL; default
  `my_sets.db` beside the default `formcheck.db`). No clinic page, export or backup reads it,
  and My sets reads no clinic client: nothing leaks either way by construction.
- Whose: each browser is one "client" in it, labelled by the browser's owner tag
  (formcheck.app.browser_key.owner_tag: a hash of a random secret kept in that browser's
  cookie). A browser only ever sees the sets of its own tag; a set id of another browser's is
  "not one of your sets".
- How: the sets are saved, summarised and re-analysed by the clinic's Store (save_session,
  history, load_analysis), so a set's trend is the same function as a client's Progress.
"""

from __future__ import annotations

import os
import re

from .db import database_url as _database_url
from .db import default_sqlite_path
from .errors import ClientExistsError, StoreError, UnknownClientError, UnknownSessionError
from .repo import SessionInfo, Store, TrendPoint, open_store, thresholds_from_dict

ENV_VAR = "FORMCHECK_MY_SETS_DATABASE_URL"
PROFILE = "general"          # the client row's profile; each set keeps its own thresholds
_TAG = re.compile(r"^[0-9a-f]{64}$")


def database_url() -> str:
    """$FORMCHECK_MY_SETS_DATABASE_URL, else `my_sets.db` beside the default clinic file."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if raw:
        return _database_url(raw)
    return f"sqlite:///{default_sqlite_path().with_name('my_sets.db')}"


class NotYourSetError(UnknownSessionError):
    """A set id that is not one of this browser's sets (deleted, or another browser's)."""


class MySets:
    """The sets of one browser (its owner tag) in the My sets database."""

    def __init__(self, store: Store, owner_tag: str):
        if not isinstance(owner_tag, str) or not _TAG.match(owner_tag):
            raise ValueError("an owner tag is 64 lowercase hex digits (browser_key.owner_tag)")
        self.store = store
        self.label = f"browser:{owner_tag}"

    def _exists(self) -> bool:
        try:
            self.store.get_client(self.label)
            return True
        except UnknownClientError:
            return False

    def sets(self) -> list[SessionInfo]:
        """This browser's sets, oldest first (none yet: an empty list)."""
        return self.store.list_sessions(self.label) if self._exists() else []

    def history(self) -> list[TrendPoint]:
        """The trend points of this browser's sets (Store.history, a client's Progress)."""
        return self.store.history(self.label) if self._exists() else []

    def newest_thresholds(self):
        """The thresholds the newest set was scored with (the trends' limit lines), or None."""
        sets = self.sets()
        return thresholds_from_dict(sets[-1].thresholds) if sets else None

    def keep(self, analysis, raw, *, clip_path=None, keep_video: bool = False,
             clip_name: str | None = None, view_requested: str = "auto") -> SessionInfo:
        """Keep a set (an analysed clip or a live set) with its landmarks and, when
        `keep_video`, its video."""
        if not self._exists():
            try:
                self.store.add_client(self.label, profile=PROFILE)
            except ClientExistsError:     # a second tab of this browser made it a moment ago
                pass
        return self.store.save_session(self.label, analysis, raw, clip_path=clip_path,
                                       keep_video=keep_video, clip_name=clip_name,
                                       view_requested=view_requested)

    def _own(self, set_id: int) -> int:
        if int(set_id) not in {s.id for s in self.sets()}:
            raise NotYourSetError("That set is not among your sets here (it was deleted, or it "
                                  "was kept in another browser).")
        return int(set_id)

    def get(self, set_id: int) -> SessionInfo:
        return self.store.get_session(self._own(set_id))

    def analysis(self, set_id: int):
        """The set analysed again from its landmarks, as it was scored when it was kept."""
        return self.store.load_analysis(self._own(set_id))

    def video(self, set_id: int) -> bytes | None:
        return self.store.load_video(self._own(set_id))

    def delete(self, set_id: int) -> None:
        """Delete one set for good (the page asks first)."""
        self.store.delete_session(self._own(set_id), actor="my sets")


def open_my_sets(owner_tag: str, url: str | None = None) -> MySets:
    """This browser's sets in the My sets database (`url`, else database_url())."""
    url = url or database_url()
    if _database_url(url) == _database_url(None):
        raise StoreError(f"My sets needs a database of its own, not the clinic's: set {ENV_VAR} "
                         "to another database than FORMCHECK_DATABASE_URL.")
    return MySets(open_store(url), owner_tag)
