"""Issue 12: knowledge-base corrections as the pillar scores see them."""

import pytest

from gutbalance.pillars import pillar_scores
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

G = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
E = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae"
CDIFF = f"{G}|f__Peptostreptococcaceae|g__Clostridioides|s__Clostridioides_difficile"
FVARIUM = "k__Bacteria|p__Fusobacteria|c__Fusobacteriia|o__Fusobacteriales|f__Fusobacteriaceae|g__Fusobacterium|s__Fusobacterium_varium"
BUTYRICUM = f"{G}|f__Clostridiaceae|g__Clostridium|s__Clostridium_butyricum"
ECOLI = f"{E}|g__Escherichia|s__Escherichia_coli"
BASE = {POOL["vulgatus"]: 40.0, POOL["uniformis"]: 30.0, POOL["alistipes"]: 10.0}


def run(**profiles):
    scaled = {name: {k: 100 * v / sum(p.values()) for k, v in p.items()} for name, p in profiles.items()}
    return pillar_scores(make_cohort(scaled), contributions=False)


def test_scfa_producers_no_longer_count_as_immune_training():
    """Butyrate producers without a Treg/probiotic/commensal row earn no training credit."""
    result = run(base=BASE, butyricum={**BASE, BUTYRICUM: 20.0})
    assert result.shares.loc["butyricum", "immunomodulatory"] == pytest.approx(0.0, abs=1e-12)
    assert result.shares.loc["butyricum", "butyrate_producer"] > 0.1


@pytest.mark.parametrize("pathogen", [CDIFF, FVARIUM])
def test_butyrate_of_pathogens_and_pathobionts_earns_nothing(pathogen):
    result = run(base=BASE, harmful={**BASE, pathogen: 20.0}, harmless={**BASE, BUTYRICUM: 20.0})
    shares, scores = result.shares, result.scores
    assert shares.loc["harmful", "butyrate_producer"] < shares.loc["base", "butyrate_producer"]  # only diluted
    assert shares.loc["harmful", "scfa_producer"] <= shares.loc["base", "scfa_producer"]
    assert scores.loc["harmful", "nutrients"] < scores.loc["harmless", "nutrients"]
    assert scores.loc["harmful", "barrier"] < scores.loc["harmless", "barrier"]


def test_oral_species_in_healthy_amounts_cost_nothing_and_overgrowth_costs():
    """Schmidt 2019: oral-to-gut transfer is common in health; only an overgrowth is penalised."""
    trace = {**BASE, POOL["salivarius"]: 1.0}
    overgrown = {**BASE, POOL["salivarius"]: 40.0}
    scores = run(base=BASE, trace=trace, overgrown=overgrown).scores
    # 1 % oral species: defense changes only through diversity, not through an oral penalty.
    assert run(trace=trace).shares.loc["trace", "oral_taxon_harmless"] > 0
    assert scores.loc["trace", "defense"] >= scores.loc["base", "defense"] - 1.0
    assert scores.loc["overgrown", "defense"] < scores.loc["base", "defense"] - 10


def test_nissle_1917_named_in_the_profile_is_not_penalised_as_a_pathobiont():
    nissle = {**BASE, f"{ECOLI}|t__Escherichia_coli_Nissle_1917": 20.0}
    k12 = {**BASE, f"{ECOLI}|t__Escherichia_coli_K12": 20.0}
    species = {**BASE, ECOLI: 20.0}
    result = run(nissle=nissle, k12=k12, species=species)
    harm = result.shares["pathobiont_or_pathogen"]
    assert harm["nissle"] == 0.0
    assert harm["k12"] > 0
    assert harm["k12"] == pytest.approx(harm["species"])
    assert result.scores.loc["nissle", "training"] > result.scores.loc["species", "training"]


def test_a_trace_vitamin_producer_cannot_fill_the_vitamin_capacity():
    """Capacity follows the producers' share: 0.1 % of Bacteroides gives a few per cent of the B2 term, 30 % most of it."""
    F = f"{G}|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii"
    result = run(trace={F: 99.9, POOL["uniformis"]: 0.1}, plenty={F: 70.0, POOL["uniformis"]: 30.0})
    from gutbalance.pillars import parameters

    k = parameters()["k_vitamin_producers"]
    b2 = result.shares["vitamin_b2_synthesis"]
    capacity = b2 / (b2 + k)
    assert capacity["trace"] < 0.06
    assert capacity["plenty"] > 0.85


def test_escherichia_coli_vitamins_earn_no_credit():
    """E. coli is a pathobiont call: like its butyrate-free neighbours, its B vitamins do not count."""
    result = run(ecoli={**BASE, ECOLI: 20.0}, base=BASE)
    assert result.shares.loc["ecoli", "vitamin_b1_synthesis"] == 0.0


def test_the_training_penalty_weighs_a_pathobiont_call_by_its_evidence():
    """Issue 12 item 2: mouse-only and strain-level evidence weigh less in the
    scores.  K. pneumoniae's pathobiont call (gnotobiotic mice, particular
    strains) counted in full in training's penalty while the defense harm
    index counted it at its weight; both read the weighted call now, and who
    is harmful (no credit) is still the call's."""
    kleb = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Klebsiella|s__Klebsiella_pneumoniae"
    result = run(kleb={**BASE, kleb: 10.0})
    from gutbalance.knowledge import trait_matrix
    from gutbalance.report.render import lineages_of_ids

    weight = trait_matrix(lineages_of_ids(["s__Klebsiella pneumoniae"]), ["pathobiont"]).weighted()
    w = float(weight.iloc[0]["pathobiont"])
    assert w < 0.5
    share = result.shares.loc["kleb", "pathobiont_or_pathogen"]
    raw_share = 10.0 / (sum(BASE.values()) + 10.0)
    assert share < 0.6 * raw_share  # at most the weighted call's share (plus weaker calls of the base)
