"""Behaviour of the gut-immune model: tests that fail if the dynamics are wrong."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gutbalance.errors import SimulationError
from gutbalance.simulate import (
    PILLARS,
    STATE,
    GutImmuneModel,
    Scenario,
    calibrate,
    load_parameters,
    parse_antibiotic,
    parse_pathogen,
    simulate,
)
from gutbalance.simulate.glv import Course
from gutbalance.simulate.gut_immune import _DIAGONAL_FROM, DYNAMIC_INDEX, N_GUILD, facultative_niche, oxygen_signal
from gutbalance.simulate.integrate import integrate_log, to_log


def col(result, name):
    return result.trajectory[name].to_numpy()


def test_healthy_state_stays_put():
    result = simulate(scenario=Scenario(days=365))
    values = result.trajectory[result.state_columns].to_numpy()
    np.testing.assert_allclose(values, np.broadcast_to(values[0], values.shape), rtol=1e-6, atol=1e-12)
    pillars = result.pillars[PILLARS].to_numpy()
    np.testing.assert_allclose(pillars, np.broadcast_to(pillars[0], pillars.shape), rtol=1e-6)


def test_antibiotics_hurt_then_mostly_recover():
    result = simulate(scenario=Scenario(days=240, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]))
    butyrate, barrier, effector = col(result, "butyrate"), col(result, "barrier"), col(result, "effector")
    assert butyrate[5] < 0.5 * butyrate[0]
    assert barrier[8] < barrier[0] - 0.02
    assert effector[8] > 1.5 * effector[0]
    # back close to baseline, but not necessarily all the way (species lost during the course)
    assert 0.9 * butyrate[0] < butyrate[-1] <= butyrate[0] * (1 + 1e-6)
    assert barrier[-1] == pytest.approx(barrier[0], rel=0.02)
    assert effector[-1] == pytest.approx(effector[0], rel=0.1)
    pillars = result.pillars.set_index("time")
    for pillar in PILLARS:
        assert pillars[pillar].min() < pillars.loc[0.0, pillar] - 1  # every pillar is hit
        assert pillars.loc[240.0, pillar] > pillars[pillar].min() + 0.5 * (pillars.loc[0.0, pillar] - pillars[pillar].min())


def test_pathogen_invades_after_antibiotics_not_before_and_is_cleared():
    exposure = parse_pathogen("c_difficile:day=5")
    healthy = simulate(scenario=Scenario(days=120, pathogens=[exposure]))
    treated = simulate(scenario=Scenario(days=120, pathogens=[exposure],
                                         antibiotics=[parse_antibiotic("clindamycin:days=0-5")]))
    assert col(healthy, "pathogen").max() == pytest.approx(1e-8)  # the inoculum, then decline
    assert col(healthy, "pathogen")[-1] < 1e-9
    peak = col(treated, "pathogen").max()
    assert peak > 1e-2  # a bloom of a million times the inoculum
    assert col(treated, "pathogen")[-1] < 1e-3 * peak  # cleared as immunity and commensals return
    assert col(treated, "immunity").max() > 100 * col(treated, "immunity")[0]
    assert treated.pillars["defense"].min() < healthy.pillars["defense"].min()


def test_more_fibre_raises_butyrate():
    base = simulate(scenario=Scenario(days=60))
    more = simulate(scenario=Scenario(days=60, fibre=0.3))
    assert col(more, "butyrate")[-1] > col(base, "butyrate")[-1] * 1.05
    assert col(more, "bifido_lab")[-1] > col(base, "bifido_lab")[-1]


def test_ensemble_never_negative_or_nan():
    scenario = Scenario(days=120, antibiotics=[parse_antibiotic("clindamycin:days=0-7:dose=1")],
                        pathogens=[parse_pathogen("salmonella:day=3")], fibre=-0.5)
    result = simulate(scenario=scenario, draws=64, seed=7)
    for frame in (result.trajectory, *result.bands.values(), result.pillars, *result.pillar_bands.values()):
        values = frame.to_numpy()
        assert np.all(np.isfinite(values))
        assert np.all(values >= 0)
    assert np.all(result.bands["p05"][result.state_columns].to_numpy() <= result.bands["p95"][result.state_columns].to_numpy())


def test_matches_solve_ivp_radau():
    params = load_parameters(1)
    state0 = calibrate(params, params.reference)
    model = GutImmuneModel(params, fibre=0.2)
    courses = [Course("ciprofloxacin", 2.0, 9.0, 0.5)]
    times, ours = model.run(state0, 60.0, courses=courses, atol=1e-9)
    x = state0[0, DYNAMIC_INDEX]
    ref_t, ref = [0.0], [x]
    for a, b in [(0.0, 2.0), (2.0, 9.0), (9.0, 60.0)]:
        u = {"ciprofloxacin": 0.5} if a == 2.0 else {}
        sol = solve_ivp(lambda t, y, u=u: model.derivative(np.maximum(y, 1e-300), u)[0], (a, b), x, method="Radau",
                        rtol=1e-10, atol=1e-14, t_eval=np.arange(a + 1, b + 1e-9))
        x = sol.y[:, -1]
        ref_t += list(sol.t)
        ref += list(sol.y.T)
    np.testing.assert_allclose(ref_t, times)
    np.testing.assert_allclose(ours[0][:, DYNAMIC_INDEX], np.array(ref), rtol=1e-4, atol=1e-12)


def test_personal_start_is_an_equilibrium():
    guilds = {"butyrate_producers": 0.05, "bacteroidales": 0.6, "bifido_lab": 0.01, "facultative_pathobionts": 0.2,
              "other_commensals": 0.14}
    result = simulate(guilds=guilds, scenario=Scenario(days=100))
    values = result.trajectory[result.state_columns].to_numpy()
    np.testing.assert_allclose(values[-1], values[0], rtol=1e-6, atol=1e-12)
    # an absent guild starts at the detection limit, held there by immigration
    assert result.start["akkermansia"] == pytest.approx(1e-5)
    assert values[-1, STATE.index("akkermansia")] == pytest.approx(1e-5)
    # a dysbiotic start scores below the healthy reference composition
    reference = simulate(scenario=Scenario(days=1))
    for pillar in ("nutrients", "defense"):
        assert result.pillars[pillar].iloc[0] < reference.pillars[pillar].iloc[0]


def test_probiotic_and_fmt_add_to_the_guilds():
    from gutbalance.simulate import parse_probiotic

    guilds = {"bacteroidales": 0.7, "other_commensals": 0.3}  # no butyrate producers, no bifidobacteria
    fmt = simulate(guilds=guilds, scenario=Scenario(days=60, probiotics=[parse_probiotic("fmt:days=1-4")]))
    producers = col(fmt, "butyrate_producers")
    assert producers[0] == pytest.approx(1e-5)  # below detection
    assert producers.max() > 0.05
    # the recipient's own community is its steady state and holds a guild it lacked out only weakly
    # (immigration balance): donor producers fade over months, they do not vanish at once
    assert producers[-1] > 1000 * producers[0]
    assert col(fmt, "butyrate")[0] < 1e-3 < 0.05 < col(fmt, "butyrate")[-1]


def test_a_probiotic_says_it_is_its_guild_not_its_strain(tmp_path):
    """An outside check: --probiotic bifidobacterium, lactobacillus and
    lacticaseibacillus gave byte-identical results, and a bifidobacterium
    course raised the person's Lactococcus, without a word on the page."""
    from gutbalance.simulate import parse_probiotic
    from tests.helpers import write_metaphlan

    profile = write_metaphlan(tmp_path / "p.txt")
    result = simulate(profile, scenario=Scenario(days=20, probiotics=[parse_probiotic("lactobacillus:days=1-8")]),
                      draws=0)
    (said,) = [n for n in result.notes if n.startswith("Probiotic lactobacillus")]
    assert "the model follows guilds, not strains" in said
    assert "bifido_lab guild (as bifidobacterium, lacticaseibacillus would: the same trajectory)" in said
    plain = simulate(profile, scenario=Scenario(days=20), draws=0)
    assert not any(n.startswith("Probiotic") for n in plain.notes)
    # the page says what the numbers rest on (only docs/simulation.md did: an outside check)
    (rest,) = [n for n in plain.notes if n.startswith("Parameters:")]
    assert re.match(r"Parameters: \d+ of the model's \d+ are assumed", rest)


