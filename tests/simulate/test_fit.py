"""Learning dynamics (simulate/fit.py): recovery of known parameters, model files, what-if stability."""

from __future__ import annotations

import numpy as np
import pytest

from gutbalance.errors import FormatError, SimulationError
from gutbalance.simulate.fit import fit
from gutbalance.simulate.longitudinal import Longitudinal, Perturbation, SubjectSeries
from gutbalance.simulate.model import FittedModel, _logistic_solve, _loglinear_solve, load_model

TIMES = np.concatenate([np.arange(1.0, 10.0, 0.5), np.arange(10.0, 61.0, 1.0)])
SCHEDULE = [("diet", 20.0, 27.0), ("drug", 35.0, 42.0)]
SCALE = 1e9


def _signals(names):
    return [(a, b, np.array([n == name for n in names], dtype=float)) for name, a, b in SCHEDULE]


def _synthetic(solver, params, starts, noise=0.0, seed=0) -> Longitudinal:
    rng = np.random.default_rng(seed)
    names = [name for name, _, _ in SCHEDULE]
    series, perts = {}, []
    for k, y0 in enumerate(starts):
        y = solver(*params, np.log(np.asarray(y0) / SCALE), TIMES, _signals(names))
        values = np.exp(y + noise * rng.standard_normal(y.shape)) * SCALE
        subject = f"m{k}"
        series[subject] = SubjectSeries(subject, TIMES, values, np.ones_like(values, dtype=bool))
        perts += [Perturbation(name, a, b, subject) for name, a, b in SCHEDULE]
    return Longitudinal(["a", "b", "c"], series, perts, units="16S rRNA gene copies per gram")


LOGISTIC_TRUTH = {
    "growth": np.array([1.2, 0.8, 2.0]) / np.array([1.0, 0.5, 0.3]),   # r / theta
    "theta": np.array([1.0, 0.5, 0.3]),
    "capacity": np.array([20.0, 5.0, 1.0]),                          # in SCALE units
    "effects": np.array([[0.0, -3.0], [0.8, -1.5], [-0.5, 0.6]]),     # diet, drug (1/day on d ln x/dt)
}


def _logistic_params():
    t = LOGISTIC_TRUTH
    a = -t["growth"] * t["capacity"] ** (-t["theta"])
    return t["growth"], a, t["theta"], t["effects"]


def _logistic_solver(r, a, theta, e, y0, times, signals):
    return _logistic_solve(r, a, theta, e, y0, times, signals)


def test_logistic_fit_recovers_known_parameters():
    starts = [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7], [2e5, 4e7, 5e7]]
    data = _synthetic(_logistic_solver, _logistic_params(), starts, noise=0.05)
    model = fit(data, kind="logistic", members=0, scale=SCALE, floor=1e3)
    # tolerances: 5% log-normal noise on every point, 3 subjects x 69 points
    np.testing.assert_allclose(model.capacities() / SCALE, LOGISTIC_TRUTH["capacity"], rtol=0.1)
    np.testing.assert_allclose(model.effects[:, :2], LOGISTIC_TRUTH["effects"], atol=0.25)
    np.testing.assert_allclose(model.effects[:, 2:], 0.0, atol=0.1)  # no after-phase effect in the truth
    np.testing.assert_allclose(model.theta, LOGISTIC_TRUTH["theta"], atol=0.3)
    assert model.noise.shape == (3,)
    assert np.all(model.noise > 0)


def test_loglinear_fit_recovers_diagonal_dynamics():
    decay = np.array([0.5, 0.2, 1.0])
    capacity_log = np.log(np.array([10.0, 2.0, 0.5]))
    effects = np.array([[0.0, -2.0], [1.0, -0.5], [-0.3, 0.4]])
    r = decay * capacity_log
    data = _synthetic(_loglinear_solve, (r, np.diag(-decay), effects), [[1e6, 1e6, 1e6], [1e8, 1e7, 1e5]], noise=0.02)
    model = fit(data, kind="loglinear", members=0, scale=SCALE, floor=1e3, interaction_ridge=0.0)
    np.testing.assert_allclose(-np.diag(model.interactions), decay, rtol=0.1)
    np.testing.assert_allclose(model.effects[:, :2], effects, atol=0.1)
    np.testing.assert_allclose(model.effects[:, 2:], 0.0, atol=0.1)
    np.testing.assert_allclose(np.log(model.capacities() / SCALE), capacity_log, atol=0.05)


