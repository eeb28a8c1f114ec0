"""Nosocomial and opportunistic pathogens (the ESKAPE group, E. coli,
C. difficile) as the pillar scores see them: a gut dominated by one of them
must not look average (a 97 % Acinetobacter baumannii gut once scored defense
56, barrier 45, immune_support 44, because no penalty knew it)."""

import pytest

from gutbalance.pillars import pillar_scores
from gutbalance.reference import load_reference
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

P = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria"
E = f"{P}|o__Enterobacterales|f__Enterobacteriaceae"
BACILLI = "k__Bacteria|p__Firmicutes|c__Bacilli"
ESKAPE = {
    "Enterococcus faecium": f"{BACILLI}|o__Lactobacillales|f__Enterococcaceae|g__Enterococcus|s__Enterococcus_faecium",
    "Staphylococcus aureus": f"{BACILLI}|o__Bacillales|f__Staphylococcaceae|g__Staphylococcus|s__Staphylococcus_aureus",
    "Klebsiella pneumoniae": f"{E}|g__Klebsiella|s__Klebsiella_pneumoniae",
    "Acinetobacter baumannii": f"{P}|o__Pseudomonadales|f__Moraxellaceae|g__Acinetobacter|s__Acinetobacter_baumannii",
    "Pseudomonas aeruginosa": f"{P}|o__Pseudomonadales|f__Pseudomonadaceae|g__Pseudomonas|s__Pseudomonas_aeruginosa",
    "Enterobacter cloacae": f"{E}|g__Enterobacter|s__Enterobacter_cloacae",
    "Escherichia coli": f"{E}|g__Escherichia|s__Escherichia_coli",
    "Clostridioides difficile": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Peptostreptococcaceae|"
                                "g__Clostridioides|s__Clostridioides_difficile",
}
#: Gram-negatives with hexa-acylated, TLR4-agonistic LPS in the knowledge base
#: (E. coli and the Enterobacteriaceae: Vatanen 2016; A. baumannii: Erridge 2007).
TLR4_LPS = {"Klebsiella pneumoniae", "Acinetobacter baumannii", "Enterobacter cloacae", "Escherichia coli"}
#: Oxygen-tolerant: facultative anaerobes (Enterococcus, Staphylococcus,
#: Enterobacteriaceae) and aerobes (Acinetobacter, Pseudomonas).
OXYGEN_TOLERANT = set(ESKAPE) - {"Clostridioides difficile"}

BLOOMS = {
    "pure E. coli": {ESKAPE["Escherichia coli"]: 100.0},
    "97 % A. baumannii": {ESKAPE["Acinetobacter baumannii"]: 97.0, POOL["uniformis"]: 3.0},
    "Enterobacteriaceae and oral streptococci": {POOL[k]: v for k, v in {
        "ecoli": 40, "klebsiella": 20, "salivarius": 25, "veillonella": 10, "vulgatus": 5}.items()},
}


@pytest.fixture(scope="module")
def monocultures():
    return pillar_scores(make_cohort({name: {lineage: 100.0} for name, lineage in ESKAPE.items()}),
                         contributions=False)


@pytest.mark.parametrize("name", sorted(ESKAPE))
def test_each_nosocomial_pathogen_is_harmful_for_the_scores(monocultures, name):
    # fault: A. baumannii, P. aeruginosa and Enterobacter had no pathogen or pathobiont call
    # harmful = the calls (no credit at all where 1, half where 0.5); the penalty's
    # share is the evidence-weighted call, above 0 for each
    assert monocultures.shares.loc[name, "harmless"] <= 0.5, name
    assert monocultures.shares.loc[name, "pathobiont_or_pathogen"] > 0, name


@pytest.mark.parametrize("name", sorted(TLR4_LPS))
def test_gram_negative_pathogens_carry_tlr4_agonistic_lps(monocultures, name):
    assert monocultures.shares.loc[name, "lps_tlr4_agonist"] > 0.3, name


@pytest.mark.parametrize("name", sorted(ESKAPE))
def test_oxygen_tolerant_taxa_count_in_the_oxygen_penalty_aerobes_included(monocultures, name):
    # fault: aerobes (A. baumannii, P. aeruginosa) counted as neither facultative nor anaerobic
    share = monocultures.shares.loc[name, "oxygen_tolerant"]
    if name in OXYGEN_TOLERANT:
        assert share > 0.3, name
    else:  # C. difficile is a strict anaerobe
        assert share == pytest.approx(0.0, abs=1e-12)


def test_an_aerobe_bloom_costs_barrier_like_a_facultative_bloom():
    base = {POOL["faecalibacterium"]: 30.0, POOL["vulgatus"]: 30.0, POOL["rectale"]: 20.0}
    # P. aeruginosa and E. faecium: same role (opportunist 0.5), one aerobic, one facultative; no TLR4 call for either
    scores = pillar_scores(make_cohort({
        "aerobe": {**base, ESKAPE["Pseudomonas aeruginosa"]: 20.0},
        "facultative": {**base, ESKAPE["Enterococcus faecium"]: 20.0},
        "anaerobe": {**base, POOL["alistipes"]: 20.0},
    }), contributions=False)
    comps = scores.components
    assert comps.loc["aerobe", "barrier.facultative"] < comps.loc["anaerobe", "barrier.facultative"]
    assert comps.loc["aerobe", "barrier.facultative"] == pytest.approx(comps.loc["facultative", "barrier.facultative"],
                                                                        abs=0.05)


@pytest.mark.parametrize("name", sorted(BLOOMS))
def test_a_pathogen_or_bloom_dominated_gut_scores_low(name):
    scores = pillar_scores(make_cohort({name: BLOOMS[name]}), contributions=False).scores.loc[name]
    assert scores["defense"] < 50
    assert scores["barrier"] < 50
    reference = load_reference().distribution("immune_support")
    # clearly below healthy people: under the healthy reference's 5th percentile and far under its median
    assert scores["immune_support"] < reference.quantile(0.05)
    assert scores["immune_support"] < reference.quantile(0.5) - 25
