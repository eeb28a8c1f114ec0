"""Load test of the web app: concurrent users registering, uploading and
reading reports against a local server.

By default it starts its own ``gutbalance serve`` (``--workers`` server
processes, default what ``serve`` chooses; SQLite in a temporary data folder)
on a free port of 127.0.0.1; ``--url``
targets a server already running on this machine instead (only loopback
addresses are accepted: this is not a tool for loading other people's
servers).  Each simulated user registers and logs in before the clock starts
(counted in the table, not in the run's time: password hashing is slow on
purpose), then uploads a real MetaPhlAn 3 profile from the package's
examples and until the time is up reads its
report over and over, lists its samples every fifth round and uploads again
every 4 s (under the default per-user upload limit of 20 a minute).  An
upload answered 202 is polled (``job``) until its samples are stored;
``scored`` is the time from sending an upload to its samples being stored.

``--hostile N`` adds N attackers uploading decompression bombs and line
floods (the ones of issue 15: a 2.1 MB gzip of 2.1 GB of zeros, the same
behind an HDF5 signature, a ratio-982 ``.qza``, 1.18 M MetaPhlAn lines) and
N flooding the login with wrong passwords; their refusals (413, 422, 401,
429, 503) are what they should get, anything else counts as an error.  The
login flooders start with the clock, once every user and bomber has logged
in: everyone here comes from one address, and the per-address login limit
(30 failures per 15 min across usernames) would otherwise rightly refuse the
users' own logins.  The server's resident memory (its own, and with its
worker processes) is sampled throughout, and the CPU time of the server
process, of its worker processes and of this load generator is printed,
with the server process's CPU per request served and the workers' per
upload, when this script started the server.

The client is ``rawhttp.py`` (one asyncio loop, one keep-alive connection
per simulated user), not httpx, whose CPU cost on the same 2 cores was a
large part of what it measured.

    python benchmarks/load_web.py                       # 50 users, 60 s
    python benchmarks/load_web.py --users 10 --duration 15
    python benchmarks/load_web.py --hostile 8           # beside 8 bombers and 8 login flooders
    python benchmarks/load_web.py --users 0 --bombers 8 --duration 20   # bombs alone, eight at once
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
from rawhttp import Connection, Response, TransportError, multipart

import gutbalance

PASSWORD = "load test password"
UPLOAD_EVERY_SECONDS = 4.0
JOB_POLL_SECONDS = 0.25
KINDS = ("register", "login", "upload", "job", "scored", "list", "report", "bad-login")
MAX_ROUNDS = 100_000  # per user; the deadline ends the loop long before


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    async def call(self, kind: str, request, *, expect: tuple[int, ...] = ()) -> Response | None:
        """The response, or None on an error; ``expect`` lists the refusals
        that are the right answer (for the attackers)."""
        start = time.perf_counter()
        try:
            response = await request
        except TransportError as exc:
            self.errors[kind].append(f"{type(exc).__name__}: {exc}")
            return None
        self.latency[kind].append(time.perf_counter() - start)
        if response.status_code >= 400 and response.status_code not in expect:
            self.errors[kind].append(f"HTTP {response.status_code}: {response.text[:120]}")
            return None
        return response


async def _patient_post(client: Connection, path: str, body: dict) -> Response:
    """POST, waiting as asked and trying again while the server sheds
    password hashing (503 with Retry-After), as a well-behaved client does."""
    deadline = time.monotonic() + 600  # a busy shared machine can keep a sign-in waiting for minutes
    while True:
        response = await client.request("POST", path, json_body=body)
        if time.monotonic() > deadline:
            break
        if response.status_code != 503 or "retry-after" not in response.headers:
            break
        await asyncio.sleep(float(response.headers["retry-after"]))
    return response


async def sign_in(client: Connection, stats: Stats, prefix: str) -> dict[str, str] | None:
    """Register and log in a new account; its bearer header, or None on failure."""
    credentials = {"username": f"{prefix}-{uuid.uuid4().hex[:12]}", "password": PASSWORD}
    if await stats.call("register", _patient_post(client, "/api/register", credentials)) is None:
        return None
    login = await stats.call("login", _patient_post(client, "/api/login", credentials))
    if login is None:
        return None
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def signed_in(url: str, stats: Stats, prefix: str) -> tuple[Connection, dict[str, str] | None]:
    """A new client's connection and bearer header (None when it could not sign in)."""
    client = connect(url)
    return client, await sign_in(client, stats, prefix)


