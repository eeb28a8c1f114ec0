#!/usr/bin/env python3
"""Build the bundled lineage table ``taxonomy/data/lineages.tsv.gz``.

One row per taxon: its rank, its current name (after
:func:`gutbalance.taxonomy.canonical_name`, so old names and GTDB spellings
land on the same row) and the feature id of its parent.  Every taxon has one
parent, so a taxon gets the same lineage whichever input named it and
whatever else is in the run (see ``docs/lineage-table.md``).

The lineages come from the public data in ``../shared/data`` (read, never
copied), in this order of precedence: a taxon keeps the parent given by the
first source that names it, and later sources only add taxa the earlier ones
did not know (hung from the nearest ancestor already known).

1. ``gmwi2``      GMWI2 coefficients, MetaPhlAn 3 (mpa_v30) clades
                   (Chang, Gupta et al. 2024, doi:10.1038/s41467-024-51651-9).
                   First, so GMWI2's clades keep the tree they were fitted on.
2. ``mpa3``       MetaPhlAn 3 profiles: SRR1761667 (mpa_v30), the kefir and
                   prebiotics studies (mpa_v31), same repository.
3. ``mpa2``       MetaPhlAn 2 lineages of the Franzosa 2019
                   (doi:10.1038/s41564-018-0306-4) and iHMP IBDMDB
                   (doi:10.1038/s41586-019-1237-9) labelled sets.
4. ``ncbi-motus`` NCBI lineages of the mOTUs 3 profiles of Zeller et al. 2014
                   (doi:10.15252/msb.20145645).
5. ``greengenes`` the q2-health-index mock feature table (Greengenes lineages).
6. ``silva``      SILVA lineages of the MDSINE2 healthy-donor ASVs
                   (Gibson, Gerber et al., repository gerberlab/MDSINE2_Paper).
7. ``bugphyzz``   NCBI parent links of every bugphyzz taxon (2024-02-19 export,
                   CC-BY 4.0).
8. ``gtdb-uhgg``  GTDB lineages of the UHGG genomes of Braccia et al. 2021
                   (doi:10.3389/fmicb.2021.705583).

Run from the repository root: ``python scripts/build_lineage_table.py``
(``--shared`` to point at another copy of the data).  The output is committed;
rerunning with the same inputs and the same synonym table gives an identical
file (gzip without a time stamp).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bugphyzz_names import repair_name  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

from gutbalance.io import read_profiles  # noqa: E402
from gutbalance.taxonomy import RANK_INDEX, RANK_PREFIX, parse_lineage, standard_rank, synonym_table, taxon  # noqa: E402
from gutbalance.taxonomy.lineage import Taxon  # noqa: E402

OUT = ROOT / "src" / "gutbalance" / "taxonomy" / "data" / "lineages.tsv.gz"
VERSION = "2026.11.8"

SOURCES = {
    "gmwi2": "doi:10.1038/s41467-024-51651-9 GMWI2 coefficients, MetaPhlAn 3 mpa_v30 clades (danielchang2002/GMWI2, MIT)",
    "mpa3": "doi:10.1038/s41467-024-51651-9 MetaPhlAn 3 profiles (mpa_v30, mpa_v31) of the GMWI2 repository",
    "mpa2": "doi:10.1038/s41564-018-0306-4 doi:10.1038/s41586-019-1237-9 MetaPhlAn 2 lineages of the Franzosa 2019 "
    "and iHMP IBDMDB species tables (borenstein-lab/microbiome-metabolome-curated-data, MIT)",
    "ncbi-motus": "doi:10.15252/msb.20145645 NCBI lineages in the mOTUs 3 profiles of the Zeller 2014 controls "
    "(KoslickiLab/L2-UniFrac-Paper)",
    "greengenes": "Greengenes lineages of the q2-health-index mock feature table (bioinf-mcb/q2-health-index, BSD-3)",
    "silva": "SILVA lineages of the MDSINE2 healthy-donor ASVs (gerberlab/MDSINE2_Paper)",
    "bugphyzz": "NCBI parent links of the bugphyzz 2024-02-19 export (waldronlab/bugphyzzExports, CC-BY 4.0)",
    "gtdb-uhgg": "doi:10.3389/fmicb.2021.705583 GTDB lineages of UHGG genomes (dombraccia/H2S)",
}


class Tree:
    """Taxa by feature id, each with the parent of the first source naming it."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, str, str]] = {}  # id -> (rank, name, parent id, source)

    def add_lineage(self, lineage: tuple[Taxon, ...], source: str) -> None:
        parent = ""
        for node in lineage:
            if node.id not in self.rows:
                self.rows[node.id] = (node.rank, node.name, parent, source)
            parent = node.id

    def add_link(self, child: Taxon, parent: Taxon | None, source: str) -> None:
        if child.id in self.rows:
            return
        if parent is not None and RANK_INDEX[parent.rank] >= RANK_INDEX[child.rank]:
            parent = None
        self.rows[child.id] = (child.rank, child.name, parent.id if parent else "", source)

    def drop_unrooted(self) -> list[str]:
        """Drop every taxon whose parent chain does not reach a domain; their ids.

        bugphyzz names ~950 families and genera as parents that no source
        places (no row of their own), so their chains stop short of a domain.
        Such a rootless row would replace the full lineage a Kraken report
        gives with a stub outside every domain, and would make a taxon's
        ancestors depend on which input named it.  A taxon no source places
        up to a domain is therefore left out of the table: the resolver then
        keeps the input's own lineage below the deepest ancestor the table
        does place (and a bare name stays bare)."""
        rooted: dict[str, bool] = {}

        def reaches_domain(tid: str) -> bool:
            chain = []
            ok = False
            while tid:
                if tid in rooted:
                    ok = rooted[tid]
                    break
                row = self.rows.get(tid)
                if row is None:
                    break
                chain.append(tid)
                if row[0] == "domain":
                    ok = True
                    break
                tid = row[2]
            for t in chain:
                rooted[t] = ok
            return ok

        dropped = [tid for tid in self.rows if not reaches_domain(tid)]
        for tid in dropped:
            del self.rows[tid]
        return dropped

    def check(self) -> None:
        """Every parent chain reaches a domain without a cycle, each parent at a higher rank."""
        for tid, (rank, _, parent, _) in self.rows.items():
            seen = {tid}
            last_rank = rank
            while parent:
                if parent in seen:
                    raise SystemExit(f"cycle through {tid}")
                seen.add(parent)
                prow = self.rows.get(parent)
                if prow is None:
                    raise SystemExit(f"{tid}: parent {parent} has no row, so its chain reaches no domain")
                if RANK_INDEX[prow[0]] >= RANK_INDEX[last_rank]:
                    raise SystemExit(f"{tid}: parent {parent} is not at a higher rank than its child")
                last_rank = prow[0]
                parent = prow[2]
            if last_rank != "domain":
                raise SystemExit(f"{tid}: chain ends at {last_rank}, not at a domain")


