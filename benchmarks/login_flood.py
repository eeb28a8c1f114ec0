"""Login floods against a local ``gutbalance serve`` (issue 15, item 2).

Bursts, each sent at once on connections of their own, while a probe
asks ``/healthz`` every 50 ms (each probe on its own connection, not waiting
for the previous one):

1. ``--guesses`` (150) wrong passwords for one existing user: how many were
   checked (answered 401; a 429 or 503 was refused before any hashing);
2. ``--logins`` (300) logins for random usernames: how many were checked,
   and the ``/healthz`` latency (median, p95, max) while they run.

    python benchmarks/login_flood.py
    python benchmarks/login_flood.py --database-url postgresql+psycopg://postgres@127.0.0.1:55434/postgres

The server is started by ``start_server`` of ``load_web.py`` (one uvicorn
process, production password hashing cost).  The client runs in this process
on the same machine, so the figures include its CPU use; on a shared 2-core
machine they are pessimistic.
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

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import start_server  # noqa: E402

PASSWORD = "load test password"


async def burst(url: str, requests: list[dict]) -> tuple[Counter, list[float]]:
    """POST every body in ``requests`` to /api/login at once; the statuses and
    the /healthz latencies seen meanwhile."""
    n = len(requests)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    probe_limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client, \
            httpx.AsyncClient(base_url=url, timeout=300, limits=probe_limits) as probe:
        done = asyncio.Event()

        async def one_probe() -> None:
            start = time.perf_counter()
            response = await probe.get("/healthz")
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200

        async def watch() -> None:
            probes = []
            while not done.is_set():
                probes.append(asyncio.create_task(one_probe()))
                await asyncio.sleep(0.05)
            await asyncio.gather(*probes)

        watcher = asyncio.create_task(watch())
        responses = await asyncio.gather(*(client.post("/api/login", json=body) for body in requests))
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
    parser.add_argument("--database-url", help="database for the server (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gutbalance-flood-") as tmp:
        process, url = start_server(Path(tmp), args.database_url)
        try:
            # the floor: the same burst of requests refused by validation
            # (422: no database, no hashing) shows what the machine allows
            started = time.perf_counter()
            statuses, latencies = asyncio.run(burst(url, [{"username": "x"} for _ in range(args.logins)]))
            print(f"baseline: {args.logins} concurrent invalid logins in {time.perf_counter() - started:.1f} s: {dict(statuses)}")
            print(summary(latencies))
            victim = f"victim-{uuid.uuid4().hex[:8]}"
            assert httpx.post(f"{url}/api/register", json={"username": victim, "password": PASSWORD}, timeout=60).status_code == 201
            started = time.perf_counter()
            statuses, latencies = asyncio.run(burst(url, [{"username": victim, "password": f"guess {i}"} for i in range(args.guesses)]))
            print(f"{args.guesses} concurrent wrong passwords for one user in {time.perf_counter() - started:.1f} s: "
                  f"{statuses[401]} checked (401), {statuses[429]} refused (429), {statuses[503]} shed (503), other {dict(statuses - Counter({401: statuses[401], 429: statuses[429], 503: statuses[503]}))}")
            print(summary(latencies))
            started = time.perf_counter()
            bodies = [{"username": f"u{uuid.uuid4().hex[:12]}", "password": "a guess"} for _ in range(args.logins)]
            statuses, latencies = asyncio.run(burst(url, bodies))
            print(f"{args.logins} concurrent logins for random users in {time.perf_counter() - started:.1f} s: "
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
