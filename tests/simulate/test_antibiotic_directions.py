"""The simulator's antibiotics move a profile the way the literature and real series say.

What users of other labs found (docs/tried-on-public-data.md): clindamycin raised ``nutrients`` in
Bacteroidales-dominated profiles, ciprofloxacin raised ``defense`` whatever the facultative guild was
made of, and the vancomycin bloom of Enterobacteriaceae in MDSINE2's mice was about 10x too small.
Each test names the fault it guards against, on a profile of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.cohort import SampleProfile, build_cohort
from gutbalance.io import read_metadata
from gutbalance.simulate import Scenario, parse_antibiotic, simulate
from gutbalance.simulate.api import person, run_person
from gutbalance.simulate.gut_immune import (
    DYNAMIC,
    DYNAMIC_INDEX,
    GRAM_POSITIVE_SHARE,
    MICROBES,
    N_MIC,
    STATE,
    GutImmuneModel,
    calibrate,
    load_parameters,
    lps_load,
)
from gutbalance.simulate.longitudinal import read_table
from gutbalance.simulate.personal import guild_abundances
from gutbalance.taxonomy.lineage import parse_lineage

BACTEROIDES = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__"
FAECALI = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
           "s__Faecalibacterium_prausnitzii")
ROSEBURIA = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|"
             "s__Roseburia_intestinalis")
ECOLI = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
         "g__Escherichia|s__Escherichia_coli")
EFAECIUM = ("k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Enterococcaceae|g__Enterococcus|"
            "s__Enterococcus_faecium")
ALISTIPES = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Rikenellaceae|g__Alistipes|s__Alistipes_putredinis"
AKKERMANSIA = ("k__Bacteria|p__Verrucomicrobia|c__Verrucomicrobiae|o__Verrucomicrobiales|f__Akkermansiaceae|"
               "g__Akkermansia|s__Akkermansia_muciniphila")
STREPTOCOCCUS = ("k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Streptococcus|"
                 "s__Streptococcus_salivarius")
KLEBSIELLA = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
              "g__Klebsiella|s__Klebsiella_pneumoniae")
PROTEUS = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Morganellaceae|g__Proteus|"
           "s__Proteus_mirabilis")
TURICIBACTER = ("k__Bacteria|p__Firmicutes|c__Erysipelotrichia|o__Erysipelotrichales|f__Erysipelotrichaceae|"
                "g__Turicibacter|s__Turicibacter_sanguinis")
RGNAVUS = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Mediterraneibacter|"
           "s__Mediterraneibacter_gnavus")
FAC = MICROBES.index("facultative_pathobionts")
BUT = MICROBES.index("butyrate_producers")


def profile(species: dict[str, float]) -> gutbalance.Cohort:
    """A one-sample cohort from full MetaPhlAn lineages and fractions."""
    return build_cohort([SampleProfile(sample="constructed", lineages=[parse_lineage(k) for k in species],
                                       abundance=list(species.values()))])


def course(cohort: gutbalance.Cohort, drug: str, days: int = 7, dose: float | None = None):
    spec = f"{drug}:days=0-{days}" + (f":dose={dose}" if dose is not None else "")
    return simulate(cohort, Scenario(days=days, antibiotics=[parse_antibiotic(spec)]))


def share(result, guild: int, day: float) -> float:
    t = result.trajectory.set_index("time")
    x = t.loc[day, MICROBES[:-1]].to_numpy(dtype=float)
    return float(x[guild] / x.sum())


def bacteroidales_dominated() -> gutbalance.Cohort:
    # the shape of bioBakery HMP2's HSM67VF3 (97 % Bacteroidales, 2.4 % butyrate producers, no
    # facultative anaerobes), where clindamycin raised nutrients by 47 points
    return profile({BACTEROIDES + "Bacteroides_vulgatus": 0.60, BACTEROIDES + "Bacteroides_uniformis": 0.25,
                    ALISTIPES: 0.126, FAECALI: 0.015, ROSEBURIA: 0.009})


def test_clindamycin_does_not_raise_the_butyrate_share_of_a_bacteroidales_dominated_profile():
    # fault: with the facultative guild held near its niche, a gut cleared of its anaerobes kept its
    # relative composition, and the producers (x0.003) outlasted the Bacteroidales (x0.0003): their
    # share of the bacteria rose, and nutrients with it
    result = course(bacteroidales_dominated(), "clindamycin")
    assert share(result, BUT, 7.0) < share(result, BUT, 0.0)
    pillars = result.pillars.set_index("time")
    assert pillars.loc[7.0, "nutrients"] < pillars.loc[0.0, "nutrients"]



def test_metronidazole_spares_a_bacteroidales_guts_producers_only_through_the_assumed_competition():
    # docs/simulation.md, "The three rises left": metronidazole kills Bacteroidales and producers at one
    # rate, yet HSM67VF3's producers fell x0.0033 against x0.0006 and their share (nutrients with it)
    # rose: the Bacteroidales' competition on them is lifted.  Without it they fall like the
    # Bacteroidales; either way the model's own butyrate collapses, which a score of shares cannot show.
    cohort = bacteroidales_dominated()
    scenario = Scenario(days=7, antibiotics=[parse_antibiotic("metronidazole:days=0-7")])
    start = person(cohort, scenario)
    bac, butyrate = MICROBES.index("bacteroidales"), STATE.index("butyrate")
    folds = {}
    for competition in (True, False):
        params = load_parameters(1, pathogen=start.pathogen)
        if not competition:
            params.interactions[:, BUT, [j for j in range(N_MIC) if j != BUT]] = 0.0
        _, states, _ = run_person(start, params, scenario)
        first, last = states[0][0], states[0][-1]
        folds[competition] = (last[BUT] / first[BUT], last[bac] / first[bac])
        assert last[butyrate] < 0.01 * first[butyrate]
    producers, bacteroidales = folds[True]
    assert producers > 2 * bacteroidales
    producers, bacteroidales = folds[False]
    assert producers == pytest.approx(bacteroidales, rel=0.5)

def test_an_obligately_anaerobic_pathobiont_is_not_a_facultative_bloomer():
    # fault: R. gnavus (an obligate anaerobe of the Lachnospiraceae the knowledge base calls a
    # pathobiont) was put in the facultative guild, so it took the Enterobacteriaceae's rows (Stein's
    # +3.70 bloom under clindamycin, the oxygen response); in bioBakery HMP2 it was the whole guild of
    # 512 of 1,319 profiles
    _, _, assignment = guild_abundances(profile({BACTEROIDES + "Bacteroides_vulgatus": 0.9, RGNAVUS: 0.05,
                                                 ECOLI: 0.05}))
    gnavus = assignment.loc["s__Mediterraneibacter gnavus"]
    assert gnavus["model_guild"] == "other_commensals"
    assert gnavus["basis"] == "knowledge:obligate_anaerobe"
    assert assignment.loc["s__Escherichia coli", "model_guild"] == "facultative_pathobionts"


def test_clindamycin_does_not_raise_nutrients_where_the_facultative_guild_was_a_trace_of_r_gnavus():
    # the shape of bioBakery HMP2's MSM79H83 (Bacteroidales 84 %, producers 15 %, Akkermansia 0.4 %,
    # and R. gnavus at 2e-6 as its only facultative member), where clindamycin raised nutrients by
    # 6.8: the trace was the guild, its niche the trace (K = its abundance), so nothing bloomed into
    # the space the anaerobes left and the producers' share of the survivors rose
    cohort = profile({BACTEROIDES + "Bacteroides_vulgatus": 0.60, BACTEROIDES + "Bacteroides_uniformis": 0.24,
                      FAECALI: 0.09, ROSEBURIA: 0.058, AKKERMANSIA: 0.0043, TURICIBACTER: 0.0077, RGNAVUS: 2e-6})
    result = course(cohort, "clindamycin")
    assert share(result, FAC, 7.0) > 0.5
    pillars = result.pillars.set_index("time")
    assert pillars.loc[7.0, "nutrients"] < pillars.loc[0.0, "nutrients"] - 10


def test_clindamycin_leaves_the_resistant_facultative_guild_dominant():
    # clindamycin clears obligate anaerobes; intrinsically resistant Enterobacteriaceae take their place
    result = course(bacteroidales_dominated(), "clindamycin")
    assert share(result, FAC, 7.0) > 0.5


@pytest.mark.parametrize(("drug", "dose"), [("clindamycin", None), ("vancomycin", 1.0)])
def test_a_carried_trace_of_the_facultative_guild_blooms_at_least_as_much_as_none(drug, dose):
    # fault: a carried guild had its own day-0 abundance as its niche, so a trace could grow only ~6-10x
    # while an absent guild (the reference niche) grew ~9,000x: iHMP CSM67UAQ (guild 0.04 %) rose in
    # nutrients under clindamycin and MDSINE2's mouse 5 (0.05 %) bloomed to 1.5 % against the real 24 %.
    # The facultative guild's niche is now at least the reference abundance (gut_immune.calibrate)
    loads = []
    for trace in (0.0, 1e-4, 4e-4, 2.4e-3, 0.02):
        cohort = profile({BACTEROIDES + "Bacteroides_vulgatus": 0.70, BACTEROIDES + "Bacteroides_uniformis": 0.22,
                          FAECALI: 0.02, ROSEBURIA: 0.02, AKKERMANSIA: 0.02 - trace / 2,
                          TURICIBACTER: 0.02 - trace / 2, ECOLI: trace})
        t = course(cohort, drug, dose=dose).trajectory.set_index("time")["facultative_pathobionts"]
        loads.append(float(t.loc[7.0]))
    # Since the niche's opening and the drugs' release fill only the room the others leave (2026-11-29),
    # an absent guild and a trace bloom into the same room: the absent guild's reference niche is its
    # day-0 niche, the trace's is an opening, so the absent one may end a little ahead (within 10 %; the
    # fault was a 1,000-fold gap)
    assert all(later >= 0.9 * earlier for earlier, later in zip(loads, loads[1:], strict=False)), loads
    assert loads[2:] == sorted(loads[2:]), loads
    assert loads[1] > 100 * 1e-4  # a trace blooms more than 100-fold (x5.6 with its own niche, clindamycin)


def test_clindamycin_does_not_raise_nutrients_where_the_guild_is_a_carried_trace():
    # the shape of iHMP's CSM67UAQ (Bacteroidales 94 %, producers 2 %, E. coli 0.04 %), whose nutrients
    # rose by 10.4 points under clindamycin while its guild was held at ~6x its own trace
    cohort = profile({BACTEROIDES + "Bacteroides_vulgatus": 0.70, BACTEROIDES + "Bacteroides_uniformis": 0.24,
                      FAECALI: 0.013, ROSEBURIA: 0.008, TURICIBACTER: 0.0386, ECOLI: 0.0004})
    result = course(cohort, "clindamycin")
    assert share(result, FAC, 7.0) > 0.5
    assert share(result, BUT, 7.0) < share(result, BUT, 0.0)
    pillars = result.pillars.set_index("time")
    assert pillars.loc[7.0, "nutrients"] < pillars.loc[0.0, "nutrients"]


def test_vancomycin_blooms_enterobacteriaceae_to_a_fifth_of_the_bacteria_at_the_mouse_dose():
    # fault: the bloom stayed near 3x the guild's niche (MDSINE2's mice: 3-5 % simulated, 18-27 % real)
    # the mice's make-up before the course: Bacteroidales 68 %, Akkermansia 12 %, other commensals 15 %
    cohort = profile({BACTEROIDES + "Bacteroides_vulgatus": 0.68, AKKERMANSIA: 0.12, TURICIBACTER: 0.15,
                      ROSEBURIA: 0.045, ECOLI: 0.005})
    result = course(cohort, "vancomycin", dose=1.0)
    during = np.mean([share(result, FAC, d) for d in (4.0, 5.0, 6.0, 7.0)])
    assert 0.1 < during < 0.6  # 0.04 before the fix


def test_the_facultative_guild_knows_its_gram_positive_share():
    cohort = profile({BACTEROIDES + "Bacteroides_vulgatus": 0.9, ECOLI: 0.02, EFAECIUM: 0.06, FAECALI: 0.02})
    _, _, assignment = guild_abundances(cohort)
    assert assignment.attrs["gram_positive_share"] == pytest.approx(0.75)
    assert not assignment.loc["s__Escherichia coli", "gram_positive"]


def test_gram_positive_members_take_the_drug_rows_of_their_own():
    # the guild's drug term is the share-weighted mean of its two parts' susceptibilities, and the
    # share follows their difference: ds/dt = s (1 - s) (eps+ - eps) u
    params = load_parameters(1)
    guild = params.susceptibility["ciprofloxacin"][0, FAC]
    positive = params.susceptibility_gram_positive["ciprofloxacin"][0]
    params.with_gram_positive_share(0.25)
    state0 = calibrate(params, np.array([0.3, 0.4, 0.05, 0.02, 0.01, 0.2, 1e-4]))
    assert state0[0, STATE.index(GRAM_POSITIVE_SHARE)] == 0.25
    model = GutImmuneModel(params)
    y = np.log(state0[:, DYNAMIC_INDEX])
    rows = np.arange(1)
    drug = model.rhs(y, rows, {"ciprofloxacin": 1.0}) - model.rhs(y, rows, None)
    assert drug[0, FAC] == pytest.approx(0.75 * guild + 0.25 * positive)
    assert drug[0, DYNAMIC.index(GRAM_POSITIVE_SHARE)] == pytest.approx(0.75 * (positive - guild))
    # a drug without a Gram-positive row keeps the guild's value and the share
    assert "metronidazole" not in params.susceptibility_gram_positive
    drug = model.rhs(y, rows, {"metronidazole": 1.0}) - model.rhs(y, rows, None)
    assert drug[0, FAC] == pytest.approx(params.susceptibility["metronidazole"][0, FAC])
    assert drug[0, DYNAMIC.index(GRAM_POSITIVE_SHARE)] == 0.0
    with pytest.raises(gutbalance.GutBalanceError, match="within 0-1"):
        params.with_gram_positive_share(1.5)


def test_ciprofloxacin_clears_enterobacteriaceae_but_hardly_enterococci():
    # fault: the facultative guild took the Enterobacteriaceae's -3/day whatever its members, so an
    # Enterococcus-dominated guild was cleared by ciprofloxacin and defense rose; in people quinolones
    # suppress the Enterobacteriaceae and affect Gram-positive aerobic cocci to minor degrees
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    gram_negative = course(profile({**base, ECOLI: 0.15}), "ciprofloxacin")
    gram_positive = course(profile({**base, EFAECIUM: 0.15}), "ciprofloxacin")

    def fold(result):
        t = result.trajectory.set_index("time")["facultative_pathobionts"]
        return t.loc[7.0] / t.loc[0.0]

    assert fold(gram_negative) < 0.05
    assert fold(gram_positive) > 0.5
    d_neg = gram_negative.pillars.set_index("time")["defense"].diff().sum()
    d_pos = gram_positive.pillars.set_index("time")["defense"].diff().sum()
    assert d_neg > 0  # fewer Enterobacteriaceae: a rise of defense is real here
    assert d_pos < d_neg


def test_gentamicin_clears_enterobacteriaceae_spares_enterococci_and_lowers_butyrate_producers():
    # fault: gentamicin left the facultative guild untouched (the mice's +0.54 cut to 0) and the
    # butyrate producers at 0, so the producers grew into the space the other anaerobes left; under
    # oral aminoglycoside decontamination people lose Enterobacteriaceae and the F. prausnitzii group
    # while enterococci rise (Benus 2010)
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    gram_negative = course(profile({**base, ECOLI: 0.15}), "gentamicin")
    gram_positive = course(profile({**base, EFAECIUM: 0.15}), "gentamicin")

    def fold(result, guild):
        t = result.trajectory.set_index("time")[guild]
        return t.loc[7.0] / t.loc[0.0]

    assert fold(gram_negative, "facultative_pathobionts") < 0.5
    assert fold(gram_positive, "facultative_pathobionts") > 1.0
    assert fold(gram_negative, "butyrate_producers") < 0.8
    params = load_parameters(1)
    assert params.susceptibility_gram_positive["gentamicin"][0] == 0.0


def test_vancomycin_clears_enterococci_but_blooms_enterobacteriaceae():
    # fault: vancomycin had no Gram-positive row, so a facultative guild of enterococci took the
    # Enterobacteriaceae's fitted bloom (+5.11/day) and its enterococci grew under a drug that kills
    # Gram-positives; in people oral vancomycin lowers Gram-positives while Enterobacteriaceae expand
    # in every subject (Vrieze 2014, Isaac 2017): the guild's Gram-negative part, below detection in
    # this profile, blooms and the enterococci fall
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    gram_negative = course(profile({**base, ECOLI: 0.15}), "vancomycin")
    gram_positive = course(profile({**base, EFAECIUM: 0.15}), "vancomycin")

    def parts(result):
        t = result.trajectory.set_index("time")
        guild, share = t["facultative_pathobionts"], t[GRAM_POSITIVE_SHARE]
        return guild.loc[7.0] / guild.loc[0.0], (guild * share).loc[7.0] / (guild * share).loc[0.0]

    guild, _ = parts(gram_negative)
    assert guild > 1.0
    guild, enterococci = parts(gram_positive)
    assert guild > 1.0  # the Enterobacteriaceae it carried below detection
    assert enterococci < 0.01
    # the virtual profile shows it: E. coli (the guild's representative) in, defense down
    for result in (gram_negative, gram_positive):
        pillars = result.pillars.set_index("time")
        assert pillars.loc[7.0, "defense"] < pillars.loc[0.0, "defense"]
    params = load_parameters(1)
    assert params.susceptibility_gram_positive["vancomycin"][0] < 0
    assert params.susceptibility["vancomycin"][0, FAC] > 0  # the Gram-negative members' bloom


def virtual_members(cohort: gutbalance.Cohort, drug: str, day: int = 7) -> pd.DataFrame:
    """Own abundance of every species of the virtual profile on day 0 and ``day`` of a course."""
    scenario = Scenario(days=day, antibiotics=[parse_antibiotic(f"{drug}:days=0-{day}")])
    t = simulate(cohort, scenario).trajectory.set_index("time")[STATE].to_numpy()
    share = t[:, STATE.index(GRAM_POSITIVE_SHARE)]
    virtual = person(cohort, scenario).virtual.cohort(t[[0, day], :N_MIC], t[[0, 0], :N_MIC], ["day 0", "later"],
                                                      share[[0, day]], share[[0, 0]])
    own, taxa = virtual.terminal_matrix(max_rank="species")
    return pd.DataFrame(own.toarray().T, index=taxa.index, columns=["day 0", "later"])


def test_a_streptococcal_guild_blooms_as_its_own_gram_negatives_under_vancomycin():
    # the question: a facultative guild made mostly of streptococci, under vancomycin, loses them and
    # blooms with its Gram-negative part; which taxa show that bloom?  They must be the profile's own
    # Gram-negative facultatives, in their day-0 proportions (Klebsiella 2 : Proteus 1), not the guild's
    # representative E. coli, which stands in only for a profile without any (the documented default)
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    members = virtual_members(profile({**base, STREPTOCOCCUS: 0.12, KLEBSIELLA: 0.02, PROTEUS: 0.01}), "vancomycin")
    strep, kleb, prot = (members.loc[f"s__{name}"] for name in
                         ("Streptococcus salivarius", "Klebsiella pneumoniae", "Proteus mirabilis"))
    assert strep["later"] < 0.01 * strep["day 0"]
    assert kleb["later"] > 10 * kleb["day 0"]
    assert kleb["later"] / prot["later"] == pytest.approx(2.0, rel=1e-9)
    assert "s__Escherichia coli" not in members.index or members.loc["s__Escherichia coli", "later"] == 0
    # without a Gram-negative member the representative shows the part carried below detection
    alone = virtual_members(profile({**base, STREPTOCOCCUS: 0.15}), "vancomycin")
    assert alone.loc["s__Escherichia coli", "day 0"] == 0
    assert alone.loc["s__Escherichia coli", "later"] > 0.5


def test_the_facultative_guild_lps_follows_its_gram_negative_bloom():
    # fault: the guild's LPS potency was its day-0 members' mean, so a guild of streptococci (no LPS)
    # whose Klebsiella and Proteus (hexa-acylated LPS, potency 1: the knowledge base's Enterobacterales
    # row reaches Proteus, a Morganellaceae since 2016) bloom under vancomycin kept
    # the streptococci's low LPS.  Independent check: the model's potency equals the abundance-weighted
    # LPS call of the guild's members in the virtual profile (what the pillars score), day by day
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    cohort = profile({**base, STREPTOCOCCUS: 0.12, KLEBSIELLA: 0.02, PROTEUS: 0.01})
    scenario = Scenario(days=7, antibiotics=[parse_antibiotic("vancomycin:days=0-7")])
    start = person(cohort, scenario)
    params = load_parameters(1)
    _, states, _ = run_person(start, params, scenario)
    states = states[0]
    x, share = states[:, :N_MIC], states[:, STATE.index(GRAM_POSITIVE_SHARE)]
    fac = x[:, FAC]
    others = x.copy()
    others[:, FAC] = 0.0
    potency = (lps_load(params, x, share) - lps_load(params, others, share)) / fac
    _, _, assignment = guild_abundances(cohort)
    members = assignment[assignment["model_guild"] == "facultative_pathobionts"]
    virtual = start.virtual.cohort(x, np.broadcast_to(x[0], x.shape), [f"day {d}" for d in range(len(x))],
                                   share, np.full(len(x), share[0]))
    own, taxa = virtual.terminal_matrix(max_rank="species")
    own = pd.DataFrame(own.toarray(), columns=taxa.index)[members.index]
    expected = (own * members["lps"]).sum(axis=1) / own.sum(axis=1)
    np.testing.assert_allclose(potency, expected.to_numpy(), rtol=1e-9)
    assert potency[0] == pytest.approx((0.02 * 1.0 + 0.01 * 1.0) / 0.15)
    assert potency[-1] > 0.8  # the Gram-negative part took over the guild
    # and the translocated LPS rises beyond the guild's own growth (with the day-0 potency it would not)
    lps = states[:, STATE.index("lps")]
    assert lps[-1] / lps[0] > 5 * fac[-1] / fac[0]  # 11x; about 2x with the day-0 potency


def test_gentamicin_spares_bacteroidales_and_does_not_raise_nutrients_of_a_bacteroidales_gut():
    # fault: gentamicin took the MDSINE2 mice's fitted Bacteroidales effect (-2.69/day), a slowing of
    # their regrowth after vancomycin (their load rose during gentamicin), which this model turned into
    # a 400-fold fall; the producers' share rose and nutrients with it.  Bacteroides are intrinsically
    # aminoglycoside-resistant (no oxygen-dependent uptake: Taber 1987)
    params = load_parameters(1)
    assert params.susceptibility["gentamicin"][0, MICROBES.index("bacteroidales")] == 0.0
    result = course(bacteroidales_dominated(), "gentamicin")
    t = result.trajectory.set_index("time")["bacteroidales"]
    assert t.loc[7.0] / t.loc[0.0] > 0.5
    pillars = result.pillars.set_index("time")
    assert pillars.loc[7.0, "nutrients"] < pillars.loc[0.0, "nutrients"]


def test_mdsine2_vancomycin_bloom_is_the_size_of_the_real_one(shared_data):
    # the real Enterobacteriaceae share during vancomycin (days 39-42.5, mice 2-5) against the simulated
    # facultative guild's from each mouse's last sample before the course, at the mouse dose.  In-sample:
    # the vancomycin row was fitted on these mice (scripts/derive_fitted_susceptibility.py)
    folder = shared_data / "dynamics" / "mdsine2_gibson_healthy"
    if not (folder / "counts.tsv").exists():
        pytest.skip(f"{folder} absent")
    cohort = read_table(folder / "counts.tsv", folder / "silva_species.tsv")
    meta = read_metadata(folder / "metadata.tsv")
    meta = meta[meta["subject"].astype(str) != "1"]
    family, taxa = cohort.rank_matrix("family", renormalize=True)
    entero = pd.Series(family[:, list(taxa["name"].astype(str)).index("Enterobacteriaceae")].toarray().ravel(),
                       index=cohort.sample_names).reindex(meta.index)
    real_per_mouse = entero[(meta.time >= 39) & (meta.time <= 42.5)].groupby(meta["subject"]).mean()
    real = float(real_per_mouse.mean())
    simulated = {}
    for subject, rows in meta[(meta.time >= 30) & (meta.time <= 35.5)].groupby("subject"):
        start = rows.sort_values("time").index[-1]
        result = simulate(cohort, Scenario(days=7, antibiotics=[parse_antibiotic("vancomycin:days=0-7:dose=1")]),
                          sample=start)
        simulated[str(subject)] = float(np.mean([share(result, FAC, d) for d in (4.0, 5.0, 6.0, 7.0)]))
    assert 0.15 < real < 0.35
    assert real / 2 < float(np.mean(list(simulated.values()))) < real * 2
    # each mouse matches its own bloom: mice 2-4 carry no facultative member at day 35.5 (their guild starts
    # at the detection limit with the reference niche), mouse 5 carries one at 0.05 %, which bloomed to only
    # ~1.5 % (real 24 %) while a carried guild's niche was its own abundance (docs/simulation.md, sixth round)
    for mouse in ("2", "3", "4", "5"):
        assert real_per_mouse[mouse] / 2 < simulated[mouse] < real_per_mouse[mouse] * 2, mouse


def carried_trace() -> gutbalance.Cohort:
    # the shape of iHMP's CSM67UAQ (Bacteroidales 94 %, producers 2 %, E. coli 0.04 %)
    return profile({BACTEROIDES + "Bacteroides_vulgatus": 0.70, BACTEROIDES + "Bacteroides_uniformis": 0.24,
                    FAECALI: 0.013, ROSEBURIA: 0.008, TURICIBACTER: 0.0386, ECOLI: 0.0004})


def test_the_facultative_bloom_recedes_when_the_producers_come_back_after_clindamycin():
    # fault: with its niche fixed at the reference abundance (sixth round) a carried trace stayed bloomed:
    # here x9.8 of day 0 at day 180 and 1.3 % of the bacteria at day 42 (CSM67UAQ itself: x10.6 at day 180).
    # The niche now follows butyrate: it closes as the producers return (gut_immune.facultative_niche).
    # Bound: people's communities were near their baseline composition 1.5 months (day 42) after a broad
    # course that bloomed enterobacteria (Palleja 2018, doi:10.1038/s41564-018-0257-9, human)
    result = simulate(carried_trace(), Scenario(days=180, antibiotics=[parse_antibiotic("clindamycin:days=0-7")]))
    t = result.trajectory.set_index("time")
    producers = t["butyrate_producers"] / t["butyrate_producers"].iloc[0]
    fold = t["facultative_pathobionts"] / t["facultative_pathobionts"].iloc[0]
    assert share(result, FAC, 7.0) > 0.5  # the bloom itself stays
    assert producers.loc[42.0] > 0.9  # the producers are back...
    assert share(result, FAC, 42.0) - share(result, FAC, 0.0) < 0.005  # ...and the guild within 0.5 % points
    assert fold.loc[180.0] < 2.5


def test_a_carried_trace_cleared_by_ciprofloxacin_comes_back():
    # fault: with its niche fixed at the reference abundance (sixth round) a trace cleared by a drug regrew at
    # 0.5 x own / reference per day: CSM67UAQ's guild was at x0.20 of day 0 at day 180 (x0.77 with its own
    # niche). At day 0's butyrate the niche is the guild's own, so it regrows at the guild's own rate.
    # Bound: communities began to return within a week of a ciprofloxacin course, if often incompletely
    # (Dethlefsen & Relman 2011, doi:10.1073/pnas.1000087107, human)
    result = simulate(carried_trace(), Scenario(days=90, antibiotics=[parse_antibiotic("ciprofloxacin:days=0-7")]))
    fold = result.trajectory.set_index("time")["facultative_pathobionts"]
    fold = fold / fold.iloc[0]
    assert fold.loc[7.0] < 0.1  # cleared
    assert fold.loc[30.0] > 0.5
    assert fold.loc[90.0] > 0.5


def test_clindamycin_inhibits_streptococci_not_enterococci_and_amoxicillin_both():
    # fault (an outside check): the guild's streptococci took the Enterobacteriaceae's rows, the fitted +3.7
    # under clindamycin and -0.5 under amoxicillin, so a guild of streptococci bloomed under both drugs.
    # Streptococci are susceptible to both; enterococci are intrinsically resistant to clindamycin
    # (EUCAST expert rules, Leclercq 2013) and Enterococcus faecalis is susceptible to aminopenicillins.
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    streptococci, enterococci = profile({**base, STREPTOCOCCUS: 0.15}), profile({**base, EFAECIUM: 0.15})

    def gram_positive_part(result, day):
        t = result.trajectory.set_index("time")
        return t.loc[day, "facultative_pathobionts"] * t.loc[day, "facultative_gram_positive_share"]

    def fold(cohort, drug):
        result = course(cohort, drug)
        return gram_positive_part(result, 7.0) / gram_positive_part(result, 0.0)

    # clindamycin: the streptococci are cleared; the enterococci are not inhibited (they lose ground only to
    # the guild's Enterobacteriaceae, whose fitted bloom is faster: 0.66 of their start by day 7)
    # (0.0019 since each part's release acts apart: the streptococci die at their own rate, no longer also
    # at the Enterobacteriaceae's unreleased bloom rate, an outside audit's finding)
    assert fold(streptococci, "clindamycin") < 5e-3
    assert fold(enterococci, "clindamycin") > 0.1
    # amoxicillin: both fall (0.30 by day 7: the guild's niche, opened by the butyrate producers' loss, slows it)
    assert fold(streptococci, "amoxicillin") < 0.5
    assert fold(enterococci, "amoxicillin") < 0.5


def test_a_part_of_the_guild_a_course_cleared_comes_back():
    # fault (known limit of 2026-11-29): the Gram-positive share had no restoring term, so the
    # Enterobacteriaceae ciprofloxacin cleared from a mixed guild never came back and training stayed
    # "better" for good; people re-acquire E. coli within 4 weeks (de Lastours 2012, PMID 22930806)
    base = {BACTEROIDES + "Bacteroides_vulgatus": 0.45, FAECALI: 0.2, ROSEBURIA: 0.1, ALISTIPES: 0.1}
    result = simulate(profile({**base, ECOLI: 0.1, EFAECIUM: 0.05}),
                      Scenario(days=120, antibiotics=[parse_antibiotic("ciprofloxacin:days=0-7")]))
    share = result.trajectory.set_index("time")["facultative_gram_positive_share"]
    assert share[0.0] == pytest.approx(1 / 3, rel=0.05)
    assert share[7.0] > 0.9  # the course cleared the Enterobacteriaceae
    assert share[60.0] == pytest.approx(share[0.0], abs=0.05)  # and they are back
    # training, raised by the loss of the Enterobacteriaceae (52 -> 71 by day 14), falls back with them
    # (63 by day 60 and 55 by day 120, the guild still regrowing; it stayed at 78 without the return)
    training = result.pillars.set_index("time")["training"]
    assert training[120.0] - training[0.0] < 0.25 * (training[14.0] - training[0.0])


@pytest.mark.parametrize("drug", ["vancomycin", "clindamycin"])
def test_a_guild_that_was_most_of_the_gut_does_not_grow_past_the_whole_load(drug):
    # fault (known limit of 2026-11-29): a drug's release was a plain growth rate and the niche inflammation
    # and oxygen open had no bound, so kefir Subj011 (97 % enterococci) reached 8.5 times the whole load under
    # vancomycin and Subj031 (56 % E. coli and streptococci) 2.1, held for weeks. Both now fill only the room
    # the other guilds leave (docs/simulation.md, "The release is bounded by the room the drug leaves")
    cohort = profile({ECOLI: 0.30, STREPTOCOCCUS: 0.30, BACTEROIDES + "Bacteroides_vulgatus": 0.15,
                      FAECALI: 0.12, ROSEBURIA: 0.08, ALISTIPES: 0.05})
    trajectory = course(cohort, drug).trajectory.set_index("time")
    guilds = trajectory[[g for g in MICROBES if g != "pathogen"]]
    load = guilds.sum(axis=1)
    # 5.7 (vancomycin) and 5.1 (clindamycin) before; then 1.31 and 1.28, the facultative guild's oxygen
    # growth term, a growth rate the bound did not reach; since its rise is released as the gut has room
    # too, the load never exceeds day 0's (docs/simulation.md, "Oxygen's growth is bounded by the room too")
    assert load.max() <= 1.001 * load.loc[0.0], load.max() / load.loc[0.0]
    # the bloom is still there: the Enterobacteriaceae take the room the anaerobes leave
    assert share(course(cohort, drug), FAC, 7.0) > 0.8


def test_one_drugs_release_does_not_cancel_another_drugs_killing():
    # fault (outside audit of the room bound): the release was taken of each guild's net drug drive, so
    # ciprofloxacin's killing of the Enterobacteriaceae (given with vancomycin) was offset against
    # vancomycin's release before the release was scaled: the guild x2.14 and the load 1.29 of day 0 at
    # day 7, against x1.49 and 0.91 with each drug's term scaled apart
    cohort = profile({ECOLI: 0.30, STREPTOCOCCUS: 0.30, BACTEROIDES + "Bacteroides_vulgatus": 0.15,
                      FAECALI: 0.12, ROSEBURIA: 0.08, ALISTIPES: 0.05})
    both = simulate(cohort, Scenario(days=7, antibiotics=[parse_antibiotic("vancomycin:days=0-7"),
                                                          parse_antibiotic("ciprofloxacin:days=0-7")]))
    trajectory = both.trajectory.set_index("time")
    guilds = trajectory[[g for g in MICROBES if g != "pathogen"]]
    assert guilds.sum(axis=1).loc[7.0] < guilds.sum(axis=1).loc[0.0]
    alone = course(cohort, "vancomycin").trajectory.set_index("time")
    assert trajectory.loc[7.0, "facultative_pathobionts"] < alone.loc[7.0, "facultative_pathobionts"]