def test_unknown_names_are_simulation_errors():
    with pytest.raises(SimulationError, match="unknown antibiotic"):
        simulate(scenario=Scenario(days=10, antibiotics=[parse_antibiotic("penicillin-x:days=0-2")]))
    with pytest.raises(SimulationError, match="unknown pathogen"):
        simulate(scenario=Scenario(days=10, pathogens=[parse_pathogen("ebola:day=2")]))
    with pytest.raises(SimulationError):
        simulate(guilds={"unicorns": 1.0})


def test_analytic_jacobian_matches_finite_differences():
    from gutbalance.simulate.integrate import _forward_difference_jacobian

    params = load_parameters(4, rng=np.random.default_rng(5))
    params.with_gram_positive_share(0.4)  # the facultative guild's Gram-positive share enters under vancomycin
    state0 = calibrate(params, np.array([0.3, 0.4, 0.05, 0.02, 0.01, 0.2, 1e-4]))
    model = GutImmuneModel(params, fibre=0.2)
    rows = np.arange(4)
    # guilds about at their day-0 load (mostly full) and thinned by half (room for the drugs' release)
    for thinned in (0.0, -0.7):
        y = np.log(state0[:, DYNAMIC_INDEX]) + np.random.default_rng(6).normal(0, 0.3, (4, len(DYNAMIC_INDEX)))
        y[:, :N_GUILD] += thinned
        y[:, -1] = np.log(0.4) + np.random.default_rng(7).normal(0, 0.3, 4)  # a share stays below 1
        for control in (None, {"clindamycin": 0.7}, {"vancomycin": 0.5, "ciprofloxacin": 0.3}):
            analytic = model.jacobian(y, rows, control)
            numeric = _forward_difference_jacobian(model.rhs)(y, rows, control)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5 * np.abs(numeric).max())
            if control:  # the drugs' own part (the release's block included) to the finite differences' precision
                own = analytic - model.jacobian(y, rows, None)
                numeric_own = numeric - _forward_difference_jacobian(model.rhs)(y, rows, None)
                np.testing.assert_allclose(own, numeric_own, rtol=1e-4, atol=1e-6 * np.abs(numeric_own).max())


