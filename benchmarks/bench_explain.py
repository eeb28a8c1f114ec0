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
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cohort import write_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
