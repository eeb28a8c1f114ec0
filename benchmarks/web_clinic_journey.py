"""A clinic's journey through the web pages, as its browser makes it (forms,
cookies, CSRF, redirects, the upload page's reloads), against a fresh
``gutbalance serve``: register, upload a zip of real profiles with some
broken files, read what the upload's page says, page through the samples
list by its "next" links, open a sample and its report.

    python benchmarks/web_clinic_journey.py --zip-of ../outside-data/gmwi2_repo/manuscript_raw/data/raw/kefir_metaphlan3_results/*.txt \\
        --broken 2 --also /work/outside-data/gan_gmhi/tables/validation_abundance.csv
    python benchmarks/web_clinic_journey.py --database-url postgresql+psycopg://postgres@127.0.0.1:55433/journey ...

``--broken N`` adds N broken copies of the first profile (truncated mid-line,
then empty, then negative abundance, then not a profile); ``--also`` uploads
more files first (to fill more than one page of the list).  Nothing is
fetched; the server and its data live in a temporary folder.  Times are
wall-clock on a shared machine: read them as an order of size.
"""

from __future__ import annotations

import argparse
import html
import io
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import start_server  # noqa: E402

PASSWORD = "violet tractor midnight"


def broken_files(good: bytes, n: int) -> dict[str, bytes]:
    """``n`` broken variants of a MetaPhlAn profile, named for what is wrong."""
    lines = good.decode().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if "s__" in line and not line.startswith("#"):
            fields = line.rstrip("\n").split("\t")
            fields[2 if len(fields) >= 3 else 1] = "-" + fields[2 if len(fields) >= 3 else 1]
            negative = lines[:i] + ["\t".join(fields) + "\n"] + lines[i + 1 :]
            break
    variants = {
        "broken_truncated_metaphlan3.txt": good[: len(good) // 2 - 3],
        "broken_empty_metaphlan3.txt": b"",
        "broken_negative_metaphlan3.txt": "".join(negative).encode(),
        "broken_notes.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    }
    return dict(list(variants.items())[:n])


def csrf(page: str) -> str:
    """The CSRF value of the page's form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def form_upload(client: httpx.Client, name: str, data: bytes) -> tuple[httpx.Response, float]:
    """Upload through the form and follow it (the upload page reloads itself) to where it ends."""
    start = time.monotonic()
    token = csrf(client.get("/samples").text)
    response = client.post("/samples/upload", data={"csrf_token": token}, files={"file": (name, data)}, follow_redirects=False)
    while response.status_code == 303:
        response = client.get(response.headers["location"], follow_redirects=False)
        if 'http-equiv="refresh"' in response.text:  # still scoring: the page asks the browser to reload it
            time.sleep(1.0)
            response = httpx.Response(303, headers={"location": str(response.url.raw_path.decode())})
    return response, time.monotonic() - start


def text_of(fragment: str) -> str:
    """The words of an HTML fragment, as read."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zip-of", nargs="+", type=Path, required=True, help="profiles to zip, as a clinic zips a folder")
    parser.add_argument("--broken", type=int, default=2, help="broken files added to the zip (0-4)")
    parser.add_argument("--also", nargs="*", type=Path, default=[], help="files uploaded before the zip")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in args.zip_of:
            archive.writestr(f"clinic/{path.name}", path.read_bytes())
        for name, data in broken_files(args.zip_of[0].read_bytes(), args.broken).items():
            archive.writestr(f"clinic/{name}", data)
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp), args.database_url)
        try:
            client = httpx.Client(base_url=url, timeout=600)
            token = csrf(client.get("/register").text)
            registered = client.post("/register", data={"username": "clinic", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
            print(f"register: {registered.status_code} -> {registered.headers.get('location')}")
            for path in args.also:
                page, seconds = form_upload(client, path.name, path.read_bytes())
                print(f"upload {path.name}: {page.status_code} {page.url.path} in {seconds:.1f} s")
            page, seconds = form_upload(client, "clinic.zip", buffer.getvalue())
            print(f"upload clinic.zip ({len(args.zip_of)} profiles, {args.broken} broken): {page.status_code} {page.url.path} in {seconds:.1f} s")
            status = re.search(r'<p role="status">(.*?)</p>', page.text, flags=re.S)
            if status:
                print("  page says: " + text_of(status.group(1)))
            for row in re.findall(r"<tr><td class=\"name\">(.*?)</td><td>(.*?)</td></tr>", page.text, flags=re.S):
                print(f"  left out: {html.unescape(row[0])}: {html.unescape(row[1])}")
            stored = re.findall(r'<td><a href="/samples/([0-9a-f]{32})">', page.text)
            print(f"  samples linked from the upload page: {len(stored)}")
            path, pages, rows, times = "/samples", 0, [], []
            while path:
                start = time.monotonic()
                listing = client.get(path)
                times.append(time.monotonic() - start)
                pages += 1
                rows += re.findall(r'<td><a href="/samples/([0-9a-f]{32})">', listing.text)
                found = re.search(r'<a href="([^"]+)" rel="next">', listing.text)
                path = html.unescape(found.group(1)) if found else ""
                if pages == 1:
                    shown = re.search(r'<p class="small" id="samples-range">(.*?)</p>', listing.text, flags=re.S)
                    print("list, page 1 says: " + (text_of(shown.group(1)) if shown else "(no range)"))
            print(f"list: {pages} pages by their next links, {len(rows)} rows, {len(set(rows))} distinct; "
                  f"slowest page {max(times) * 1000:.0f} ms")
            if stored:
                start = time.monotonic()
                sample = client.get(f"/samples/{stored[0]}")
                report = client.get(f"/samples/{stored[0]}/report")
                name = re.search(r"<h1>Sample (.*?)</h1>", sample.text)
                print(f"sample {html.unescape(name.group(1)) if name else '?'}: page {sample.status_code}, report {report.status_code} "
                      f"({len(report.content):,} bytes) in {time.monotonic() - start:.1f} s")
                not_comparable = "This sample is not compared with healthy people" in report.text
                print(f"  report: percentiles {'withheld (not comparable)' if not_comparable else 'against the healthy reference'}; "
                      f"'No percentile' cards: {report.text.count('No percentile:')}")
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
