"""How the clade-nesting check (a clade above its parent, or a clade's
children adding up to more than it; ``gutbalance.clade_nesting``) fares on
real files.

    python scripts/check_clade_nesting.py ../shared/data /work/outside-data

Every file under the given paths (up to 200 MB) whose format gutbalance
recognises is sniffed; those in the formats the check applies to
(MetaPhlAn single and merged, sylph) are read, and per file it prints the
samples, how many the check warns about and the largest excess of a
clade over its parent and of a clade's children over it, in percentage
points (negative: every clade below its parent).  The last lines count
files and samples per format, warned ones included, and the largest excess
of the profiles that are not warned about: the margin the tolerance
(``NESTING_TOLERANCE``) leaves.  Files of other formats are counted by
format only (mOTUs and CAMI are not checked: their ranks are estimated
one by one).  The figures are quoted in docs/formats.md.
"""

from __future__ import annotations

import argparse
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from gutbalance.clade_nesting import NESTED_FORMATS, parent_rows, profile_nesting_warnings
from gutbalance.errors import GutBalanceError
from gutbalance.io import read_source
from gutbalance.io.registry import sniff
from gutbalance.io.source import Source

MAX_BYTES = 200 << 20


def excess(lineages, values) -> tuple[float, float]:
    """Largest (child - parent) and (sum of children - parent), as fractions."""
    parent_row = np.asarray(parent_rows(lineages), dtype=np.int64)
    rows = np.flatnonzero(parent_row >= 0)
    if not len(rows):
        return -np.inf, -np.inf
    parents = parent_row[rows]
    sums = np.bincount(parents, weights=values[rows], minlength=len(values))
    return float((values[rows] - values[parents]).max()), float((sums - values)[np.unique(parents)].max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    files = sorted(
        p for root in args.paths for p in ([root] if root.is_file() else root.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.stat().st_size <= MAX_BYTES
    )
    formats: Counter[str] = Counter()
    n_files: Counter[str] = Counter()
    n_samples: Counter[str] = Counter()
    warned_files: Counter[str] = Counter()
    warned_samples: Counter[str] = Counter()
    margin = (-np.inf, -np.inf)
    for path in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                name = sniff(Source.open(path)).name
        except (GutBalanceError, OSError, ValueError):
            continue
        formats[name] += 1
        if name not in NESTED_FORMATS:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                profiles = read_source(Source.open(path), format=name)
        except GutBalanceError as exc:
            print(f"{path}\t{name}\trefused: {exc}")
            continue
        n_files[name] += 1
        warned = 0
        largest = (-np.inf, -np.inf)
        for prof in profiles:
            values = np.asarray(prof.abundance, dtype=float)
            found = profile_nesting_warnings(str(path), prof.sample, prof.lineages, values)
            over = excess(prof.lineages, values)
            largest = (max(largest[0], over[0]), max(largest[1], over[1]))
            if found:
                warned += 1
                for message in found:
                    print(f"  warns: {message}")
            else:
                margin = (max(margin[0], over[0]), max(margin[1], over[1]))
        n_samples[name] += len(profiles)
        warned_samples[name] += warned
        warned_files[name] += warned > 0
        print(f"{path}\t{name}\t{len(profiles)} samples\t{warned} warned\t"
              f"child-parent {100 * largest[0]:.3g} pp\tchildren-parent {100 * largest[1]:.3g} pp")
    for name in sorted(n_files):
        print(f"total {name}: {n_files[name]} files ({warned_files[name]} warned), "
              f"{n_samples[name]} samples ({warned_samples[name]} warned)")
    print(f"largest excess where not warned: child over parent {100 * margin[0]:.3g} pp, "
          f"children over parent {100 * margin[1]:.3g} pp")
    print("other formats (not checked):", dict(sorted((k, v) for k, v in formats.items() if k not in NESTED_FORMATS)))


if __name__ == "__main__":
    main()
