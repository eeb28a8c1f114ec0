"""The bundled lineage table and resolving lineages against it."""

from __future__ import annotations

import gzip
import math
import sys
from pathlib import Path

import pytest

from gutbalance import SampleProfile
from gutbalance.cohort import place_profile
from gutbalance.io import read_profiles
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


# --- one name, one place, whichever format carries it ------------------------

# The shape of Bracken's species table (bracken -o; sample_data/
# sample_output_species_abundance.txt of its repository): bare names, genera
# (Nostoc, Cyanothece) the lineage table does not know.  Its rows, with the
# fractions of a table of these four alone (rows taken out of a larger
# table are warned about as missing).
_BRACKEN_TABLE = (
    "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
    "Streptococcus suis\t1307\tS\t22\t1\t23\t0.07012\n"
    "Nostoc punctiforme\t63737\tS\t180\t20\t200\t0.60976\n"
    "Cyanothece sp. ATCC 51142\t43989\tS\t90\t10\t100\t0.30488\n"
    "Propionibacterium phage P100_A\t1134848\tS\t5\t0\t5\t0.01524\n"
)


def test_bracken_species_take_the_genus_of_their_binomial_as_a_metaphlan_id_does(tmp_path):
    path = tmp_path / "S1.bracken"
    path.write_text(_BRACKEN_TABLE)
    (bracken,) = read_profiles(path)
    metaphlan = _profile(
        ["s__Streptococcus_suis", "s__Nostoc_punctiforme", "s__Cyanothece_sp._ATCC_51142", "s__Propionibacterium_phage_P100_A"],
        list(bracken.abundance),
    )
    placed_bracken, placed_metaphlan = place_profile(bracken), place_profile(metaphlan)
    lineages = {lin[-1].id: ids(lin) for lin in placed_bracken.lineages}
    assert lineages == {lin[-1].id: ids(lin) for lin in placed_metaphlan.lineages}
    assert lineages["s__Nostoc punctiforme"] == ["g__Nostoc", "s__Nostoc punctiforme"]
    assert lineages["s__Cyanothece sp. ATCC 51142"][-2] == "g__Cyanothece"
    # a phage named after its host is not a species of the host's genus
    assert lineages["s__Propionibacterium phage P100 A"] == ["s__Propionibacterium phage P100 A"]
    assert placed_bracken.placed == pytest.approx(placed_metaphlan.placed)


def test_a_lone_s_id_and_the_bare_name_resolve_alike():
    for name in ("Nostoc_punctiforme", "Bacteroides_novelspecies", "Propionibacterium_phage_P100_A", "Escherichia_virus_V5"):
        prefixed = resolve_lineage(parse_lineage(f"s__{name}"))
        bare = resolve_lineage((taxon("species", name),))
        assert ids(prefixed) == ids(bare), name
    assert "g__Propionibacterium" not in ids(resolve_lineage(parse_lineage("s__Propionibacterium_phage_P100_A")))
    # an empty genus slot still says the genus is not known: none is guessed
    assert ids(parse_lineage("f__Nostocaceae|g__|s__Nostoc_punctiforme")) == ["f__Nostocaceae", "s__Nostoc punctiforme"]


def test_a_virus_named_after_its_hosts_kind_takes_no_genus_from_it():
    """ "Human alphaherpesvirus 1" was put in a genus "Human": the virus word
    need not be the second word, nor exactly "virus"."""
    # names the lineage table does not know (a known one takes the table's
    # genus: Human alphaherpesvirus 1 is a Simplexvirus)
    for name in ("Human_zetaherpesvirus_9", "Streptococcus_prophage_Zz1"):
        host = name.split("_", 1)[0]
        for lineage in (parse_lineage(f"s__{name}"), (taxon("species", name),)):
            resolved = ids(resolve_lineage(lineage))
            assert f"g__{host}" not in resolved, (name, resolved)
    assert "g__Simplexvirus" in ids(resolve_lineage(parse_lineage("s__Human_alphaherpesvirus_1")))
    assert ids(resolve_lineage(parse_lineage("s__Faecalibacterium_prausnitzii")))[-2:] == [
        "g__Faecalibacterium", "s__Faecalibacterium prausnitzii"]


# KrakenUniq 1.0.2 (taxpasta's tests/data/krakenuniq/test3): NCBI's current
# name of the species with its strain row beneath it.  The lineage table knew
# the species only by older names (Clostridium thermocellum) until synonym
# table 2026.11.3 added Tindall 2019's Acetivibrio thermocellus; the strain
# must hang from the species either way.
_KRAKENUNIQ = (
    "# KrakenUniq v1.0.2 DATE:2023-01-26T13:02:13Z DB:./krakenuniq DB_SIZE:3337541896\n"
    "%\treads\ttaxReads\tkmers\tdup\tcov\ttaxID\trank\ttaxName\n"
    "10\t100\t100\t1000\t1.1\tNA\t0\tno rank\tunclassified\n"
    "90\t900\t0\t9000\t1.2\t0.1\t1\tno rank\troot\n"
    "90\t900\t0\t9000\t1.2\t0.1\t2\tsuperkingdom\t  Bacteria\n"
    "90\t900\t0\t9000\t1.2\t0.1\t1239\tphylum\t    Bacillota\n"
    "90\t900\t0\t9000\t1.2\t0.1\t186801\tclass\t      Clostridia\n"
    "90\t900\t0\t9000\t1.2\t0.1\t186802\torder\t        Eubacteriales\n"
    "90\t900\t0\t9000\t1.2\t0.1\t216572\tfamily\t          Oscillospiraceae\n"
    "90\t900\t0\t9000\t1.2\t0.1\t35829\tgenus\t            Acetivibrio\n"
    "90\t900\t0\t9000\t1.2\t0.1\t1515\tspecies\t              Acetivibrio thermocellus\n"
    "90\t900\t900\t9000\t1.2\t0.1\t203119\tstrain\t                Acetivibrio thermocellus ATCC 27405\n"
)


