"""A cap on request bodies, kept while they stream in (ASGI middleware).

Streamlit checks an upload's size before reading it only when the request says its length
(Content-Length); a chunked upload is read whole into memory first, then refused: 2 GB sent
that way cost 2 GB of the server's memory. BodyLimit counts the bytes as they arrive and answers
413 as soon as a body passes the limit (Streamlit's server.maxUploadSize plus room for the
multipart framing), so the server never holds more than that. `serve.py` runs the app with it.
On a network, cap the body at the reverse proxy too (README, "Opening it to a clinic's network").
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

MB = 1024 * 1024
FRAMING_BYTES = 64 * 1024     # multipart boundaries and part headers around the file


class BodyTooLarge(Exception):
    pass


def upload_limit_bytes() -> int:
    """Streamlit's server.maxUploadSize (MB) plus the multipart framing."""
    from streamlit import config

    return int(config.get_option("server.maxUploadSize")) * MB + FRAMING_BYTES


class BodyLimit:
    """ASGI middleware: a request whose body is (or says it is) over `max_bytes` gets 413."""

    def __init__(self, app, max_bytes: int | None = None):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes if self.max_bytes is not None else upload_limit_bytes()
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                if int(length) > limit:
                    return await _refuse(send, limit)
            except ValueError:
                return await _refuse(send, limit, 400, b"Invalid Content-Length")
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            log.warning("refused a request body over %d bytes (%s %s)", limit,
                        scope.get("method"), scope.get("path"))
            if not started:
                await _refuse(send, limit)


async def _refuse(send, limit: int, status: int = 413, body: bytes | None = None) -> None:
    body = body or (f"File too large: this server accepts up to {limit // MB} MB.").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
