"""Issue 12 (unmet goals): the shared, non-specific response to disease
(Duvallet et al. 2017) as a homeostasis component, a balance within the
sample."""

import numpy as np
import pandas as pd
import pytest

from gutbalance.knowledge import load_knowledge
from gutbalance.pillars import DIVERSITY_FLOOR, pillar_scores, shared_response
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

DUVALLET = "doi:10.1038/s41467-017-01973-8"
VEILLONELLA = ("k__Bacteria|p__Firmicutes|c__Negativicutes|o__Veillonellales|f__Veillonellaceae|g__Veillonella"
               "|s__Veillonella_parvula")


def run(**profiles):
    scaled = {name: {k: 100 * v / sum(p.values()) for k, v in p.items()} for name, p in profiles.items()}
    return pillar_scores(make_cohort(scaled), contributions=False)


def test_duvallet_genera_are_cited_human_genus_rows():
    facts = load_knowledge().facts
    rows = facts[facts["trait"] == "shared_disease_response"]
    assert set(rows["source"]) == {DUVALLET}
    assert set(rows["rank"]) == {"genus"}
    assert set(rows["host"]) == {"human"}
    disease = set(rows["taxon"])
    # The paper's examples: facultative and oral-associated genera enriched.
    assert {"Streptococcus", "Veillonella", "Lactobacillus", "Escherichia", "Enterococcus"} <= disease
    # Genera of the health side and the paper's 'mixed' genera are not in it.
    assert not {"Faecalibacterium", "Roseburia", "Bacteroides", "Prevotella", "Alistipes"} & disease


def test_balance_is_the_logistic_of_the_log_ratio():
    F = pd.DataFrame({"health_response": [0.3, 0.0, 0.0, 0.02], "disease_response": [0.01, 0.0, 0.2, 0.02]})
    value = shared_response(F)
    eps = DIVERSITY_FLOOR
    ratio = np.log((F["health_response"] + eps) / (F["disease_response"] + eps))
    assert value == pytest.approx(1 / (1 + np.exp(-ratio)))
    assert value[1] == pytest.approx(0.5)
    assert value[3] == pytest.approx(0.5)


def test_butyrate_producers_raise_it_and_shared_disease_genera_lower_it():
    base = {POOL["vulgatus"]: 40.0, POOL["uniformis"]: 30.0, POOL["alistipes"]: 10.0}
    healthy = {**base, POOL["faecalibacterium"]: 15.0, POOL["roseburia"]: 5.0}
    inflamed = {**base, VEILLONELLA: 10.0, POOL["gnavus"]: 5.0, POOL["ecoli"]: 5.0}
    result = run(healthy=healthy, inflamed=inflamed)
    c = result.components["homeostasis.shared_response"]
    assert c["healthy"] > 0.9
    assert c["inflamed"] < 0.5  # the disease side outweighs the health side
    assert result.scores.loc["healthy", "homeostasis"] > result.scores.loc["inflamed", "homeostasis"]


def test_a_study_wide_scale_of_both_sides_cancels():
    """Doubling both sides (at the expense of neutral taxa) leaves the balance
    where it was, up to the floor: a ratio within the sample."""
    F = pd.DataFrame({"health_response": [0.2, 0.4], "disease_response": [0.05, 0.1]})
    a, b = shared_response(F)
    assert a == pytest.approx(b, abs=0.01)


def test_its_points_are_split_over_the_taxa_of_each_side():
    """'Microbes behind it': the health side's taxa get positive bars, the
    disease side's negative ones, and with the neutral half (listed once for
    the whole community) they add up to the component's points."""
    from gutbalance.pillars import calibration

    profile = {POOL["vulgatus"]: 65.0, POOL["faecalibacterium"]: 20.0, VEILLONELLA: 10.0, POOL["ecoli"]: 5.0}
    result = pillar_scores(make_cohort({"s": profile}), top=1000)
    w = calibration()["components"]["homeostasis"]["shared_response"]
    assert w > 0
    key = "homeostasis.shared_response"
    parts = {e["taxon"]: p["effect"] for e in result.contributions["s"]["homeostasis"]
             for p in e["parts"] if p["component"] == key}
    assert parts["Faecalibacterium prausnitzii"] > 0
    assert parts["Veillonella parvula"] < 0
    assert parts["Escherichia coli"] < 0
    assert "Whole community" not in parts  # its midpoint is the pillar's neutral entry
    assert sum(parts.values()) + 50 * w == pytest.approx(100 * w * result.components.loc["s", key])