def connect(url: str) -> Connection:
    """A keep-alive connection of one simulated client (dropped after 2 s
    idle, before uvicorn's 5 s keep-alive timeout closes it from its side)."""
    parts = urlsplit(url)
    return Connection(parts.hostname, parts.port, keepalive_expiry=2.0)


def post_file(client: Connection, headers: dict[str, str], file: tuple[str, bytes]):
    body, content_type = multipart({}, {"file": file})
    return client.request("POST", "/api/samples", headers={**headers, "content-type": content_type}, body=body)


async def user(client: Connection, headers: dict[str, str] | None, stats: Stats, profile: tuple[str, bytes], deadline: float) -> None:
    """A signed-in user: upload, then read reports, list every fifth round and upload every 4 s."""
    if headers is None:
        return

    async def upload() -> list[str]:
        sent = time.perf_counter()
        response = await stats.call("upload", post_file(client, headers, profile))
        if response is None:
            return []
        if response.status_code == 201:
            stats.latency["scored"].append(time.perf_counter() - sent)
            return [s["id"] for s in response.json()]
        url = response.json()["url"]
        while True:  # 202: poll the job until its samples are stored
            await asyncio.sleep(JOB_POLL_SECONDS)
            job = await stats.call("job", client.request("GET", url, headers=headers))
            if job is None:
                return []
            body = job.json()
            if body["status"] == "done":
                stats.latency["scored"].append(time.perf_counter() - sent)
                return body["samples"]
            if body["status"] == "failed":
                stats.errors["scored"].append(f"job failed: {body['error']}")
                return []

    ids = await upload()
    last_upload = time.monotonic()
    for round_ in range(MAX_ROUNDS):
        if time.monotonic() >= deadline or not ids:
            break
        await stats.call("report", client.request("GET", f"/api/samples/{ids[round_ % len(ids)]}/report", headers=headers))
        if round_ % 5 == 4:
            await stats.call("list", client.request("GET", "/api/samples", headers=headers))
        if time.monotonic() - last_upload >= UPLOAD_EVERY_SECONDS and time.monotonic() < deadline:
            ids += await upload()
            last_upload = time.monotonic()


def hostile_files() -> list[tuple[str, bytes]]:
    """The uploads of issue 15's attacks, built in memory (tests/bombs.py)."""
    import gzip

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.bombs import gzip_bomb, qza_bomb

    from gutbalance.io.source import HDF5_MAGIC

    flood = "".join(f"k__Bacteria|p__F|c__C|o__O|f__F|g__G{i // 50}|s__G{i // 50}_sp{i}\t0.00001\n" for i in range(1_180_000))
    return [
        ("zeros.txt.gz", gzip_bomb(2100)),
        ("table.biom.gz", gzip_bomb(2100, prefix=HDF5_MAGIC)),
        ("table.qza", qza_bomb()),
        ("flood.txt.gz", gzip.compress(flood.encode(), compresslevel=6)),
    ]


async def bomber(client: Connection, headers: dict[str, str] | None, stats: Stats, files: list[tuple[str, bytes]], deadline: float) -> None:
    if headers is None:
        return
    index = 0
    while time.monotonic() < deadline:
        name, data = files[index % len(files)]
        index += 1
        response = await stats.call(
            f"bomb {name}", post_file(client, headers, (name, data)), expect=(413, 422, 429)
        )
        if response is not None and response.status_code == 429:
            # ...but not past the end: the run's elapsed time divides every count.
            await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), max(0.0, deadline - time.monotonic())))


async def login_flooder(url: str, stats: Stats, victim: str, deadline: float) -> None:
    client = connect(url)
    while time.monotonic() < deadline:
        target = victim if uuid.uuid4().int % 2 else f"nobody-{uuid.uuid4().hex[:10]}"
        body = {"username": target, "password": "wrong password!"}
        await stats.call("bad-login", client.request("POST", "/api/login", json_body=body), expect=(401, 429, 503))


