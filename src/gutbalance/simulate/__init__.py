"""Simulate what antibiotics, probiotics, fibre and pathogens do to a gut and its immune coupling.

Two models (docs/simulation.md):

``gut-immune``
    Microbial guilds with generalized Lotka-Volterra dynamics coupled to
    butyrate, barrier integrity, translocated LPS, effector and regulatory
    T-cell activity; started from a person's measured profile.
    :func:`simulate` runs it (optionally as an ensemble over parameter
    uncertainty) and returns a :class:`SimulationResult`.
``stein2013``
    The published 11-taxon mouse model of Stein et al. 2013 with clindamycin
    and C. difficile; :func:`simulate_stein`.
fitted models
    Dynamics with perturbation effects learned from longitudinal profiles
    (:func:`fit_model`, ``gutbalance fit``; :class:`FittedModel`,
    :func:`load_model`), forecasts and what-ifs from a sample
    (:func:`forecast_model`, ``gutbalance simulate --model MODEL --from SAMPLE``).
    Fitting (:mod:`gutbalance.simulate.fit`) needs scikit-learn and
    ``scipy.optimize``, about 0.7 s of CPU to import, which nothing else here
    needs: ``fit_model`` is :func:`gutbalance.simulate.fit.fit` imported on its
    first call (:mod:`gutbalance.lazy`), so importing this package, simulating,
    forecasting and loading a model never load scikit-learn.

>>> from gutbalance.simulate import Scenario, parse_antibiotic, simulate
>>> result = simulate(scenario=Scenario(days=30, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]))
>>> result.pillars.columns.tolist()
['time', 'training', 'homeostasis', 'nutrients', 'barrier', 'defense']
"""

from ..lazy import lazy
from .api import SimulationResult, simulate, simulate_stein
from .forecast import forecast_model, parse_perturbation
from .glv import (
    STEIN_EXTINCTION_THRESHOLD,
    Course,
    GLVModel,
    SteinScenario,
    run_stein_scenario,
    stein2013,
    stein2013_initial_condition,
    stein2013_initial_conditions,
)
from .gut_immune import ANTIBIOTICS, GUILDS, MICROBES, PATHOGENS, STATE, GutImmuneModel, calibrate, load_parameters
from .integrate import EXTINCT_LOG, IntegrationStats, Pulse, integrate_log
from .longitudinal import Longitudinal, Perturbation, SubjectSeries, from_cohort, mdsine2_dataset
from .model import FittedModel, load_model
from .pillars import PILLARS, VirtualProfiles
from .scenario import (
    AntibioticCourse,
    PathogenExposure,
    ProbioticCourse,
    Scenario,
    parse_antibiotic,
    parse_fibre,
    parse_pathogen,
    parse_probiotic,
)

#: :func:`gutbalance.simulate.fit.fit`, imported on its first call: fitting
#: loads scikit-learn, which simulating, forecasting and loading a model do not need.
fit_model = lazy(
    "gutbalance.simulate.fit:fit",
    "Fit a dynamical model to longitudinal profiles: :func:`gutbalance.simulate.fit.fit` (returns a "
    ":class:`FittedModel`), imported on its first call because fitting loads scikit-learn.",
)

__all__ = [
    "ANTIBIOTICS",
    "EXTINCT_LOG",
    "GUILDS",
    "MICROBES",
    "PATHOGENS",
    "PILLARS",
    "STATE",
    "STEIN_EXTINCTION_THRESHOLD",
    "AntibioticCourse",
    "Course",
    "FittedModel",
    "GLVModel",
    "GutImmuneModel",
    "IntegrationStats",
    "Longitudinal",
    "PathogenExposure",
    "Perturbation",
    "ProbioticCourse",
    "Pulse",
    "Scenario",
    "SimulationResult",
    "SteinScenario",
    "SubjectSeries",
    "calibrate",
    "fit_model",
    "forecast_model",
    "from_cohort",
    "integrate_log",
    "load_model",
    "load_parameters",
    "mdsine2_dataset",
    "parse_antibiotic",
    "parse_fibre",
    "parse_perturbation",
    "parse_pathogen",
    "parse_probiotic",
    "VirtualProfiles",
    "run_stein_scenario",
    "simulate",
    "simulate_stein",
    "stein2013",
    "stein2013_initial_condition",
    "stein2013_initial_conditions",
]
