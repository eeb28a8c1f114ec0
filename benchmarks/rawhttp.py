"""A small HTTP/1.1 client on asyncio streams, for the load benchmarks.

Why not httpx: a load generator on the same 2 cores as the server must cost
little.  httpx spent 2-3 s of CPU sending 300 concurrent logins that the
server answered in 0.6 s of CPU, and its connection pool grows slower with
every connection it holds, so the measured latencies were mostly the client's
(`benchmarks/login_flood.py` on this machine: 300 invalid logins took 8 s
with httpx, 0.9 s with this).  Here a request is one write and a few reads.

Only what the benchmarks need: one request at a time per connection,
keep-alive, bodies with a Content-Length or chunked, JSON and multipart
bodies.  Not a general client: no TLS, redirects, cookies or proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field


class TransportError(Exception):
    """The connection failed or closed before a whole response arrived."""


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self):
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = (f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "content-type: application/octet-stream\r\n\r\n")
        parts += [head.encode(), data, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Connection:
    """One keep-alive connection to ``host:port``, opened on first use and
    again when it was closed (by the server's keep-alive timeout, or after a
    ``connection: close``).  A connection idle for longer than
    ``keepalive_expiry`` is replaced before use: reusing one that the server
    is closing at that moment is a transport error that says nothing about the app."""

    host: str
    port: int
    keepalive_expiry: float = 2.0
    _reader: asyncio.StreamReader | None = field(default=None, repr=False)
    _writer: asyncio.StreamWriter | None = field(default=None, repr=False)
    _last_used: float = 0.0

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      body: bytes = b"", json_body=None, close: bool = False) -> Response:
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {**(headers or {}), "content-type": "application/json"}
        if self._writer is not None and time.monotonic() - self._last_used > self.keepalive_expiry:
            await self.close()
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                raise TransportError(f"connect: {exc}") from None
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"content-length: {len(body)}")
        if close:
            lines.append("connection: close")
        try:
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            response = await self._read()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            await self.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from None
        self._last_used = time.monotonic()
        if close or response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _read(self) -> Response:
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            content = b"".join(chunks)
        elif status in (204, 304) or 100 <= status < 200:
            content = b""
        else:
            content = await reader.read()
            headers["connection"] = "close"
        return Response(status, headers, content)


async def one_shot(host: str, port: int, method: str, path: str, **kwargs) -> Response:
    """One request on a connection of its own, closed after it."""
    connection = Connection(host, port)
    try:
        return await connection.request(method, path, close=True, **kwargs)
    finally:
        await connection.close()
