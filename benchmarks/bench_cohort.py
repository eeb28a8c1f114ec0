"""Cohort-scale benchmarks (issue 6).  Run from the repository root:

    python benchmarks/bench_cohort.py --write-results   # full: 20,000 files, 100,000-sample cohort
    python benchmarks/bench_cohort.py --quick           # a smaller smoke run, printed only

Measures, in one run, on this machine:

1. end to end: MetaPhlAn files -> scores.tsv (all columns), local processes;
2. the same input on a 2-worker Dask LocalCluster (byte-identical check);
3. the per-sample approach of the reference tools (one sample read and scored
   at a time), timed on a subset and extrapolated;
4. scoring an in-memory cohort of 100,000 samples (all indices and pillars),
   with peak memory of that process;
5. scikit-bio's alpha diversity on the same in-memory cohort (Shannon,
   per-sample API), timed on a subset and extrapolated.

Synthetic profiles are drawn from the species of the real MetaPhlAn 3
profiles in ../shared/data (lineages as MetaPhlAn writes them) with
log-normal abundances, 40-160 species each; the seed is fixed.  Results are
printed as a Markdown table; only with ``--write-results`` are they also
written to benchmarks/results/cohort.md (cohort-quick.md with ``--quick``),
replacing that file, so a trial run never overwrites the recorded figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from shared_data import shared_data  # noqa: E402  (GUTBALANCE_SHARED_DATA, else ../shared/data)

SHARED = shared_data()


def species_pool() -> list[str]:
    """MetaPhlAn 3 species lineages seen in the real profiles (or the examples)."""
    import gutbalance

    sources = [SHARED / "profiles" / "kefir_metaphlan3", SHARED / "profiles" / "prebiotics_metaphlan3"]
    sources = [s for s in sources if s.is_dir()]
    if not sources:
        print(f"species pool: the built-in examples (no kefir/prebiotics profiles under {SHARED}; "
              "set GUTBALANCE_SHARED_DATA for the figures' pool)", file=sys.stderr)
        sources = [gutbalance.example_path()]
    pool: set[str] = set()
    for folder in sources:
        for f in sorted(folder.iterdir()):
            for line in f.read_text().splitlines():
                clade = line.split("\t", 1)[0]
                if "|s__" in clade and "|t__" not in clade and "k__Viruses" not in clade:
                    pool.add(clade)
    return sorted(pool)


def profile_text(pool: list[str], rng: np.random.Generator) -> str:
    k = int(rng.integers(40, 161))
    chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    weights = rng.lognormal(0.0, 1.5, size=len(chosen))
    unknown = float(rng.uniform(0, 50))
    weights = weights / weights.sum() * (100.0 - unknown)
    clades: dict[str, float] = {}
    for idx, w in zip(chosen, weights, strict=True):
        parts = pool[idx].split("|")
        for depth in range(1, len(parts) + 1):
            key = "|".join(parts[:depth])
            clades[key] = clades.get(key, 0.0) + float(w)
    lines = ["#mpa_v30_CHOCOPhlAn_201901", "#synthetic benchmark profile", "#SampleID\tMetaphlan_Analysis",
             "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species", f"UNKNOWN\t-1\t{unknown!r}\t"]
    for key in sorted(clades, key=lambda c: (c.count("|"), -clades[c])):
        lines.append(f"{key}\t\t{clades[key]!r}\t")
    return "\n".join(lines) + "\n"


def write_files(folder: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    pool = species_pool()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"S{i:06d}_metaphlan.txt").write_text(profile_text(pool, rng))


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def in_memory_child(n: int, seed: int) -> None:
    """Build a synthetic cohort of n samples in memory and score it (runs in
    its own process so its peak memory is measured alone)."""
    import gutbalance
    from gutbalance.cohort import SampleProfile
    from gutbalance.reference import with_percentiles
    from gutbalance.taxonomy import parse_lineage

    rng = np.random.default_rng(seed)
    pool = species_pool()
    lineages = [parse_lineage(p) for p in pool]
    t0 = time.perf_counter()
    profiles = []
    for i in range(n):
        k = int(rng.integers(40, 161))
        chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
        w = rng.lognormal(0.0, 1.5, size=len(chosen))
        unknown = float(rng.uniform(0, 0.5))
        w = w / w.sum() * (1 - unknown)
        profiles.append(SampleProfile(sample=f"S{i}", lineages=[lineages[j] for j in chosen],
                                      abundance=w.tolist(), unassigned=unknown, database="mpa_v30_CHOCOPhlAn_201901"))
    cohort = gutbalance.build_cohort(profiles)
    del profiles
    build = time.perf_counter() - t0
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the scores and their percentiles, as scores.tsv has them
    seconds, table = timed(lambda: with_percentiles(gutbalance.score(cohort), cohort))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # scikit-bio, per-sample API, on a subset (extrapolated)
    from skbio.diversity import alpha_diversity

    matrix, _ = cohort.rank_matrix("species", include_unclassified=False)
    subset = min(n, 2000)
    dense = matrix[:subset].toarray()
    t = time.perf_counter()
    alpha_diversity("shannon", dense, ids=[str(i) for i in range(subset)])
    skbio_per_sample = (time.perf_counter() - t) / subset
    print(json.dumps({
        "n": n, "build_s": build, "score_s": seconds, "columns": len(table.columns),
        "nan": int(table.isna().sum().sum()), "peak_rss_mib": peak / 1024, "rss_before_scoring_mib": base_rss / 1024,
        "skbio_shannon_s_per_sample": skbio_per_sample, "nnz": int(cohort.X.nnz),
    }))


def per_sample_reference(files: list[Path]) -> float:
    """The reference tools' approach: one sample read and scored at a time."""
    import gutbalance
    from gutbalance.reference import with_percentiles

    t = time.perf_counter()
    for f in files:
        cohort = gutbalance.read(f)
        with_percentiles(gutbalance.score(cohort), cohort)
    return (time.perf_counter() - t) / len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--cohort", type=int, default=None)
    parser.add_argument("--write-results", action="store_true",
                        help="also write the table to benchmarks/results/cohort.md (cohort-quick.md with --quick), "
                             "replacing it; without it the table is only printed")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        in_memory_child(args.child, seed=11)
        return
    from gutbalance.pipeline import run

    n_files = args.files or (2000 if args.quick else 20000)
    n_cohort = args.cohort or (10000 if args.quick else 100000)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="gutbalance-bench-"))
    try:
        inputs = work / "profiles"
        t_write, _ = timed(lambda: write_files(inputs, n_files))
        files = sorted(inputs.iterdir())
        print(f"wrote {n_files} synthetic MetaPhlAn files in {t_write:.1f} s", file=sys.stderr)

        t_local, summary = timed(lambda: run([inputs], work / "local", jobs=2, contributions=False, progress=False))
        assert summary.n_samples == n_files, summary
        rows.append(("end to end, files -> scores.tsv, 2 processes", f"{n_files:,} files", f"{t_local:.2f} s",
                     f"{n_files / t_local:,.0f} profiles/s"))
        t_contrib, _ = timed(lambda: run([inputs], work / "local_contrib", jobs=2, contributions=True, progress=False))
        rows.append(("same, with scores.json contributions", f"{n_files:,} files", f"{t_contrib:.2f} s",
                     f"{n_files / t_contrib:,.0f} profiles/s"))

        t_dask, _ = timed(lambda: run([inputs], work / "dask", dask="local", jobs=2, contributions=False,
                                      progress=False))
        identical = (work / "local" / "scores.tsv").read_bytes() == (work / "dask" / "scores.tsv").read_bytes()
        rows.append(("same on a 2-worker Dask LocalCluster", f"{n_files:,} files", f"{t_dask:.2f} s",
                     f"{t_dask / t_local:.2f}x local; byte-identical: {identical}"))

        subset = files[: min(200, len(files))]
        per = per_sample_reference(subset)
        rows.append(("per-sample approach (read + score one at a time)", f"{len(subset)} files timed",
                     f"{per * n_files:.1f} s for {n_files:,} (extrapolated)", f"{1 / per:,.0f} profiles/s"))
        rows.append(("GMWI2 reference script (one process per sample, issue 6)", "as stated in the issue",
                     f"{1.3 * n_files:,.0f} s for {n_files:,}", f"{1 / 1.3:.2f} profiles/s"))

        child = subprocess.run([sys.executable, __file__, "--child", str(n_cohort)], capture_output=True, text=True,
                               check=True)
        stats = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append(("in-memory cohort scored (all indices and pillars)", f"{n_cohort:,} samples",
                     f"{stats['score_s']:.2f} s", f"peak RSS {stats['peak_rss_mib']:,.0f} MiB; "
                     f"{stats['columns']} columns, {stats['nan']} NaN"))
        rows.append(("scikit-bio alpha_diversity('shannon'), per-sample API", f"{n_cohort:,} samples",
                     f"{stats['skbio_shannon_s_per_sample'] * n_cohort:.1f} s (extrapolated from 2,000)",
                     "Shannon only"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = "| measurement | size | time | throughput / notes |\n|---|---|---|---|\n"
    table = header + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows) + "\n"
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    text = f"# Cohort benchmark\n\n{time.strftime('%Y-%m-%d')}, {machine}\n\n{table}"
    print(text)
    if args.write_results:
        out = ROOT / "benchmarks" / "results"
        out.mkdir(parents=True, exist_ok=True)
        target = out / ("cohort-quick.md" if args.quick else "cohort.md")
        target.write_text(text)
        print(f"written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