def test_the_balances_are_signed_from_their_neutral_midpoint():
    """GMHI and GMWI2 below 0 lower homeostasis from the midpoint that the
    three balances share (an outside check: a GMWI2 of -0.57 was a bar raising
    the score by 7 points), and the entries still add up to the score."""
    from gutbalance.pillars import calibration, gmwi2_unit

    # GMWI2's two most negative species (Chang et al. 2024's model)
    profile = {POOL["vulgatus"]: 40.0, VEILLONELLA: 20.0, POOL["ecoli"]: 20.0,
               "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Veillonellales|f__Veillonellaceae|g__Dialister|"
               "s__Dialister_pneumosintes": 10.0,
               "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|"
               "s__Lactobacillus_salivarius": 10.0}
    result = pillar_scores(make_cohort({"s": profile}), top=1000)
    weights = calibration()["components"]["homeostasis"]
    entries = {p["component"]: p["effect"] for e in result.contributions["s"]["homeostasis"]
               if e["taxon"] == "Whole community" for p in e["parts"]}
    assert entries["homeostasis.neutral"] == pytest.approx(
        50 * (weights["shared_response"] + weights["gmhi"] + weights["gmwi2"]), abs=1e-6)
    unit = result.components.loc["s", "homeostasis.gmwi2"]
    assert unit < 0.5
    assert entries["homeostasis.gmwi2"] == pytest.approx(100 * weights["gmwi2"] * (unit - 0.5), abs=1e-6)
    assert entries["homeostasis.gmwi2"] < 0
    assert gmwi2_unit(0.0) == 0.5


#: The genera File S3 of Duvallet 2017 (repository cduvallet/microbiomeHD,
#: final/supp-files/file-S3.core_genera.txt) marks "disease", transcribed;
#: Erysipelotrichaceae_incertae_sedis is an RDP-only name and left out.
FILE_S3_DISEASE = {
    "Varibaculum", "Collinsella", "Porphyromonas", "Alloprevotella", "Hallella", "Staphylococcus",
    "Enterococcus", "Lactobacillus", "Leuconostoc", "Weissella", "Streptococcus", "Anaerococcus",
    "Finegoldia", "Parvimonas", "Peptoniphilus", "Mogibacterium", "Peptococcus", "Peptostreptococcus",
    "Megasphaera", "Veillonella", "Fusobacterium", "Campylobacter", "Cronobacter",
}
#: RDP's Lactobacillus of the paper, split in 2020 (Zheng et al. 2020); RDP's Escherichia/Shigella.
SPLIT = {"Lacticaseibacillus", "Lactiplantibacillus", "Limosilactobacillus", "Ligilactobacillus",
         "Escherichia", "Shigella"}


def test_kefir_starter_genera_are_on_the_disease_side_only_where_duvallet_put_them():
    """Issue 12 item 4, decided with the source: File S3 marks Lactobacillus,
    Leuconostoc, Weissella and Streptococcus "disease" (q < 0.05 in the same
    direction in at least two diseases; 16S genera, which cannot tell a
    starter strain from a resident), so they stay; Lactococcus and
    Pediococcus are blank there (not in the shared response) and must not
    count on its disease side."""
    facts = load_knowledge().facts
    disease = set(facts.loc[facts["trait"] == "shared_disease_response", "taxon"])
    assert disease == FILE_S3_DISEASE | SPLIT
    assert not {"Lactococcus", "Pediococcus", "Bifidobacterium", "Akkermansia"} & disease
    lactococcus = ("k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Lactococcus"
                   "|s__Lactococcus_lactis")
    base = {POOL["vulgatus"]: 60.0, POOL["faecalibacterium"]: 20.0}
    thermophilus = lactococcus.replace("g__Lactococcus|s__Lactococcus_lactis", "g__Streptococcus|s__Streptococcus_thermophilus")
    unknown = "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Notagenus|s__Notagenus_x"
    result = run(with_unknown={**base, unknown: 20.0}, with_lactococcus={**base, lactococcus: 20.0},
                 with_streptococcus={**base, thermophilus: 20.0})
    c = result.components["homeostasis.shared_response"]
    # Lactococcus is on neither side: it moves the balance only as a taxon nothing is known of would (dilution).
    assert c["with_lactococcus"] == pytest.approx(c["with_unknown"], abs=1e-9)
    assert c["with_streptococcus"] < c["with_unknown"] - 0.1
