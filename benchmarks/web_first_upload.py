"""How long the first uploads after ``gutbalance serve`` starts take, as a
clinic meets them: start a fresh server, wait until it answers ``/healthz``,
register through the API and upload a shipped MetaPhlAn 3 example at once,
then upload it again; each upload is timed from sending it to its samples
being stored (an upload answered 202 is polled every 0.1 s).

    python benchmarks/web_first_upload.py                  # one run
    python benchmarks/web_first_upload.py --runs 3 --uploads 3
    python benchmarks/web_first_upload.py --delay 20       # first upload 20 s after the server answers

Also printed: the seconds from starting the process to ``/healthz``
answering (start-up).  Times are wall-clock on a shared machine; the load
average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import start_server  # noqa: E402

from gutbalance.example import example_path  # noqa: E402

PASSWORD = "violet tractor midnight"


def timed_upload(client: httpx.Client, headers: dict[str, str], name: str, data: bytes) -> float:
    """Seconds from sending the upload to its samples being stored."""
    start = time.monotonic()
    response = client.post("/api/samples", headers=headers, files={"file": (name, data)})
    if response.status_code == 202:
        url = response.json()["url"]
        while (job := client.get(url, headers=headers).json())["status"] not in ("done", "failed"):
            time.sleep(0.1)
        if job["status"] != "done":
            raise SystemExit(f"the upload failed: {job}")
    elif response.status_code != 201:
        raise SystemExit(f"the upload answered {response.status_code}: {response.text}")
    return time.monotonic() - start


def one_run(uploads: int, delay: float, database_url: str | None) -> tuple[float, list[float]]:
    example = sorted(example_path().glob("*.txt"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        process, url = start_server(Path(tmp), database_url)
        started = time.monotonic() - start
        try:
            time.sleep(delay)
            client = httpx.Client(base_url=url, timeout=600)
            account = {"username": "clinic", "password": PASSWORD}
            client.post("/api/register", json=account).raise_for_status()
            token = client.post("/api/login", json=account).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            times = [timed_upload(client, headers, example.name, example.read_bytes()) for _ in range(uploads)]
        finally:
            process.terminate()
            process.wait(timeout=30)
    return started, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="fresh servers, one after the other")
    parser.add_argument("--uploads", type=int, default=2, help="uploads per run, one after the other")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait after /healthz answers")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for run in range(args.runs):
        load = os.getloadavg()[0]
        started, times = one_run(args.uploads, args.delay, args.database_url)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"run {run + 1}: start-up {started:.1f} s; uploads (s, in order): {shown}; load average {load:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
