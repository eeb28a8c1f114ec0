"""The facultative guild's Gram split: members the knowledge base has no Gram call for.

Fault: a member whose Gram stain the knowledge base did not know counted as Gram-negative, so its share
of the guild made LPS and took the Enterobacteriaceae's drug rows.  Now it takes the call of its nearest
ranked ancestor with a cited row (``simulate/data/gram_stain_lineage.tsv``), else it is unknown: left out
of the guild's Gram-positive share and following the guild as a whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.cohort import SampleProfile, build_cohort
from gutbalance.simulate import Scenario, parse_antibiotic, simulate
from gutbalance.simulate.api import person
from gutbalance.simulate.gut_immune import GRAM_POSITIVE_SHARE, N_MIC, STATE
from gutbalance.simulate.parameters import gram_stain_lineage, read_table
from gutbalance.simulate.personal import LPS_GUILD, guild_abundances
from gutbalance.taxonomy.lineage import parse_lineage

BACTEROIDES = ("k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
               "s__Bacteroides_vulgatus")
FAECALI = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
           "s__Faecalibacterium_prausnitzii")
ECOLI = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
         "g__Escherichia|s__Escherichia_coli")
EFAECIUM = ("k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Enterococcaceae|g__Enterococcus|"
            "s__Enterococcus_faecium")
# a Bacillus-like facultative the knowledge base has no Gram row for (one metaml_pasolli2016 profile carries it)
LYSINIBACILLUS = ("k__Bacteria|p__Firmicutes|c__Bacilli|o__Bacillales|f__Planococcaceae|g__Lysinibacillus|"
                  "s__Lysinibacillus_boronitolerans")
# a wall-less mollicute the lineage table files under Bacillota: no Gram call at all
ACHOLEPLASMA = ("k__Bacteria|p__Tenericutes|c__Mollicutes|o__Acholeplasmatales|f__Acholeplasmataceae|"
                "g__Acholeplasma|s__Acholeplasma_laidlawii")


def profile(species: dict[str, float]) -> gutbalance.Cohort:
    return build_cohort([SampleProfile(sample="constructed", lineages=[parse_lineage(k) for k in species],
                                       abundance=list(species.values()))])


def member(assignment: pd.DataFrame, species: str) -> pd.Series:
    return assignment.loc[taxon_id(assignment.index, species)]


def taxon_id(index: pd.Index, species: str) -> str:
    """The id of a species (a lineage the taxonomy does not place carries its ancestors in the id)."""
    (found,) = [tid for tid in index if tid.endswith(f"s__{species}")]
    return found


def test_every_lineage_row_cites_a_doi_and_the_firmicutes_exceptions_are_there():
    table = read_table("gram_stain_lineage.tsv")
    assert table["source"].str.startswith("doi:").all()
    calls = gram_stain_lineage()
    assert calls[("phylum", "bacillota")] == calls[("phylum", "firmicutes")] == 0.0
    assert calls[("class", "negativicutes")] == 1.0  # diderm Firmicutes (Antunes et al. 2016)
    assert calls[("phylum", "pseudomonadota")] == calls[("phylum", "bacteroidota")] == 1.0
    assert np.isnan(calls[("class", "mollicutes")])  # wall-less: a cited "no call"


def test_a_member_unknown_to_the_knowledge_base_takes_its_phylums_call():
    cohort = profile({BACTEROIDES: 0.8, FAECALI: 0.1, ECOLI: 0.05, LYSINIBACILLUS: 0.05})
    _, _, assignment = guild_abundances(cohort)
    lysini = member(assignment, "Lysinibacillus boronitolerans")
    assert lysini["model_guild"] == LPS_GUILD
    assert lysini["gram_basis"] == "lineage:phylum"
    assert lysini["gram_negative"] == 0
    assert lysini["gram_positive"]
    assert lysini["lps"] == 0.0  # a Gram-positive brings no LPS (0.5 when it counted as Gram-negative)
    assert member(assignment, "Escherichia coli")["gram_basis"] == "knowledge:species"
    assert assignment.attrs["gram_positive_share"] == pytest.approx(0.5)  # 0 before: both counted negative
    assert assignment.attrs["lps_potency_gram_positive"] == 0.0


def test_a_member_of_unknown_stain_is_left_out_of_the_share_and_follows_the_guild():
    cohort = profile({BACTEROIDES: 0.7, FAECALI: 0.16, EFAECIUM: 0.06, ECOLI: 0.02, ACHOLEPLASMA: 0.06})
    _, _, assignment = guild_abundances(cohort)
    achole = member(assignment, "Acholeplasma laidlawii")
    assert achole["model_guild"] == LPS_GUILD
    assert np.isnan(achole["gram_negative"])
    assert not achole["gram_positive"]
    assert achole["gram_basis"] == "unknown:lineage:order"  # not the Gram-positive phylum the table files it in
    # enterococci 0.06 of the 0.08 whose stain is known (0.06 of 0.14 when the mollicute counted negative)
    assert assignment.attrs["gram_positive_share"] == pytest.approx(0.75)
    assert assignment.attrs["gram_unknown_share"] == pytest.approx(0.06 / 0.14)
    # under vancomycin the enterococci are cleared and the E. coli bloom; the mollicute, in neither part,
    # keeps its share of the guild (it would bloom with the E. coli if it counted as Gram-negative)
    scenario = Scenario(days=7, antibiotics=[parse_antibiotic("vancomycin:days=0-7")])
    t = simulate(cohort, scenario).trajectory.set_index("time")[STATE].to_numpy()
    share = t[:, STATE.index(GRAM_POSITIVE_SHARE)]
    assert share[7] < 0.1 < share[0]
    virtual = person(cohort, scenario).virtual.cohort(t[[0, 7], :N_MIC], t[[0, 0], :N_MIC], ["day 0", "day 7"],
                                                      share[[0, 7]], share[[0, 0]])
    own, taxa = virtual.terminal_matrix(max_rank="species")
    own = pd.DataFrame(own.toarray(), index=["day 0", "day 7"], columns=taxa.index)
    guild = own[assignment.index[assignment["model_guild"] == LPS_GUILD]]
    part = guild.div(guild.sum(axis=1), axis=0)
    achole_id = taxon_id(part.columns, "Acholeplasma laidlawii")
    assert part.loc["day 7", achole_id] == pytest.approx(part.loc["day 0", achole_id], rel=1e-9)
    # the E. coli take the enterococci's place: 1/7 of the guild -> 4/7 (all the guild but the mollicute)
    assert part.loc["day 7", "s__Escherichia coli"] == pytest.approx(4 / 7, rel=1e-6)
