"""A Dask run of ``analyze`` with a large taxonomy: time and peak memory.

    python benchmarks/bench_dask_taxonomy.py                    # printed only
    python benchmarks/bench_dask_taxonomy.py --write-results    # also benchmarks/results/dask-taxonomy.md
    PYTHONPATH=/tmp/before/src python benchmarks/bench_dask_taxonomy.py   # an older gutbalance, for before/after

Per-sample feature tables of ASV hashes and one ``taxonomy.tsv`` naming
``--features`` features (SILVA-sized: SILVA 138 NR99 has about 400,000
sequences), of which each table uses 150 (genera of the knowledge base, so
the tables score).  The run is ``gutbalance.pipeline.run(..., dask="local",
jobs=2)``, a LocalCluster of 2 single-threaded workers, with
``--chunk-files`` tables per chunk, in a child process; this process samples
the RSS of that child and of every process under it (scheduler and client
in the child, 2 nannies, 2 workers) every 50 ms and reports the peaks.  The
same input is then scored by the local process pool (``jobs=2``) and
without either (``jobs=1``), and the outputs are compared byte for byte.

The synthetic input is fixed by ``--seed``; which gutbalance runs is the
one ``import gutbalance`` finds (its path is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "dask-taxonomy.md"
GENERA = ("Bacteroides", "Blautia", "Roseburia", "Akkermansia", "Faecalibacterium", "Prevotella", "Bifidobacterium",
          "Escherichia", "Ruminococcus", "Eubacterium", "Alistipes", "Parabacteroides", "Coprococcus", "Dorea")
FEATURES_PER_TABLE = 150

CHILD = """
import sys, time
from gutbalance.pipeline import run
start = time.perf_counter()
summary = run([sys.argv[1]], sys.argv[2], dask=sys.argv[3] or None, jobs=int(sys.argv[4]),
              chunk_files=int(sys.argv[5]), progress=False)
print(f"{time.perf_counter() - start:.3f} {summary.n_samples} {summary.n_chunks}")
"""


def make_input(folder: Path, n_features: int, n_tables: int, seed: int) -> None:
    """``n_tables`` one-sample tables and one taxonomy.tsv of ``n_features`` SILVA-style lineages."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    ids = [hashlib.md5(f"asv{k}".encode()).hexdigest() for k in range(n_features)]
    genus = rng.integers(0, len(GENERA), size=n_features)
    lines = ["Feature ID\tTaxon\tConfidence\n"]
    for k, fid in enumerate(ids):
        g = GENERA[genus[k]]
        lines.append(f"{fid}\td__Bacteria; p__Phylum{k % 40}; c__Class{k % 200}; o__Order{k % 900}; "
                     f"f__Family{k % 3000}; g__{g}; s__{g}_sp{k}\t0.{k % 1000:03d}\n")
    (folder / "taxonomy.tsv").write_text("".join(lines))
    for i in range(n_tables):
        picked = rng.choice(n_features, size=FEATURES_PER_TABLE, replace=False)
        counts = rng.integers(1, 500, size=FEATURES_PER_TABLE)
        rows = "".join(f"{ids[k]}\t{c}\n" for k, c in zip(picked, counts, strict=True))
        (folder / f"T{i:04d}.tsv").write_text(f"#OTU ID\tS{i:04d}\n{rows}")


def measured_run(folder: Path, out: Path, *, dask: str, jobs: int, chunk_files: int) -> dict:
    """Run the pipeline in a child process; wall time and the peaks of its process tree's RSS."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(out), dask, str(jobs), str(chunk_files)],
                            stdout=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    peak_total = peak_main = peak_worker = 0
    while proc.poll() is None:
        try:
            main = parent.memory_info().rss
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        rss = []
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):  # a process that ended meanwhile
                rss.append(child.memory_info().rss)
        peak_main = max(peak_main, main)
        peak_worker = max([peak_worker, *rss])
        peak_total = max(peak_total, main + sum(rss))
        time.sleep(0.05)
    stdout, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the run failed ({proc.returncode})")
    seconds, n_samples, n_chunks = stdout.split()[-3:]
    return {"seconds": float(seconds), "samples": int(n_samples), "chunks": int(n_chunks),
            "total": peak_total / 2**20, "main": peak_main / 2**20, "worker": peak_worker / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=400_000)
    ap.add_argument("--tables", type=int, default=60)
    ap.add_argument("--chunk-files", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write-results", action="store_true")
    args = ap.parse_args()
    where = subprocess.run([sys.executable, "-c", "import gutbalance; print(gutbalance.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="gb-dask-taxonomy-") as tmp:
        folder = Path(tmp) / "in"
        make_input(folder, args.features, args.tables, args.seed)
        size = (folder / "taxonomy.tsv").stat().st_size / 2**20
        dask = measured_run(folder, Path(tmp) / "dask", dask="local", jobs=2, chunk_files=args.chunk_files)
        pool = measured_run(folder, Path(tmp) / "pool", dask="", jobs=2, chunk_files=args.chunk_files)
        alone = measured_run(folder, Path(tmp) / "alone", dask="", jobs=1, chunk_files=args.chunk_files)
        same = all((Path(tmp) / run / n).read_bytes() == (Path(tmp) / "alone" / n).read_bytes()
                   for run in ("dask", "pool") for n in ("scores.tsv", "scores.json", "problems.tsv"))
    text = "\n".join([
        f"gutbalance: {where}",
        f"input: {args.tables} one-sample tables x {FEATURES_PER_TABLE} ASVs, taxonomy.tsv of {args.features:,} "
        f"features ({size:.1f} MiB), {dask['chunks']} chunks of {args.chunk_files}, {dask['samples']} samples scored, "
        f"seed {args.seed}",
        "",
        "| run | wall s | peak RSS, whole tree MiB | main process (client + scheduler) MiB | largest worker MiB |",
        "|---|---|---|---|---|",
        f"| Dask LocalCluster, 2 workers | {dask['seconds']:.1f} | {dask['total']:.0f} | {dask['main']:.0f} | "
        f"{dask['worker']:.0f} |",
        f"| jobs=2, local process pool | {pool['seconds']:.1f} | {pool['total']:.0f} | {pool['main']:.0f} | "
        f"{pool['worker']:.0f} |",
        f"| jobs=1, no Dask | {alone['seconds']:.1f} | {alone['total']:.0f} | {alone['main']:.0f} | - |",
        "",
        f"outputs byte-identical (scores.tsv, scores.json, problems.tsv): {same}",
    ])
    print(text)
    if args.write_results:
        RESULTS.write_text(f"# Dask run with a large taxonomy (`benchmarks/bench_dask_taxonomy.py`)\n\n{text}\n")
    if not same:
        raise SystemExit("the Dask or process-pool run's outputs differ from the run in one process")


if __name__ == "__main__":
    main()
