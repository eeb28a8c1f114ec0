"""Write real profiles in every format gutbalance writes, read them back and
compare the scores with those of the original.

    python scripts/check_round_trips.py ../shared/data/profiles/kefir_metaphlan3/*.txt

Prints, per written format, the largest absolute difference over the given
files of any pillar, immune_support, GMHI, GMWI2 and Shannon (0 = identical),
and for how many files the writer refused the profile (a Kraken report is
written only from reads counted: docs/formats.md).  A Bracken table holds
species only, so its scores are not the profile's: for it the figure is the
largest difference of a species' share of the sample's species (1e-12 is the
bar; a Kraken report or Bracken table as input, as relative profiles are refused).
The figures are quoted in docs/formats.md.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np

import gutbalance
from gutbalance.errors import GutBalanceError
from gutbalance.scores import score

COMPARED = ["training", "homeostasis", "nutrients", "barrier", "defense", "immune_support", "gmhi", "gmwi2", "shannon"]
#: File name written -> explicit format (None: by suffix).
WRITTEN = {
    "profile.h5ad": None,
    "profile.txt": "metaphlan",
    "merged.tsv": None,
    "long.csv": None,
    "table.json": None,
    "table.biom": None,
    "table.qza": None,
    "report.kreport": "kraken",
    "profile.profile": "cami",
}
#: Written formats that keep one rank: compared by species shares, not scores.
WRITTEN_SPECIES = {"table.bracken": "bracken"}


def _species_shares(cohort):
    """Each species' share of the sample's species, by species name (a
    Bracken table names species without their lineage, so the cohort read
    back keys them by name alone)."""
    species = cohort.at_rank("species")
    species = species.T.groupby(cohort.taxa.loc[species.columns, "name"].to_numpy()).sum().T
    return species.div(species.sum(axis=1), axis=0)


def _written_and_read_back(original, written: Path, fmt: str):
    """``original`` written as ``fmt`` and read again, or None where the writer refuses it."""
    try:
        gutbalance.write(original, written, format=fmt)
    except GutBalanceError:
        return None
    return gutbalance.read(written)


def largest_differences(path: Path, folder: Path) -> dict[str, float]:
    """Per written format, the largest score difference for one input file
    (NaN: the writer refused the profile)."""
    original = gutbalance.read(path)
    before = score(original)[COMPARED]
    out: dict[str, float] = {}
    for name, fmt in WRITTEN.items():
        reread = _written_and_read_back(original, folder / name, fmt)
        if reread is None:
            out[name] = float("nan")
            continue
        after = score(reread)[COMPARED]
        a, b = before.to_numpy(dtype=float), after.to_numpy(dtype=float)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            out[name] = float("inf")  # a score became missing or appeared
            continue
        both = ~np.isnan(a)
        out[name] = float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0
    for name, fmt in WRITTEN_SPECIES.items():
        reread = _written_and_read_back(original, folder / name, fmt)
        if reread is None:
            out[name] = float("nan")
            continue
        first, back = _species_shares(original), _species_shares(reread)
        # one file per sample, named by the file: compare samples by position
        if sorted(first.columns) != sorted(back.columns) or len(first) != len(back):
            out[name] = float("inf")  # a species or sample lost or gained
            continue
        out[name] = float(np.abs(first.to_numpy() - back[first.columns].to_numpy()).max())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # totals off 100 % are expected in some real profiles
    worst: dict[str, float] = dict.fromkeys([*WRITTEN, *WRITTEN_SPECIES], 0.0)
    refused: dict[str, int] = dict.fromkeys([*WRITTEN, *WRITTEN_SPECIES], 0)
    for path in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            for name, diff in largest_differences(path, Path(tmp)).items():
                if np.isnan(diff):
                    refused[name] += 1
                else:
                    worst[name] = max(worst[name], diff)
    for name, diff in worst.items():
        written = len(args.files) - refused[name]
        note = f"  (refused for {refused[name]} of {len(args.files)} files)" if refused[name] else ""
        print(f"{name:16s} {diff:.2g}{note}" if written else f"{name:16s} -{note}")


if __name__ == "__main__":
    main()
