"""The vocabulary of the knowledge base: traits, pillars, evidence levels, ranks.

Every trait belongs to exactly one of the five pillars and has a documented
value scale (see ``docs/knowledge-base.md``).  Adding a trait means adding it
here, documenting it, and citing every row that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..citations import HOSTS as HOSTS  # the one vocabulary of hosts, re-exported

#: The five ways a gut microbiome supports immunity, in report order.
PILLARS: tuple[str, ...] = ("training", "homeostasis", "nutrients", "barrier", "defense")


@dataclass(frozen=True)
class Trait:
    """One trait: its pillar, what a value means, and the allowed qualifier keys.

    ``host_effect``: the trait is an effect on a host (Treg induction,
    inflammation, probiotic benefit), so the host the evidence comes from
    (human, mouse, cells in a dish) weighs on it; a phenotype of the microbe
    itself (Gram stain, butyrate made in culture) is measured in vitro by
    nature.  ``conserved``: the deepest rank at which a row still counts at
    full weight (a genus-defined flag such as ``akkermansia`` is exact at
    genus; Treg induction shown for some strains is not).
    """

    name: str
    pillar: str
    scale: str
    qualifiers: tuple[str, ...] = ()
    host_effect: bool = False
    conserved: str = "species"


#: Traits that are effects on a host, where the host of the evidence matters.
_HOST_EFFECT = {
    "beneficial_commensal", "probiotic", "treg_induction", "th17_induction", "th1_induction", "pathobiont",
    "anti_inflammatory", "pro_inflammatory", "colonisation_resistance", "sphingolipid_producer",
}
#: Traits defined at, or phylogenetically conserved to, a rank above species
#: (assumed; see docs/knowledge-base.md "Evidence weights").
_CONSERVED = {
    # The Enterobacteriaceae of the bloom literature is the family before Adeolu
    # et al. 2016 (doi:10.1099/ijsem.0.001485), today's order Enterobacterales:
    # membership of it, and its LPS outer membrane, hold for the whole order.
    "akkermansia": "genus", "enterobacteriaceae": "order", "gram_negative": "genus", "lps_producer": "order",
    "obligate_anaerobe": "genus", "facultative_anaerobe": "genus", "aerobe": "genus", "h2s_producer": "genus",
    "sulfate_reducer": "genus", "sphingolipid_producer": "genus",
    # Fermentation end products: the reviews and culture surveys name producer
    # genera (Louis & Flint 2017), and the pathways are largely shared within them.
    "butyrate_producer": "genus", "propionate_producer": "genus", "acetate_producer": "genus",
    "lactate_producer": "genus", "butyrate_crossfeeding": "genus",
    # The meta-analysis tested genera (16S), so a genus row is the finding itself.
    "shared_disease_response": "genus",
}


def _t(name: str, pillar: str, scale: str, *qualifiers: str) -> Trait:
    return Trait(name, pillar, scale, tuple(qualifiers), host_effect=name in _HOST_EFFECT,
                 conserved=_CONSERVED.get(name, "species"))


_BOOL = "1 = has the trait, 0 = shown to lack it"

TRAITS: dict[str, Trait] = {
    t.name: t
    for t in (
        # --- training: does the community teach the immune system friend from foe?
        _t("beneficial_commensal", "training", _BOOL + " (shown to benefit immune maturation or tolerance)"),
        _t("probiotic", "training", _BOOL + " (taxon with strains meeting the ISAPP probiotic definition)"),
        _t("treg_induction", "training", _BOOL + " (induces colonic regulatory T cells)"),
        _t("th17_induction", "training", _BOOL + " (induces intestinal Th17 cells)"),
        _t("th1_induction", "training", _BOOL + " (induces intestinal Th1 cells)"),
        _t("pathobiont", "training", _BOOL + " (commensal that can drive inflammation; strain-dependent)", "caveat"),
        # --- homeostasis: is the response balanced?
        _t("anti_inflammatory", "homeostasis", _BOOL + " (anti-inflammatory effect or association)"),
        _t("pro_inflammatory", "homeostasis", _BOOL + " (pro-inflammatory effect or disease association)", "context"),
        _t("gmhi_health_prevalent", "homeostasis", "1 = one of the 7 GMHI health-prevalent species"),
        _t("gmhi_health_scarce", "homeostasis", "1 = one of the 43 GMHI health-scarce species"),
        _t("asnicar_favourable", "homeostasis", "1 = one of the 15 species Asnicar et al. 2021 ranked favourable"),
        _t("asnicar_unfavourable", "homeostasis", "1 = one of the 15 species Asnicar et al. 2021 ranked unfavourable"),
        _t("sphingolipid_producer", "homeostasis", _BOOL + " (makes sphingolipids; Bacteroides sphingolipids keep"
           " the colon uninflamed in gnotobiotic mice and are lower in IBD stool, Brown et al. 2019)"),
        _t("shared_disease_response", "homeostasis", "1 = genus enriched in patients in at least two diseases (the"
           " non-specific shared response of Duvallet et al. 2017)"),
        # --- nutrients: does it make what immune cells need?
        _t("butyrate_producer", "nutrients", _BOOL, "route", "mM"),
        _t("propionate_producer", "nutrients", _BOOL, "route"),
        _t("acetate_producer", "nutrients", "1 = net acetate producer, 0 = net acetate consumer", "mM"),
        _t("lactate_producer", "nutrients", _BOOL, "mM"),
        _t("butyrate_crossfeeding", "nutrients", _BOOL + " (acetate, lactate or oligosaccharides it releases are shown"
           " to feed butyrate producers, e.g. Bifidobacterium with Anaerostipes and E. hallii)"),
        _t("vitamin_b1_synthesis", "nutrients", _BOOL + " (thiamine de novo)"),
        _t("vitamin_b2_synthesis", "nutrients", _BOOL + " (riboflavin de novo)"),
        _t("vitamin_b3_synthesis", "nutrients", _BOOL + " (niacin / NAD de novo)"),
        _t("vitamin_b5_synthesis", "nutrients", _BOOL + " (pantothenate de novo)"),
        _t("vitamin_b6_synthesis", "nutrients", _BOOL + " (pyridoxine de novo)"),
        _t("vitamin_b7_synthesis", "nutrients", _BOOL + " (biotin de novo)"),
        _t("vitamin_b9_synthesis", "nutrients", _BOOL + " (folate de novo)"),
        _t("vitamin_b12_synthesis", "nutrients", _BOOL + " (cobalamin de novo)"),
        _t("menaquinone_synthesis", "nutrients", _BOOL + " (vitamin K2)"),
        _t("ubiquinone_synthesis", "nutrients", _BOOL + " (coenzyme Q)"),
        # --- barrier: does it keep the lining intact?
        _t("mucin_degrader", "barrier", _BOOL),
        _t("akkermansia", "barrier", "1 = genus Akkermansia (mucus-layer specialist)"),
        _t("h2s_producer", "barrier", _BOOL + " (hydrogen sulfide by any route: cysteine degradation or sulfate/sulfite"
           " reduction; genus rows = share of the genus's surveyed genomes)", "route"),
        _t("sulfate_reducer", "barrier", _BOOL + " (dissimilatory sulfate/sulfite reduction, dsrAB: the colitis-linked H2S"
           " producers such as Desulfovibrio and Bilophila; genus rows = share of the genus's surveyed genomes)"),
        _t("gram_negative", "barrier", "1 = Gram-stain negative, 0 = Gram-stain positive (stain, not envelope)"),
        _t("lps_producer", "barrier", "1 = diderm with lipopolysaccharide outer membrane, 0 = no LPS"),
        _t("lps_tlr4_agonist", "barrier", "1 = hexa-acylated, strongly TLR4-agonistic LPS; 0 = weak or antagonistic LPS"),
        _t("obligate_anaerobe", "barrier", "1 = obligately anaerobic, 0 = tolerates or uses oxygen"),
        _t("facultative_anaerobe", "barrier", "1 = facultatively anaerobic (blooms when the gut is oxygenated), 0 = not"),
        _t("aerobe", "barrier", "1 = aerobic (grows with oxygen as terminal electron acceptor; blooms when the gut is"
           " oxygenated), 0 = not"),
        # --- defense: does it resist pathogens?
        _t("pathogen", "defense", _BOOL + " (broad flag from trait compilations: pathogen or opportunist of humans or"
           " animals; marks some dominant commensals)", "caveat"),
        _t("enteric_pathogen", "defense", "1 = recognised primary enteric/gastrointestinal pathogen; 0.5 = only some"
           " strains or pathotypes are, or an opportunist (say which in caveat); 0 = not", "caveat"),
        _t("pathogenicity_class", "defense", "COGEM class 1 (no risk) to 4 (severe risk) for humans and animals"),
        _t("enterobacteriaceae", "defense", "1 = member of the Enterobacteriaceae as delimited before 2016, today's order"
           " Enterobacterales (bloom marker; Adeolu et al. 2016 split the old family into the order's seven families);"
           " 0 for its plant-associated families Erwiniaceae and Pectobacteriaceae, not gut residents that bloom"),
        _t("oral_taxon", "defense", "1 = oral-cavity taxon; in stool it marks oral-gut transfer"),
        _t("colonisation_resistance", "defense", _BOOL + " (mechanism shown to exclude pathogens; 0.5 = only some"
           " strains carry it)", "mechanism"),
    )
}

#: Each trait in a few plain words, as a report names it beside a taxon's
#: effect on a score ("Klebsiella pneumoniae: pathobiont, Enterobacterales"):
#: what the taxon is or does, not the component it counts in.
TRAIT_PHRASES: dict[str, str] = {
    "beneficial_commensal": "beneficial commensal",
    "probiotic": "probiotic",
    "treg_induction": "induces regulatory T cells",
    "th17_induction": "induces Th17 cells",
    "th1_induction": "induces Th1 cells",
    "pathobiont": "pathobiont",
    "anti_inflammatory": "anti-inflammatory",
    "pro_inflammatory": "pro-inflammatory",
    "gmhi_health_prevalent": "GMHI health-prevalent species",
    "gmhi_health_scarce": "GMHI health-scarce species",
    "asnicar_favourable": "favourable species (Asnicar 2021)",
    "asnicar_unfavourable": "unfavourable species (Asnicar 2021)",
    "sphingolipid_producer": "makes sphingolipids",
    "shared_disease_response": "genus enriched in several diseases (Duvallet 2017)",
    "butyrate_producer": "makes butyrate",
    "propionate_producer": "makes propionate",
    "acetate_producer": "makes acetate",
    "lactate_producer": "makes lactate",
    "butyrate_crossfeeding": "feeds butyrate producers",
    "vitamin_b1_synthesis": "makes vitamin B1",
    "vitamin_b2_synthesis": "makes vitamin B2",
    "vitamin_b3_synthesis": "makes vitamin B3",
    "vitamin_b5_synthesis": "makes vitamin B5",
    "vitamin_b6_synthesis": "makes vitamin B6",
    "vitamin_b7_synthesis": "makes biotin (B7)",
    "vitamin_b9_synthesis": "makes folate (B9)",
    "vitamin_b12_synthesis": "makes vitamin B12",
    "menaquinone_synthesis": "makes vitamin K2",
    "ubiquinone_synthesis": "makes coenzyme Q",
    "mucin_degrader": "degrades mucus",
    "akkermansia": "Akkermansia",
    "h2s_producer": "makes hydrogen sulfide",
    "sulfate_reducer": "reduces sulfate to hydrogen sulfide",
    "gram_negative": "Gram-negative",
    "lps_producer": "has an LPS outer membrane",
    "lps_tlr4_agonist": "strongly inflammatory LPS",
    "obligate_anaerobe": "strict anaerobe",
    "facultative_anaerobe": "facultative anaerobe",
    "aerobe": "aerobe",
    "pathogen": "pathogen or opportunist (broad flag)",
    "enteric_pathogen": "enteric pathogen",
    "pathogenicity_class": "risk class",
    "enterobacteriaceae": "Enterobacterales",
    "oral_taxon": "mouth microbe",
    "colonisation_resistance": "keeps pathogens out",
}

#: The evidence levels a knowledge-base fact may have (of the one vocabulary
#: of :mod:`gutbalance.citations`), strongest first, with the weight they get
#: in confidence.  The weights are assumed (ordinal judgement, not measured); see the docs.
EVIDENCE_WEIGHT: dict[str, float] = {
    "experiment": 1.0,
    "genome_analysis": 0.9,
    "review_consensus": 0.8,
    "model_prediction": 0.6,
}
EVIDENCE_LEVELS: tuple[str, ...] = tuple(EVIDENCE_WEIGHT)

#: Ranks a row may be keyed at, most specific first, with the confidence a
#: call inherited from that rank gets (assumed: fewer shared traits the
#: further up the tree; documented in docs/knowledge-base.md).
RANK_CONFIDENCE: dict[str, float] = {
    "strain": 1.0,
    "species": 1.0,
    "genus": 0.7,
    "family": 0.4,
    "order": 0.3,
    "class": 0.2,
    "phylum": 0.1,
}
KB_RANKS: tuple[str, ...] = tuple(RANK_CONFIDENCE)



def pillar_traits(pillar: str) -> list[str]:
    """Names of the traits that feed one pillar."""
    return [t.name for t in TRAITS.values() if t.pillar == pillar]
