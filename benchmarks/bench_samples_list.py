"""Time the samples list (the ``/samples`` page and ``GET /api/samples``) of an
account holding many samples: page 1 and the last page.

The account is filled straight through the database (one real example
profile, scored once by the web app's own ingest, stored ``--samples``
times under distinct names, a subject for every second sample), so the
setup takes seconds and the timings are of the list only.  The app runs in
process (Starlette's ``TestClient``), SQLite in a temporary folder or
``--database-url`` (a database of its own: the script creates its tables).

    python benchmarks/bench_samples_list.py --samples 20000
    python benchmarks/bench_samples_list.py --samples 20000 --database-url postgresql+psycopg://postgres@127.0.0.1:55433/bench_list

Before the list was paged, page 1 and page N were the same request (every
sample); the script asks for the last page (``?page=`` of the HTML list,
``?offset=`` of the API, 100 samples a page) all the same, which an unpaged
app ignores.  Medians of ``--repeat`` requests; wall-clock on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from starlette.testclient import TestClient

from gutbalance.example import example_path
from gutbalance.web import create_app, ingest, load_settings
from gutbalance.web.models import Sample, User

PASSWORD = "violet tractor midnight"


def fill(app, username: str, n: int) -> None:
    """Store ``n`` samples for ``username`` (a real scored example profile, renamed)."""
    example = sorted(example_path().glob("*.txt"))[0]
    (scored,) = ingest.score_upload(example.read_bytes(), filename=example.name)
    with app.state.sessions() as session:
        owner = session.scalar(select(User.id).where(User.username == username))
        day = date(2024, 1, 1)
        rows = [
            {
                "id": f"{i:032x}",
                "owner_id": owner,
                "name": f"S{i:06d}",
                "subject": f"P{i // 20:05d}" if i % 2 == 0 else None,
                "collected": day + timedelta(days=i % 365),
                "source_file": example.name,
                "source_format": scored.source_format,
                "database": scored.database,
                "scores": scored.scores,
                "profile": scored.profile,
                "contributions": scored.contributions,
            }
            for i in range(n)
        ]
        for start in range(0, n, 2000):
            session.execute(insert(Sample), rows[start : start + 2000])
        session.commit()


def timed(client: TestClient, url: str, repeat: int, **kwargs) -> tuple[float, int, int]:
    """(median seconds, status, bytes) of ``repeat`` GETs of ``url``."""
    times, status, size = [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, **kwargs)
        times.append(time.perf_counter() - start)
        status, size = response.status_code, len(response.content)
    return statistics.median(times), status, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = load_settings(data_dir=Path(tmp) / "data", database_url=url, password_hash_memory_kib=1024, password_hash_time_cost=1)
        app = create_app(settings)
        with TestClient(app) as client:
            client.post("/api/register", json={"username": "cohortlab", "password": PASSWORD}).raise_for_status()
            token = client.post("/api/login", json={"username": "cohortlab", "password": PASSWORD}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            login_form = client.get("/login")
            csrf = login_form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "cohortlab", "password": PASSWORD, "csrf_token": csrf}, follow_redirects=False)
            start = time.perf_counter()
            fill(app, "cohortlab", args.samples)
            print(f"stored {args.samples:,} samples in {time.perf_counter() - start:.1f} s ({'SQLite' if not args.database_url else 'PostgreSQL'})")
            last = max(args.samples - 100, 0)
            pages = max(-(-args.samples // 100), 1)
            print("request\tmedian ms\tstatus\tbytes")
            for label, path, kwargs in [
                ("page 1 (HTML)", "/samples", {}),
                (f"page {pages:,} (HTML)", f"/samples?page={pages}", {}),
                ("page 1 (API)", "/api/samples", {"headers": headers}),
                (f"offset {last:,} (API)", f"/api/samples?offset={last}", {"headers": headers}),
            ]:
                seconds, status, size = timed(client, path, args.repeat, **kwargs)
                print(f"{label}\t{seconds * 1000:,.0f}\t{status}\t{size:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
