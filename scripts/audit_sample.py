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
    python scripts/audit_sample.py --unaudited [--seed 20261131] [-n 25]

``--unaudited`` lists the rows of ``curated.tsv`` that no audit table of
docs/knowledge-base.md names (matched by taxon and trait, since line numbers
move between audits), plus every row that still says its source was "not
re-read", in a random order of the seed; after them, in an order of their
own, the rows of a taxon with several rows of one trait (*M. gnavus*
pro-inflammatory in IBD and in spondyloarthritis) whose own row no table
names by its context or its source's author.  ``-n`` keeps the first N (0:
all).

The audit of issue 12 (second round) used the defaults; the third round drew
``--seed 20261128 -n 20``, the fourth ``--seed 20261129 -n 20 --derived 4
--parameters 3``, the fifth ``--seed 20261130 -n 20 --derived 5 --parameters 3``
(rows audited before were skipped by hand, by taxon and trait); the sixth
``--unaudited --seed 20261131``, the seventh ``--unaudited --seed 20261201``
(all 68 rows it listed, so the list is now empty).  Their tables are in docs/knowledge-base.md
("Audits of the curated rows").
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "gutbalance" / "knowledge" / "data"
PARAMETERS = ROOT / "src" / "gutbalance" / "pillars" / "data" / "parameters.tsv"
TABLES = ("curated.tsv", "duvallet2017.tsv")
DERIVED = ("bugphyzz.tsv", "braccia2021_h2s.tsv", "vital2014.tsv")
DOCS = ROOT / "docs" / "knowledge-base.md"
# An audit table row names its claim as "*Taxon* trait words ... (curated:LINE)".
AUDITED = re.compile(r"^\| [A-Z]?\d+ \| (?P<claim>[^|]*?) \(curated:\d+[^)]*\) \|", re.MULTILINE)
# The words an audit table uses for a trait, where they are not the trait's own name.
TRAIT_WORDS = (
    ("mucus specialist", "akkermansia"),
    ("lps producer", "lps_producer"),
    ("tlr4", "lps_tlr4_agonist"),
    ("butyrate cross-feeding", "butyrate_crossfeeding"),
    ("propionate", "propionate_producer"),
    ("folate", "vitamin_b9_synthesis"),
    ("riboflavin", "vitamin_b2_synthesis"),
    ("niacin", "vitamin_b3_synthesis"),
    ("biotin", "vitamin_b7_synthesis"),
    ("facultative anaerobe", "facultative_anaerobe"),
    ("bloom marker", "enterobacteriaceae"),
    ("cobalamin", "vitamin_b12_synthesis"),
    ("pantothenate", "vitamin_b5_synthesis"),
    ("acetate", "acetate_producer"),
    ("colonisation resistance", "colonisation_resistance"),
    ("pyridoxine", "vitamin_b6_synthesis"),
    ("thiamin", "vitamin_b1_synthesis"),
    ("ubiquinone", "ubiquinone_synthesis"),
)
NOT_REREAD = "not re-read"
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


def claim_trait(words: str) -> str:
    """The trait an audit table's words name ("*E. coli* niacin synthesis" -> vitamin_b3_synthesis)."""
    lowered = words.lower()
    for phrase, trait in TRAIT_WORDS:
        if phrase in lowered:
            return trait
    spelled = lowered.replace("-", "_").replace(" ", "_")
    for trait in ("enteric_pathogen", "oral_taxon", "pathobiont", "mucin_degrader", "probiotic", "anti_inflammatory",
                  "pro_inflammatory", "butyrate_producer", "th17_induction", "treg_induction",
                  "menaquinone_synthesis", "obligate_anaerobe", "sulfate_reducer", "th1_induction",
                  "beneficial_commensal"):
        if trait in spelled:
            return trait
    raise SystemExit(f"{DOCS.name}: no trait recognised in audit row {words!r}")


