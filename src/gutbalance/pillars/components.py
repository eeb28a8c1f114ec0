"""The components of the pillars: what each is (:class:`Component`, the
list :data:`COMPONENTS` with its literature direction and prior weight) and
its value per sample, 0 (worst) to 1 (best) (:func:`_components`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd

from ..cohort import Cohort
from .constants import B_VITAMINS, DIVERSITY_FLOOR, QUINONES, _h, parameters
from .inputs import _Inputs, _prepare


@dataclass(frozen=True)
class Component:
    """One literature-defined part of a pillar, 0 (worst) to 1 (best).

    ``kind`` is ``"reward"`` (:math:`h(F; K)` of a favourable trait share),
    ``"penalty"`` (:math:`1 - h(F; K)` of a harmful one), ``"capacity"``
    (the mean over a group of vitamins of whether the community can make
    each) or ``"community"``
    (a property of the whole community, not of single taxa).  ``trait`` is
    the composite trait whose share :math:`F` it uses, ``k`` the parameter
    name of its half-saturation constant, ``prior`` its weight before
    calibration (the judgement of ``docs/scoring.md``).
    """

    pillar: str
    name: str
    kind: str
    label: str
    trait: str = ""
    k: str = ""
    prior: float = 1.0

    @property
    def key(self) -> str:
        """``pillar.name``: how the component is named in calibration.json and scores.json."""
        return f"{self.pillar}.{self.name}"


#: Every component, by pillar.  Direction (reward or penalty) is fixed here
#: from the literature (docs/scoring.md gives the sources); only the weights
#: are calibrated.
COMPONENTS: tuple[Component, ...] = (
    Component("training", "immunomodulatory", "reward",
              "immune-training commensals (Treg inducer, beneficial commensal, probiotic)", "immunomodulatory",
              "k_beneficial", 0.5),
    Component("training", "pathobionts", "penalty", "pathobionts and pathogens", "pathobiont_or_pathogen",
              "k_pathobiont", 0.5),
    Component("homeostasis", "anti_inflammatory", "reward", "anti-inflammatory taxa (and sphingolipid producers)",
              "anti_inflammatory",
              "k_balance", 1 / 8),
    Component("homeostasis", "pro_inflammatory", "penalty", "pro-inflammatory taxa", "pro_inflammatory",
              "k_balance", 1 / 8),
    Component("homeostasis", "health_associated", "reward",
              "species more common in healthy people (Asnicar 2021, GMHI)", "health_associated", "k_balance", 1 / 8),
    Component("homeostasis", "disease_associated", "penalty",
              "species more common in disease (Asnicar 2021, GMHI)", "disease_associated", "k_balance", 1 / 8),
    Component("homeostasis", "reference_similarity", "community",
              "similarity of the genera to the healthy reference (1 - dysbiosis)", prior=1 / 8),
    Component("homeostasis", "gmhi", "community", "Gut Microbiome Health Index over taxa above 0.03 % (as 0-1)",
              prior=1 / 8),
    Component("homeostasis", "gmwi2", "community", "Gut Microbiome Wellness Index 2 over taxa above 0.03 % (as 0-1)",
              prior=1 / 8),
    Component("homeostasis", "shared_response", "community",
              "the shared response to disease: butyrate producers and health-associated taxa against disease-associated"
              " taxa, pathobionts and pro-inflammatory taxa (Duvallet 2017), as a balance", prior=1 / 8),
    Component("nutrients", "butyrate", "reward",
              "butyrate supply: butyrate producers and the acetate/lactate makers that feed them, where"
              " producers are present",
              "butyrate_supply", "k_butyrate", 0.45),
    Component("nutrients", "scfa", "reward", "butyrate or propionate producers, or their feeders", "scfa_producer",
              "k_scfa", 0.25),
    Component("nutrients", "vitamins", "capacity", "B-vitamin producers", "b_vitamins", "", 0.2),
    Component("nutrients", "quinones", "capacity", "vitamin K2 and coenzyme Q producers", "quinones", "", 0.1),
    Component("barrier", "butyrate", "reward", "butyrate producers (colonocyte fuel)", "butyrate_producer",
              "k_butyrate", 0.3),
    Component("barrier", "obligate_anaerobes", "reward", "strict anaerobes", "obligate_anaerobe",
              "k_obligate_anaerobe", 0.18),
    Component("barrier", "akkermansia", "reward", "Akkermansia", "akkermansia", "k_akkermansia", 0.12),
    Component("barrier", "lps", "penalty", "strongly inflammatory LPS", "lps_tlr4_agonist", "k_lps", 0.1),
    Component("barrier", "sulfate_reducers", "penalty", "sulfate-reducing H2S producers", "sulfate_reducer",
              "k_h2s", 0.1),
    Component("barrier", "facultative", "penalty", "oxygen-tolerant bloomers (facultative anaerobes and aerobes)",
              "oxygen_tolerant", "k_facultative", 0.1),
    Component("barrier", "mucin_excess", "penalty", "mucus degraders above 10 %", "mucin_degrader",
              "k_mucin_excess", 0.1),
    Component("defense", "obligate_anaerobes", "reward", "harmless strict anaerobes (occupy the niche)",
              "obligate_anaerobe_harmless", "k_obligate_anaerobe", 0.3),
    Component("defense", "colonisation_resistance", "reward", "taxa shown to keep pathogens out",
              "colonisation_resistance_harmless", "k_colonisation_resistance", 0.15),
    Component("defense", "harm", "penalty",
              "pathogens, pathobionts, Enterobacterales (the Enterobacteriaceae of before 2016)", "defense_harm",
              "k_pathogen", 0.3),
    Component("defense", "oral_overgrowth", "penalty", "mouth microbes above the share common in healthy stool",
              "oral_taxon_harmless", "k_oral_excess", 0.1),
)
COMPONENT_KEYS: tuple[str, ...] = tuple(c.key for c in COMPONENTS)


#: The community components that are a balance, 0.5 where neither side wins
#: (the shared response with neither side present, GMHI 0, GMWI2 0): their
#: points are listed as the neutral midpoint, the same for every sample that
#: has them, and what the community moves them from it, signed.
NEUTRAL_AT_HALF = ("shared_response", "gmhi", "gmwi2")


def neutral_key(pillar: str) -> str:
    """The contribution key of ``pillar``'s neutral midpoints (:data:`NEUTRAL_AT_HALF`)."""
    return f"{pillar}.neutral"


