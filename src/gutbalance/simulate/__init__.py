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

>>> from gutbalance.simulate import Scenario, parse_antibiotic, simulate
>>> result = simulate(scenario=Scenario(days=30, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]))
>>> result.pillars.columns.tolist()
['time', 'training', 'homeostasis', 'nutrients', 'barrier', 'defense']
"""

from .api import SimulationResult, simulate, simulate_stein
from .fit import FittedModel, load_model
from .fit import fit as fit_model
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
