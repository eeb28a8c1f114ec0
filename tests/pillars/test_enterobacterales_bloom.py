"""A facultative bloom of former Enterobacteriaceae (Morganellaceae, Yersiniaceae since
Adeolu 2016) is scored as the bloom it is: harm in defense, inflammatory LPS in barrier."""

import pytest

from gutbalance.pillars import pillar_scores
from tests.helpers import make_cohort
from tests.pillars.test_properties import POOL

ORDER = "k__Bacteria|p__Pseudomonadota|c__Gammaproteobacteria|o__Enterobacterales"
BLOOMERS = {
    "morganella": f"{ORDER}|f__Morganellaceae|g__Morganella|s__Morganella_morganii",
    "proteus": f"{ORDER}|f__Morganellaceae|g__Proteus|s__Proteus_mirabilis",
    "serratia": f"{ORDER}|f__Yersiniaceae|g__Serratia|s__Serratia_marcescens",
}
BASE = {POOL["vulgatus"]: 40.0, POOL["uniformis"]: 30.0, POOL["alistipes"]: 10.0}


def run(**profiles):
    scaled = {name: {k: 100 * v / sum(p.values()) for k, v in p.items()} for name, p in profiles.items()}
    return pillar_scores(make_cohort(scaled), contributions=False)


@pytest.mark.parametrize("bloomer", sorted(BLOOMERS))
def test_a_bloom_of_the_old_family_gets_the_harm_and_lps_calls(bloomer):
    bloom = {**BASE, BLOOMERS[bloomer]: 20.0}
    # The same share of a harmless commensal: what dilution alone does.
    diluted = {**BASE, POOL["copri"]: 20.0}
    result = run(bloom=bloom, diluted=diluted)
    shares, scores = result.shares, result.scores
    assert shares.loc["bloom", "defense_harm"] > 0.05
    assert shares.loc["diluted", "defense_harm"] == pytest.approx(0.0, abs=1e-12)
    assert shares.loc["bloom", "lps_tlr4_agonist"] > shares.loc["diluted", "lps_tlr4_agonist"]
    assert shares.loc["bloom", "pathobiont_or_pathogen"] > 0  # the WHO-list opportunist call
    assert scores.loc["bloom", "defense"] < scores.loc["diluted", "defense"]
    assert scores.loc["bloom", "barrier"] < scores.loc["diluted", "barrier"]


def test_a_morganella_bloom_costs_defense_like_a_klebsiella_bloom_of_the_same_share():
    """Both are members of the old family and WHO-list opportunists (0.5); Klebsiella's calls
    come from species rows (stronger evidence), so it may cost more, never much less."""
    result = run(morganella={**BASE, BLOOMERS["morganella"]: 20.0}, klebsiella={**BASE, POOL["klebsiella"]: 20.0},
                 base=BASE)
    scores = result.scores
    assert scores.loc["morganella", "defense"] < scores.loc["base", "defense"] - 5
    assert scores.loc["klebsiella", "defense"] <= scores.loc["morganella", "defense"] + 1.0