class CpuClock:
    """CPU seconds used by this process and by the server (with its children)."""

    def __init__(self, server_pid: int | None) -> None:
        import psutil

        self.client = psutil.Process()
        self.server = psutil.Process(server_pid) if server_pid is not None else None

    def _server_seconds(self) -> tuple[float, float]:
        """CPU seconds of the server process itself and of its children (the
        scoring workers; a worker replaced meanwhile takes its seconds with it)."""
        import psutil

        if self.server is None:
            return float("nan"), float("nan")
        own = sum(self.server.cpu_times()[:2])
        children = 0.0
        for process in self.server.children(recursive=True):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            children += times.user + times.system
        return own, children

    def __enter__(self) -> CpuClock:
        self.wall = time.perf_counter()
        self.client_start = sum(self.client.cpu_times()[:2])
        self.server_start = self._server_seconds()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.client_used = sum(self.client.cpu_times()[:2]) - self.client_start
        own, children = self._server_seconds()
        self.server_own = own - self.server_start[0]
        self.workers_used = children - self.server_start[1]
        self.server_used = self.server_own + self.workers_used

    def __str__(self) -> str:
        return f"{self.wall:.1f} s; CPU: server {self.server_used:.2f} s, load generator {self.client_used:.2f} s"


class MemoryWatch:
    """Peak resident memory of the server process, alone and with its children (workers)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak_server = 0
        self.peak_total = 0
        self.cpu: CpuClock | None = None

    async def run(self, deadline: float) -> None:
        if self.pid is None:
            return
        import psutil

        server = psutil.Process(self.pid)
        while time.monotonic() < deadline:
            try:
                own = server.memory_info().rss
                # PSS: pages shared with the fork server and each other counted once
                total = sum(p.memory_full_info().pss for p in [server, *server.children(recursive=True)])
            except psutil.Error:
                total = own = 0
            self.peak_server = max(self.peak_server, own)
            self.peak_total = max(self.peak_total, total)
            await asyncio.sleep(0.2)


async def run(
    url: str,
    users: int,
    duration: float,
    profile: tuple[str, bytes],
    *,
    bombers: int = 0,
    flooders: int = 0,
    server_pid: int | None = None,
) -> tuple[Stats, float, MemoryWatch]:
    stats = Stats()
    watch = MemoryWatch(server_pid)
    files = hostile_files() if bombers else []
    # Everyone signs in before the clock starts (registration and login are
    # slow on purpose, one password hash at a time; they are counted in the
    # table but not in the run's time), and one upload is scored first: the
    # worker processes import and warm up for seconds after /healthz answers.
    warm_client, warm_headers = await signed_in(url, Stats(), "warm-up")
    await user(warm_client, warm_headers, Stats(), profile, time.monotonic())
    clients = await asyncio.gather(*(signed_in(url, stats, "load") for _ in range(users)))
    attackers = await asyncio.gather(*(signed_in(url, stats, "bomber") for _ in range(bombers)))
    start = time.monotonic()
    deadline = start + duration
    tasks = [user(client, headers, stats, profile, deadline) for client, headers in clients]
    tasks += [bomber(client, headers, stats, files, deadline) for client, headers in attackers]
    # The login flooders come from 127.0.0.1 like everyone: they start once
    # the others are signed in (the per-address limit of 30 failed logins per
    # 15 min would otherwise refuse the users' own logins, as it should).
    tasks += [login_flooder(url, stats, f"load-victim-{i}", deadline) for i in range(flooders)]
    # Memory is watched 5 s beyond the end (jobs still being scored), but
    # the elapsed time, which divides every count, is the load's own.
    watching = asyncio.ensure_future(watch.run(deadline + 5))
    clock = CpuClock(server_pid)
    with clock:
        await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    await watching
    watch.cpu = clock
    return stats, elapsed, watch


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


def start_server(data_dir: Path, database_url: str | None, *, workers: int | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-c", "from gutbalance.cli import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    if workers is not None:
        command += ["--workers", str(workers)]
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


def report(stats: Stats, elapsed: float, users: int, watch: MemoryWatch | None = None, bombers: int = 0, flooders: int = 0) -> int:
    print(f"\n{users} users, {bombers} bombers, {flooders} login flooders for {elapsed:.1f} s")
    print(f"{'request':<22}{'count':>8}{'errors':>8}{'req/s':>9}{'median ms':>11}{'p95 ms':>9}")
    total_errors = 0
    for kind in [*KINDS, *sorted(set(stats.latency) - set(KINDS))]:
        times = np.asarray(stats.latency.get(kind, []))
        errors = len(stats.errors.get(kind, []))
        total_errors += errors
        if len(times) == 0 and not errors:
            continue
        median, p95 = (np.percentile(times, [50, 95]) * 1000) if len(times) else (float("nan"), float("nan"))
        print(f"{kind:<22}{len(times):>8}{errors:>8}{len(times) / elapsed:>9.1f}{median:>11.0f}{p95:>9.0f}")
    for kind, messages in stats.errors.items():
        for message in sorted(set(messages))[:5]:
            print(f"  {kind} error: {message}")
    if watch is not None and watch.peak_server:
        print(f"server peak RSS {watch.peak_server / 2**20:,.0f} MB; "
              f"with its worker processes {watch.peak_total / 2**20:,.0f} MB (PSS: shared pages counted once)")
    if watch is not None and watch.cpu is not None:
        cpu = watch.cpu
        print(f"CPU during the load: server (with its worker processes) {cpu.server_used:.1f} s "
              f"(server process {cpu.server_own:.1f} s, worker processes {cpu.workers_used:.1f} s), "
              f"load generator {cpu.client_used:.1f} s, in {cpu.wall:.1f} s on {os.cpu_count()} cores")
        served = sum(len(stats.latency.get(kind, [])) for kind in ("upload", "job", "list", "report"))
        uploads = len(stats.latency.get("upload", []))
        if served and uploads:
            print(f"CPU per request (all kinds, server process): {cpu.server_own / served * 1000:.1f} ms; "
                  f"per upload, worker processes: {cpu.workers_used / uploads * 1000:.1f} ms")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min) on {os.cpu_count()} cores")
    print(f"errors: {total_errors}")
    return 1 if total_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--url", help="a server already running on 127.0.0.1 (default: start one)")
    parser.add_argument("--database-url", help="database for the server this script starts (default: SQLite)")
    parser.add_argument("--workers", type=int, help="server processes of the server this script starts (default: what gutbalance serve chooses)")
    parser.add_argument("--profile", type=Path, help="profile to upload (default: a shipped MetaPhlAn 3 example)")
    parser.add_argument("--hostile", type=int, default=0, help="attackers of each kind (bombs, login floods) beside the users")
    parser.add_argument("--bombers", type=int, help="attackers uploading bombs (default: --hostile)")
    parser.add_argument("--login-flooders", type=int, help="attackers flooding the login (default: --hostile)")
    args = parser.parse_args()
    if not 0 <= args.users <= 500 or not 1 <= args.duration <= 3600:
        raise SystemExit("--users must be 0-500 and --duration 1-3600 s")
    path = args.profile or sorted(p for p in gutbalance.example_path().iterdir() if p.suffix == ".txt")[0]
    profile = (path.name, path.read_bytes())
    process = None
    with tempfile.TemporaryDirectory(prefix="gutbalance-load-") as tmp:
        if args.url:
            _loopback_only(args.url)
            url = args.url.rstrip("/")
        else:
            process, url = start_server(Path(tmp), args.database_url, workers=args.workers)
        try:
            print(f"load test against {url}: {args.users} users, {args.duration:.0f} s, uploading {path.name}; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            pid = process.pid if process is not None else None
            bombers = args.hostile if args.bombers is None else args.bombers
            flooders = args.hostile if args.login_flooders is None else args.login_flooders
            stats, elapsed, watch = asyncio.run(
                run(url, args.users, args.duration, profile, bombers=bombers, flooders=flooders, server_pid=pid)
            )
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # requests still running after the client gave up
                    process.kill()
                    process.wait()
    return report(stats, elapsed, args.users, watch, bombers, flooders)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