def claim_taxon(words: str, taxa: set[str]) -> str:
    """The curated taxon an audit table's words name: the longest taxon they begin with, abbreviated genera expanded."""
    italic = re.match(r"\*(?P<name>[^*]+)\*(?P<rest>.*)", words)
    name, rest = (italic["name"], italic["rest"]) if italic else (words, "")
    abbreviated = re.fullmatch(r"(?P<initial>[A-Z])\. (?P<epithet>\S+)", name)
    if abbreviated:
        binomials = {" ".join(t.split()[:2]) for t in taxa
                     if t.startswith(abbreviated["initial"]) and t.split()[1:2] == [abbreviated["epithet"]]}
        if len(binomials) == 1:
            (name,) = binomials
    claim = plain(name + rest) + " "
    begun = [taxon for taxon in taxa if claim.startswith(plain(taxon) + " ")]
    if not begun:
        raise SystemExit(f"{DOCS.name}: no curated taxon matches audit row {words!r}")
    return max(begun, key=len)


def plain(name: str) -> str:
    """A name compared without case, dots or hyphens ("sp. BV3C16-1" = "sp BV3C16 1")."""
    return " ".join(re.sub(r"[.\-]", " ", name).lower().split())


def unaudited_rows() -> tuple[list[tuple[str, int, dict[str, str]]], list[tuple[str, int, dict[str, str]]]]:
    """Rows of curated.tsv no audit table names, and every row still saying its source was not re-read; then,
    apart, the rows of a taxon with several rows of one trait whose own row no table names."""
    rows = claim_rows((DATA / "curated.tsv",))
    taxa = {fields["taxon"] for _, _, fields in rows}
    claims: dict[tuple[str, str], list[str]] = {}
    for match in AUDITED.finditer(DOCS.read_text(encoding="utf-8")):
        claim = match["claim"]
        claims.setdefault((claim_taxon(claim, taxa), claim_trait(claim)), []).append(claim)
    pairs = [(fields["taxon"], fields["trait"]) for _, _, fields in rows]
    labels = {fields["id"]: fields["short"] for _, _, fields in claim_rows((DATA / "sources.tsv",))}

    def own_row_named(fields: dict[str, str]) -> bool:
        """The table names this row of the pair: its context or an author of its source."""
        marks = [fields.get("qualifier", "").partition("=")[2], *re.findall(r"[A-Z][\w-]{2,}", labels[fields["source"]])]
        return any(mark and mark in claim for claim in claims[(fields["taxon"], fields["trait"])] for mark in marks)

    left, twins = [], []
    for row in rows:
        fields = row[2]
        pair = (fields["taxon"], fields["trait"])
        if pair not in claims or any(NOT_REREAD in fields.get(key, "") for key in ("note", "effect")):
            left.append(row)
        elif pairs.count(pair) > 1 and not own_row_named(fields):
            twins.append(row)
    return left, twins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("-n", type=int, default=25)
    parser.add_argument("--derived", type=int, default=0, help="rows also drawn from bugphyzz, Braccia and Vital")
    parser.add_argument("--parameters", type=int, default=0, help="rows also drawn from the pillar parameters")
    parser.add_argument("--unaudited", action="store_true", help="the curated rows no audit has checked, in a random order")
    args = parser.parse_args()
    if args.unaudited:
        left, twins = unaudited_rows()
        # the twins follow in an order of their own, so adding them leaves the order of the rest as it was
        drawn = [left[i] for i in random.Random(args.seed).sample(range(len(left)), len(left))]
        drawn += [twins[i] for i in random.Random(f"{args.seed}-twins").sample(range(len(twins)), len(twins))]
        drawn = drawn[: args.n] if args.n else drawn
        print(f"# {len(drawn)} of {len(left) + len(twins)} curated rows: {len(left)} no audit names (or not re-read), "
              f"then {len(twins)} of a taxon's several rows of one trait; seed {args.seed}, in drawn order")
        print("\t".join(("order", "file", "line", *SHOWN)))
        for rank, (name, number, fields) in enumerate(drawn, start=1):
            print("\t".join((str(rank), name, str(number), *(fields.get(key, "") for key in SHOWN))))
        return
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