def test_jacobian_tail_is_diagonal_and_its_elimination_changes_nothing():
    params = load_parameters(20, rng=np.random.default_rng(8))
    params.with_gram_positive_share(0.4)
    guilds = np.random.default_rng(9).dirichlet(params.reference[:6] * 50, size=20)
    state0 = calibrate(params, np.concatenate([guilds, np.full((20, 1), 1e-4)], axis=1))
    model = GutImmuneModel(params)
    y = to_log(state0[:, DYNAMIC_INDEX]) + np.random.default_rng(10).normal(0, 0.3, (20, len(DYNAMIC_INDEX)))
    for control in (None, {"vancomycin": 0.5, "ciprofloxacin": 0.3}):
        tail = model.jacobian(y, np.arange(20), control)[:, _DIAGONAL_FROM:, _DIAGONAL_FROM:]
        assert np.count_nonzero(tail) == np.count_nonzero(np.diagonal(tail, axis1=1, axis2=2))
    # ROS4 with the tail eliminated first and with the full matrix: the same solution up to round-off
    # (through a course and three weeks of recovery: the full-matrix run is the slow one, 60 days of
    # it cost most of a CI minute and showed nothing more)
    runs = [integrate_log(model.rhs, to_log(state0[:, DYNAMIC_INDEX]), np.arange(31.0), method="ros4",
                          control=lambda t: {"vancomycin": 0.5} if t < 7 else {}, breakpoints=[7.0],
                          jacobian=model.jacobian, diagonal_from=tail_from, atol=1e-8)
            for tail_from in (_DIAGONAL_FROM, None)]
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-9, atol=0)


