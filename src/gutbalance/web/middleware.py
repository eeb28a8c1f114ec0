"""ASGI middleware: security headers on every response, and a cap on request
bodies enforced while they stream in (a missing or lying Content-Length does
not get around it)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

BASE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeaders:
    """Adds :data:`BASE_HEADERS` (a route may set its own CSP first), forbids
    caching of anything but static files (pages hold health data), and sends
    HSTS when served over TLS."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the security headers to every HTTP response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        https = self.hsts or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_headers(list(message.get("headers", [])), path=path, https=https)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(headers: list[tuple[bytes, bytes]], *, path: str, https: bool) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    for name, value in BASE_HEADERS.items():
        if name.encode() not in present:
            headers.append((name.encode(), value.encode()))
    if not path.startswith("/static/") and b"cache-control" not in present:
        headers.append((b"cache-control", b"no-store"))
    if https and b"strict-transport-security" not in present:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def add_security_headers(response: Response, *, path: str, https: bool) -> None:
    """The headers :class:`SecurityHeaders` adds, on a response made outside
    it (Starlette's handler for unhandled exceptions runs outside every
    middleware)."""
    response.raw_headers[:] = _with_headers(list(response.raw_headers), path=path, https=https)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the limit.  An
    HTTPException, so that FastAPI's body parsing lets it through as a 413
    instead of turning it into "error parsing the body"."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class BodySizeLimit:
    """Refuses (413) request bodies over ``upload_limit`` on the upload paths
    and over ``default_limit`` anywhere else."""

    def __init__(self, app: ASGIApp, *, upload_limit: int, upload_paths: tuple[str, ...], default_limit: int = 1 << 20) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse with 413 a request whose declared or streamed body exceeds its path's limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.default_limit
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_413(send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send)


async def _send_413(send: Send) -> None:
    body = b'{"detail":"request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