def test_a_strain_counts_under_its_species_the_table_does_not_know(tmp_path):
    path = tmp_path / "test3.krakenuniq.report.txt"
    path.write_text(_KRAKENUNIQ)
    (profile,) = read_profiles(path)
    assert "s__Acetivibrio thermocellus" in lineage_table()  # synonym table 2026.11.3 (Tindall 2019)
    placed = place_profile(profile)
    values = {lin[-1].id: v for lin, v in zip(placed.lineages, placed.abundance, strict=True)}
    strain = next(lin for lin in placed.lineages if lin[-1].rank == "strain")
    assert ids(strain)[-3:] == ["g__Acetivibrio", "s__Acetivibrio thermocellus", "t__Acetivibrio thermocellus ATCC 27405"]
    assert values["s__Acetivibrio thermocellus"] == pytest.approx(values["g__Acetivibrio"]) == pytest.approx(0.9)
    # the same strain named alone hangs from the same species
    alone = resolve_lineage((taxon("strain", "Acetivibrio thermocellus ATCC 27405"),))
    assert ids(alone) == ids(strain)


# A real Kraken 2 report of stool (yamunanunavath/CRC-Project, SRR31649983):
# NCBI keeps a strain's old name under the species' new one.  The strain's
# first two words name another species the table knows (Clostridium
# saccharolyticum, Mycobacterium chelonae), which took the strain's reads away
# from Lacrimispora saccharolytica and Mycobacteroides chelonae.
_KRAKEN_OLD_STRAIN_NAMES = (
    " 20.00\t200\t200\tU\t0\tunclassified\n"
    " 80.00\t800\t0\tR\t1\troot\n"
    " 80.00\t800\t0\tD\t2\t  Bacteria\n"
    " 70.00\t700\t0\tP\t1239\t    Bacillota\n"
    " 70.00\t700\t0\tC\t186801\t      Clostridia\n"
    " 70.00\t700\t0\tO\t3085636\t        Lachnospirales\n"
    " 70.00\t700\t0\tF\t186803\t          Lachnospiraceae\n"
    " 70.00\t700\t0\tG\t2719231\t            Lacrimispora\n"
    " 70.00\t700\t600\tS\t84030\t              Lacrimispora saccharolytica\n"
    " 10.00\t100\t100\tS1\t610130\t                [Clostridium] saccharolyticum WM1\n"
    " 10.00\t100\t0\tP\t201174\t    Actinomycetota\n"
    " 10.00\t100\t0\tC\t1760\t      Actinomycetes\n"
    " 10.00\t100\t0\tO\t85007\t        Mycobacteriales\n"
    " 10.00\t100\t0\tF\t1762\t          Mycobacteriaceae\n"
    " 10.00\t100\t0\tG\t670516\t            Mycobacteroides\n"
    " 10.00\t100\t80\tS\t1774\t              Mycobacteroides chelonae\n"
    "  2.00\t20\t20\tS1\t1774999\t                [Mycobacterium] chelonae subsp. gwanakae\n"
)


def test_a_strain_filed_under_its_species_stays_there_whatever_its_old_name(tmp_path):
    path = tmp_path / "kraken2_report.txt"
    path.write_text(_KRAKEN_OLD_STRAIN_NAMES)
    (profile,) = read_profiles(path)
    placed = place_profile(profile)
    values = {lin[-1].id: v for lin, v in zip(placed.lineages, placed.abundance, strict=True)}
    assert values["s__Lacrimispora saccharolytica"] == pytest.approx(0.7)  # its clade reads / all reads
    assert values["s__Mycobacteroides chelonae"] == pytest.approx(0.1)
    assert "s__Clostridium saccharolyticum" not in values
    assert "s__Mycobacterium chelonae" not in values
    strain = next(lin for lin in placed.lineages if lin[-1].name == "Clostridium saccharolyticum WM1")
    assert ids(strain)[-3:] == ["g__Lacrimispora", "s__Lacrimispora saccharolytica",
                                "t__Clostridium saccharolyticum WM1"]


def test_a_bare_name_after_a_higher_taxon_gets_no_genus_of_that_name():
    """ "Firmicutes bacterium CAG:41" in a Bracken table or a CSV of names: its
    first word is a phylum (the table knows it) or a family/order by its
    ending, never a genus "Firmicutes" that would count in genus richness."""
    for name in ("Firmicutes bacterium CAG 41", "Clostridiales bacterium", "Lachnospiraceae bacterium Zz9"):
        resolved = ids(resolve_lineage((taxon("species", name),)))
        first = name.split(" ", 1)[0]
        assert f"g__{first}" not in resolved, (name, resolved)
    assert "g__Nostoc" in ids(resolve_lineage((taxon("species", "Nostoc punctiforme"),)))
