"""A species inherits a genus row only from a genus its names carry, in its own family
(docs/knowledge-base.md, "Genus rows a species inherits"): the genus a profiler files it
under is not enough (MetaPhlAn 3 files Mediterraneibacter gnavus under Blautia)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.knowledge import inheritance_path, lookup, trait_matrix
from gutbalance.knowledge.lookup import lineage_of, name_genera

LACHNO = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae"
GNAVUS = f"{LACHNO}|g__Blautia|s__Ruminococcus_gnavus"  # as MetaPhlAn 3 writes it
TORQUES = f"{LACHNO}|g__Blautia|s__Ruminococcus_torques"
OBEUM = f"{LACHNO}|g__Blautia|s__Blautia_obeum"
SCINDENS = f"{LACHNO}|g__Lachnoclostridium|s__Clostridium_scindens"
BACTEROIDACEAE = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae"
VULGATUS = f"{BACTEROIDACEAE}|g__Bacteroides|s__Bacteroides_vulgatus"
FRAGILIS = f"{BACTEROIDACEAE}|g__Bacteroides|s__Bacteroides_fragilis"
PECTINOPHILUS = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|s__Bacteroides_pectinophilus"  # as the table files it


def calls(name: str) -> pd.DataFrame:
    return lookup(name).set_index("trait")


def from_genus(name: str) -> dict[str, str]:
    c = calls(name)
    return c.loc[c["resolved_rank"] == "genus", "resolved_taxon"].to_dict()


def test_gnavus_no_longer_takes_blautias_rows():
    """Blautia's acetate, H2S and sulfate rows were written about Blautia; [Ruminococcus]
    gnavus and torques never carried that name (Henke 2019: a mucolytic IBD pathobiont)."""
    for name in (GNAVUS, TORQUES):
        assert "Blautia" not in from_genus(name).values()
        c = calls(name)
        assert "acetate_producer" not in c.index  # the favourable Blautia row it had
        assert c.loc["mucin_degrader", "resolved_rank"] == "species"  # its own rows stay
        assert c.loc["treg_induction", "resolved_taxon"] == "Lachnospiraceae"  # its family is right
    # A real Blautia keeps them.
    assert from_genus(OBEUM)["acetate_producer"] == "Blautia"


def test_ruminococcus_is_another_family():
    """The genus its old name carries is Ruminococcus, a Ruminococcaceae/Oscillospiraceae genus:
    its rows were about other organisms than the Lachnospiraceae gnavus."""
    assert name_genera("Mediterraneibacter gnavus", "Blautia", "f__Lachnospiraceae") == ("Mediterraneibacter",)
    assert "Ruminococcus" not in from_genus(GNAVUS).values()


def test_vulgatus_still_inherits_bacteroides():
    """Bacteroides rows written before 2020 meant vulgatus; Phocaeicola's rows come first."""
    genus = from_genus(VULGATUS)
    assert genus["sphingolipid_producer"] == "Bacteroides"
    assert genus["menaquinone_synthesis"] == "Bacteroides"
    assert genus["propionate_producer"] == "Phocaeicola"
    path = inheritance_path({"family": "Bacteroidaceae", "genus": "Bacteroides", "species": "Phocaeicola vulgatus"})
    assert path == (("species", "Phocaeicola vulgatus"), ("genus", "Phocaeicola"), ("genus", "Bacteroides"),
                    ("family", "Bacteroidaceae"))


def test_a_species_filed_under_its_own_genus_is_unchanged():
    lineage = {"order": "Bacteroidales", "family": "Bacteroidaceae", "genus": "Bacteroides",
               "species": "Bacteroides fragilis"}
    assert inheritance_path(lineage) == (("species", "Bacteroides fragilis"), ("genus", "Bacteroides"),
                                         ("family", "Bacteroidaceae"), ("order", "Bacteroidales"))
    assert from_genus(FRAGILIS)  # Bacteroides rows where B. fragilis has none of its own
    assert set(from_genus(FRAGILIS).values()) == {"Bacteroides"}


