"""What reading costs: CPU time of ``io.read_batch`` (sniff, parse, validate,
place, build the cohort) on the same synthetic MetaPhlAn 3 files as
``bench_cohort.py``, per file.  Run from the repository root:

    python benchmarks/bench_read.py [--files 2000] [--rounds 5]
    python benchmarks/bench_read.py --against /path/to/other/checkout

``--against`` times a second checkout (its ``src/``) on the same files, the
two interleaved round by round (A, B, A, B ...), each in its own process, so
that a neighbour's load falls on both alike.  CPU time of the timing process
(``time.process_time``), not wall time; each process first reads 20 files so
imports and first-call caches are not counted (a worker of ``gutbalance
analyze`` reads chunk after chunk with its caches warm).  On a shared machine
cache and memory contention still raise CPU time: figures taken under load
are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(files_dir: str, repeat: int) -> None:
    """Time read_batch on every file of ``files_dir`` (in the checkout on sys.path)."""
    from gutbalance.io import read_batch
    from gutbalance.pipeline import _warm_caches

    files = sorted(str(p) for p in Path(files_dir).iterdir())
    _warm_caches()
    read_batch(files[:20])
    times = []
    for _ in range(repeat):
        t = time.process_time()
        result = read_batch(files)
        times.append(time.process_time() - t)
        assert result.cohort is not None
        assert result.cohort.n_samples == len(files)
    print(json.dumps({"seconds": times, "files": len(files)}))


def run_child(checkout: Path, files_dir: Path, repeat: int) -> list[float]:
    code = (
        f"import sys; sys.path.insert(0, {str(checkout / 'src')!r}); sys.path.insert(1, {str(ROOT / 'benchmarks')!r});"
        f"import bench_read; bench_read.child({str(files_dir)!r}, {repeat})"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2, help="timed reads per process and round")
    parser.add_argument("--against", type=Path, help="another checkout to time on the same files")
    parser.add_argument("--input", type=Path, help="a folder of profiles to read instead of synthetic ones")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_cohort import write_files

    tmp = None
    if args.input is None:
        tmp = tempfile.TemporaryDirectory(prefix="gutbalance-read-")
        files_dir = Path(tmp.name)
        write_files(files_dir, args.files)
    else:
        files_dir = args.input
    n = sum(1 for _ in files_dir.iterdir())
    checkouts = {"this": ROOT}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    seconds: dict[str, list[float]] = {k: [] for k in checkouts}
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            seconds[name].extend(run_child(checkout, files_dir, args.repeat))
    print(f"read_batch on {n} files, CPU ms per file (median, min over {args.rounds * args.repeat} reads)")
    for name, checkout in checkouts.items():
        per_file = [1000 * s / n for s in seconds[name]]
        print(f"  {name:8s} {statistics.median(per_file):6.3f}  {min(per_file):6.3f}   {checkout}")
    if args.against is not None:
        ratio = statistics.median(seconds["against"]) / statistics.median(seconds["this"])
        print(f"  this is {ratio:.2f}x as fast as against (medians)")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
