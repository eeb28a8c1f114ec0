#!/usr/bin/env python3
"""How much a change of the knowledge (synonym table, lineage table, knowledge
base) moved the scores: two ``scores.tsv`` of the same inputs, before and after.

Prints, per data set (a ``study`` column of ``--metadata``, else the whole
table) and per score, the number of samples that moved, the largest and the
median absolute change (median over all samples).  With ``--inputs`` (the
profiles the tables were scored from) it also names, for the samples that
moved most, the taxa of ``--taxa`` they hold and at what abundance: the taxa a
synonym-table change renamed are the usual cause.

    python scripts/compare_scores.py BEFORE/scores.tsv AFTER/scores.tsv \
        [--metadata WORK/metadata.tsv] [--inputs PROFILES ...] [--taxa "Lachnospira eligens" ...]

It also says which columns are byte-identical cell by cell, which differ, and
which were added or removed (a new column must leave the others as they were).

Used for docs/validation.md ("Re-calibrated after synonym table 2026.11.2").
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import gutbalance  # noqa: E402

SCORES = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmhi", "gmwi2", "shannon"]


def changes(before: pd.DataFrame, after: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    rows = []
    for group, samples in groups.groupby(groups):
        ids = samples.index.intersection(before.index).intersection(after.index)
        for score in SCORES:
            delta = (after.loc[ids, score] - before.loc[ids, score]).abs()
            both_nan = before.loc[ids, score].isna() & after.loc[ids, score].isna()
            delta = delta.where(~both_nan, 0.0)
            rows.append({"data set": group, "score": score, "samples": len(ids),
                         "moved": int((delta > 1e-9).sum()) + int(delta.isna().sum()),
                         "max": delta.max(), "median": delta.median()})
    return pd.DataFrame(rows)


def column_identity(before: Path, after: Path) -> dict[str, list[str]]:
    """Which columns the two tables share with every cell the same text
    (``same``), which differ in some cell or in their samples (``differ``),
    and which only one of them has (``added``, ``removed``): a new column
    must leave every other column byte-identical, wherever it is placed."""
    def cells(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, sep="\t", index_col=0, dtype=str, keep_default_na=False)

    old, new = cells(before), cells(after)
    shared = [c for c in new.columns if c in old.columns]
    same_rows = old.index.equals(new.index)
    return {
        "same": [c for c in shared if same_rows and old[c].equals(new[c])],
        "differ": [c for c in shared if not (same_rows and old[c].equals(new[c]))],
        "added": [c for c in new.columns if c not in old.columns],
        "removed": [c for c in old.columns if c not in new.columns],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--metadata", type=Path, help="TSV with sample and study columns")
    parser.add_argument("--label", default="all", help="data-set name when there is no metadata")
    parser.add_argument("--inputs", nargs="*", type=Path, default=[])
    parser.add_argument("--taxa", nargs="*", default=[], help="canonical species names to look for")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    before = pd.read_csv(args.before, sep="\t", index_col="sample")
    after = pd.read_csv(args.after, sep="\t", index_col="sample")
    if args.metadata:
        meta = pd.read_csv(args.metadata, sep="\t", index_col="sample")
        groups = meta["study"].reindex(after.index).fillna("(no label)")
    else:
        groups = pd.Series(args.label, index=after.index)
    table = changes(before, after, groups)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    identity = column_identity(args.before, args.after)
    print(f"\ncolumns byte-identical: {len(identity['same'])} of {len(identity['same']) + len(identity['differ'])} shared; "
          f"differ: {', '.join(identity['differ']) or 'none'}; added: {', '.join(identity['added']) or 'none'}; "
          f"removed: {', '.join(identity['removed']) or 'none'}")
    pillars = SCORES[:6]
    moved = (after[pillars] - before[pillars]).abs().max(axis=1).sort_values(ascending=False)
    top = moved.head(args.top)
    print(f"\nlargest pillar moves: {', '.join(f'{s} {v:.3f}' for s, v in top.items())}")
    if args.inputs and args.taxa:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort = gutbalance.read([str(p) for p in args.inputs])
        species = cohort.at_rank("species", renormalize=False)
        wanted = [c for c in species.columns if c.split("|")[-1].removeprefix("s__") in set(args.taxa)]
        share = species[wanted]
        for sample in top.index:
            if sample not in share.index:
                continue
            held = share.loc[sample]
            held = held[held > 0].sort_values(ascending=False)
            text = ", ".join(f"{c.split('|')[-1].removeprefix('s__')} {v:.3f}" for c, v in held.items()) or "none"
            print(f"  {sample}: renamed taxa held: {text}")
        present = share.gt(0)
        corr = {c.removeprefix("s__"): float(np.corrcoef(share[c].reindex(moved.index).fillna(0), moved)[0, 1])
                for c in wanted if present[c].sum() > 2}
        print("correlation of each renamed taxon's abundance with the largest pillar move:")
        for name, r in sorted(corr.items(), key=lambda kv: -abs(kv[1]))[:8]:
            print(f"  {name}: r = {r:.2f} (in {int(present['s__' + name].sum())} samples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