@pytest.fixture(scope="module")
def fitted() -> FittedModel:
    starts = [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7], [2e5, 4e7, 5e7]]
    data = _synthetic(_logistic_solver, _logistic_params(), starts, noise=0.1, seed=3)
    return fit(data, kind="logistic", members=4, scale=SCALE, floor=1e5)


def test_model_file_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.npz")
    back = load_model(path)
    assert back.taxa == fitted.taxa
    assert back.perturbations == fitted.perturbations
    assert back.kind == "logistic"
    for name in ("growth", "interactions", "effects", "noise", "caps", "theta", "start_log_mean", "start_weight"):
        np.testing.assert_array_equal(getattr(back, name), getattr(fitted, name))
    assert back.n_members == 4
    assert back.after_days is None
    assert back.start_day == 1.0
    np.testing.assert_array_equal(back.members["effects"], fitted.members["effects"])
    assert set(back.starts) == set(fitted.starts)
    assert back.provenance["fitted"] == fitted.provenance["fitted"]
    effects = back.perturbation_effects()
    assert list(effects.columns[:5]) == ["taxon", "lineage", "perturbation", "phase", "effect"]
    assert len(effects) == 3 * 2 * 2  # taxa x perturbations x (during, after)
    assert effects["sd"].notna().all()
    drug = effects[(effects["taxon"] == "a") & (effects["perturbation"] == "drug")].iloc[0]
    assert drug["p05"] <= drug["effect"] <= drug["p95"] or drug["sd"] < 0.5


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "x.npz"
    bad.write_text("hello")
    with pytest.raises(FormatError, match="x.npz"):
        load_model(bad)


@pytest.mark.parametrize("schedule", [
    [],                                                                    # everything left out
    [Perturbation("drug", 5.0, 40.0)],                                     # moved and made five times longer
    [Perturbation("drug", 2.0, 4.0), Perturbation("diet", 3.0, 60.0)],     # moved, shortened, overlapping
    [Perturbation("drug", 10.0, 12.0), Perturbation("drug", 11.0, 30.0)],  # doubled up
])
@pytest.mark.parametrize("kind", ["logistic", "loglinear", "glv"])
def test_what_ifs_stay_finite_and_within_observed_range(kind, schedule):
    starts = [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7], [2e5, 4e7, 5e7]]
    data = _synthetic(_logistic_solver, _logistic_params(), starts, noise=0.1, seed=3)
    model = fit(data, kind=kind, members=0, scale=SCALE, floor=1e5)
    times = np.arange(1.0, 200.0, 0.5)
    x, _ = model.simulate(np.array([1e5, 1e12, 1e5]), times, schedule)
    assert np.all(np.isfinite(x))
    assert np.all(x >= model.floor * (1 - 1e-12))
    assert np.all(x <= model.caps * (1 + 1e-12))
    assert np.all(x.sum(axis=1) <= model.total_cap * (1 + 1e-9))
    if kind == "loglinear":
        assert model.spectral_abscissa() < 0


def test_unknown_perturbation_is_refused(fitted):
    with pytest.raises(SimulationError, match="antibiotic"):
        fitted.simulate(np.ones(3) * 1e8, np.arange(1.0, 5.0), [Perturbation("antibiotic", 1.0, 2.0)])


def test_ensemble_spreads(fitted):
    ens = fitted.ensemble(np.array([1e6, 1e6, 1e6]), TIMES, [Perturbation("drug", 35.0, 42.0)])
    assert ens.shape == (4, len(TIMES), 3)
    assert np.all(np.isfinite(ens))


def test_start_estimate_shrinks_only_at_the_training_start_day(fitted):
    x0 = np.array([1e6, 1e6, 1e6])
    assert np.all((fitted.start_weight >= 0) & (fitted.start_weight <= 1))
    np.testing.assert_array_equal(fitted.start_estimate(x0, 30.0), x0)
    shrunk = fitted.start_estimate(x0, 1.0)
    mean = np.exp(fitted.start_log_mean)
    # between the sample and the training subjects' mean start, taxon by taxon
    assert np.all(np.minimum(x0, mean) <= shrunk * (1 + 1e-12))
    assert np.all(shrunk <= np.maximum(x0, mean) * (1 + 1e-12))


