"""What starting costs: CPU time of importing gutbalance's entry points, and
which slow libraries each one loads.  Run from the repository root:

    python benchmarks/bench_imports.py [--rounds 7] [--against OLD/src ...]

Each line is run in a fresh interpreter (``python -c LINE``) and timed as the
CPU time (user + system) of that child, from ``resource.getrusage`` (wall
time on a shared machine says more about the neighbours than about the code;
CPU time still rises under load, so figures taken then are pessimistic).
``--against DIR`` (the ``src`` folder of another checkout, e.g. from ``git
archive <commit> src | tar -x -C /tmp/base``) times that version too, on
``PYTHONPATH``, interleaved round by round with this one so both see the same
load; the table gives the mean and the spread (min-max) of the rounds.

The last column names the slow libraries each line loaded (scikit-learn,
``scipy.stats``, ``scipy.integrate``, biom-format, h5py, anndata, asyncio):
what a MetaPhlAn run, a simulation or loading a model do not need
(docs/scaling.md, "Issue 13: not slower").
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"

LINES = {
    "import gutbalance": "import gutbalance",
    "import gutbalance.pipeline": "import gutbalance.pipeline",
    "import gutbalance.simulate": "import gutbalance.simulate",
    "simulate 5 days": (
        "from gutbalance.simulate import Scenario, simulate\nsimulate(scenario=Scenario(days=5))"
    ),
}
SLOW = ("sklearn", "scipy.stats", "scipy.integrate", "biom", "h5py", "anndata", "asyncio")
PROBE = "\nimport sys\nprint(','.join(m for m in {slow!r} if m in sys.modules))\n"


def run_once(line: str, src: Path) -> tuple[float, str]:
    """CPU seconds of ``python -c line`` with ``src`` first on the path, and the slow modules it loaded."""
    env = dict(os.environ, PYTHONPATH=str(src))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, "-c", line + PROBE.format(slow=SLOW)], env=env, capture_output=True, text=True, check=True
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--against", action="append", default=[], metavar="SRC", help="another version's src folder")
    args = parser.parse_args()
    versions = {"this": HERE, **{f"v{i + 1} ({p})": Path(p) for i, p in enumerate(args.against)}}
    times: dict[tuple[str, str], list[float]] = {}
    loaded: dict[tuple[str, str], str] = {}
    for _ in range(args.rounds):
        for name, line in LINES.items():
            for label, src in versions.items():
                cpu, slow = run_once(line, src)
                times.setdefault((name, label), []).append(cpu)
                loaded[(name, label)] = slow
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2-core machine: figures under load are pessimistic)")
    print(f"| line | version | CPU s, mean of {args.rounds} | min-max | slow libraries loaded |")
    print("|---|---|---|---|---|")
    for name in LINES:
        for label in versions:
            t = times[(name, label)]
            print(f"| `{name}` | {label} | {statistics.mean(t):.3f} | {min(t):.2f}-{max(t):.2f} | "
                  f"{loaded[(name, label)] or 'none'} |")


if __name__ == "__main__":
    main()
