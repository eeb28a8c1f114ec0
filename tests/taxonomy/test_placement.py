"""The bundled lineage table and resolving lineages against it."""

from __future__ import annotations

import gzip
import math
import sys
from pathlib import Path

import pytest

from gutbalance import SampleProfile
from gutbalance.cohort import place_profile
from gutbalance.taxonomy import parse_lineage, synonym_table, taxon
from gutbalance.taxonomy.placement import is_placed, lineage_table, resolve_lineage, table_lineage

ROOT = Path(__file__).resolve().parents[2]


def ids(lineage):
    return [t.id for t in lineage]


def test_table_is_built_with_the_current_synonyms():
    table = lineage_table()
    assert table.synonyms_version == synonym_table().version, "rerun scripts/build_lineage_table.py"
    assert len(table) > 10_000


def test_species_only_and_genus_only_names_get_full_lineages():
    full = table_lineage("s__Escherichia coli")
    assert ids(full)[:2] == ["k__Bacteria", "p__Pseudomonadota"]
    assert ids(resolve_lineage((taxon("species", "Escherichia coli"),))) == ids(full)
    assert ids(resolve_lineage(parse_lineage("s__Escherichia_coli"))) == ids(full)
    blautia = resolve_lineage((taxon("genus", "Blautia"),))
    assert ids(blautia)[-2:] == ["f__Lachnospiraceae", "g__Blautia"]
    assert is_placed(blautia)


def test_gtdb_and_ncbi_spellings_take_the_same_lineage_as_metaphlan():
    mpa = resolve_lineage(
        parse_lineage(
            "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia|s__Blautia_wexlerae"
        )
    )
    gtdb = resolve_lineage(
        parse_lineage(
            "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae;g__Blautia_A;"
            "s__Blautia_A wexlerae"
        )
    )
    assert ids(gtdb) == ids(mpa)
    ncbi = resolve_lineage((taxon("species", "[Eubacterium] rectale"),))
    assert ids(ncbi) == ids(table_lineage("s__Agathobacter rectalis"))


def test_names_place_what_the_table_does_not_know():
    # an unknown species under the genus of its binomial
    novel = resolve_lineage((taxon("species", "Bacteroides novelspecies"),))
    assert ids(novel) == [*ids(table_lineage("g__Bacteroides")), "s__Bacteroides novelspecies"]
    # a placeholder under the taxon it names, at the nearest rank above
    placeholder = resolve_lineage(parse_lineage("g__Archaeoglobaceae_unclassified"))
    assert len(placeholder) == 1 or placeholder[-2].rank in ("family", "order")
    gemella = resolve_lineage(parse_lineage("s__Gemella_unclassified"))
    assert ids(gemella)[-2:] == ["g__Gemella", "s__Gemella unclassified"]
    # a name nothing can place keeps what the input wrote, and is not placed
    lost = parse_lineage("s__Zzzyx_qwerty")
    assert ids(resolve_lineage(lost)) == ids(lost)
    assert not is_placed(resolve_lineage(lost))


def test_input_spelling_is_kept_for_the_taxa_it_wrote():
    resolved = resolve_lineage(parse_lineage("s__Eubacterium_rectale"))
    assert resolved[-1].original == "Eubacterium_rectale"


def _profile(lineages: list[str], values: list[float], **kw) -> SampleProfile:
    return SampleProfile("S", [parse_lineage(x) for x in lineages], values, **kw)


def test_place_profile_rebuilds_clades_from_own_abundance():
    # A MetaPhlAn 2 lineage whose species the table puts under another genus:
    # the genus row's value must not be counted twice.
    profile = _profile(
        [
            "k__Bacteria",
            "k__Bacteria|p__Firmicutes",
            "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Eubacterium",
            "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Eubacterium|s__Eubacterium_rectale",
            "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Eubacterium|s__Eubacterium_eligens",
        ],
        [1.0, 1.0, 1.0, 0.6, 0.4],
    )
    placed = place_profile(profile)
    values = {lin[-1].id: v for lin, v in zip(placed.lineages, placed.abundance, strict=True)}
    assert values["k__Bacteria"] == pytest.approx(1.0)
    assert values["s__Agathobacter rectalis"] == pytest.approx(0.6)
    genera = sum(v for lin, v in zip(placed.lineages, placed.abundance, strict=True) if lin[-1].rank == "genus")
    assert genera == pytest.approx(1.0)
    assert placed.placed == pytest.approx(1.0)


def test_place_profile_keeps_a_canonical_profile_as_it_is():
    lineages = [ids_ for ids_ in ("k__Bacteria", "k__Bacteria|p__Bacteroidetes")]
    profile = _profile(lineages, [1.0, 1.0])
    placed = place_profile(profile)
    assert placed.lineages is profile.lineages
    assert placed.placed == 1.0


def test_place_profile_nothing_classified_is_nan():
    profile = _profile(["s__Zzzyx_qwerty"], [0.0])
    assert math.isnan(place_profile(profile).placed)


def test_placed_share_counts_what_reached_a_phylum():
    profile = _profile(["s__Escherichia_coli", "s__Zzzyx_qwerty"], [0.75, 0.25])
    assert place_profile(profile).placed == pytest.approx(0.75)


def test_build_script_reproduces_the_committed_table(shared_data, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_lineage_table
    finally:
        sys.path.pop(0)
    out = tmp_path / "lineages.tsv.gz"
    build_lineage_table.write(build_lineage_table.build(shared_data), out)
    committed = ROOT / "src" / "gutbalance" / "taxonomy" / "data" / "lineages.tsv.gz"
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(committed.read_bytes())
