#!/usr/bin/env python3
"""Draw knowledge-base rows at random for an audit against their sources.

The rows are the hand-curated claims of the knowledge base: every data row of
``knowledge/data/curated.tsv`` and ``knowledge/data/duvallet2017.tsv``.  The
derived tables (``vital2014.tsv``, ``braccia2021_h2s.tsv``, ``bugphyzz.tsv``,
``gmhi.tsv``) are written by ``scripts/build_traits.py`` from the published
lists under ``../shared/data`` and are not drawn by default: their fidelity
to the source is the build script's, not a curator's reading of a paper.
``--derived N`` draws N more rows from the derived tables of single calls
(``bugphyzz.tsv``, ``braccia2021_h2s.tsv``, ``vital2014.tsv``) and
``--parameters N`` N rows of the pillar parameters
(``pillars/data/parameters.tsv``), the rows audited least; each from its own
random stream, so adding them leaves the curated draw of a seed unchanged.

Rows are numbered as an editor counts lines (comments included), so each
drawn row can be found again in the file at the commit the audit names.

    python scripts/audit_sample.py [--seed 20261127] [-n 25] [--derived 0] [--parameters 0]

The audit of issue 12 (second round) used the defaults; the third round drew
``--seed 20261128 -n 20``, the fourth ``--seed 20261129 -n 20 --derived 4
--parameters 3``, the fifth ``--seed 20261130 -n 20 --derived 5 --parameters 3``
(rows audited before were skipped by hand, by taxon and trait).  Their tables are in docs/knowledge-base.md
("Audits of the curated rows").
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "gutbalance" / "knowledge" / "data"
PARAMETERS = ROOT / "src" / "gutbalance" / "pillars" / "data" / "parameters.tsv"
TABLES = ("curated.tsv", "duvallet2017.tsv")
DERIVED = ("bugphyzz.tsv", "braccia2021_h2s.tsv", "vital2014.tsv")
SHOWN = ("taxon", "rank", "trait", "value", "evidence", "source", "host", "strain_specific")


def claim_rows(paths: tuple[Path, ...] = tuple(DATA / name for name in TABLES)) -> list[tuple[str, int, dict[str, str]]]:
    """Every data row of the tables (the curated ones by default): (file, line as an editor counts it, fields)."""
    rows: list[tuple[str, int, dict[str, str]]] = []
    for path in paths:
        name = path.name
        header: list[str] | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
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
    parser.add_argument("--derived", type=int, default=0, help="rows also drawn from bugphyzz, Braccia and Vital")
    parser.add_argument("--parameters", type=int, default=0, help="rows also drawn from the pillar parameters")
    args = parser.parse_args()
    rows = claim_rows()
    drawn = sorted(random.Random(args.seed).sample(range(len(rows)), args.n))
    print(f"# {args.n} of {len(rows)} curated rows, seed {args.seed}")
    print("\t".join(("file", "line", *SHOWN)))
    for index in drawn:
        name, number, fields = rows[index]
        print("\t".join((name, str(number), *(fields.get(key, "") for key in SHOWN))))
    for label, paths, count, shown in (
        ("derived", tuple(DATA / name for name in DERIVED), args.derived, SHOWN),
        ("parameter", (PARAMETERS,), args.parameters, ("parameter", "value", "status", "source", "note")),
    ):
        if not count:
            continue
        extra = claim_rows(paths)
        picked = sorted(random.Random(f"{args.seed}-{label}").sample(range(len(extra)), count))
        print(f"# {count} of {len(extra)} {label} rows, seed {args.seed}-{label}")
        print("\t".join(("file", "line", *shown)))
        for index in picked:
            name, number, fields = extra[index]
            print("\t".join((name, str(number), *(fields.get(key, "") for key in shown))))


if __name__ == "__main__":
    main()
