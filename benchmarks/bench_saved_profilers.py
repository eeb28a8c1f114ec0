"""What reading each sample's profiler family back from a results folder
costs (:func:`gutbalance.reference.comparability.saved_profilers`, run by
``gutbalance report DIR`` when the profiles are not at hand), A/B between
source trees.  Run from the repository root:

    python benchmarks/bench_saved_profilers.py --samples 2000 /path/to/other/src src

The same synthetic MetaPhlAn files as ``bench_cohort.py`` (same seed) are
scored once into a results folder (``analyze --reports none``, with the
first tree); then each round times, per tree in its own interpreter
(interleaved), ``saved_profilers`` on that folder's ``scores.tsv`` with its
``scores.json`` entries (the family read from ``percentiles_against``), without
them (a folder whose ``scores.json`` is gone: read from the warnings, else
the saved percentiles) and without the warnings either (every sample read
from its saved percentiles against the shipped reference).  Printed per
run: seconds of CPU time for each; the results of every tree are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cohort import write_files  # noqa: E402  (the benchmarks folder is not a package)

CHILD = """
import hashlib, json, sys, time
from pathlib import Path
from gutbalance.reference import load_reference
from gutbalance.reference.comparability import saved_profilers
from gutbalance.report import read_contributions
from gutbalance.scores_table import read_scores
out = Path(sys.argv[1])
scores = read_scores(out / "scores.tsv", percentiles=True)
contributions = read_contributions(out / "scores.json")
shipped = load_reference()
result = {}
bare = scores.drop(columns=["warnings"])
cases = {"with_scores_json": (scores, contributions), "without_scores_json": (scores, None),
         "percentiles_only": (bare, None)}
for name, (table, given) in cases.items():
    t = time.process_time()
    found = saved_profilers(table, given, shipped=shipped)
    result[name] = time.process_time() - t
    result[name + "_digest"] = hashlib.sha256("\\n".join(f"{k}\\t{v}" for k, v in found.items()).encode()).hexdigest()
    result[name + "_families"] = found.value_counts().to_dict()
print(json.dumps(result))
"""


def run_child(src: Path, results: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    done = subprocess.run([sys.executable, "-c", CHILD, str(results)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path, help="src folders to compare")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=Path, help="a results folder to reuse (made here when absent)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results or Path(tmp) / "results"
        if not (results / "scores.tsv").exists():
            inputs = Path(tmp) / "profiles"
            write_files(inputs, args.samples)
            env = {**os.environ, "PYTHONPATH": str(args.trees[0].resolve())}
            subprocess.run([sys.executable, "-m", "gutbalance", "analyze", str(inputs), "-o", str(results),
                            "--reports", "none", "-j", "1", "--no-progress"], env=env, check=True,
                           capture_output=True)
        times: dict[Path, dict[str, list[float]]] = {
            t: {"with_scores_json": [], "without_scores_json": [], "percentiles_only": []} for t in args.trees}
        digests: dict[Path, tuple] = {}
        for _ in range(args.rounds):
            for tree in args.trees:
                got = run_child(tree, results)
                for key in times[tree]:
                    times[tree][key].append(got[key])
                digests[tree] = (got["with_scores_json_digest"], got["without_scores_json_digest"],
                                 got["percentiles_only_digest"], got["percentiles_only_families"])
        for tree in args.trees:
            cells = ", ".join(f"{k} median {statistics.median(v):.3f} s CPU" for k, v in times[tree].items())
            print(f"{tree}: {cells}; families from the percentiles {digests[tree][3]}")
        same = len({d[:3] for d in digests.values()}) == 1
        print("results identical across trees" if same else "RESULTS DIFFER across trees")


if __name__ == "__main__":
    main()
