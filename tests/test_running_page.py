"""The Running page before any run is imported (Streamlit AppTest, no browser)."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


def test_with_no_runs_the_step_rate_does_not_speak_of_these_runs(tmp_path, monkeypatch):
    """With nothing imported the training load says "No running yet"; the step rate said "None
    of these runs recorded cadence" beneath it, about runs that do not exist. It now says what
    to import to see a step rate."""
    from formcheck.app.running_page import NO_RUNS_STEP_RATE

    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv("FORMCHECK_APP_FILES", str(tmp_path / "app-files"))
    at = AppTest.from_string("from formcheck.app import running_page\nrunning_page.render()\n",
                             default_timeout=60)
    at.run()
    assert not at.exception
    assert [h.value for h in at.subheader] == ["Training load", "Step rate"]
    assert [i.value for i in at.info] == ["No running yet: import a run above.",
                                          NO_RUNS_STEP_RATE]
