"""Files -> scores.tsv (+ scores.json contributions), A/B between source trees,
with wall time and CPU time.  Run from the repository root:

    python benchmarks/bench_files_ab.py --files 20000 --rounds 3 /path/to/other/src src

Each argument is a ``src`` folder holding a ``gutbalance`` package (e.g. a
``git archive`` of another commit, extracted).  The same synthetic MetaPhlAn
files as ``bench_cohort.py`` (same seed) are written once; then each round
runs :func:`gutbalance.pipeline.run` (2 processes, the default options,
contributions on) once per tree, in turn (interleaved, so a change of load
on a shared machine hits both alike), each in a fresh interpreter.  Printed
per run: profiles/s (wall) and CPU seconds per 1,000 files (user + system of
the run's process and its workers): CPU time is the figure to compare when
other work shares the cores, wall time the one a user sees on an idle
machine.  The outputs of every tree are compared byte for byte
(``scores.tsv`` and ``scores.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cohort import write_files  # noqa: E402  (the benchmarks folder is not a package)

CHILD = """
import json, resource, sys, time
from gutbalance.pipeline import run
t = time.perf_counter()
run([sys.argv[1]], sys.argv[2], jobs=2, contributions={contributions}, progress=False)
wall = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"wall": wall, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}}))
"""


def run_once(src: Path, inputs: Path, out: Path, contributions: bool) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    code = CHILD.format(contributions=contributions)
    done = subprocess.run([sys.executable, "-c", code, str(inputs), str(out)], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path, help="src folders to compare")
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-contributions", action="store_true", help="scores.tsv only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gutbalance-ab-"))
    try:
        inputs = work / "profiles"
        write_files(inputs, args.files)
        for r in range(args.rounds):
            for k, tree in enumerate(args.trees):
                out = work / f"out{k}"
                m = run_once(tree, inputs, out, not args.no_contributions)
                print(f"round {r + 1} {tree}: {args.files / m['wall']:,.0f} profiles/s ({m['wall']:.2f} s wall), "
                      f"{1000 * m['cpu'] / args.files:.3f} CPU s per 1,000 files", flush=True)
        for name in ("scores.tsv", "scores.json"):
            texts = [(work / f"out{k}" / name).read_bytes() if (work / f"out{k}" / name).exists() else None
                     for k in range(len(args.trees))]
            sizes = ", ".join(f"{len(t) / args.files / 1000:.1f}" if t is not None else "none" for t in texts)
            print(f"{name}: {'byte-identical' if len(set(texts)) == 1 else 'DIFFERENT'} across the trees "
                  f"(KB per sample: {sizes}; scores.json of format 2 differs from format 1's by design)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
