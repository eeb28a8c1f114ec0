"""The study-offset diagnosis and the balance experiments of issue 12
(``scripts/study_offsets.py``, ``scripts/try_balances.py``; docs/validation.md,
"Why the pooled AUC sits below the studies'")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import f_oneway

from gutbalance import pillars
from tests.helpers import import_script

ROOT = Path(__file__).resolve().parents[2]



def test_eta_squared_matches_the_anova_f_statistic():
    """eta² = SS_between / SS_total, checked against scipy's one-way ANOVA:
    F = (eta² / (k - 1)) / ((1 - eta²) / (n - k))."""
    offsets = import_script("study_offsets")
    rng = np.random.default_rng(1)
    groups = [rng.normal(m, 1.0, 30) for m in (0.0, 0.5, 2.0)]
    x = np.concatenate(groups)
    g = np.repeat(["a", "b", "c"], 30)
    eta2 = offsets.eta_squared(x, g)
    k, n = 3, len(x)
    assert (eta2 / (k - 1)) / ((1 - eta2) / (n - k)) == pytest.approx(f_oneway(*groups).statistic)
    assert np.isnan(offsets.eta_squared(np.ones(6), np.array(list("aabbcc"))))


def test_a_pure_study_offset_costs_pooled_auc_and_centring_restores_it():
    """Two studies with the same within-study separation, one shifted down:
    the pooled AUC falls below the per-study AUCs, the centred one does not,
    and eta² among healthy people sees the shift."""
    offsets = import_script("study_offsets")
    rng = np.random.default_rng(2)
    n = 200
    healthy = np.tile([1, 0], n)
    study = np.repeat(["franzosa2019", "qin2012"], n)
    x = healthy * 1.0 + rng.normal(0, 1, 2 * n) - 3.0 * (study == "qin2012")
    labels = pd.DataFrame({"study": study, "healthy": healthy})
    out = offsets.offsets_table(pd.DataFrame({"score": x}), labels).loc["score"]
    assert out["pooled"] < min(out["franzosa2019"], out["qin2012"]) - 0.1
    assert out["pooled_centred"] == pytest.approx(out["mean"], abs=0.03)
    assert out["eta2_healthy"] > 0.5


def _inputs(P: np.ndarray, composite: dict[str, list[float]]):
    P = sp.csr_matrix(P)
    comp = pd.DataFrame(composite)
    F = pd.DataFrame(np.asarray(P @ comp.to_numpy()), columns=comp.columns)
    # the gate is the pillars' (_prepare); these tests read F and P only
    return pillars._Inputs(P=P, composite=comp, F=F, N=F.iloc[:, :0], community=F.iloc[:, :0],
                           gate=np.ones(P.shape[0]))


def test_presence_balance_counts_carriers_above_the_floor():
    """Presence balances count trait carriers above 0.1 %: a bloom of one
    pathobiont counts once; a trace under the floor not at all; neither side
    present gives 1/2."""
    tb = import_script("try_balances")
    traits = sorted({t for good, bad, _ in tb.PAIRS.values() for t in (good, bad)})
    taxa = 4
    composite = {t: [0.0] * taxa for t in traits}
    composite["immunomodulatory"] = [1.0, 1.0, 0.0, 0.0]
    composite["pathobiont_or_pathogen"] = [0.0, 0.0, 1.0, 1.0]
    P = np.array([
        [0.45, 0.05, 0.5, 0.0],     # 2 good carriers, 1 bad (a 50 % bloom)
        [0.5, 0.4995, 0.0, 0.0005],  # 2 good, the bad one under the floor
        [0.0, 0.0, 0.0, 0.0],        # nothing of either side
    ])
    inputs = _inputs(P, composite)
    components = pd.DataFrame(index=range(3), data={c.key: 0.5 for c in pillars.COMPONENTS})
    table, listed = tb.balances("presence", inputs, components)
    assert list(table["training.balance"]) == pytest.approx([(2 + 1) / (3 + 2), (2 + 1) / (2 + 2), 0.5])
    assert "training.pathobionts" not in table
    assert "training.immunomodulatory" not in table
    prior = {c.key: c.prior for c in pillars.COMPONENTS}
    merged = next(c for c in listed if c.key == "training.balance")
    assert merged.prior == pytest.approx(prior["training.immunomodulatory"] + prior["training.pathobionts"])
    # abundance balances: the logistic of the log-ratio of the shares
    table, _ = tb.balances("abundance", inputs, components)
    eps = pillars.DIVERSITY_FLOOR
    assert table["training.balance"].iloc[0] == pytest.approx((0.5 + eps) / (1.0 + 2 * eps))
    assert table["training.balance"].iloc[2] == pytest.approx(0.5)


def test_offset_shares_split_the_study_offset_by_weighted_component():
    """Two components shift between two studies' healthy people: each one's
    share of immune_support's between-study variance is its weighted shift's
    share of the total; patients (here shifted the other way) do not count."""
    offsets = import_script("study_offsets")
    cal = pillars.calibration()
    n = 60
    study = np.repeat(["a", "b"], n)
    healthy = np.tile([1, 0], n)
    labels = pd.DataFrame({"study": study, "healthy": healthy})
    components = pd.DataFrame({c.key: np.full(2 * n, 0.5) for c in pillars.COMPONENTS})
    in_a = study == "a"
    components["defense.harm"] = np.where(in_a == (healthy == 1), 0.9, 0.4)
    components["barrier.butyrate"] = np.where(in_a == (healthy == 1), 0.7, 0.5)
    shares = offsets.offset_shares(components, labels, cal)
    w_harm = cal["pillars"]["defense"] * cal["components"]["defense"]["harm"] * 0.5
    w_butyrate = cal["pillars"]["barrier"] * cal["components"]["barrier"]["butyrate"] * 0.2
    assert shares.sum() == pytest.approx(1.0)
    assert shares["defense.harm"] == pytest.approx(w_harm / (w_harm + w_butyrate))
    assert shares["barrier.butyrate"] == pytest.approx(w_butyrate / (w_harm + w_butyrate))
    assert shares.drop(["defense.harm", "barrier.butyrate"]).abs().max() == pytest.approx(0.0)


def test_imid_signature_sides_follow_the_lineage_table_and_leave_eligens_and_clostridium_iii_out():
    """Forbes et al. 2018's genera (scripts/try_imid_signature.py): a species
    counts on a side through its genus in the lineage table; MetaPhlAn's
    Eubacterium eligens stays under Eubacterium (not the paper's RDP
    Lachnospira), and no genus stands for the RDP group Clostridium III."""
    imid = import_script("try_imid_signature")
    assert "Clostridium III" not in imid.DISEASE_GENERA + imid.HEALTH_GENERA
    names = ["Lachnospira pectinoschiza", "Gemmiger formicilis", "Eubacterium eligens", "Eggerthella lenta",
             "Streptococcus thermophilus", "Faecalibacterium prausnitzii"]
    taxa = pd.DataFrame({"rank": "species", "name": names}, index=[f"s__{n}" for n in names])
    sides = imid.forbes_sides(taxa)
    assert list(sides["forbes_health"]) == [1, 1, 0, 0, 0, 0]
    assert list(sides["forbes_disease"]) == [0, 0, 0, 1, 1, 0]


def test_imid_variants_are_within_sample_balances_of_forbes_sides():
    """Variant B is (G + eps) / (G + D + 2 eps) of Forbes' sides alone, a new
    homeostasis component with the shared response's prior; variant A adds
    the sides to the shared response's (per taxon the larger call); a harmful
    taxon of a health genus earns no health credit."""
    imid = import_script("try_imid_signature")
    names = ["Gemmiger formicilis", "Eggerthella lenta", "Faecalibacterium prausnitzii", "Lachnospira pectinoschiza"]
    taxa = pd.DataFrame({"rank": "species", "name": names}, index=[f"s__{n}" for n in names])
    composite = {"harmless": [1.0, 1.0, 1.0, 0.0],  # the last one flagged harmful, for the test
                 "health_response": [0.0, 0.0, 1.0, 0.0], "disease_response": [0.0, 0.5, 0.0, 1.0]}
    P = np.array([[0.2, 0.1, 0.6, 0.1], [0.0, 0.0, 1.0, 0.0]])
    inputs = _inputs(P, composite)
    components = pd.DataFrame(index=range(2), data={c.key: 0.5 for c in pillars.COMPONENTS})
    eps = pillars.DIVERSITY_FLOOR
    table, listed, shares = imid.variant("B", inputs, taxa, components)
    assert list(shares["forbes_health"]) == pytest.approx([0.2, 0.0])  # the harmful Lachnospira earns nothing
    assert list(shares["forbes_disease"]) == pytest.approx([0.1, 0.0])
    assert list(table["homeostasis.imid_balance"]) == pytest.approx([(0.2 + eps) / (0.3 + 2 * eps), 0.5])
    added = next(c for c in listed if c.key == "homeostasis.imid_balance")
    shared = next(c for c in pillars.COMPONENTS if c.key == "homeostasis.shared_response")
    assert added.prior == shared.prior
    assert len(listed) == len(pillars.COMPONENTS) + 1
    table, listed, _ = imid.variant("A", inputs, taxa, components)
    g, d = 0.2 + 0.6, 1.0 * 0.1 + 1.0 * 0.1  # Eggerthella: max(0.5, 1); the harmful one stays on D
    assert table["homeostasis.shared_response"].iloc[0] == pytest.approx((g + eps) / (g + d + 2 * eps))
    assert table["homeostasis.shared_response"].iloc[1] == pytest.approx((1.0 + eps) / (1.0 + 2 * eps))
    assert listed == pillars.COMPONENTS


def test_crossfeeders_count_only_as_far_as_there_are_producers_to_feed():
    """scripts/try_crossfeed.py: ``bounded`` supply = P + min(C, P), ``gated``
    P + C P/(P + K), ``ungated`` P + C; a cross-feeder that is also a
    producer counts as a producer, bifidobacteria alone earn no butyrate
    supply, and only nutrients.butyrate changes (per sample)."""
    cf = import_script("try_crossfeed")
    # taxa: a producer, a cross-feeder, one that is both (half-weighted producer call)
    composite = {"butyrate_producer": [1.0, 0.0, 0.5], "butyrate_supply": [1.0, 1.0, 1.0]}
    P = np.array([
        [0.1, 0.3, 0.0],  # few producers: the feeders count only up to the producers
        [0.3, 0.1, 0.0],  # producers enough: the feeders count in full
        [0.0, 0.9, 0.0],  # no producer: no supply
        [0.0, 0.0, 0.4],  # a producer-feeder: 0.2 as producer, its other 0.2 bounded by that
    ])
    inputs = _inputs(P, composite)
    assert list(cf.supply("bounded", inputs)) == pytest.approx([0.2, 0.4, 0.0, 0.4])
    assert list(cf.supply("ungated", inputs)) == pytest.approx([0.4, 0.4, 0.9, 0.4])
    K = pillars.DIVERSITY_FLOOR
    assert list(cf.supply("gated", inputs)) == pytest.approx(
        [0.1 + 0.3 * 0.1 / (0.1 + K), 0.3 + 0.1 * 0.3 / (0.3 + K), 0.0, 0.2 + 0.2 * 0.2 / (0.2 + K)])
    components = pd.DataFrame(index=range(4), data={c.key: 0.5 for c in pillars.COMPONENTS})
    table = cf.variant("bounded", inputs, components)
    k = pillars.parameters()["k_butyrate"]
    assert list(table[cf.KEY]) == pytest.approx([0.2 / (0.2 + k), 0.4 / (0.4 + k), 0.0, 0.4 / (0.4 + k)])
    assert table.drop(columns=cf.KEY).equals(components.drop(columns=cf.KEY))
    # ``present``: the gate counts only producers whose own share is at least the floor
    rare = np.array([[0.0005, 0.9995, 0.0, 0.0], [0.002, 0.998, 0.0, 0.0]])
    trace = _inputs(rare, {"butyrate_producer": [1.0, 0.0, 0.0, 0.0], "butyrate_supply": [1.0, 1.0, 0.0, 0.0]})
    assert list(cf.supply("present", trace)) == pytest.approx([0.0005, 0.002 + 0.998 * 0.002 / (0.002 + K)])
    assert cf.supply("gated", trace)[0] > 0.3
    # a sample's supply depends on that sample alone
    for name in ("bounded", "gated", "present"):
        assert list(cf.supply(name, _inputs(P[2:3], composite))) == [0.0]
