#!/usr/bin/env python3
"""Species filed under a genus their names never carried, and what they
inherit from it.

The lineage table keeps the genus a profiler files a species under (MetaPhlAn
3 and GMWI2's clades put *Mediterraneibacter gnavus* under *Blautia*), while
the synonym table renames the species.  Before the inheritance rule of
``knowledge.lookup.inheritance_path`` a species took, for every trait it has
no species row for, the rows of that filed genus (and its family).  This
script lists every species of the lineage table and of the real profiles of
``../shared/data`` (the three labelled sets, kefir, prebiotics, Zeller mOTUs)
whose filed genus is not the genus of its binomial under any of its names
(current or former, ``taxonomy.names_of``), and for each:

- ``filed_genus_traits``: the traits it took from the filed genus under the
  old rule (no species row for them);
- ``filed_family_traits``: the traits it takes from the filed family, where
  that family is not the lineage table's family of its current name's genus
  (the family is kept: see docs/knowledge-base.md, it is listed to be
  checked by eye);
- ``now``: where each of those traits comes from under the rule (the genera
  of its names, then its lineage's family), or ``-`` where nothing gives it.

    python scripts/audit_genus_inheritance.py [--shared ../shared/data] [-o audit.tsv]

Re-runnable; the summary goes in docs/knowledge-base.md ("Genus rows a
species inherits").
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from labelled_sets import load_labelled  # noqa: E402
from shared_data import add_shared_argument  # noqa: E402

import gutbalance  # noqa: E402
from gutbalance.knowledge import load_knowledge  # noqa: E402
from gutbalance.knowledge.lookup import (  # noqa: E402
    _resolved_nodes,
    inheritance_path,
    name_genera,
    placed_in,
    renamed_into,
    species_group_namesake,
)
from gutbalance.knowledge.schema import KB_RANKS  # noqa: E402
from gutbalance.taxonomy import is_unclassified, names_of  # noqa: E402
from gutbalance.taxonomy.placement import lineage_table, table_lineage  # noqa: E402


def table_species() -> dict[str, dict[str, str]]:
    """Every species of the lineage table with its table lineage."""
    out = {}
    for feature_id in lineage_table().parents:
        if feature_id.startswith("s__"):
            lineage = {t.rank: t.name for t in table_lineage(feature_id) if not t.unclassified}
            if "species" in lineage:  # not a placeholder ("Blautia unclassified")
                out[lineage["species"]] = lineage
    return out


def genus_family(genus: str) -> str:
    """The lineage table's family of a genus ("" where the table does not know the genus)."""
    feature_id = f"g__{genus}"
    if feature_id not in lineage_table():
        return ""
    return next((t.name for t in table_lineage(feature_id) if t.rank == "family" and not t.unclassified), "")


def data_species(shared: Path) -> dict[str, dict[str, str]]:
    """Every species of the real profiles, with the lineage the cohort gave it, and the sets it is in."""
    out: dict[str, dict[str, str]] = {}
    cohorts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohorts.append(("labelled", load_labelled(shared)[0]))
        profiles = shared / "profiles"
        for label, folder in (("kefir", profiles / "kefir_metaphlan3"), ("prebiotics", profiles / "prebiotics_metaphlan3"),
                              ("zeller_motus", profiles / "zeller2014_motus3_controls" / "profiles")):
            cohorts.append((label, gutbalance.read(sorted(p for p in folder.iterdir() if p.is_file()))))
    for label, cohort in cohorts:
        taxa = cohort.taxa[(cohort.taxa["rank"] == "species")]
        for _, row in taxa.iterrows():
            lineage = {r: row[r] for r in KB_RANKS if r in row and isinstance(row[r], str) and row[r]
                       and not is_unclassified(row[r])}
            species = lineage.get("species")
            if not species:
                continue
            entry = out.setdefault(species, {**lineage, "sets": ""})
            if label not in entry["sets"].split(","):
                entry["sets"] = ",".join(s for s in (*entry["sets"].split(","), label) if s)
    return out


def old_path(lineage: dict[str, str]) -> list[tuple[str, str]]:
    """The nodes of the rule before: every rank of the lineage as filed (a species group then its namesake)."""
    path = []
    for rank in KB_RANKS:
        if lineage.get(rank):
            path.append((rank, lineage[rank]))
            if rank == "species" and species_group_namesake(lineage[rank]):
                path.append((rank, species_group_namesake(lineage[rank])))
    return path