def profile_lineages(paths: list[Path]) -> list[tuple[Taxon, ...]]:
    out = []
    for path in paths:
        for profile in read_profiles(path):
            out.extend(profile.lineages)
    return out


def _lineage(text: str) -> tuple[Taxon, ...] | None:
    try:
        return parse_lineage(text)
    except Exception:  # a malformed lineage in a source is skipped, not fatal
        return None


def build(shared: Path) -> Tree:
    tree = Tree()
    # 1. GMWI2 coefficients
    with open(shared / "gmwi2" / "GMWI2_coefficients.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            lin = _lineage(row["taxon"])
            if lin:
                tree.add_lineage(lin, "gmwi2")
    # 2. MetaPhlAn 3 profiles (keep only lineages that start at the domain)
    mpa3 = [shared / "gmwi2" / "SRR1761667_metaphlan.txt"]
    mpa3 += sorted((shared / "profiles" / "kefir_metaphlan3").glob("*.txt"))
    mpa3 += sorted((shared / "profiles" / "prebiotics_metaphlan3").glob("*.txt"))
    for lin in profile_lineages(mpa3):
        tree.add_lineage(lin, "mpa3")
    # 3. MetaPhlAn 2 labelled sets (lineages are the header of a wide table)
    for name in ("franzosa2019_ibd", "ihmp_ibdmdb2019"):
        path = shared / "labelled" / name / "species.tsv"
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")[1:]
        for cell in header:
            lin = _lineage(cell)
            if lin:
                tree.add_lineage(lin, "mpa2")
    # 4. mOTUs 3 / NCBI
    motus = sorted((shared / "profiles" / "zeller2014_motus3_controls" / "profiles").iterdir())
    for lin in profile_lineages([p for p in motus if p.is_file()]):
        if lin[0].rank == "domain":
            tree.add_lineage(lin, "ncbi-motus")
    # 5. Greengenes
    for lin in profile_lineages([shared / "formats" / "qiime2" / "full_taxonomy_mock_feature_table.tsv"]):
        tree.add_lineage(lin, "greengenes")
    # 6. SILVA (rank columns; the species column holds the epithet only)
    with open(shared / "dynamics" / "mdsine2_gibson_healthy" / "silva_species.tsv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    ranks = [standard_rank(c) for c in rows[0]]
    for row in rows[1:]:
        parts = []
        for rank, cell in zip(ranks, row[-len(ranks) :], strict=False):
            if rank is None or not cell or cell == "NA":
                continue
            parts.append(f"{RANK_PREFIX[rank]}__{cell}")
        lin = _lineage(";".join(parts)) if parts else None
        if lin:
            tree.add_lineage(lin, "silva")
    # 7. bugphyzz parent links
    for path in sorted((shared / "traits" / "bugphyzz").glob("*.csv")):
        with open(path, encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                rank = standard_rank(rec.get("Rank") or "")
                prank = standard_rank(rec.get("Parent_rank") or "")
                name = repair_name((rec.get("Taxon_name") or "").strip())
                pname = repair_name((rec.get("Parent_name") or "").strip())
                if rank is None or not name or name == "NA":
                    continue
                child = taxon(rank, name)
                parent = taxon(prank, pname) if prank and pname and pname != "NA" else None
                tree.add_link(child, parent, "bugphyzz")
    # 8. GTDB lineages of UHGG genomes
    h2s = shared / "traits" / "h2s_braccia2021"
    for path in sorted(h2s.iterdir()):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                cell = line.split("\t", 1)[0].strip()
                if cell.startswith("d__"):
                    lin = _lineage(cell)
                    if lin:
                        tree.add_lineage(lin, "gtdb-uhgg")
    dropped = tree.drop_unrooted()
    print(f"{len(dropped)} taxa that no source places up to a domain left out of the table")
    tree.check()
    return tree


def write(tree: Tree, out: Path) -> None:
    buf = io.StringIO()
    buf.write("# gutbalance lineage table\n")
    buf.write(f"# version: {VERSION}\n")
    buf.write(f"# synonyms: {synonym_table().version}\n")
    buf.write("# One row per taxon: rank, current name, feature id of its parent, first source naming it.\n")
    buf.write("# Built by scripts/build_lineage_table.py; see docs/lineage-table.md.\n")
    for key, text in SOURCES.items():
        buf.write(f"# source {key}: {text}\n")
    buf.write("rank\tname\tparent\tsource\n")
    for tid in sorted(tree.rows, key=lambda t: (RANK_INDEX[tree.rows[t][0]], t)):
        rank, name, parent, source = tree.rows[tid]
        buf.write(f"{rank}\t{name}\t{parent}\t{source}\n")
    data = buf.getvalue().encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_shared_argument(parser)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    tree = build(args.shared)
    write(tree, args.out)
    by_source: dict[str, int] = {}
    for _, _, _, source in tree.rows.values():
        by_source[source] = by_source.get(source, 0) + 1
    print(f"{len(tree.rows)} taxa -> {args.out} ({args.out.stat().st_size} bytes)")
    for key, n in by_source.items():
        print(f"  {key}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