def test_a_genus_name_of_another_family_is_not_inherited():
    """[Clostridium] scindens (Lachnospiraceae) takes neither Lachnoclostridium's rows (not its
    name) nor Clostridium's (Clostridiaceae); [Bacteroides] pectinophilus, a Clostridiales, no
    Bacteroides row (Bacteroides' are about Bacteroidales: Gram-negative, sphingolipids)."""
    assert from_genus(SCINDENS) == {}
    assert calls(SCINDENS).loc["treg_induction", "resolved_taxon"] == "Lachnospiraceae"
    assert from_genus(PECTINOPHILUS) == {}
    assert calls(PECTINOPHILUS).loc["gram_negative", "resolved_rank"] == "species"


def test_names_that_carry_no_genus_keep_the_filed_one():
    assert name_genera("Firmicutes bacterium CAG 41", "Blautia", "f__Lachnospiraceae") == ("Blautia",)
    assert name_genera("Escherichia virus P1", "P1virus", "f__Myoviridae") == ("P1virus",)
    # A strain designation after the binomial keeps the binomial's former names.
    assert name_genera("Amedibacillus dolichus CAG 375", "Eubacterium", "") == ("Amedibacillus", "Eubacterium", "Absiella")


def test_scores_use_the_same_rule():
    """trait_matrix (what the pillars multiply) resolves gnavus as lookup does."""
    taxa = pd.DataFrame({"rank": ["species"], "family": ["Lachnospiraceae"], "genus": ["Blautia"],
                         "species": ["Mediterraneibacter gnavus"]}, index=["s__Mediterraneibacter gnavus"])
    matrix = trait_matrix(taxa)
    assert pd.isna(matrix.values.loc["s__Mediterraneibacter gnavus", "acetate_producer"])
    assert matrix.resolved_rank.loc["s__Mediterraneibacter gnavus", "treg_induction"] == "family"


@pytest.mark.parametrize(("name", "expected"), [
    ("Ruminococcus gnavus", "genus rows from: Mediterraneibacter (not Blautia"),
    ("Bacteroides vulgatus", "genus rows from: Phocaeicola, Bacteroides"),
])
def test_kb_show_says_where_genus_rows_come_from(name, expected):
    result = CliRunner().invoke(main, ["kb", "show", name])
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_a_phage_named_after_its_host_takes_none_of_the_hosts_rows():
    assert "genus" not in lineage_of("Escherichia virus P1")
    assert lineage_of("Escherichia coli")["genus"] == "Escherichia"


ELIGENS = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Eubacteriaceae|g__Eubacterium|s__Eubacterium_eligens"
LACTARIS = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Ruminococcus|s__Ruminococcus_lactaris"


def test_a_species_moved_into_a_genus_of_another_family_takes_that_family():
    """Lachnospira eligens is filed under Eubacteriaceae (MetaPhlAn 3, kept for GMWI2); the
    combination into Lachnospira places it in the Lachnospiraceae, so it takes the
    Lachnospiraceae rows (Atarashi 2011 Treg) and no Eubacterium (Eubacteriaceae) genus row."""
    path = inheritance_path(lineage_of(ELIGENS))
    assert ("family", "Lachnospiraceae") in path
    assert ("family", "Eubacteriaceae") not in path
    assert ("genus", "Eubacterium") not in path
    assert ("genus", "Lachnospira") in path
    assert calls(ELIGENS).loc["treg_induction", "resolved_taxon"] == "Lachnospiraceae"
    # Mediterraneibacter lactaris, filed under Ruminococcus (Ruminococcaceae) by one source
    assert calls(LACTARIS).loc["treg_induction", "resolved_taxon"] == "Lachnospiraceae"
    # the scores use the same rule
    taxa = pd.DataFrame({"rank": ["species"], "family": ["Eubacteriaceae"], "genus": ["Eubacterium"],
                         "species": ["Lachnospira eligens"]}, index=["s__Lachnospira eligens"])
    assert trait_matrix(taxa).resolved_rank.loc["s__Lachnospira eligens", "treg_induction"] == "family"


def test_a_misapplied_genus_name_never_renamed_keeps_its_lineage_family():
    # [Clostridium] scindens has no published combination: no family from its genus name
    assert ("family", "Clostridiaceae") not in inheritance_path(lineage_of(SCINDENS))
    assert ("family", "Lachnospiraceae") in inheritance_path(lineage_of(SCINDENS))


def test_kb_show_says_where_family_rows_come_from():
    result = CliRunner().invoke(main, ["kb", "show", "Eubacterium eligens"])
    assert result.exit_code == 0, result.output
    assert "family rows from: Lachnospiraceae" in result.output
