"""What resolving taxonomy against the lineage table costs per file (issue 11).
Run from the repository root:

    python benchmarks/bench_placement.py            # 2,000 synthetic MetaPhlAn 3 files
    python benchmarks/bench_placement.py --files 500

Measures, in one process, on the profiles of benchmarks/bench_cohort.py
(MetaPhlAn 3 lineages of the real profiles, 40-160 species each, every clade
row; fixed seed):

1. ``place_profile`` on every profile as read (the fast path: already where
   the table puts every taxon);
2. the same profiles forced through the rebuild (own abundances, resolution,
   clades summed again: what a species-only or GTDB-named file costs);
3. ``build_cohort`` of all profiles with and without the placement step.

Results are printed as a Markdown table.  Timings are the best of three.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()

    import bench_cohort

    from gutbalance import cohort as cohort_module
    from gutbalance.cohort import build as cohort_build
    from gutbalance.io import read_profiles
    from gutbalance.taxonomy.placement import lineage_table

    pool = bench_cohort.species_pool()
    rng = np.random.default_rng(7)
    profiles = []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.files):
            path = Path(folder) / f"S{i}_profile.txt"
            path.write_text(bench_cohort.profile_text(pool, rng))
            profiles.extend(read_profiles(path))
    lineage_table()
    n = len(profiles)
    rows_per = sum(len(p.lineages) for p in profiles) / n

    place = cohort_module.place_profile
    t_fast = best_of(lambda: [place(p) for p in profiles])
    t_rebuild = best_of(lambda: [cohort_module._rebuild(p, cohort_module._reported_ids(p)) for p in profiles])
    t_with = best_of(lambda: cohort_module.build_cohort(profiles, validate=False))
    # Set where CohortBuilder.add reads it (gutbalance.cohort.build), not on the package.
    cohort_build.place_profile = lambda p: p
    try:
        t_without = best_of(lambda: cohort_module.build_cohort(profiles, validate=False))
    finally:
        cohort_build.place_profile = place

    rows = [
        ("place_profile, profiles as MetaPhlAn writes them (fast path)", f"{1e3 * t_fast / n:.3f} ms/profile"),
        ("the same forced through the rebuild (species-only, GTDB inputs)", f"{1e3 * t_rebuild / n:.3f} ms/profile"),
        ("build_cohort with placement", f"{t_with:.2f} s ({1e3 * t_with / n:.3f} ms/profile)"),
        ("build_cohort without placement", f"{t_without:.2f} s ({1e3 * t_without / n:.3f} ms/profile)"),
    ]
    print(f"{n:,} profiles, {rows_per:.0f} rows each\n")
    print("| measurement | time |\n|---|---|")
    for a, b in rows:
        print(f"| {a} | {b} |")


if __name__ == "__main__":
    main()
