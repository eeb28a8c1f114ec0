"""Load test of the web app: concurrent users registering, uploading and
reading reports against a local server.

By default it starts its own ``gutbalance serve`` (one uvicorn process,
SQLite in a temporary data folder) on a free port of 127.0.0.1; ``--url``
targets a server already running on this machine instead (only loopback
addresses are accepted: this is not a tool for loading other people's
servers).  Each simulated user registers, logs in, uploads a real MetaPhlAn 3
profile from the package's examples, then until the time is up reads its
report over and over, lists its samples every fifth round and uploads again
every 15 s (under the default per-user upload limit).

    python benchmarks/load_web.py                       # 50 users, 60 s
    python benchmarks/load_web.py --users 10 --duration 15
    python benchmarks/load_web.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/bench

Prints requests, errors, requests/s, median and p95 latency per kind of
request; exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np

import gutbalance

PASSWORD = "load test password"
UPLOAD_EVERY_SECONDS = 15.0
MAX_ROUNDS = 100_000  # per user; the deadline ends the loop long before


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    async def call(self, kind: str, request) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.errors[kind].append(f"{type(exc).__name__}: {exc}")
            return None
        self.latency[kind].append(time.perf_counter() - start)
        if response.status_code >= 400:
            self.errors[kind].append(f"HTTP {response.status_code}: {response.text[:120]}")
            return None
        return response


async def _patient_post(client: httpx.AsyncClient, path: str, body: dict) -> httpx.Response:
    """POST, waiting as asked and trying again while the server sheds
    password hashing (503 with Retry-After), as a well-behaved client does."""
    for _ in range(60):
        response = await client.post(path, json=body)
        if response.status_code != 503 or "retry-after" not in response.headers:
            break
        await asyncio.sleep(float(response.headers["retry-after"]))
    return response


async def user(client: httpx.AsyncClient, stats: Stats, profile: tuple[str, bytes], deadline: float) -> None:
    name = f"load-{uuid.uuid4().hex[:12]}"
    credentials = {"username": name, "password": PASSWORD}
    if await stats.call("register", _patient_post(client, "/api/register", credentials)) is None:
        return
    login = await stats.call("login", _patient_post(client, "/api/login", credentials))
    if login is None:
        return
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def upload() -> list[str]:
        response = await stats.call("upload", client.post("/api/samples", headers=headers, files={"file": profile}))
        return [s["id"] for s in response.json()] if response is not None else []

    ids = await upload()
    last_upload = time.monotonic()
    for round_ in range(MAX_ROUNDS):
        if time.monotonic() >= deadline or not ids:
            break
        await stats.call("report", client.get(f"/api/samples/{ids[round_ % len(ids)]}/report", headers=headers))
        if round_ % 5 == 4:
            await stats.call("list", client.get("/api/samples", headers=headers))
        if time.monotonic() - last_upload >= UPLOAD_EVERY_SECONDS and time.monotonic() < deadline:
            ids += await upload()
            last_upload = time.monotonic()


async def run(url: str, users: int, duration: float, profile: tuple[str, bytes]) -> tuple[Stats, float]:
    stats = Stats()
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive
    # timeout closes them from its side (reusing one the server is closing is
    # a transport error that says nothing about the app).
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        start = time.monotonic()
        await asyncio.gather(*(user(client, stats, profile, start + duration) for _ in range(users)))
        elapsed = time.monotonic() - start
    return stats, elapsed


def _loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load {host!r}: only a server on this machine (127.0.0.1) may be targeted")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-c", "from gutbalance.cli import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(data_dir / "server.log").open("w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped:\n" + (data_dir / "server.log").read_text())
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.terminate()
    raise SystemExit("the server did not start within 120 s")


def report(stats: Stats, elapsed: float, users: int) -> int:
    print(f"\n{users} users for {elapsed:.1f} s")
    print(f"{'request':<10}{'count':>8}{'errors':>8}{'req/s':>9}{'median ms':>11}{'p95 ms':>9}")
    total_errors = 0
    for kind in ("register", "login", "upload", "list", "report"):
        times = np.asarray(stats.latency.get(kind, []))
        errors = len(stats.errors.get(kind, []))
        total_errors += errors
        if len(times) == 0 and not errors:
            continue
        median, p95 = (np.percentile(times, [50, 95]) * 1000) if len(times) else (float("nan"), float("nan"))
        print(f"{kind:<10}{len(times):>8}{errors:>8}{len(times) / elapsed:>9.1f}{median:>11.0f}{p95:>9.0f}")
    for kind, messages in stats.errors.items():
        for message in sorted(set(messages))[:5]:
            print(f"  {kind} error: {message}")
    print(f"errors: {total_errors}")
    return 1 if total_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--url", help="a server already running on 127.0.0.1 (default: start one)")
    parser.add_argument("--database-url", help="database for the server this script starts (default: SQLite)")
    parser.add_argument("--profile", type=Path, help="profile to upload (default: a shipped MetaPhlAn 3 example)")
    args = parser.parse_args()
    if not 1 <= args.users <= 500 or not 1 <= args.duration <= 3600:
        raise SystemExit("--users must be 1-500 and --duration 1-3600 s")
    path = args.profile or sorted(p for p in gutbalance.example_path().iterdir() if p.suffix == ".txt")[0]
    profile = (path.name, path.read_bytes())
    process = None
    with tempfile.TemporaryDirectory(prefix="gutbalance-load-") as tmp:
        if args.url:
            _loopback_only(args.url)
            url = args.url.rstrip("/")
        else:
            process, url = start_server(Path(tmp), args.database_url)
        try:
            print(f"load test against {url}: {args.users} users, {args.duration:.0f} s, uploading {path.name}")
            stats, elapsed = asyncio.run(run(url, args.users, args.duration, profile))
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # requests still running after the client gave up
                    process.kill()
                    process.wait()
    return report(stats, elapsed, args.users)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
