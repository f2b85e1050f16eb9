"""The app on a network, in a real browser (Debian's Chromium via Playwright):

- anonymous browsers see no client and no export, on a non-local address or once accounts exist;
- a physio signs in and sees clients but no export/import/forget; an admin sees them;
- two browsers analysing the same clip with different profiles each see their own video, and
  a session's files are deleted when it ends;
- Markdown/HTML in a client's label and notes shows literally and fetches nothing.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from test_browser import CHROMIUM, _launch, choose, playwright, running_app  # noqa: F401 - skips too

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"


def _non_loopback_ip() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))          # no packet is sent for UDP connect
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


@contextmanager
def app(tmp_path: Path, address: str = "127.0.0.1", db: str | None = None):
    """A streamlit server on `address` with its own database and app-files folder."""
    env = {"FORMCHECK_DATABASE_URL": db or f"sqlite:///{tmp_path / 'clinic.db'}",
           "FORMCHECK_APP_FILES": str(tmp_path / "app-files")}
    with running_app(tmp_path, address, env, ("--server.disconnectedSessionTTL", "2")) as url:
        yield url


def _store(tmp_path):
    from formcheck.store import open_store

    return open_store(f"sqlite:///{tmp_path / 'clinic.db'}")


def _clients_page(page, url):
    page.goto(f"{url}/clients")
    page.get_by_role("heading", name="Clients").wait_for(timeout=60000)
    page.wait_for_timeout(1500)


def _sign_in(page, name, password):
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _choose_client(page, label: str):
    choose(page, page.locator("[data-testid='stSelectbox']").filter(has_text="Client").first, label)


def test_an_anonymous_browser_on_a_network_address_sees_no_client(tmp_path):
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    store = _store(tmp_path)
    store.add_client("secret-label-42", notes="private note")
    with app(tmp_path, address=ip) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page()
        _clients_page(page, url)
        page.get_by_text("no account exists yet").wait_for(timeout=30000)
        html = page.content()
        assert "secret-label-42" not in html and "private note" not in html
        assert page.get_by_text("Export everything").count() == 0
        assert page.get_by_text("Backup and moving clinics").count() == 0
        # nor through the Analyse page's client picker
        page.goto(url)
        page.get_by_text("Analysing for a client").click()
        page.get_by_text("no account exists yet").wait_for(timeout=30000)
        assert "secret-label-42" not in page.content()
        browser.close()


def test_with_accounts_a_sign_in_is_needed_and_roles_decide_export(tmp_path):
    from formcheck import auth

    store = _store(tmp_path)
    client = store.add_client("knee-07", notes="left knee")
    auth.add_account(store, "ana", "admin", "admin password 1")
    auth.add_account(store, "ben", "physio", "physio password 1")
    with app(tmp_path) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        # anonymous, even on 127.0.0.1: sign-in form, no client
        page = browser.new_context().new_page()
        _clients_page(page, url)
        page.get_by_role("button", name="Sign in").wait_for(timeout=30000)
        assert "knee-07" not in page.content()
        _sign_in(page, "ben", "wrong password")
        page.get_by_text("Wrong name or password.").wait_for(timeout=30000)
        assert "knee-07" not in page.content()
        # the physio: clients yes, backup/forget no
        _sign_in(page, "ben", "physio password 1")
        page.get_by_text("Signed in as ben (physio)").wait_for(timeout=30000)
        _choose_client(page, "knee-07")
        page.get_by_role("tab", name="Progress").wait_for(timeout=30000)
        assert page.get_by_text("Backup and moving clinics").count() == 0
        assert page.get_by_text("Forget this client").count() == 0
        # the admin, in another browser context: export is offered
        admin = browser.new_context().new_page()
        _clients_page(admin, url)
        _sign_in(admin, "ana", "admin password 1")
        admin.get_by_text("Signed in as ana (admin)").wait_for(timeout=30000)
        admin.get_by_text("Backup and moving clinics").click()
        admin.get_by_role("button", name="Export everything").wait_for(timeout=30000)
        _choose_client(admin, "knee-07")
        admin.get_by_role("tab", name="Targets and notes").click()
        admin.get_by_text("Forget this client").wait_for(timeout=30000)
        browser.close()
    opened = [(e.actor, e.action, e.client_uid) for e in auth.audit_log(store)]
    assert ("ben", "open_sessions", client.uid) in opened
    assert ("ana", "open_sessions", client.uid) in opened


class _Pixel(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802
        _Pixel.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def test_markdown_and_html_in_labels_and_notes_show_literally(tmp_path):
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Pixel)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    pixel = f"http://127.0.0.1:{srv.server_port}"
    label = "**knee** ![p](" + pixel + "/label.png)"
    notes = f"<img src='{pixel}/note.png'> _see_ [site]({pixel}/link) :red[alarm]"
    store = _store(tmp_path)
    store.add_client(label, notes=notes)
    try:
        with app(tmp_path) as url, playwright.sync_playwright() as p:
            browser = _launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _clients_page(page, url)
            _choose_client(page, label)
            page.get_by_role("tab", name="Progress").wait_for(timeout=30000)
            page.wait_for_timeout(2000)
            caption = page.locator("[data-testid='stCaptionContainer']").filter(
                has_text="Profile knee-rehab").first
            shown = caption.inner_text().replace("\u2060", "")   # invisible link-breaker
            assert notes in shown, shown
            info = page.get_by_text("No sessions saved for").first.inner_text()
            assert info.replace("\u2060", "") == f"No sessions saved for {label} yet."
            assert page.locator(f"img[src^='{pixel}']").count() == 0
            links = page.locator(f"a[href^='{pixel}']")
            assert links.count() == 0
            browser.close()
    finally:
        srv.shutdown()
    assert _Pixel.hits == []


def _video_bytes(page) -> bytes:
    page.wait_for_function("() => { const v = document.querySelector('video');"
                           " return v && v.readyState >= 2 && v.videoWidth > 0; }", timeout=180000)
    src = page.locator("video").first.get_attribute("src")
    return page.request.get(src if src.startswith("http") else page.url.split("/analyse")[0]
                            .rstrip("/") + src).body()


@pytest.mark.slow
def test_two_browsers_same_clip_different_profiles_each_see_their_own_video(tmp_path):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    files = tmp_path / "app-files"
    with app(tmp_path) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        pages = {}
        for profile in ("general", "knee rehab"):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1400})
            page = ctx.new_page()
            page.goto(url)
            page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
            if profile != "general":
                page.get_by_text("Settings: profile, camera view, height, box, thresholds").click()
                choose(page, page.locator("[data-testid='stSelectbox']").filter(
                    has_text="Profile").first, profile)
                page.wait_for_timeout(1000)
            page.locator("input[type='file']").set_input_files(str(CLIP))
            page.get_by_role("heading", name="Every rep").wait_for(timeout=240000)
            pages[profile] = (ctx, page)
        a = _video_bytes(pages["general"][1])
        b = _video_bytes(pages["knee rehab"][1])
        assert hashlib.sha256(a).digest() != hashlib.sha256(b).digest()
        # the first browser redraws its page after the second drew its video: still its own
        page_a = pages["general"][1]
        page_a.get_by_role("button", name="Next").click()
        page_a.get_by_text("Rep 2 of").wait_for(timeout=30000)
        assert _video_bytes(page_a) == a
        sessions = sorted(d for d in files.iterdir() if d.is_dir())
        assert len(sessions) == 2
        assert [len(list(s.glob("*/annotated-*.mp4"))) for s in sessions] == [1, 1]
        # the second browser leaves: once the server drops the session its drawn video goes;
        # only its finished result stays (for a reload through its URL) until the expiry sweep
        gone = pages["knee rehab"][1].url
        pages["knee rehab"][0].close()
        deadline = time.time() + 60
        while time.time() < deadline and sum(len(list(s.glob("*/annotated-*.mp4")))
                                             for s in sessions) > 1:
            time.sleep(1)
        assert [len(list(s.glob("*/annotated-*.mp4"))) for s in sessions].count(1) == 1
        rid = gone.split("result=")[1][:16]
        assert sorted(p.name for p in files.glob(f"*/{rid}/*")) == [
            "owner", "result-landmarks.npz", "result.json", "settings.json", "sha256",
            "upload.mp4"]
        browser.close()