def moved_calls(species_lineages: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Every species whose call of some trait now comes from another node than before."""
    nodes = _resolved_nodes(load_knowledge())
    rows = []
    for species, lineage in sorted(species_lineages.items()):
        before, after = {}, {}
        for target, path in ((before, old_path(lineage)), (after, inheritance_path(lineage))):
            for rank, taxon in path:
                for trait in nodes.get((rank, taxon), {}):
                    target.setdefault(trait, f"{rank} {taxon}")
        moved = [f"{t}: {before.get(t, '-')} -> {after.get(t, '-')}" for t in sorted(set(before) | set(after))
                 if before.get(t) != after.get(t)]
        if moved:
            rows.append({"species": species, "sets": lineage.get("sets", ""), "moved": "; ".join(moved)})
    return pd.DataFrame(rows, columns=["species", "sets", "moved"])


def audit(species_lineages: dict[str, dict[str, str]]) -> pd.DataFrame:
    nodes = _resolved_nodes(load_knowledge())
    rows = []
    for species, lineage in sorted(species_lineages.items()):
        filed_genus = lineage.get("genus", "")
        filed_family = lineage.get("family", "")
        genera = name_genera(species, filed_genus, placed_in(lineage))
        if not filed_genus or filed_genus in genera:
            continue
        own = set(nodes.get(("species", species), {}))
        from_genus = sorted(set(nodes.get(("genus", filed_genus), {})) - own)
        family = genus_family(species.split(" ", 1)[0])
        from_family = (sorted(set(nodes.get(("family", filed_family), {})) - own - set(from_genus))
                       if family and family != filed_family else [])
        now = []
        path = inheritance_path(lineage)
        for trait in [*from_genus, *from_family]:
            source = next((f"{rank} {taxon}" for rank, taxon in path if trait in nodes.get((rank, taxon), {})), "-")
            now.append(f"{trait}: {source}")
        rows.append({
            "species": species,
            "names": "; ".join(names_of("species", species)),
            "filed_genus": filed_genus,
            "name_genera": ", ".join(genera),
            "filed_family": filed_family,
            "genus_family": family,
            "sets": lineage.get("sets", ""),
            "filed_genus_traits": ", ".join(from_genus),
            "filed_family_traits": ", ".join(from_family),
            "now": "; ".join(now),
        })
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_shared_argument(parser, required=False)
    parser.add_argument("-o", "--output", type=Path,
                        help="write the full audit here (TSV), and every moved call beside it (.moved.tsv)")
    args = parser.parse_args()
    lineages = {s: {**lin, "sets": "table"} for s, lin in table_species().items()}
    if (args.shared / "labelled").is_dir():
        for species, lin in data_species(args.shared).items():
            entry = lineages.setdefault(species, {**lin, "sets": ""})
            entry["sets"] = ",".join(s for s in (*entry["sets"].split(","), *lin["sets"].split(",")) if s)
            if lin.get("genus") != entry.get("genus"):  # the cohort's own filing (a profile's unknown taxon)
                entry["sets"] += f",filed-in-data-under:{lin.get('genus', '')}"
    else:
        print(f"no data at {args.shared}: the lineage table only", file=sys.stderr)
    table = audit(lineages)
    if args.output:
        table.to_csv(args.output, sep="\t", index=False)
    inherits = table[(table["filed_genus_traits"] != "") | (table["filed_family_traits"] != "")]
    in_data = table[table["sets"].str.contains("labelled|kefir|prebiotics|zeller", regex=True)]
    print(f"species filed under a genus none of their names carries: {len(table)} "
          f"({len(in_data)} in the real profiles)")
    print(f"  of which took traits from that genus or family without a species row: {len(inherits)} "
          f"({int(inherits['sets'].str.contains('labelled|kefir|prebiotics|zeller', regex=True).sum())} in the real profiles)")
    print(f"  filed family is not the family of the current name's genus: {int(((table['genus_family'] != '') & (table['filed_family'] != table['genus_family'])).sum())}")
    legacy = sorted(f"{species} ({lin['family']} -> {renamed_into(species, 'f__' + lin['family'])['family']})"
                    for species, lin in lineages.items()
                    if lin.get("family") and renamed_into(species, "f__" + lin["family"]))
    print(f"species moved by a published combination into a genus of another family, taking that family's rows: "
          f"{len(legacy)}: {', '.join(legacy)}")
    moved = moved_calls(lineages)
    if args.output:
        moved.to_csv(args.output.with_suffix(".moved.tsv"), sep="\t", index=False)
    real = moved["sets"].str.contains("labelled|kefir|prebiotics|zeller", regex=True)
    print(f"species any of whose calls now comes from another node: {len(moved)} ({int(real.sum())} in the real profiles)")
    with pd.option_context("display.width", 250, "display.max_colwidth", 120, "display.max_rows", 400):
        print(inherits[["species", "filed_genus", "name_genera", "filed_family", "genus_family", "sets", "now"]]
              .to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