def test_after_phase_moves_with_the_perturbation(fitted):
    times = np.arange(1.0, 80.0, 0.5)
    start = np.array([1e8, 1e8, 1e8])
    early, _ = fitted.simulate(start, times, [Perturbation("drug", 10.0, 14.0)])
    late, _ = fitted.simulate(start, times, [Perturbation("drug", 40.0, 44.0)])
    # the same course 30 days later gives the same response 30 days later (the system is at rest before both)
    np.testing.assert_allclose(late[times >= 40.0][:40], early[(times >= 10.0)][:40], rtol=0.05)


def test_after_phase_of_a_longer_course_is_capped_at_the_learned_length(fitted):
    windows = fitted._signals([Perturbation("drug", 5.0, 40.0)])
    assert [(a, b) for a, b, _ in windows] == [(5.0, 40.0), (40.0, 47.0)]  # trained on a 7-day course
    windows = fitted._signals([Perturbation("drug", 5.0, 7.0)])
    assert [(a, b) for a, b, _ in windows] == [(5.0, 7.0), (7.0, 9.0)]


def test_loglinear_with_a_taxon_that_barely_relaxes_stays_stable():
    """A taxon fitted with relaxation slower than min_decay must not break the interaction step (it did on the real mice)."""
    starts = [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7], [2e5, 4e7, 5e7]]
    data = _synthetic(_logistic_solver, _logistic_params(), starts, noise=0.1, seed=3)
    for s in data.series.values():
        s.values[:, 2] = 1e6 * np.exp(0.01 * s.times)  # slow steady growth: best fitted by almost no relaxation
    model = fit(data, kind="loglinear", members=0, scale=SCALE, floor=1e5, min_decay=0.05)
    assert np.all(np.diag(model.interactions) <= -0.05 + 1e-12)
    assert model.spectral_abscissa() <= -0.05 + 1e-9


def test_first_day_is_the_datas_first_not_the_first_subjects():
    # fault (outside check): a profile file forecast from the first subject read's first day (2, where
    # that subject had no day-1 sample) instead of the data's (1), shifting the schedule by a day
    starts = [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7]]
    data = _synthetic(_logistic_solver, _logistic_params(), starts)
    first = data.series["m0"]
    data.series["m0"] = SubjectSeries("m0", first.times[2:], first.values[2:], first.observed[2:])
    assert next(iter(data.series.values())).times[0] == 2.0
    model = fit(data, kind="logistic", members=0, scale=SCALE, floor=1e3)
    assert model.provenance["first_day"] == 1.0


def test_an_after_phase_no_sample_reached_is_not_learned_not_a_certain_zero():
    # fault (outside check): every after-phase row of a model whose last sample fell inside the
    # perturbation read effect 0, sd 0, p05 0, p95 0: never learned, shown as certain
    data = _synthetic(_logistic_solver, _logistic_params(), [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7]])
    for name, s in list(data.series.items()):
        keep = s.times <= 40.0  # the drug runs 35-42: its after-phase is never sampled
        data.series[name] = SubjectSeries(name, s.times[keep], s.values[keep], s.observed[keep])
    model = fit(data, kind="logistic", members=2, scale=SCALE, floor=1e3, after_days=7.0)
    effects = model.perturbation_effects().set_index(["perturbation", "phase", "taxon"]).sort_index()
    assert effects.loc[("diet", "after"), "learned"].all()  # diet 20-27, sampled after it
    assert effects.loc[("drug", "during"), "learned"].all()
    unlearned = effects.loc[("drug", "after")]
    assert not unlearned["learned"].any()
    assert unlearned[["effect", "sd", "p05", "p95"]].isna().all().all()


def test_a_forecast_past_the_training_data_says_so():
    # fault (outside check): a 12-day forecast of a model trained on days 1-6 did not say that its last six days
    # extrapolate
    from gutbalance.simulate.forecast import forecast_model

    model = fit(_synthetic(_logistic_solver, _logistic_params(), [[1e6, 3e5, 2e8], [5e7, 1e6, 1e7]]),
                kind="logistic", members=0, scale=SCALE, floor=1e3)
    source = next(iter(model.starts))
    within = forecast_model(model, source, ensemble=False)
    assert not any("past the training data" in n for n in within.notes)
    beyond = forecast_model(model, source, days=80.0, ensemble=False)
    assert "Days 60-80 lie past the training data's last sample (day 60): the forecast there extrapolates" \
        " what the model learned." in beyond.notes
