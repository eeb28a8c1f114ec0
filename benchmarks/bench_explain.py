"""What explaining costs: CPU time of one chunk of the batch pipeline
(read, score, contributions, scores.json lines), with and without
contributions.  Run from the repository root:

    python benchmarks/bench_explain.py [--files 1000] [--repeat 3]

CPU time of this process (``time.process_time``), not wall time: on a
machine shared with other jobs, wall time says more about the neighbours than
about the code, while CPU time of one process changes much less (cache and
memory contention still raise it, so figures taken under load are
pessimistic).  The chunk function is what each worker of
``gutbalance analyze`` runs, so files/s per core times the number of workers
bounds the end-to-end rate (``benchmarks/bench_cohort.py`` measures that).
The synthetic MetaPhlAn 3 profiles are those of ``bench_cohort.py``.

On a shared machine, compare two versions in one run rather than at two
different loads: ``--against DIR`` (the ``src`` folder of another checkout,
e.g. from ``git archive <commit> src | tar -x -C /tmp/base``) times both
versions in fresh processes, alternating, and reports the best of each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cohort import write_files  # noqa: E402


def chunk_times(files: list[str], repeat: int) -> dict[str, list[float]]:
    """CPU seconds of score_files over ``files``, ``repeat`` times, with and without contributions."""
    from gutbalance.pipeline import _warm_caches, score_files

    _warm_caches()
    score_files(files[:20])  # imports and first-call caches
    out: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(repeat):
        for contributions in (True, False):
            t = time.process_time()
            score_files(files, contributions=contributions)
            out["on" if contributions else "off"].append(time.process_time() - t)
    return out


def compare(args) -> None:
    """This checkout against ``args.against``, alternating fresh processes."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    work = Path(tempfile.mkdtemp(prefix="gutbalance-explain-"))
    best: dict[tuple[str, str], float] = {}
    try:
        write_files(work, args.files)
        for _ in range(args.repeat):
            for label, src in (("against", args.against), ("this", here)):
                env = {**os.environ, "PYTHONPATH": src}
                done = subprocess.run([sys.executable, __file__, "--folder", str(work), "--repeat", "1"], env=env,
                                      capture_output=True, text=True, check=True)
                for mode, times in json.loads(done.stdout.strip().splitlines()[-1]).items():
                    best[label, mode] = min(best.get((label, mode), float("inf")), *times)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"| chunk of {args.files:,} files | {args.against} | this checkout | |")
    print("|---|---|---|---|")
    for mode in ("on", "off"):
        a, b = best["against", mode], best["this", mode]
        print(f"| contributions {mode} | {a:.2f} s CPU | {b:.2f} s | {a / b:.2f}x |")
    a = best["against", "on"] - best["against", "off"]
    b = best["this", "on"] - best["this", "off"]
    print(f"| cost of explaining | {a:.2f} s | {b:.2f} s | {a / b:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", default=None, help="src folder of another version to compare with")
    parser.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.folder:
        print(json.dumps(chunk_times(sorted(str(p) for p in Path(args.folder).iterdir()), args.repeat)))
        return
    if args.against:
        compare(args)
        return
    from gutbalance.pipeline import _warm_caches, score_files

    work = Path(tempfile.mkdtemp(prefix="gutbalance-explain-"))
    try:
        write_files(work, args.files)
        files = sorted(str(p) for p in work.iterdir())
        _warm_caches()
        score_files(files[:20])  # imports and first-call caches
        rows = []
        for contributions in (True, False):
            times = []
            for _ in range(args.repeat):
                t = time.process_time()
                score_files(files, contributions=contributions)
                times.append(time.process_time() - t)
            best, median = min(times), statistics.median(times)
            rows.append((contributions, best, median))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"| contributions | CPU s per {args.files:,} files (best / median of {args.repeat}) | files/s per core (best) |")
    print("|---|---|---|")
    for contributions, best, median in rows:
        print(f"| {'on' if contributions else 'off'} | {best:.2f} / {median:.2f} | {args.files / best:,.0f} |")


if __name__ == "__main__":
    main()
