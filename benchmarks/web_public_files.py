"""Upload real public files to the web app one at a time, as a clinic would,
and say what each got: status, samples stored, the message of a refusal,
time from sending to stored (through the 202 and its job), then read one
stored sample's report and export and delete the account.

It starts its own ``gutbalance serve`` (SQLite in a temporary folder, or
``--database-url``) on a free port of 127.0.0.1, as ``load_web.py`` does.
Files are given on the command line; nothing is fetched.

    python benchmarks/web_public_files.py /work/outside-data/gan_gmhi/tables/validation_abundance.csv \\
        ../shared/data/profiles/kefir_metaphlan3/Subj001_time1_S1_metaphlan3.txt
    python benchmarks/web_public_files.py --database-url postgresql+psycopg://postgres@127.0.0.1:55433/trial FILES...

Times are wall-clock on a shared machine: read them as an order of size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import start_server  # noqa: E402

PASSWORD = "violet tractor midnight"


def upload(client: httpx.Client, headers: dict[str, str], path: Path) -> tuple[int, int, str, float]:
    """(status, samples stored, message, seconds) of one upload, waiting for its job."""
    start = time.monotonic()
    with path.open("rb") as fh:
        response = client.post("/api/samples", headers=headers, files={"file": (path.name, fh)})
    if response.status_code == 202:
        job = response.json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.25)
            job = client.get(job["url"], headers=headers).json()
        status = (207 if job["problems"] else 201) if job["status"] == "done" else job["error_status"]
        message = job["error"] or "; ".join(f"{p['file']}: {p['problem']}" for p in job["problems"])
        return status, len(job["samples"]), message, time.monotonic() - start
    body = response.json()
    if response.status_code == 201:
        return 201, len(body), "", time.monotonic() - start
    if response.status_code == 207:  # a zip with files left out: the job names each
        left_out = "; ".join(f"{p['file']}: {p['problem']}" for p in body["problems"])
        return 207, len(body["samples"]), f"left out: {left_out}", time.monotonic() - start
    return response.status_code, 0, str(body.get("detail", "")), time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp), args.database_url)
        try:
            client = httpx.Client(base_url=url, timeout=600)
            client.post("/api/register", json={"username": "clinic", "password": PASSWORD}).raise_for_status()
            token = client.post("/api/login", json={"username": "clinic", "password": PASSWORD}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            print("status\tsamples\tseconds\tfile\tmessage")
            for path in args.files:
                status, samples, message, seconds = upload(client, headers, path)
                print(f"{status}\t{samples}\t{seconds:.2f}\t{path.name}\t{message}")
            listed = client.get("/api/samples", headers=headers)
            stored, total = listed.json(), int(listed.headers["X-Total-Count"])
            if stored:
                start = time.monotonic()
                report = client.get(f"/api/samples/{stored[-1]['id']}/report", headers=headers)
                print(f"report of {stored[-1]['name']}: {report.status_code}, {len(report.content):,} bytes, {time.monotonic() - start:.2f} s")
            start = time.monotonic()
            export = client.get("/api/account/export", headers=headers)
            print(f"export of {total} samples: {export.status_code}, {len(export.content):,} bytes, {time.monotonic() - start:.2f} s")
            start = time.monotonic()
            deleted = client.request("DELETE", "/api/account", headers=headers, json={"password": PASSWORD})
            print(f"account deleted: {deleted.status_code}, {time.monotonic() - start:.2f} s")
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
