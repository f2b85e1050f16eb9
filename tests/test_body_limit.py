"""Upload size kept while the body streams in (issue 24.5): a chunked upload with no
Content-Length is refused once it passes the limit, not after it is all in memory."""

from __future__ import annotations

import pytest

starlette = pytest.importorskip("starlette")
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from formcheck.app.body_limit import FRAMING_BYTES, MB, BodyLimit, upload_limit_bytes  # noqa: E402

CHUNK = 64 * 1024


def _app(seen: list[int]) -> Starlette:
    async def upload(request):
        n = 0
        async for part in request.stream():    # what Streamlit's upload route does, in effect
            n += len(part)
            seen.append(n)
        return PlainTextResponse(f"got {n}")

    return Starlette(routes=[Route("/_stcore/upload_file/s/f", upload, methods=["PUT"])],
                     middleware=[Middleware(BodyLimit, max_bytes=1 * MB)])


def _chunks(n_bytes: int):
    for _ in range(n_bytes // CHUNK):
        yield b"\0" * CHUNK


class _Response:
    def __init__(self, messages):
        start = next(m for m in messages if m["type"] == "http.response.start")
        self.status_code = start["status"]
        self.text = b"".join(m.get("body", b"") for m in messages
                             if m["type"] == "http.response.body").decode()


def _put(app, chunks, length: int | None = None) -> _Response:
    """One PUT through the ASGI interface, the body sent in `chunks` (chunked: no length)."""
    import asyncio

    async def run():
        pending = list(chunks)
        sent = []

        async def receive():
            if pending:
                return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        headers = [(b"content-type", b"application/octet-stream")]
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "PUT", "scheme": "http", "path": "/_stcore/upload_file/s/f",
                 "raw_path": b"/_stcore/upload_file/s/f", "root_path": "", "query_string": b"",
                 "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return _Response(sent)

    return asyncio.run(run())


def test_a_chunked_body_over_the_limit_is_refused_while_it_streams():
    seen: list[int] = []
    r = _put(_app(seen), _chunks(20 * MB))
    assert r.status_code == 413
    assert r.text == "File too large: this server accepts up to 1 MB."
    assert max(seen) <= 1 * MB      # the app never saw more than the limit


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    seen: list[int] = []
    r = _put(_app(seen), [b"\0" * (2 * MB)], length=2 * MB)
    assert r.status_code == 413
    assert seen == []


def test_a_body_within_the_limit_passes():
    seen: list[int] = []
    r = _put(_app(seen), _chunks(512 * 1024))
    assert (r.status_code, r.text) == (200, f"got {512 * 1024}")


def test_the_limit_is_streamlits_max_upload_size_plus_framing():
    from streamlit import config

    assert upload_limit_bytes() == config.get_option("server.maxUploadSize") * MB + FRAMING_BYTES


@pytest.mark.slow
def test_serve_py_runs_the_app_behind_the_limit(tmp_path):
    """`streamlit run serve.py`: the app answers, and an upload saying it is over
    server.maxUploadSize gets formcheck's 413 (its words, not Streamlit's)."""
    import http.client
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from test_browser import _free_port

    root = Path(__file__).resolve().parents[1]
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py",
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--server.fileWatcherType", "none"], cwd=root, stdout=out,
                                stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        deadline = time.time() + 90
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/_stcore/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-2000:]
            time.sleep(0.5)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.putrequest("PUT", "/_stcore/upload_file/some-session/some-file")
        c.putheader("Content-Length", str(2 * 1024 ** 3))
        c.endheaders()
        r = c.getresponse()
        assert (r.status, r.read().decode()) == (413, "File too large: this server accepts up "
                                                      "to 200 MB.")
    finally:
        proc.terminate()
        proc.wait(15)
