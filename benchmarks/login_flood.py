"""Login floods against a local ``gutbalance serve`` (issue 15, item 2).

Bursts, each sent at once on connections of their own, while a probe
asks ``/healthz`` every 50 ms (each probe on its own connection, not waiting
for the previous one):

0. as many ``GET /api/samples`` without a token (401 from the app's routing
   and dependencies, no query, no hashing): the floor this machine allows;
1. ``--guesses`` (150) wrong passwords for one existing user: how many were
   checked (answered 401; a 429 or 503 was refused before any hashing);
2. ``--logins`` (300) logins for random usernames: how many were checked,
   and the ``/healthz`` latency (median, p95, max) while they run.

    python benchmarks/login_flood.py
    python benchmarks/login_flood.py --database-url postgresql+psycopg://postgres@127.0.0.1:55434/postgres

The server is started by ``start_server`` of ``load_web.py`` (production
password hashing cost; ``--workers`` server processes, default what
``gutbalance serve`` defaults to).  The client runs in this process on the
same machine, one asyncio loop with the small client of ``rawhttp.py`` (one
connection per request, as 300 separate attackers would): it costs a
fraction of what the server does, and both CPU times are printed for every
burst (the server's summed over its processes, from ``/proc``).  On a shared
2-core machine the figures are pessimistic: say so with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import CpuClock, start_server  # noqa: E402
from rawhttp import one_shot  # noqa: E402

PASSWORD = "load test password"


async def burst(url: str, requests: list[dict | None]) -> tuple[Counter, list[float]]:
    """POST every body in ``requests`` to /api/login at once (``None``: GET
    /api/samples without a token instead), each on its own
    connection; the statuses, and the /healthz latencies seen meanwhile (a
    probe every 50 ms, each on its own connection, not waiting for the last)."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    latencies: list[float] = []
    done = asyncio.Event()

    async def one_probe() -> None:
        start = time.perf_counter()
        response = await one_shot(host, port, "GET", "/healthz")
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 200

    async def watch() -> None:
        probes = []
        while not done.is_set():
            probes.append(asyncio.create_task(one_probe()))
            await asyncio.sleep(0.05)
        await asyncio.gather(*probes)

    watcher = asyncio.create_task(watch())
    responses = await asyncio.gather(
        *(one_shot(host, port, "POST", "/api/login", json_body=body) if body is not None else one_shot(host, port, "GET", "/api/samples")
          for body in requests)
    )
    done.set()
    await watcher
    return Counter(r.status_code for r in responses), latencies


def summary(latencies: list[float]) -> str:
    ms = np.asarray(latencies) * 1000
    return f"/healthz during the burst: n={len(ms)} median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guesses", type=int, default=150)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--workers", type=int, help="server processes (default: what gutbalance serve chooses)")
    parser.add_argument("--database-url", help="database for the server (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="gutbalance-flood-") as tmp:
        process, url = start_server(Path(tmp), args.database_url, workers=args.workers)
        try:
            clock = CpuClock(process.pid)
            # the floor: as many requests that go through the app's routing and
            # dependencies but do no auth work (401: no query, no hashing)
            with clock:
                statuses, latencies = asyncio.run(burst(url, [None] * args.logins))
            print(f"baseline: {args.logins} concurrent GET /api/samples without a token in {clock}: {dict(statuses)}")
            print(summary(latencies))
            victim = f"victim-{uuid.uuid4().hex[:8]}"
            parts = urlsplit(url)
            registered = asyncio.run(one_shot(parts.hostname, parts.port, "POST", "/api/register", json_body={"username": victim, "password": PASSWORD}))
            assert registered.status_code == 201, registered.text
            with clock:
                statuses, latencies = asyncio.run(burst(url, [{"username": victim, "password": f"guess {i}"} for i in range(args.guesses)]))
            print(f"{args.guesses} concurrent wrong passwords for one user in {clock}: "
                  f"{statuses[401]} checked (401), {statuses[429]} refused (429), {statuses[503]} shed (503), other {dict(statuses - Counter({401: statuses[401], 429: statuses[429], 503: statuses[503]}))}")
            print(summary(latencies))
            bodies = [{"username": f"u{uuid.uuid4().hex[:12]}", "password": "a guess"} for _ in range(args.logins)]
            with clock:
                statuses, latencies = asyncio.run(burst(url, bodies))
            print(f"{args.logins} concurrent logins for random users in {clock}: "
                  f"{statuses[401]} checked (401), {statuses[429]} refused (429), {statuses[503]} shed (503)")
            print(summary(latencies))
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
