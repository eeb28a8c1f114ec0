"""Time the cohort statistics a cohort report needs (percentiles against the
healthy reference with their comparability notes, group comparisons), as
``gutbalance analyze`` / ``report`` compute them.  Run from the repository root
on a results folder that ``analyze`` wrote (it needs ``scores.tsv`` and
``cohort.h5ad``, e.g. of the benchmark files of ``bench_cohort.py``)::

    python benchmarks/bench_cohort_statistics.py RESULTS [--repeat 3]

Prints the best and every time, and a digest of the percentiles and notes so
two source trees (``PYTHONPATH=OTHER/src``) can be compared for identity.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from gutbalance.io import read
from gutbalance.reference import load_reference
from gutbalance.reference.statistics import cohort_statistics
from gutbalance.report.files import _metadata_frame, score_columns
from gutbalance.scores_table import read_scores

#: Columns of scores.tsv the statistics read besides the scores.
_CONTEXT = ("diversity_rank", "resolved_rank", "missing", "warnings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cohort = read(args.results / "cohort.h5ad")
    scores = read_scores(args.results / "scores.tsv")
    meta = _metadata_frame(cohort, None, scores.index)
    keys = score_columns(scores)
    scores = scores[keys + [c for c in _CONTEXT if c in scores.columns]]
    reference = load_reference()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        stats = cohort_statistics(scores, keys=keys, metadata=meta, reference=reference, group_columns=[])
        times.append(time.perf_counter() - start)
    digest = hashlib.sha256(stats.percentiles.to_csv().encode() + repr(stats.kind_notes).encode()).hexdigest()[:16]
    print(f"cohort_statistics on {len(scores)} samples: best {min(times):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in times)}); digest {digest}")


if __name__ == "__main__":
    main()
