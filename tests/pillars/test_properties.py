"""Properties the pillar scores must hold (docs/scoring.md), on random
communities drawn from real gut species."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gutbalance.pillars import PILLARS, calibration, parameters, pillar_scores
from tests.helpers import make_cohort

G = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
B = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales"
E = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae"
POOL = {
    "faecalibacterium": f"{G}|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii",
    "roseburia": f"{G}|f__Lachnospiraceae|g__Roseburia|s__Roseburia_intestinalis",
    "rectale": f"{G}|f__Lachnospiraceae|g__Lachnospiraceae_unclassified|s__Eubacterium_rectale",
    "bromii": f"{G}|f__Ruminococcaceae|g__Ruminococcus|s__Ruminococcus_bromii",
    "gnavus": f"{G}|f__Lachnospiraceae|g__Blautia|s__Ruminococcus_gnavus",
    "vulgatus": f"{B}|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus",
    "uniformis": f"{B}|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_uniformis",
    "fragilis": f"{B}|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_fragilis",
    "copri": f"{B}|f__Prevotellaceae|g__Prevotella|s__Prevotella_copri",
    "alistipes": f"{B}|f__Rikenellaceae|g__Alistipes|s__Alistipes_putredinis",
    "bifido": "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium|s__Bifidobacterium_adolescentis",
    "akkermansia": "k__Bacteria|p__Verrucomicrobia|c__Verrucomicrobiae|o__Verrucomicrobiales|f__Akkermansiaceae|g__Akkermansia|s__Akkermansia_muciniphila",
    "ecoli": f"{E}|g__Escherichia|s__Escherichia_coli",
    "klebsiella": f"{E}|g__Klebsiella|s__Klebsiella_pneumoniae",
    "bilophila": "k__Bacteria|p__Proteobacteria|c__Deltaproteobacteria|o__Desulfovibrionales|f__Desulfovibrionaceae|g__Bilophila|s__Bilophila_wadsworthia",
    "salivarius": "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Streptococcus|s__Streptococcus_salivarius",
    "veillonella": "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Veillonellales|f__Veillonellaceae|g__Veillonella|s__Veillonella_parvula",
}
PATHOGENS = {
    "salmonella": f"{E}|g__Salmonella|s__Salmonella_enterica",
    "cdifficile": f"{G}|f__Peptostreptococcaceae|g__Clostridioides|s__Clostridioides_difficile",
    "campylobacter": "k__Bacteria|p__Proteobacteria|c__Epsilonproteobacteria|o__Campylobacterales|f__Campylobacteraceae|g__Campylobacter|s__Campylobacter_jejuni",
}
BUTYRATE = {k: POOL[k] for k in ("faecalibacterium", "roseburia", "rectale")}

communities = st.dictionaries(
    st.sampled_from(sorted(POOL)), st.floats(0.5, 50.0), min_size=2, max_size=len(POOL)
).map(lambda d: {POOL[k]: 100 * v / sum(d.values()) for k, v in d.items()})


def _with(community: dict[str, float], lineage: str, share: float) -> dict[str, float]:
    """Add ``share`` (fraction of the new total) of one taxon, diluting the rest."""
    out = {k: v * (1 - share) for k, v in community.items()}
    out[lineage] = out.get(lineage, 0.0) + 100 * share
    return out


def _scores(**profiles) -> pd.DataFrame:
    return pillar_scores(make_cohort(profiles), contributions=False).scores


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities, st.sampled_from(sorted(PATHOGENS)), st.floats(0.001, 0.5))
def test_adding_a_pathogen_never_raises_defense(community, pathogen, share):
    scores = _scores(before=community, after=_with(community, PATHOGENS[pathogen], share))
    assert scores.loc["after", "defense"] <= scores.loc["before", "defense"] + 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities, st.sampled_from(sorted(BUTYRATE)), st.floats(0.001, 0.5))
def test_adding_butyrate_producers_never_lowers_nutrients(community, producer, share):
    """Shares are abundance-weighted means of evidence-weighted calls, so adding
    a producer moves the butyrate share towards the producer's own value; where
    that value is at least the community's share, nutrients may fall only by the
    dilution of the vitamin and quinone producers it displaces (capacity
    follows the producers' share, so dilution is a real loss)."""
    result = pillar_scores(make_cohort({"before": community, "after": _with(community, BUTYRATE[producer], share),
                                        "alone": {BUTYRATE[producer]: 100.0}}), contributions=False)
    scores, shares = result.scores, result.shares
    for trait in ("butyrate_producer", "scfa_producer"):
        before, alone = shares.loc["before", trait], shares.loc["alone", trait]
        assert shares.loc["after", trait] >= min(before, alone) - 1e-12
    if any(shares.loc["alone", t] < shares.loc["before", t] for t in ("butyrate_producer", "scfa_producer")):
        return  # the community already carries more (better-evidenced) producers than the one added
    k = parameters()["k_vitamin_producers"]
    vit = [c for c in shares.columns if c.startswith("vitamin_")]
    quin = ["menaquinone_synthesis", "ubiquinone_synthesis"]

    def capacity_points(sample):
        def cap(cols):
            return (shares.loc[sample, cols] / (shares.loc[sample, cols] + k)).mean()

        weights = calibration()["components"]["nutrients"]
        return 100 * (weights["vitamins"] * cap(vit) + weights["quinones"] * cap(quin))

    diluted = capacity_points("before") - capacity_points("after")
    assert scores.loc["after", "nutrients"] >= scores.loc["before", "nutrients"] - max(diluted, 0.0) - 1e-9


def test_scores_do_not_depend_on_sample_order():
    rng = np.random.default_rng(1)
    profiles = {}
    for i in range(8):
        keys = rng.choice(sorted(POOL), size=6, replace=False)
        w = rng.dirichlet(np.ones(6)) * 100
        profiles[f"S{i}"] = {POOL[k]: float(v) for k, v in zip(keys, w, strict=True)}
    forward = _scores(**profiles)
    backward = _scores(**dict(reversed(list(profiles.items()))))
    pd.testing.assert_frame_equal(forward, backward.loc[forward.index], check_exact=True)


def test_enterobacteriaceae_and_oral_streptococci_score_low_on_defense_and_barrier():
    healthy = {POOL[k]: v for k, v in {
        "faecalibacterium": 15, "roseburia": 8, "rectale": 10, "bromii": 7, "vulgatus": 15, "uniformis": 10,
        "copri": 15, "alistipes": 8, "bifido": 7, "akkermansia": 3, "ecoli": 1, "bilophila": 1}.items()}
    dysbiotic = {POOL[k]: v for k, v in {
        "ecoli": 40, "klebsiella": 20, "salivarius": 25, "veillonella": 10, "vulgatus": 5}.items()}
    scores = _scores(healthy=healthy, dysbiotic=dysbiotic)
    # Pillars are weighted means of components (docs/scoring.md), so a bloom
    # costs the weight of the components it touches rather than zeroing the
    # pillar: the dysbiotic gut keeps less than 40 % of the healthy one's score.
    for pillar in ("defense", "barrier"):
        assert scores.loc["dysbiotic", pillar] < 35, pillar
        assert scores.loc["dysbiotic", pillar] < 0.4 * scores.loc["healthy", pillar], pillar
    assert scores.loc["healthy", "immune_support"] > scores.loc["dysbiotic", "immune_support"]


def test_scores_are_bounded_and_complete():
    scores = _scores(a={POOL["ecoli"]: 100.0}, b={POOL["faecalibacterium"]: 60.0, POOL["vulgatus"]: 40.0})
    for col in [*PILLARS, "immune_support"]:
        assert scores[col].between(0, 100).all(), col
    assert not scores.isna().any().any()
    weights = calibration()["pillars"]
    expected = sum(weights[p] * scores[p] for p in PILLARS)
    assert scores["immune_support"].to_numpy() == pytest.approx(expected.to_numpy())


def test_every_parameter_is_sourced_or_assumed():
    prm = parameters()
    assert {"shannon_reference", "k_butyrate", "k_pathogen"} <= set(prm)
    assert all(v > 0 for v in prm.values())
