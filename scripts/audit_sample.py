#!/usr/bin/env python3
"""Draw knowledge-base rows at random for an audit against their sources.

The rows are the hand-curated claims of the knowledge base: every data row of
``knowledge/data/curated.tsv`` and ``knowledge/data/duvallet2017.tsv``.  The
derived tables (``vital2014.tsv``, ``braccia2021_h2s.tsv``, ``bugphyzz.tsv``,
``gmhi.tsv``) are written by ``scripts/build_traits.py`` from the published
lists under ``../shared/data`` and are not drawn: their fidelity to the
source is the build script's, not a curator's reading of a paper.

Rows are numbered as an editor counts lines (comments included), so each
drawn row can be found again in the file at the commit the audit names.

    python scripts/audit_sample.py [--seed 20261127] [-n 25]

The audit of issue 12 (second round) used the defaults; the third round drew
``--seed 20261128 -n 20``.  Their tables are in docs/knowledge-base.md
("Audits of the curated rows").
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "gutbalance" / "knowledge" / "data"
TABLES = ("curated.tsv", "duvallet2017.tsv")
SHOWN = ("taxon", "rank", "trait", "value", "evidence", "source", "host", "strain_specific")


def claim_rows() -> list[tuple[str, int, dict[str, str]]]:
    """Every data row of the curated tables: (file, line as an editor counts it, fields)."""
    rows: list[tuple[str, int, dict[str, str]]] = []
    for name in TABLES:
        header: list[str] | None = None
        for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                continue
            rows.append((name, number, dict(zip(header, fields, strict=False))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("-n", type=int, default=25)
    args = parser.parse_args()
    rows = claim_rows()
    drawn = sorted(random.Random(args.seed).sample(range(len(rows)), args.n))
    print(f"# {args.n} of {len(rows)} curated rows, seed {args.seed}")
    print("\t".join(("file", "line", *SHOWN)))
    for index in drawn:
        name, number, fields = rows[index]
        print("\t".join((name, str(number), *(fields.get(key, "") for key in SHOWN))))


if __name__ == "__main__":
    main()