#: The label of a pillar's neutral midpoints in the contribution lists.
NEUTRAL_LABEL = ("the neutral midpoint of the balances (shared response to disease, GMHI, GMWI2): the same for "
                 "every sample that has them, the point the community raises or lowers them from")


def component_labels() -> dict[str, str]:
    """``{component key: its plain-language name}`` of every component, and of
    each pillar's neutral midpoints: the legend of the contribution lists
    (``scores.json``'s ``"components"``)."""
    labels = {c.key: c.label for c in COMPONENTS}
    for pillar in dict.fromkeys(c.pillar for c in COMPONENTS if c.name in NEUTRAL_AT_HALF):
        labels[neutral_key(pillar)] = NEUTRAL_LABEL
    return labels


#: Plain-language names of the traits behind each contribution (reports show them).
TRAIT_LABELS: dict[str, str] = {c.trait: c.label for c in COMPONENTS if c.trait}


def shared_response(F: pd.DataFrame) -> np.ndarray:
    r"""The balance of the shared response to disease, 0-1:
    :math:`(G + \varepsilon) / (G + D + 2\varepsilon)` with :math:`G` the share
    of the health side and :math:`D` of the disease side
    (``health_response``, ``disease_response``), :math:`\varepsilon` the
    diversity floor.  It is the logistic of the log-ratio
    :math:`\log((G + \varepsilon)/(D + \varepsilon))`: a ratio within the
    sample, so a study's overall level of either side (diet, country,
    profiler) cancels, and shares under the floor (seen or missed with
    depth) barely move it; 0.5 when neither side is present."""
    g = F["health_response"].to_numpy(dtype=float) + DIVERSITY_FLOOR
    d = F["disease_response"].to_numpy(dtype=float) + DIVERSITY_FLOOR
    return g / (g + d)


def _oral_excess(F: pd.DataFrame, prm: dict[str, float]) -> np.ndarray:
    """The oral share of the harmless community above what healthy stool
    commonly carries (oral-to-gut transfer is common in health, Schmidt 2019;
    a pathogen's arrival leaves this share as it is)."""
    harmless = F["harmless"].to_numpy()
    share = np.divide(F["oral_taxon_harmless"].to_numpy(), harmless, out=np.zeros(len(F)), where=harmless > 0)
    return np.maximum(0.0, share - prm["oral_overgrowth_threshold"])


def _components(inputs: _Inputs, prm: dict[str, float]) -> pd.DataFrame:
    """Every component (0 = worst, 1 = best) of every sample."""
    F, N, community = inputs.F, inputs.N, inputs.community
    out = {}
    for c in COMPONENTS:
        if c.name == "shared_response":
            value = shared_response(F)
        elif c.kind == "community":
            value = community[c.name].to_numpy()
        elif c.kind == "capacity":
            group = B_VITAMINS if c.name == "vitamins" else QUINONES
            # Summed column by column in a fixed order: a row-wise mean over
            # the frame follows its memory layout, which depends on how many
            # samples it holds, and a sample's row must not (last ulp).
            value = reduce(np.add, (N[t].to_numpy(dtype=float) for t in group)) / len(group)
        elif c.name == "mucin_excess":
            value = 1 - _h(np.maximum(0.0, F[c.trait].to_numpy() - prm["mucin_excess_threshold"]), prm[c.k])
        elif c.name == "oral_overgrowth":
            value = 1 - _h(_oral_excess(F, prm), prm[c.k])
        elif c.kind == "reward":
            value = _h(F[c.trait].to_numpy(), prm[c.k])
        else:
            value = 1 - _h(F[c.trait].to_numpy(), prm[c.k])
        out[c.key] = np.clip(value, 0.0, 1.0)
    frame = pd.DataFrame(out, index=F.index)
    return frame


def component_values(cohort: Cohort, *, dysbiosis: np.ndarray | None = None) -> pd.DataFrame:
    """Every component of every pillar (samples x ``pillar.component``, 0-1,
    higher = more favourable): what :func:`pillar_scores` weighs, and what
    ``scripts/calibrate_pillars.py`` fits the weights on."""
    inputs, _, _ = _prepare(cohort, dysbiosis=dysbiosis)
    return _components(inputs, parameters())
