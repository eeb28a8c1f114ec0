r"""The five pillar scores: how the microbiome supports immunity, 0 to 100.

Every pillar is a weighted mean of *components*, each a literature-defined
quantity between 0 (worst) and 1 (best), oriented so that higher is what the
literature calls favourable:

- a **reward** :math:`h(F_k; K) = F_k / (F_k + K)` of the share :math:`F_k` of
  the community carrying a favourable trait :math:`k`;
- a **penalty** :math:`1 - h(F_k; K)` of the share carrying a harmful trait;
- a **community** quantity (similarity to the healthy reference, the
  published GMHI and GMWI2 mapped to 0-1, the balance of the shared response
  to disease).

Diversity is not a component: floored Shannon separated health from disease
in some studies and reversed in others (below 0.5 in Qin 2012 and Karlsson
2013; in the held-out cohort richness alone had 0.35), so it is reported as
its own index (``shannon``, ``richness``) and not folded into a pillar.

With :math:`p_t` the own abundance of taxon :math:`t` at its most resolved
rank (:meth:`Cohort.terminal_matrix`, renormalised over Bacteria and Archaea)
and :math:`v_{tk}` its value for trait :math:`k` (species row, else genus,
else family ...), :math:`F_k = \sum_t p_t v_{tk}` is one sparse product for
the whole cohort.  Then

.. math::

    \text{pillar} = 100 \sum_j w_j c_j, \qquad w_j \ge 0,\ \sum_j w_j = 1,
    \qquad \text{immune\_support} = \sum_p u_p\, \text{pillar}_p

so 0 means every component at its worst and 100 every component at its
best.  Which components feed which pillar, and their direction, come from the
literature (``docs/scoring.md``); the weights :math:`w` and :math:`u` are
calibrated on labelled cohorts with those signs fixed, chosen by
leave-one-study-out performance, and shipped in ``data/calibration.json``
with their provenance (``scripts/calibrate_pillars.py``).  The
half-saturation constants are in ``data/parameters.tsv``.

Every score is a function of one sample (and the shipped files) alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache, reduce
from importlib import resources
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..citations import Citations, packaged, read_data_table
from ..cohort import Cohort, feature_ids, normalize_rows
from ..indices.dysbiosis import dysbiosis as dysbiosis_score
from ..indices.gmhi import gmhi_table
from ..indices.gmwi2 import gmwi2_table
from ..indices.resolution import MIN_RESOLVED_SHARE
from ..indices.sample_type import thresholds as sample_thresholds
from ..json_text import RawJSON
from ..knowledge import TraitMatrix, load_knowledge, trait_matrix
from ..knowledge.schema import PILLARS, TRAITS
from ..taxonomy.ranks import RANK_INDEX, RANKS
from .contribution_text import expanded, listed_json

__all__ = [
    "COMPONENTS",
    "PILLARS",
    "Component",
    "PillarResult",
    "calibration",
    "component_traits",
    "component_labels",
    "component_values",
    "parameters",
    "pillar_scores",
    "pillar_traits",
    "reach_floor",
    "reached_taxa",
]

#: Domains the knowledge base describes; viruses and eukaryotes are left out
#: of the denominator (their share is reported as not covered).
SCORED_DOMAINS = ("Bacteria", "Archaea")

B_VITAMINS = tuple(f"vitamin_{v}_synthesis" for v in ("b1", "b2", "b3", "b5", "b6", "b7", "b9", "b12"))
QUINONES = ("menaquinone_synthesis", "ubiquinone_synthesis")


#: How the rows of ``data/parameters.tsv`` cite their values: the ``status``
#: column ("sourced" = reported, or assumed), a doi:/pmid: when sourced.
PARAMETER_CITATIONS = Citations(evidence="status", host=None, levels=("reported", "assumed"))


@lru_cache(maxsize=1)
def parameters() -> dict[str, float]:
    """The pillar parameters from ``data/parameters.tsv``.

    Raises
    ------
    DataTableError
        A row whose status, source or value breaks the rules (file, line, column).
    """
    table = read_data_table(packaged("gutbalance.pillars", "parameters.tsv"), required=("parameter", "value"),
                            citations=PARAMETER_CITATIONS)
    out = {}
    for row in table.rows:
        try:
            out[str(row["parameter"])] = float(row["value"])
        except ValueError:
            raise table.error(f"value {row['value']!r} is not a number", line=int(row["line"]), column="value") from None
    return out


#: What :func:`_h` saturates: one trait share per sample, or a table of them.
_Shares = TypeVar("_Shares", np.ndarray, pd.DataFrame)


def _h(x: _Shares, k: float) -> _Shares:
    return x / (x + k)


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
    Component("homeostasis", "gmhi", "community", "Gut Microbiome Health Index over taxa above 0.1 % (as 0-1)",
              prior=1 / 8),
    Component("homeostasis", "gmwi2", "community", "Gut Microbiome Wellness Index 2 over taxa above 0.1 % (as 0-1)",
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


def component_labels() -> dict[str, str]:
    """``{component key: its plain-language name}`` of every component: the
    legend of the contribution lists (``scores.json``'s ``"components"``)."""
    return {c.key: c.label for c in COMPONENTS}

#: Sample rows per probe block of :func:`component_traits` (random shares; a
#: trait hidden behind a larger one in a max is missed with odds about
#: ``(1 - 1/k)**rows`` for a max over ``k``: below 1e-6 here).
_PROBE_ROWS = 64


@lru_cache(maxsize=1)
def component_traits() -> dict[str, frozenset[str]]:
    """The knowledge-base traits each component reads, ``{pillar.name: traits}``.

    Derived from the formulas themselves, so a new component or composite
    trait declares its traits once (in the code that computes it): every
    knowledge-base trait is set in turn to 0 and to 1 over random values of
    the others, and a trait is read by a composite trait
    (:func:`_composite_table`) if that changes it; a component reads the
    traits of the composite shares whose change changes it (:func:`_components`,
    shares probed the same way).  Community components (reference
    similarity, GMHI, GMWI2) read no trait.  What ``<pillar>_confidence``
    is taken over (:func:`pillar_traits`).
    """
    rng = np.random.default_rng(0)
    rows = _PROBE_ROWS

    def probe(base: np.ndarray) -> np.ndarray:
        """Blocks: the base rows, then per column the base with it set to 0, then to 1."""
        blocks = [base]
        for j in range(base.shape[1]):
            for value in (0.0, 1.0):
                block = base.copy()
                block[:, j] = value
                blocks.append(block)
        return np.vstack(blocks)

    def changed(out: np.ndarray, n_inputs: int) -> np.ndarray:
        """inputs x outputs: whether setting the input changed the output in any row."""
        blocks = out.reshape(1 + 2 * n_inputs, rows, out.shape[1])
        moved = ~np.isclose(blocks[1:], blocks[0], rtol=0.0, atol=1e-12)
        return moved.reshape(n_inputs, 2 * rows, out.shape[1]).any(axis=1)

    traits = list(TRAITS)
    values = pd.DataFrame(probe(rng.uniform(0.05, 0.95, (rows, len(traits)))), columns=traits)
    composite = _composite_table(values, values)
    reads_trait = changed(composite.to_numpy(dtype=float), len(traits))  # traits x composite
    shares = list(composite.columns)
    F = pd.DataFrame(probe(rng.uniform(0.05, 0.95, (rows, len(shares)))), columns=shares)
    capacity = [*B_VITAMINS, *QUINONES]
    n = len(F)
    # the same community values in every block: community components read no share
    community = _community(*np.tile(rng.uniform(0.05, 0.95, (3, rows)), n // rows))
    inputs = _Inputs(P=sp.csr_matrix((n, 0)), composite=composite, F=F, N=F[capacity], community=community,
                     gate=np.ones(n))
    comps = _components(inputs, parameters())
    reads_share = changed(comps[list(COMPONENT_KEYS)].to_numpy(dtype=float), len(shares))  # shares x components
    uses = (reads_trait.astype(int) @ reads_share.astype(int)) > 0  # traits x components
    return {key: frozenset(t for t, used in zip(traits, uses[:, j], strict=True) if used)
            for j, key in enumerate(COMPONENT_KEYS)}


def pillar_traits() -> dict[str, frozenset[str]]:
    """The knowledge-base traits each pillar's score reads (over all its
    components, whatever their calibrated weight): what its confidence covers."""
    reads = component_traits()
    return {p: frozenset().union(*(reads[c.key] for c in COMPONENTS if c.pillar == p)) for p in PILLARS}

#: Relative abundance below which a taxon is left out of the GMHI and GMWI2
#: components (:func:`floored_cohort`) and the pseudocount of the shared
#: response: a taxon this rare is detected or missed depending on sequencing
#: depth, so counting it makes a score follow depth and study.
DIVERSITY_FLOOR = 0.001


def present_producers(P: sp.csr_matrix, producer: np.ndarray) -> np.ndarray:
    """Per sample, the share of the harmless butyrate producers (``producer``:
    each taxon's ``butyrate_producer`` composite, the columns of ``P``) over
    the taxa whose own share is at least the diversity floor: the producers
    any common sequencing depth would report (:func:`floored_cohort` keeps
    taxa above the same floor for GMHI and GMWI2, there of the classified
    abundance, here of the scored bacteria and archaea)."""
    kept = sp.csr_matrix(P, copy=True)
    kept.data[kept.data < DIVERSITY_FLOOR] = 0.0
    kept.eliminate_zeros()
    return np.asarray(kept @ np.asarray(producer, dtype=float)).ravel()


def crossfeeding_gate(present: np.ndarray) -> np.ndarray:
    r"""Per sample, the part of the butyrate cross-feeders' credit that counts:
    :math:`P_{\ge} / (P_{\ge} + \varepsilon)`, :math:`P_{\ge}` the harmless
    butyrate producers' share over the taxa above the floor
    (:func:`present_producers`), :math:`\varepsilon` the diversity floor.

    Acetate and lactate made by bifidobacteria and lactobacilli raise butyrate
    output only by feeding butyrate producers (Belenguer et al. 2006,
    doi:10.1128/AEM.72.5.3593-3599.2006; Rivière et al. 2016,
    doi:10.3389/fmicb.2016.00979; Louis & Flint 2017,
    doi:10.1111/1462-2920.13589): with no producer left there is nobody to
    feed.  The gate asks whether producers are there, not how many (their
    *share* falls on fibre as the bifidobacteria bloom, so bounding the
    feeders by it removed the credit where the fermentations measured it):
    none without a producer above the floor, half with producers at the
    floor, 91 % at 1 %.  Presence is judged over the taxa above the floor
    because below it a taxon is detected or missed depending on depth: gated
    by every producer, a profile whose producers were all rarer than 0.1 %
    lost 20 nutrients points when a shallower run missed them
    (docs/validation.md, "Tried, did not help")."""
    present = np.asarray(present, dtype=float)
    return _h(present, DIVERSITY_FLOOR)


@lru_cache(maxsize=1)
def calibration() -> dict:
    """The shipped calibration (``data/calibration.json``): component weights
    per pillar, pillar weights of ``immune_support``, the components the fit
    left out because their direction contradicted the literature in a study
    (they keep only their literature share), and the provenance of the fit."""
    text = resources.files("gutbalance.pillars").joinpath("data/calibration.json").read_text("utf-8")
    data = json.loads(text)
    for pillar in PILLARS:
        weights = data["components"][pillar]
        known = {c.name for c in COMPONENTS if c.pillar == pillar}
        if set(weights) != known:
            raise ValueError(
                f"calibration.json: {pillar} has components {sorted(weights)}, the code {sorted(known)}: "
                "re-run scripts/calibrate_pillars.py"
            )
        if any(w < 0 for w in weights.values()) or not np.isclose(sum(weights.values()), 1.0):
            raise ValueError(f"calibration.json: {pillar} weights must be >= 0 and sum to 1")
    if any(w < 0 for w in data["pillars"].values()) or not np.isclose(sum(data["pillars"].values()), 1.0):
        raise ValueError("calibration.json: pillar weights must be >= 0 and sum to 1")
    return data


def with_literature_share(fitted: dict, share: float) -> dict:
    """Weights that keep ``share`` of each component's (and pillar's) prior
    weight, the fit distributing the rest: a pillar stays the combination
    the literature describes while the data decide which parts separate
    health from disease.  A component the calibration excluded (its
    direction contradicted the literature in a study: ``fitted["excluded"]``)
    has fitted weight 0 and keeps only its prior share."""
    prior = prior_calibration()
    out = dict(fitted)
    out["components"] = {
        p: {n: share * prior["components"][p][n] + (1 - share) * w for n, w in ws.items()}
        for p, ws in fitted["components"].items()
    }
    out["pillars"] = {p: share * prior["pillars"][p] + (1 - share) * w for p, w in fitted["pillars"].items()}
    out["literature_share"] = share
    out["fitted"] = {"components": fitted["components"], "pillars": fitted["pillars"]}
    return out


def prior_calibration() -> dict:
    """The weights before calibration (each component's ``prior``,
    normalised per pillar; pillars equal)."""
    components = {}
    for pillar in PILLARS:
        own = [c for c in COMPONENTS if c.pillar == pillar]
        total = sum(c.prior for c in own)
        components[pillar] = {c.name: c.prior / total for c in own}
    return {
        "components": components,
        "pillars": {p: 1.0 / len(PILLARS) for p in PILLARS},
    }


@dataclass
class PillarResult:
    """Scores (samples x pillars, 0-100, plus ``immune_support``, confidences
    and ``coverage``), the trait shares behind them, the components (0-1)
    and per-taxon effects in points."""

    scores: pd.DataFrame
    shares: pd.DataFrame
    #: ``{sample: {score: [entries]}}``; each list a
    #: :class:`~gutbalance.json_text.RawJSON` when asked for as text.
    contributions: dict[str, dict[str, Any]]
    components: pd.DataFrame | None = None
    #: Per sample, the share of the bacterial and archaeal abundance the
    #: pillars' knowledge reaches (:func:`reached_taxa`); 0 for an empty sample.
    reach: pd.Series | None = None
    #: Per sample, why its pillars and immune_support are missing ("" where scored).
    missing: pd.Series | None = None


#: Plain-language names of the traits behind each contribution (reports show them).
TRAIT_LABELS: dict[str, str] = {c.trait: c.label for c in COMPONENTS if c.trait}


def _composite_traits(values: pd.DataFrame, weighted: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-taxon values of the composite traits the formulas use (0..1).

    ``values`` are the knowledge base's calls; ``weighted`` the same calls
    multiplied by their evidence weight (:meth:`TraitMatrix.weighted`), which
    is what credit and penalties use.  Who counts as harmful (and so earns no
    credit) is decided on the calls themselves: a C. difficile is a pathogen
    whatever the weight of the review that says so.
    """
    raw = values.fillna(0.0).clip(0.0, 1.0)
    v = (values if weighted is None else weighted).fillna(0.0).clip(0.0, 1.0)
    # The curated enteric-pathogen and pathobiont calls decide who is harmful;
    # bugphyzz's broad "animal pathogen" flag also marks dominant commensals
    # (Phocaeicola vulgatus) and is left out of the scores.
    harmful = raw[["pathobiont", "enteric_pathogen"]].max(axis=1)
    # A call of 0.5 (enteric_pathogen of an opportunist or of a species whose
    # pathotypes alone are pathogens: A. baumannii, E. faecium) keeps half its
    # credit.  A caveat does not lower a call: E. coli, K. pneumoniae and
    # M. gnavus are pathobiont = 1 ("strain-dependent") and earn none.
    harmless = 1.0 - harmful
    out = pd.DataFrame(index=values.index)
    # Immune training: Treg-inducing, immune-maturing and probiotic commensals,
    # each weighted by its evidence (a genus extension of a strain's effect, or
    # a mouse-only result, counts less).  SCFA producers are not counted here:
    # the Treg induction by butyrate and propionate was shown for the
    # metabolites in mice (Furusawa 2013, Arpaia 2013), not for every producer.
    out["immunomodulatory"] = v[["treg_induction", "beneficial_commensal", "probiotic"]].max(axis=1) * harmless
    out["pathobiont_or_pathogen"] = harmful
    out["harmless"] = harmless
    # Sphingolipid producers: Bacteroides sphingolipids keep the colon
    # uninflamed in gnotobiotic mice and are lower in IBD stool (Brown 2019);
    # their evidence weight carries the in-vitro-phenotype/mouse-effect discount.
    out["anti_inflammatory_set"] = v[["anti_inflammatory", "asnicar_favourable", "gmhi_health_prevalent",
                                      "sphingolipid_producer"]].max(axis=1)
    out["pro_inflammatory_set"] = v[["pro_inflammatory", "asnicar_unfavourable", "gmhi_health_scarce"]].max(axis=1)
    # Pathogens and pathobionts that make butyrate (C. difficile, C. perfringens,
    # Fusobacterium) earn no nutrient or barrier credit for it: F. varium's
    # butyrate itself caused colitis-like lesions in mice (Ohkusa 2003).
    out["butyrate_producer"] = v["butyrate_producer"] * harmless
    # SCFA supply: butyrate and propionate producers, and the acetate/lactate
    # producers shown to feed butyrate producers (Belenguer 2006, Riviere 2016).
    out["scfa_producer"] = v[["butyrate_producer", "propionate_producer", "butyrate_crossfeeding"]].max(axis=1) * harmless
    out["obligate_anaerobe"] = v["obligate_anaerobe"]
    out["akkermansia"] = v["akkermansia"]
    out["lps_tlr4_agonist"] = v["lps_tlr4_agonist"] * v["lps_producer"].where(values["lps_producer"].notna(), 1.0)
    out["sulfate_reducer"] = v["sulfate_reducer"]
    out["facultative_anaerobe"] = v["facultative_anaerobe"]
    # Oxygen-tolerant bloomers: facultative anaerobes and aerobes alike profit
    # when the epithelium stops consuming oxygen (Rigottier-Gois 2013,
    # doi:10.1038/ismej.2013.80; Litvak 2017, doi:10.1016/j.mib.2017.07.003).
    # Counting only facultative anaerobes let a 97 % Acinetobacter baumannii
    # (aerobic) gut pass the barrier's oxygen penalty with full marks.
    out["oxygen_tolerant"] = v[["facultative_anaerobe", "aerobe"]].max(axis=1)
    out["mucin_degrader"] = v["mucin_degrader"]
    out["obligate_anaerobe_harmless"] = v["obligate_anaerobe"] * harmless
    out["colonisation_resistance_harmless"] = v["colonisation_resistance"] * harmless
    out["enteric_pathogen"] = v["enteric_pathogen"]
    out["pathobiont"] = v["pathobiont"]
    out["enterobacteriaceae"] = v["enterobacteriaceae"]
    out["oral_taxon"] = v["oral_taxon"]
    prm = parameters()
    # Oral species are not harm in themselves: oral-to-gut transfer is common
    # in healthy people (Schmidt 2019); only an oral overgrowth is penalised
    # (a separate term on their share of the harmless community, below).
    out["defense_harm"] = pd.concat(
        [
            v["enteric_pathogen"],
            prm["harm_pathobiont"] * v["pathobiont"],
            prm["harm_enterobacteriaceae"] * v["enterobacteriaceae"],
        ],
        axis=1,
    ).max(axis=1)
    out["oral_taxon_harmless"] = v["oral_taxon"] * harmless
    # Vitamin and quinone producers; pathobionts' and pathogens' products earn
    # no credit, as for butyrate.
    for trait in (*B_VITAMINS, *QUINONES):
        out[trait] = v[trait] * harmless
    return out


def _composite_table(values: pd.DataFrame, weighted: pd.DataFrame) -> pd.DataFrame:
    """Every composite trait the components read (taxa x composite, 0..1)."""
    composite = pd.concat([_composite_traits(values, weighted), _health_association_traits(weighted)], axis=1)
    return composite.loc[:, ~composite.columns.duplicated()]


def _own_abundance(cohort: Cohort) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Own abundance of the most resolved taxa: strains fold into their species,
    except a strain the knowledge base has rows for (E. coli Nissle 1917 is not
    a pathobiont), which is scored as itself where the profile names it."""
    own, taxa = cohort.terminal_matrix(max_rank="strain", domains=SCORED_DOMAINS)
    is_strain = (taxa["rank"] == "strain").to_numpy()
    if not is_strain.any():
        return own, taxa
    named = {taxon for rank, taxon in load_knowledge().taxa() if rank == "strain"}
    fold = is_strain & ~taxa["name"].isin(named).to_numpy()
    target = np.arange(len(taxa))
    parents = pd.Index(taxa.index).get_indexer(taxa["parent"].to_numpy())
    fold &= parents >= 0
    target[fold] = parents[fold]
    keep = np.flatnonzero(~fold)
    move = sp.csr_matrix((np.ones(len(taxa)), (np.arange(len(taxa)), target)), shape=(len(taxa), len(taxa)))
    return sp.csr_matrix(own @ move)[:, keep], taxa.iloc[keep]


def _health_association_traits(values: pd.DataFrame) -> pd.DataFrame:
    """The homeostasis traits, kept apart so each is its own component:
    curated (anti/pro-inflammatory effect) and population associations
    (Asnicar et al. 2021 favourable/unfavourable; GMHI health-prevalent/scarce)."""
    v = values.fillna(0.0).clip(0.0, 1.0)
    harmful = values[["pathobiont", "enteric_pathogen"]].fillna(0.0).clip(0.0, 1.0).max(axis=1)
    harmless = 1.0 - harmful
    return pd.DataFrame(
        {
            # Sphingolipid producers: Bacteroides sphingolipids keep the colon
            # uninflamed in gnotobiotic mice and are lower in IBD stool (Brown
            # 2019); their evidence weight carries the mouse-effect discount.
            "anti_inflammatory": v[["anti_inflammatory", "sphingolipid_producer"]].max(axis=1),
            "pro_inflammatory": v["pro_inflammatory"],
            "health_associated": v[["asnicar_favourable", "gmhi_health_prevalent"]].max(axis=1),
            "disease_associated": v[["asnicar_unfavourable", "gmhi_health_scarce"]].max(axis=1),
            # Butyrate supply: producers, and the acetate and lactate makers
            # shown to feed them (Belenguer 2006, Riviere 2016), whose rise on
            # fibre raises butyrate output; harmful taxa earn no credit, as in
            # _composite_traits.
            "butyrate_supply": v[["butyrate_producer", "butyrate_crossfeeding"]].max(axis=1) * harmless,
            # The two sides of the non-specific response to disease shared by
            # many diseases (Duvallet et al. 2017: butyrate producers depleted,
            # facultative and oral-associated genera enriched), with the
            # species-level health/disease associations (Gupta 2020, Asnicar
            # 2021) and the curated effects; harmful taxa sit on the disease
            # side only.  The health side is the butyrate producers, as the
            # paper reads its depleted genera, not the genus list itself: it
            # holds Bacteroides and Bifidobacterium, and a genus that large
            # says little about one person (alone it did not separate the
            # labelled studies, AUC 0.46-0.58; docs/scoring.md).
            "health_response": v[["butyrate_producer", "asnicar_favourable", "gmhi_health_prevalent",
                                  "anti_inflammatory"]].max(axis=1) * harmless,
            "disease_response": pd.concat([v[["shared_disease_response", "asnicar_unfavourable", "gmhi_health_scarce",
                                              "pro_inflammatory"]], harmful], axis=1).max(axis=1),
        },
        index=values.index,
    )


def gmhi_unit(gmhi: np.ndarray) -> np.ndarray:
    r"""GMHI on 0-1: :math:`10^G / (1 + 10^G) = \psi_{MH} / (\psi_{MH} + \psi_{MN})`
    (pseudocounts aside), the health-prevalent markers' share of the marker
    diversity; 0.5 where GMHI is 0 (balance, or no markers found)."""
    return 1.0 / (1.0 + np.power(10.0, -np.asarray(gmhi, dtype=float)))


def gmwi2_unit(gmwi2: np.ndarray) -> np.ndarray:
    r"""GMWI2 on 0-1: the logistic :math:`1 / (1 + e^{-\mathrm{GMWI2}})`, the
    probability of the healthy class in the published L1 logistic model
    (Chang et al. 2024); 0.5 where no model clade is present."""
    return 1.0 / (1.0 + np.exp(-np.asarray(gmwi2, dtype=float)))


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


@dataclass
class _Inputs:
    """Everything the components are computed from, kept for the contributions."""

    P: sp.csr_matrix
    composite: pd.DataFrame
    F: pd.DataFrame
    N: pd.DataFrame
    community: pd.DataFrame
    #: Per sample, the part of the cross-feeders' butyrate credit that counts
    #: (:func:`crossfeeding_gate`), computed once for F and the contributions.
    gate: np.ndarray


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


def _community(dysbiosis, gmhi, gmwi2, *, applicable=None) -> pd.DataFrame:
    """The community-level inputs: similarity to the healthy reference and
    the published indices on 0-1.

    ``applicable`` (per sample; all by default) says whether the indices can
    describe the sample at all: where not (an input not resolved to species)
    their components are NaN, and :func:`weigh` spreads their weight over the
    pillar's other components."""
    out = pd.DataFrame(
        {
            "reference_similarity": 1.0 - np.clip(np.asarray(dysbiosis, dtype=float), 0.0, 1.0),
            # A published index of a species-level sample is missing (NaN,
            # with its reason in the scores table) where no marker or model
            # clade is present above the floor: as a component that is "no
            # evidence either way", the index's own value for that case (0,
            # i.e. 0.5 on the unit scale), so a dysbiotic sample still gets a
            # homeostasis score.
            "gmhi": gmhi_unit(np.nan_to_num(np.asarray(gmhi, dtype=float), nan=0.0)),
            "gmwi2": gmwi2_unit(np.nan_to_num(np.asarray(gmwi2, dtype=float), nan=0.0)),
        }
    )
    if applicable is not None:
        outside = ~np.asarray(applicable, dtype=bool)
        out.loc[outside, ["gmhi", "gmwi2"]] = np.nan
    return out


def component_values(cohort: Cohort, *, dysbiosis: np.ndarray | None = None) -> pd.DataFrame:
    """Every component of every pillar (samples x ``pillar.component``, 0-1,
    higher = more favourable): what :func:`pillar_scores` weighs, and what
    ``scripts/calibrate_pillars.py`` fits the weights on."""
    inputs, _, _ = _prepare(cohort, dysbiosis=dysbiosis)
    return _components(inputs, parameters())


def floored_cohort(cohort: Cohort, floor: float = DIVERSITY_FLOOR) -> Cohort:
    """The cohort as a profiler would report it at any common sequencing
    depth: every taxon whose *own* abundance (:meth:`Cohort.terminal_matrix`)
    is below ``floor`` of the sample's classified abundance is removed, and
    every clade is summed again from what remains.

    Flooring the own abundances rather than the clades is what keeps the
    floored cohort depth-robust: a genus made of many rare species does not
    cross the floor because a shallower run missed some of them, so the
    clades GMWI2 counts above the floor do not follow depth."""
    deepest = max(RANK_INDEX[r] for r in cohort.taxa["rank"].unique()) if cohort.n_taxa else 0
    own, taxa = cohort.terminal_matrix(max_rank=RANKS[deepest])
    own = sp.csr_matrix(own, copy=True)
    classified = np.maximum(cohort.classified(), 1e-300)
    own.data[own.data < floor * np.repeat(classified, np.diff(own.indptr))] = 0.0
    own.eliminate_zeros()
    # Self-or-ancestor indicator: clade abundance = own abundance summed over
    # every descendant (the tree is at most len(RANKS) deep).
    pos = pd.Index(taxa.index).get_indexer(taxa["parent"].to_numpy())
    child = np.flatnonzero(pos >= 0)
    n = len(taxa)
    up = sp.csr_matrix((np.ones(len(child)), (child, pos[child])), shape=(n, n))
    ancestors = sp.identity(n, format="csr")
    step = sp.identity(n, format="csr")
    for _ in range(len(RANKS)):
        step = (step @ up).tocsr()
        if step.nnz == 0:
            break
        ancestors = ancestors + step
    clades = (own @ ancestors).tocsr()
    cols = pd.Index(cohort.taxa.index).get_indexer(taxa.index)
    X = sp.csr_matrix((clades.data, cols[clades.indices], clades.indptr), shape=cohort.X.shape)
    X.sort_indices()
    return Cohort(X, samples=cohort.samples, taxa=cohort.taxa)


def _prepare(cohort: Cohort, *, dysbiosis=None):
    own, taxa = _own_abundance(cohort)
    # scipy-stubs type a sparse != as bool; it is a sparse boolean matrix.  (Not
    # own.astype(bool): that counts stored entries one by one, and changes scores.)
    nonzero = cast(sp.csr_matrix, own != 0)  # type: ignore[comparison-overlap]
    present = np.flatnonzero(np.asarray(nonzero.sum(axis=0)).ravel() > 0)
    own = own[:, present]
    taxa = taxa.iloc[present]
    P = normalize_rows(own).tocsr()
    if dysbiosis is None:
        dysbiosis = dysbiosis_score(cohort).to_numpy()
    # GMHI and GMWI2 count markers present above 0.001 % and 0.00001, so on
    # the full profile they follow sequencing depth; their components use
    # the published formulas over the clades above the diversity floor.
    floored = floored_cohort(cohort)
    gmhi = gmhi_table(floored)["gmhi"].to_numpy()
    gmwi2 = gmwi2_table(floored)["gmwi2"].to_numpy()
    # Both indices are models over species (and their clades): a sample
    # whose abundance is mostly not at species rank (a 16S genus table, with
    # the few species SILVA names) is outside what they describe.  Counted
    # over every species-rank row, an "unclassified" one included, unlike
    # the published columns' test (diversity_rank): a profile whose largest
    # taxon is an unclassified species falls short of that test once a
    # shallower run drops its rare named species, and a component that came
    # and went with depth moved homeostasis by 16 points.
    is_species = (cohort.taxa["rank"] == "species").to_numpy(dtype=float)
    at_species = np.asarray(cohort.X @ is_species).ravel()
    species = at_species >= MIN_RESOLVED_SHARE * cohort.classified()
    traits = trait_matrix(taxa, list(TRAITS))
    weighted = traits.weighted()
    composite = _composite_table(traits.values, weighted)
    V = composite.to_numpy(dtype=float)
    F = pd.DataFrame(np.asarray(P @ V), index=cohort.samples.index, columns=composite.columns)
    # The cross-feeders' part of the butyrate supply counts only as far as
    # there are producers to feed (crossfeeding_gate); the per-taxon composite
    # stays ungated and _contributions gates each feeder by its sample's gate.
    producers = F["butyrate_producer"].to_numpy()
    feeders = np.maximum(0.0, F["butyrate_supply"].to_numpy() - producers)
    gate = crossfeeding_gate(present_producers(P, composite["butyrate_producer"].to_numpy()))
    F["butyrate_supply"] = producers + gate * feeders
    # Capacity grows with the producers' share and saturates (half at
    # k_vitamin_producers): a few producers supply a community (Magnusdottir
    # 2015), but a trace taxon cannot fill it as mere presence did.
    capacity_cols = [*B_VITAMINS, *QUINONES]
    N = _h(F[capacity_cols], parameters()["k_vitamin_producers"])
    community = _community(dysbiosis, gmhi, gmwi2, applicable=species)
    community.index = cohort.samples.index
    return _Inputs(P=P, composite=composite, F=F, N=N, community=community, gate=gate), taxa, traits


def weigh(components: pd.DataFrame, cal: dict | None = None) -> pd.DataFrame:
    """The pillars (0-100) and ``immune_support`` from components (0-1) and
    a calibration (the shipped one by default)."""
    cal = calibration() if cal is None else cal
    out = {}
    for pillar in PILLARS:
        weights = cal["components"][pillar]
        total = np.zeros(len(components))
        for name, w in weights.items():
            if w:
                total = total + w * np.nan_to_num(components[f"{pillar}.{name}"].to_numpy())
        renorm = reweighting(components, cal, pillar)
        if renorm is not None:
            total = total * renorm
        out[pillar] = 100.0 * np.clip(total, 0.0, 1.0)
    table = pd.DataFrame(out, index=components.index)
    overall = sum(cal["pillars"][p] * table[p].to_numpy() for p in PILLARS)
    table.insert(0, "immune_support", overall)
    return table


def reweighting(components: pd.DataFrame, cal: dict, pillar: str) -> np.ndarray | None:
    """Per sample, the factor that spreads the weight of ``pillar``'s
    components that cannot describe the sample (NaN: GMHI and GMWI2 of an
    input not resolved to species) over its other components, so the pillar
    stays a weighted mean of what was measured: 1 / (the weights of the
    components present), 1 where every component is present.  None when
    every sample has every component (the common case, left untouched)."""
    names = [name for name, w in cal["components"][pillar].items() if w]
    values = components[[f"{pillar}.{name}" for name in names]].to_numpy()
    absent = np.isnan(values)
    if not absent.any():
        return None
    # Summed weight by weight, as `weigh` sums the components: a matrix
    # product's last bit can depend on how many rows the batch has (the BLAS
    # kernel blocks rows), and a sample's row must not depend on its batch.
    present = np.zeros(len(values))
    for j, name in enumerate(names):
        present = present + cal["components"][pillar][name] * (~absent[:, j])
    rows = absent.any(axis=1)
    factor = np.ones(len(values))
    factor[rows] = np.divide(1.0, present[rows], out=np.full(rows.sum(), np.nan), where=present[rows] > 0)
    return factor


#: Ranks through which the pillars' knowledge reaches a taxon besides its own:
#: the fallbacks the pillars lean on (a species' genus and family rows; a
#: strain's species row).  An order, class or phylum row is a fallback too,
#: but one that says little of a taxon below it (RANK_CONFIDENCE 0.3-0.1).
REACH_RANKS: tuple[str, ...] = ("strain", "species", "genus", "family")


def reached_taxa(taxa: pd.DataFrame, traits: TraitMatrix, *, reads: frozenset[str] | None = None) -> np.ndarray:
    """Per taxon (rows of ``traits``), whether the pillars' knowledge reaches it:
    a trait some pillar's components read (:func:`pillar_traits`; ``reads``:
    these traits instead, one pillar's) is known for it at its own rank or
    through its genus or family (:data:`REACH_RANKS`).

    Unlike ``coverage`` (any trait, found at species or genus rank), this
    follows the rank of the input: a family-rank profile (a 16S family table,
    the simulator's MDSINE2 forecasts) is reached through its families' rows.
    """
    reads = frozenset().union(*pillar_traits().values()) if reads is None else reads
    at = traits.resolved_rank[[t for t in traits.resolved_rank.columns if t in reads]].to_numpy(dtype=object)
    own = taxa["rank"].reindex(traits.resolved_rank.index).to_numpy(dtype=object)[:, None]
    known = at != ""
    return (known & (np.isin(at, REACH_RANKS) | (at == own))).any(axis=1)


def reach_floor() -> float:
    """Least share of a sample's abundance the pillars' knowledge must reach
    for its pillars and immune_support to be scored (``min_reach`` of
    ``indices/data/sample_checks.tsv``: a tenth of the least reach of the real
    stool of ../shared/data, rounded down to the percent)."""
    return sample_thresholds()["min_reach"]


def _scant_reason(reach: float, floor: float) -> str:
    return (
        f"the knowledge base reaches only {reach:.2%} of the bacterial and archaeal abundance (a trait a pillar "
        f"reads, known for the taxon itself or its genus or family; the pillars need {floor:.0%}, a tenth of the "
        "least of real stool): too little of the sample to score"
    )


#: Why the pillars of a sample with nothing bacterial or archaeal are missing.
EMPTY_REASON = "no bacterial or archaeal abundance to score"


def pillar_scores(
    cohort: Cohort,
    *,
    shannon: np.ndarray | None = None,
    dysbiosis: np.ndarray | None = None,
    top: int = 10,
    contributions: bool = True,
    raw_json: bool = False,
) -> PillarResult:
    """Score every sample of ``cohort`` on the five pillars.

    Parameters
    ----------
    cohort
        The samples.
    shannon
        Unused (kept for callers of earlier versions): diversity is no
        pillar component (it is reported as its own index).
    dysbiosis
        The dysbiosis score per sample (computed if not given).
    top
        How many taxa to list per pillar and sample in the contributions.
    contributions
        Whether to list each taxon's effect in points (a per-sample step;
        batch scoring of large cohorts turns it off).
    raw_json
        Keep each contribution list as the JSON text it is made as (a
        :class:`~gutbalance.json_text.RawJSON`, which
        :func:`gutbalance.json_text.dumps` splices into ``scores.json``)
        instead of reading it back into dictionaries.

    Returns
    -------
    PillarResult
        ``scores`` has ``immune_support`` (the calibrated weighted mean of
        the pillars) and ``training`` ... ``defense``, each 0-100,
        ``<pillar>_confidence`` (0-1: the share of abundance whose traits
        read by that pillar's components, :func:`pillar_traits`, are known,
        weighted by how specific the knowledge is) and
        ``coverage`` (share of abundance with any trait known at species or
        genus level).  A sample with nothing bacterial or archaeal gets NaN
        (there is nothing to score); so do the pillars and immune_support of
        a sample whose ``reach`` (the share of its abundance the pillars'
        knowledge reaches, :func:`reached_taxa`) is below
        :func:`reach_floor`, whose confidences and coverage stay.  ``reach``
        and ``missing`` (the reason, "" where scored) are per sample.
    """
    prm = parameters()
    cal = calibration()
    inputs, taxa, traits = _prepare(cohort, dysbiosis=dysbiosis)
    comps = _components(inputs, prm)
    scores = weigh(comps, cal)
    P = inputs.P

    # Confidence: abundance-weighted best confidence over the traits each
    # pillar's components read, wherever the knowledge base files them
    # (training's pathobiont penalty reads enteric_pathogen, a defense trait).
    conf = traits.confidence
    reads = pillar_traits()
    for pillar in PILLARS:
        cols = [t for t in conf.columns if t in reads[pillar]]
        best = conf[cols].max(axis=1).to_numpy(dtype=float)
        scores[f"{pillar}_confidence"] = np.asarray(P @ best).ravel()
    annotated = traits.annotated().any(axis=1).to_numpy(dtype=float)
    scores["coverage"] = np.asarray(P @ annotated).ravel()
    # An empty sample (nothing bacterial) has no evidence for any score: its
    # pillars are missing, not 0; coverage is a true 0.
    empty = np.asarray(P.sum(axis=1)).ravel() == 0
    if empty.any():
        cols = [c for c in scores.columns if c != "coverage"]
        scores.loc[empty, cols] = np.nan
        scores.loc[empty, "coverage"] = 0.0
    # Too little of the sample reached by the knowledge base (below the floor
    # measured on real stool, data/sample_checks.tsv min_reach): the pillars
    # would describe a sliver of it, so they are missing, not scored.
    reach = np.asarray(P @ reached_taxa(taxa, traits).astype(float)).ravel()
    floor = reach_floor()
    scant = ~empty & (reach < floor)
    if scant.any():
        scores.loc[scant, ["immune_support", *PILLARS]] = np.nan
    missing = np.where(empty, EMPTY_REASON, "").astype(object)
    for i in np.flatnonzero(scant):
        missing[i] = _scant_reason(float(reach[i]), floor)

    listed = (
        _contributions(inputs, comps, taxa, cohort.sample_names, cal, prm, top=top, raw=raw_json)
        if contributions else {}
    )
    # No score, no taxa listed as moving it.
    for sample in np.asarray(cohort.sample_names, dtype=object)[scant] if listed else []:
        listed[sample] = {key: RawJSON(b"[]") if raw_json else [] for key in listed[sample]}
    index = scores.index
    return PillarResult(scores=scores, shares=inputs.F, contributions=listed, components=comps,
                        reach=pd.Series(reach, index=index, name="reach"),
                        missing=pd.Series(missing, index=index, name="missing", dtype=object))


def _contributions(
    inputs: _Inputs,
    comps: pd.DataFrame,
    taxa: pd.DataFrame,
    samples: list[str],
    cal: dict,
    prm: dict[str, float],
    *,
    top: int,
    raw: bool = False,
) -> dict[str, dict]:
    r"""Per sample and pillar, each taxon's effect on the score in points.

    A reward or penalty component is :math:`f(F)` of a trait share
    :math:`F = \sum_t x_t` (:math:`x_t = p_t v_t`, taxon :math:`t`'s part of
    it), with :math:`f(0) = 0`.  Taxon :math:`t` gets
    :math:`100\, w\, (x_t / F)\, f(F)`: its share of the component's points,
    the Aumann-Shapley (integrated-gradient) attribution of a function of a
    sum along the path from none of the trait to the sample, so the bars of a
    component add up exactly to its points.  For a penalty the points are
    lost (negative) from the full marks a community without harmful taxa
    would have.  Capacity components (a saturating function of each
    vitamin's producer share) share each vitamin's points the same way.  The
    shared response, :math:`1/2 + (G - D) / (2 (G + D + 2\varepsilon))`, is
    split exactly over the taxa of its health side (positive) and disease
    side (negative), its neutral half listed once for the whole community.
    Community components (the healthy-reference similarity, GMHI, GMWI2) are
    properties of the whole community and are listed once, as
    ``"taxon": "Whole community"``.

    Each pillar's list holds the ``top`` taxa with the largest effects either
    way (one entry per taxon: its effects through every component summed,
    each named in ``parts``), plus every community entry; the effects of all
    taxa and community entries and the full-marks baseline of the penalties
    add up to the score.  ``immune_support`` gets the pillar-weighted sums.

    Vectorised over the cohort: every (sample, taxon) effect is one entry of
    an array aligned with the stored entries of ``P``; one lexsort orders each
    sample's entries by size and only the ``top`` are written, as JSON text
    (:func:`~gutbalance.pillars.contribution_text.listed_json`; effects to
    1e-6 points).  With ``raw`` each list stays that lean text (a
    :class:`~gutbalance.json_text.RawJSON`, for ``scores.json``, whose
    ``"components"`` names each component key once: :func:`component_labels`);
    otherwise it is read back into dictionaries that name every component's
    trait (:func:`~gutbalance.pillars.contribution_text.expanded`).
    """
    names = taxa["name"].to_numpy()
    # scores.json names each taxon by its feature id, not its column key (an
    # unknown taxon's key holds its parents; one sample has one of each id).
    ids = feature_ids(taxa.index)
    composite, F, N, P = inputs.composite, inputs.F, inputs.N, inputs.P
    per_row = np.diff(P.indptr)
    rows = np.repeat(np.arange(P.shape[0]), per_row)
    cols, p = P.indices, P.data

    def spread(per_sample: np.ndarray) -> np.ndarray:
        """A value per sample at each of its stored entries (``per_sample[rows]``, faster)."""
        return np.repeat(per_sample, per_row)

    # A part is (per-sample factor)[rows] * x_t with x_t = v_t p_t (the
    # taxon's part of its sample's trait share): x_t is gathered once per
    # trait, and every per-sample factor (1/F included) is formed over the
    # samples before it is spread over the entries: a pass over all the
    # cohort's entries is what costs here.
    x_of: dict[str, np.ndarray] = {}

    def share(trait: str) -> np.ndarray:
        if trait not in x_of:
            if trait == "butyrate_supply":
                # a cross-feeder's part is gated by its sample's producers, as F's (_prepare)
                producer = composite["butyrate_producer"].to_numpy()[cols]
                feeder = np.maximum(0.0, composite[trait].to_numpy()[cols] - producer)
                x_of[trait] = (producer + spread(inputs.gate) * feeder) * p
            else:
                x_of[trait] = composite[trait].to_numpy()[cols] * p
        return x_of[trait]

    def per_total(trait: str, factor: np.ndarray) -> np.ndarray:
        """``factor / F`` per sample (0 where the sample has none of the trait)."""
        total = F[trait].to_numpy()
        return np.divide(factor, total, out=np.zeros(len(total)), where=total > 0)

    # per pillar: {component: points per stored entry}, and community points per sample
    taxon_points: dict[str, dict[str, np.ndarray]] = {}
    community_points: dict[str, dict[str, np.ndarray]] = {}
    for pillar in PILLARS:
        weights = cal["components"][pillar]
        taxon_points[pillar], community_points[pillar] = {}, {}
        # a component that cannot describe a sample (NaN) lends its weight to
        # the others (weigh): their points grow by the same factor
        renorm = reweighting(comps, cal, pillar)
        for c in COMPONENTS:
            w = weights.get(c.name, 0.0)
            if c.pillar != pillar or w <= 0:
                continue
            value = comps[c.key].to_numpy()
            if c.name == "shared_response":
                # (G + e) / (G + D + 2e) = 1/2 + (G - D) / (2 (G + D + 2e)): given the sample's
                # totals, linear in each taxon's part of G - D, so a taxon's bar is its exact
                # share of the points above (health side) or below (disease side) the neutral
                # half, which is listed once for the whole community.
                half_span = 2.0 * (F["health_response"].to_numpy() + F["disease_response"].to_numpy()
                                   + 2.0 * DIVERSITY_FLOOR)
                side = composite["health_response"].to_numpy() - composite["disease_response"].to_numpy()
                taxon_points[pillar][c.name] = spread(100.0 * w / half_span) * (side[cols] * p)
                community_points[pillar][c.name] = np.full(len(value), 50.0 * w)
                continue
            if c.kind == "community":
                community_points[pillar][c.name] = 100.0 * w * value
                continue
            if c.kind == "capacity":
                group = B_VITAMINS if c.name == "vitamins" else QUINONES
                factor = 100.0 * w / len(group)
                points = sum(spread(per_total(t, factor * N[t].to_numpy())) * share(t) for t in group)
            elif c.kind == "penalty":
                points = spread(per_total(c.trait, -100.0 * w * (1.0 - value))) * share(c.trait)
            else:
                points = spread(per_total(c.trait, 100.0 * w * value)) * share(c.trait)
            taxon_points[pillar][c.name] = points
        if renorm is not None:
            spread_renorm = spread(renorm)
            taxon_points[pillar] = {k: v * spread_renorm for k, v in taxon_points[pillar].items()}
            community_points[pillar] = {k: v * renorm for k, v in community_points[pillar].items()}
    labels = component_labels()

    out: dict[str, dict] = {s: {} for s in samples}

    def emit(key: str, parts: dict[str, np.ndarray], community: dict[str, np.ndarray], *,
             effect: np.ndarray, scale: dict[str, float] | None = None) -> None:
        listed = listed_json(parts, community, rows=rows, cols=cols, names=names, ids=ids,
                             n_samples=len(samples), top=top, effect=effect, scale=scale)
        for sample, text in zip(samples, listed, strict=True):
            out[sample][key] = text if raw else expanded(text.load(), labels)

    pillar_effect = {}
    for pillar in PILLARS:
        # a taxon's effect: its parts added left to right onto zeros
        pillar_effect[pillar] = sum(taxon_points[pillar].values(), np.zeros(len(rows)))
        emit(pillar, {f"{pillar}.{k}": v for k, v in taxon_points[pillar].items()},
             {f"{pillar}.{k}": v for k, v in community_points[pillar].items()}, effect=pillar_effect[pillar])
    # immune_support = sum_p u_p pillar_p: a taxon's effect is the u-weighted
    # sum of its effects on the pillars (exact), each part its pillar part times u_p.
    u = cal["pillars"]
    emit(
        "immune_support",
        {f"{pl}.{k}": v for pl in PILLARS for k, v in taxon_points[pl].items()},
        {f"{pl}.{k}": u[pl] * v for pl in PILLARS for k, v in community_points[pl].items()},
        effect=sum((u[pl] * pillar_effect[pl] for pl in PILLARS), np.zeros(len(rows))),
        scale={f"{pl}.{k}": u[pl] for pl in PILLARS for k in taxon_points[pl]},
    )
    return out