def test_switching_integrator_agrees_with_explicit_one():
    params = load_parameters(50, rng=np.random.default_rng(2))
    guilds = np.random.default_rng(3).dirichlet(params.reference[:6] * 50, size=50)
    state0 = calibrate(params, np.concatenate([guilds, np.zeros((50, 1))], axis=1))
    model = GutImmuneModel(params)
    courses = [Course("amoxicillin", 10.0, 17.0, 0.5)]
    _, explicit = model.run(state0, 120.0, courses=courses, atol=1e-9, method="dopri5")
    _, auto = model.run(state0, 120.0, courses=courses, atol=1e-9, method="auto")
    alive = explicit > 1e-9
    assert np.max(np.abs(auto[alive] - explicit[alive]) / explicit[alive]) < 1e-5
    assert np.array_equal(auto == 0, explicit == 0)


def test_the_facultative_niche_follows_butyrate_from_day_0():
    # the niche is the day-0 one at day 0's butyrate and above, opens as butyrate falls, fully without it
    B = np.array([2.0, 0.5, 0.3, 0.1, 1e-9])
    opening, oxygen0 = np.full(5, 25.0), np.full(5, oxygen_signal(np.array(0.5)))
    ratio, _ = facultative_niche(B, opening, oxygen0)
    assert ratio[0] == 1.0
    assert ratio[1] == 1.0
    assert np.all(np.diff(ratio[1:]) > 0)
    assert ratio[-1] == pytest.approx(26.0, rel=1e-6)


def _kefir_person(guilds: list[float], *, gram_positive_share: float):
    """Central parameters calibrated to a kefir profile's guilds, its facultative guild as the profile
    path builds it (Gram-negative members' LPS 1, Gram-positive members' 0, their share of the guild)."""
    params = load_parameters(1)
    params.with_lps_potency("facultative_pathobionts", 1.0)
    params.with_gram_positive_lps(0.0)
    params.with_gram_positive_share(gram_positive_share)
    return params, calibrate(params, np.array(guilds))


def test_an_inflamed_persons_facultative_guild_follows_falling_inflammation_without_dying_out():
    # Kefir Subj031's guilds: 56 % facultative (E. coli and streptococci), an inflamed start (effector
    # 2.3).  +30 % fibre lowers the effector; while inflammation was a growth-rate term, the growth it
    # had supplied at day 0 turned into a loss larger than self-limitation can give back and the guild
    # fell to 1e-5 of its start (2026-11-29).  As the niche it opens (host nitrate), the guild shrinks
    # in proportion to it.
    params, state0 = _kefir_person([0.16, 0.0015, 0.13, 0.0015, 0.56, 0.15, 0.0], gram_positive_share=0.91)
    _, states = GutImmuneModel(params, fibre=0.3).run(state0, 90)
    effector = states[0, :, STATE.index("effector")]
    guild = states[0, :, STATE.index("facultative_pathobionts")]
    assert effector[0] > 2
    assert effector[-1] < 0.5 * effector[0]
    assert 0.2 * guild[0] < guild.min()
    assert guild[-1] < 0.7 * guild[0]
    # the facultative guild answers inflammation through its niche only; the pathogen keeps its growth term
    assert params.inflammation[0, STATE.index("facultative_pathobionts")] == 0
    assert params.inflammation_niche[0, STATE.index("facultative_pathobionts")] > 0
