"""What the components are computed from, prepared once per cohort
(:func:`_prepare`): each taxon's own abundance over the scored domains,
the composite traits of the knowledge base, the trait shares of every
sample, the cross-feeding gate, and the community inputs (similarity to the
healthy reference, GMHI and GMWI2 over the floored cohort).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..cohort import Cohort, normalize_rows
from ..indices.dysbiosis import dysbiosis as dysbiosis_score
from ..indices.gmhi import gmhi_table
from ..indices.gmwi2 import gmwi2_table
from ..indices.resolution import MIN_RESOLVED_SHARE
from ..knowledge import load_knowledge, trait_matrix
from ..knowledge.schema import TRAITS
from ..taxonomy.ranks import RANK_INDEX, RANKS
from .constants import B_VITAMINS, DIVERSITY_FLOOR, INDEX_FLOOR, QUINONES, _h, parameters

#: Domains the knowledge base describes; viruses and eukaryotes are left out
#: of the denominator (their share is reported as not covered).
SCORED_DOMAINS = ("Bacteria", "Archaea")


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


#: Ranks whose ``probiotic`` rows are immune claims the training pillar credits.
PROBIOTIC_IMMUNE_RANKS: tuple[str, ...] = ("strain", "species")


def species_probiotic_calls(weighted: pd.DataFrame, resolved_rank: pd.DataFrame) -> pd.DataFrame:
    """``weighted`` with the ``probiotic`` calls that came from a genus (or
    higher) row set to 0.

    The genus rows (*Bifidobacterium*, *Lactobacillus* and its 2020 splits)
    state the ISAPP consensus's core benefits shared by well-studied species
    (Hill et al. 2014, doi:10.1038/nrgastro.2014.66); the consensus counts
    immunological effects among the strain-specific ones, so a genus row is
    no immune-training claim for a species the profile names (audit G).  The
    rows still say which taxa belong to the probiotic genera (``kb show``, the
    simulator's bifidobacteria-and-lactobacilli guild); the species and
    strain rows (LGG, *E. coli* Nissle 1917, and the species shown to lack
    the trait) carry their own human evidence and count as before."""
    if "probiotic" not in weighted.columns:
        return weighted
    out = weighted.copy()
    rank = resolved_rank["probiotic"]
    genus_or_above = (rank != "") & ~rank.isin(PROBIOTIC_IMMUNE_RANKS)  # "": no call, nothing to take away
    out.loc[genus_or_above & out["probiotic"].notna(), "probiotic"] = 0.0
    return out


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
    # a mouse-only result, counts less; a genus probiotic row not at all:
    # species_probiotic_calls).  SCFA producers are not counted here:
    # the Treg induction by butyrate and propionate was shown for the
    # metabolites in mice (Furusawa 2013, Arpaia 2013), not for every producer.
    out["immunomodulatory"] = v[["treg_induction", "beneficial_commensal", "probiotic"]].max(axis=1) * harmless
    # The training penalty weighs each call by its evidence, as the defense harm
    # index does: K. pneumoniae's pathobiont call rests on gnotobiotic mice and
    # strain-level findings (weight 0.3), and counted in full here while the
    # defense penalty counted it at its weight (issue 12 item 2: mouse-only and
    # strain-level evidence weigh less in the scores).  Who is harmful (the
    # gate above) stays the calls'.
    out["pathobiont_or_pathogen"] = v[["pathobiont", "enteric_pathogen"]].max(axis=1)
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
    composite = pd.concat([_composite_traits(values, weighted), _health_association_traits(values, weighted)], axis=1)
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


def _health_association_traits(values: pd.DataFrame, weighted: pd.DataFrame | None = None) -> pd.DataFrame:
    """The homeostasis traits, kept apart so each is its own component:
    curated (anti/pro-inflammatory effect) and population associations
    (Asnicar et al. 2021 favourable/unfavourable; GMHI health-prevalent/scarce).
    ``values`` are the calls, ``weighted`` the calls times their evidence
    weight (what credit and penalties use); who is harmful is decided on the
    calls, as in :func:`_composite_traits`: decided on the weighted calls, a
    C. perfringens (a review's call, weight 0.8) was a fifth harmless and
    earned a fifth of its butyrate supply (an outside review, 2026-11-29)."""
    v = (values if weighted is None else weighted).fillna(0.0).clip(0.0, 1.0)
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
            # a harmful taxon's weight on the disease side is its evidence-weighted call
            "disease_response": v[["shared_disease_response", "asnicar_unfavourable", "gmhi_health_scarce",
                                   "pro_inflammatory", "pathobiont", "enteric_pathogen"]].max(axis=1),
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


def _own_below(cohort: Cohort, floor: float) -> tuple[sp.csr_matrix, pd.DataFrame, np.ndarray]:
    """Each taxon's *own* abundance (:meth:`Cohort.terminal_matrix` down to
    the deepest rank the cohort has), the taxa of its columns, and which of
    its stored entries are below ``floor`` of the sample's classified
    abundance."""
    deepest = max(RANK_INDEX[r] for r in cohort.taxa["rank"].unique()) if cohort.n_taxa else 0
    own, taxa = cohort.terminal_matrix(max_rank=RANKS[deepest])
    own = sp.csr_matrix(own, copy=True)
    classified = np.maximum(cohort.classified(), 1e-300)
    below = own.data < floor * np.repeat(classified, np.diff(own.indptr))
    return own, taxa, below


def floored_cohort(cohort: Cohort, floor: float = INDEX_FLOOR) -> Cohort:
    """The cohort as a profiler would report it at any common sequencing
    depth: every taxon whose *own* abundance (:meth:`Cohort.terminal_matrix`)
    is below ``floor`` of the sample's classified abundance is removed, and
    every clade is summed again from what remains.

    Flooring the own abundances rather than the clades is what keeps the
    floored cohort depth-robust: a genus made of many rare species does not
    cross the floor because a shallower run missed some of them, so the
    clades GMWI2 counts above the floor do not follow depth."""
    own, taxa, below = _own_below(cohort, floor)
    own.data[below] = 0.0
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


def _index_applicable(cohort: Cohort) -> np.ndarray:
    """Per sample, whether the GMHI and GMWI2 components describe it: at
    least :data:`MIN_RESOLVED_SHARE` of its classified abundance is at
    species rank (see :func:`_prepare`)."""
    is_species = (cohort.taxa["rank"] == "species").to_numpy(dtype=float)
    at_species = np.asarray(cohort.X @ is_species).ravel()
    return at_species >= MIN_RESOLVED_SHARE * cohort.classified()


#: How the shallow-profile warning begins (:func:`shallow_profile_warnings`).
SHALLOW_PROFILE_WARNING = f"no species under {INDEX_FLOOR:.2%} is reported"


def shallow_profile_warnings(cohort: Cohort) -> list[str]:
    """Per sample, a warning ("" when none) where the profile reports no
    species under the index floor although the GMHI and GMWI2 components
    describe it: a shallow run, a profiler that reports only the commoner
    taxa (mOTUs' precision mode: 236 of Zeller 2014's 457 runs) or a
    report that lists only those misses the marker species the components
    count between its detection limit and the floor, so homeostasis can read
    otherwise than a more sensitive profile of the same stool would: lower
    by up to 19 points when everything under 0.1 % is removed
    (tests/pillars/test_depth.py), higher when the rarer species missed are
    disease-associated (SingleM's profiles of ten people at 0.5 and 5 Gbp,
    docs/tried-on-public-data.md: homeostasis 9.5 points higher at 0.5 Gbp
    on average, at most 20).  A deep profile of a community of few species
    can show the same (4 of Franzosa 2019's 220 profiles, 7 of iHMP's 386).

    Species, not any taxon: the markers are species, and a profiler that
    places reads at higher ranks when it cannot resolve them (SingleM at
    0.5 Gbp: its rarest species at 0.25 %, a domain's own share under 0.03 %)
    reports rare higher-rank rows however shallow the run."""
    own, taxa, below = _own_below(cohort, INDEX_FLOOR)
    # A strain row is its species' abundance: MetaPhlAn 4 writes every species'
    # whole share again in its t__SGB row, which leaves the species row no own
    # abundance, and 58 of Ladakis 2024's 113 profiles were warned although
    # they report 14-89 species under the floor (an outside check, 2026-11-29).
    is_species = taxa["rank"].isin(["species", "strain"]).to_numpy()
    rare_species = below & is_species[own.indices]
    rows = np.repeat(np.arange(own.shape[0]), np.diff(own.indptr))
    has_rare = np.bincount(rows[rare_species], minlength=own.shape[0]) > 0
    has_any = np.diff(own.indptr) > 0
    warn = has_any & ~has_rare & _index_applicable(cohort)
    return [
        f"{SHALLOW_PROFILE_WARNING}: where the run was shallow, or the profiler or the report "
        "leaves out the rarer taxa, homeostasis may read higher or lower than a more sensitive profile of the "
        "same sample would (GMHI's and GMWI2's rarer marker species are not seen)" if w else ""
        for w in warn
    ]


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
    # the published formulas over the clades above the index floor.
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
    species = _index_applicable(cohort)
    traits = trait_matrix(taxa, list(TRAITS))
    weighted = species_probiotic_calls(traits.weighted(), traits.resolved_rank)
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
