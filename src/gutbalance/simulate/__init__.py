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

>>> from gutbalance.simulate import Scenario, parse_antibiotic, simulate
>>> result = simulate(scenario=Scenario(days=30, antibiotics=[parse_antibiotic("amoxicillin:days=0-5")]))
>>> result.pillars.columns.tolist()
['time', 'training', 'homeostasis', 'nutrients', 'barrier', 'defense']
"""

from .api import SimulationResult, simulate, simulate_stein
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
    "GLVModel",
    "GutImmuneModel",
    "IntegrationStats",
    "PathogenExposure",
    "ProbioticCourse",
    "Pulse",
    "Scenario",
    "SimulationResult",
    "SteinScenario",
    "calibrate",
    "integrate_log",
    "load_parameters",
    "parse_antibiotic",
    "parse_fibre",
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
