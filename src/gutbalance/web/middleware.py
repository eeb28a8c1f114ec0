"""ASGI middleware: the front door (``/healthz`` and the shedding of account
actions, answered before any routing, parsing or database work), security
headers on every response, and a cap on request bodies enforced while they
stream in (a missing or lying Content-Length does not get around it).

All of it is plain ASGI (no ``BaseHTTPMiddleware``, which runs every request
through an extra task and memory stream)."""

from __future__ import annotations

import json
import time

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

    def __init__(
        self, app: ASGIApp, *, upload_limit: int, upload_paths: tuple[str, ...], default_limit: int = 1 << 20, upload_file_limit: int | None = None
    ) -> None:
        self.app = app
        self.upload_limit = upload_limit
        #: What a page says the largest file is (the body's cap less the multipart overhead).
        self.upload_file_limit = upload_file_limit if upload_file_limit is not None else upload_limit
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
                await self._send_413(scope, send)
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
                await self._send_413(scope, send)

    async def _send_413(self, scope: Scope, send: Send) -> None:
        """413: JSON for the API; for a page's form (a browser), a page that
        says what the limit is and what to do, and leads back to the upload
        form (it was ``{"detail": ...}`` as raw text in the browser)."""
        path = scope["path"]
        if path in self.upload_paths and path.startswith("/api/"):
            # the limit, as the page says it (the upload's own check says the same of a file just over it)
            mb = self.upload_file_limit // (1024 * 1024)
            body, media = f'{{"detail":"the file is larger than {mb} MB"}}'.encode(), b"application/json"
        elif path.startswith("/api/") or path not in self.upload_paths:
            body, media = b'{"detail":"request body too large"}', b"application/json"
        else:
            mb = self.upload_file_limit // (1024 * 1024)
            message = (
                f"the file is larger than {mb} MB, the most one upload may hold. Compress it with gzip (a profile "
                "shrinks about tenfold) or split a merged table into several files, then upload again"
            )
            body = _page(413, message, back=("/samples", "Back to your samples")).encode()
            media = b"text/html; charset=utf-8"
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": _with_headers(headers, path=path, https=scope.get("scheme") == "https")})
        await send({"type": "http.response.body", "body": body})


#: POST paths of the account actions that hash a password, and the throttle
#: kind each belongs to (see :class:`~gutbalance.web.core.security.AddressRefusals`).
ACCOUNT_ACTIONS = {"/api/login": "login", "/login": "login", "/api/register": "register", "/register": "register"}

BUSY_MESSAGE = "the server is busy checking other passwords; try again in a moment"


class FrontDoor:
    """What must stay fast under a flood, answered on the event loop before
    FastAPI routes, parses or validates anything, and without the database:

    * ``GET /healthz``: 200 at once (no thread, no query), so a liveness probe
      measures the server, not the queue of logins behind it;
    * an account action (login, registration) from an address the database
      refused within its window (the per-address limit across usernames):
      429 from memory, with the ``Retry-After`` the database gave;
    * an account action beyond ``max_in_flight`` in this process (the
      password-hashing slots and their short queue): 503 with
      ``Retry-After: 1`` before its body is read.

    ``guards`` is the app's :class:`~gutbalance.web.services.Guards`; its
    ``refusals`` are filled by :func:`gutbalance.web.accounts.reserve`.
    """

    def __init__(self, app: ASGIApp, *, guards, max_in_flight: int, hsts: bool) -> None:
        self.app = app
        self.guards = guards
        self.max_in_flight = max(1, max_in_flight)
        self.hsts = hsts
        self.in_flight = 0  # account actions inside the app; only touched on the event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``/healthz`` and shed account actions over the limit here; pass the rest to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method in ("GET", "HEAD"):
            await self._answer(scope, send, 200, {"status": "ok"})
            return
        kind = ACCOUNT_ACTIONS.get(path) if method == "POST" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = self.guards.refusals.wait(kind, address, now=time.monotonic())
        if wait:
            what = "failed logins" if kind == "login" else "new accounts"
            await self._answer(scope, send, 429, {"detail": f"too many {what} from this address; try again in {wait} s"}, retry_after=wait)
            return
        if self.in_flight >= self.max_in_flight:
            await self._answer(scope, send, 503, {"detail": BUSY_MESSAGE}, retry_after=1)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _answer(self, scope: Scope, send: Send, status: int, body: dict, *, retry_after: int | None = None) -> None:
        path = scope["path"]
        if path.startswith("/api/") or path == "/healthz":
            content, media = json.dumps(body).encode(), b"application/json"
        else:  # a page's form: a page, not JSON
            content, media = _page(status, body["detail"]).encode(), b"text/html; charset=utf-8"
        headers = [(b"content-type", media), (b"content-length", str(len(content)).encode())]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        headers = _with_headers(headers, path=path, https=self.hsts or scope.get("scheme") == "https")
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content})


def _page(status: int, message: str, *, back: tuple[str, str] = ("/login", "Back to the login page")) -> str:
    # The message is ours (no input in it); the page links back to the form.
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{status}</title>'
        f'<link rel="stylesheet" href="/static/style.css"><main><h1>{status}</h1>'
        f'<p>{message[:1].upper()}{message[1:]}.</p><p><a href="{back[0]}">{back[1]}</a></p></main></html>'
    )
