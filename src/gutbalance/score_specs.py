"""Every column of the scores table, described once: :class:`ScoreSpec`.

A column's label, the family the reports show it under (``group``), its
direction (``favourable``: higher, lower or neither is usually considered
favourable), whether the healthy reference holds its distribution and
percentiles (``reference``), its scale, digits and text live here and nowhere
else.  ``gutbalance.scores`` takes the columns without a reference
distribution from here, the reports (sample, cohort, timeline, validation
pages) and through them the web app take every label and text, and a test
checks that every column ``score()`` writes has an entry.  A new score is its
family function in ``gutbalance.scores`` plus one entry here (then a rebuilt
reference gives it percentiles).  A column without an entry is still shown,
with a generic description (:func:`describe` never fails).

Wording rules: plain language, what the number *measures* and which way is
usually considered favourable, never what it means for someone's health.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .knowledge.schema import PILLARS

#: Section order in reports.
GROUPS = {
    "overall": "Overall immune support",
    "pillar": "The five ways a gut supports immunity",
    "index": "Published gut health indices",
    "diversity": "Diversity",
    "ratio": "Ratios and balance",
    "quality": "How much of the profile could be used",
    "other": "Other scores",
}

GMHI_REF = "Gupta VK et al. (2020) Nat Commun 11:4635. doi:10.1038/s41467-020-18476-8"
GMWI2_REF = "Chang D, Gupta VK et al. (2024) Nat Commun 15:7447. doi:10.1038/s41467-024-51651-9"
SHANNON_REF = "Shannon CE (1948) Bell Syst Tech J 27:379-423. doi:10.1002/j.1538-7305.1948.tb01338.x"
SIMPSON_REF = "Simpson EH (1949) Nature 163:688. doi:10.1038/163688a0"
PIELOU_REF = "Pielou EC (1966) J Theor Biol 13:131-144. doi:10.1016/0022-5193(66)90013-0"
DIVERSITY_CAVEAT = (
    "Diversity depends on sequencing depth and on the profiler and its database, so compare it only "
    "between samples processed the same way. Higher diversity is common in healthy Western adults, "
    "but it is not good or bad on its own."
)
PILLAR_CAVEAT = (
    "Built from published links between microbes and the immune system (see the taxa and sources listed); "
    "it describes the microbes found, not how your immune system works."
)


@dataclass(frozen=True)
class ScoreSpec:
    """One column of the scores table: how to show and explain it, and how the reference treats it."""

    key: str
    label: str
    group: str
    summary: str
    meaning: str
    #: "higher" (higher is usually considered favourable), "lower", or "neither".
    favourable: str = "neither"
    caveats: str = ""
    references: tuple[str, ...] = ()
    #: Fixed scale (lo, hi) when the score has one, for charts.
    scale: tuple[float, float] | None = None
    digits: int = 2
    known: bool = True
    #: Column heading in tables (the full label is its tooltip).
    short_label: str = ""
    #: Whether the healthy reference holds a distribution of it (percentiles); False for
    #: columns that describe the input rather than score it.
    reference: bool = True
    #: A text column (why a value is missing, warnings, how the sample was resolved), not a score.
    text: bool = False

    @property
    def short(self) -> str:
        """Column heading in tables."""
        return self.short_label or self.label

    @property
    def direction(self) -> str:
        """``favourable``: "higher", "lower" or "neither"."""
        return self.favourable

    @property
    def direction_text(self) -> str:
        """The direction in words, for the reports.  A quality column says how
        much of the profile the scores could use, not how healthy it is (a
        reader took "more favourable" on a confidence card for health; an
        outside check)."""
        if self.group == "quality":
            return ("This says how much of the profile the scores could use, not how healthy the gut is: higher "
                    "values mean the scores rest on more of it.")
        return {
            "higher": "Higher values are usually considered more favourable.",
            "lower": "Lower values are usually considered more favourable.",
        }.get(self.favourable, "Neither high nor low values are good or bad on their own.")

    def format(self, value) -> str:
        """``value`` with this score's digits; "–" when missing or not a number.
        A value that is not 0 but rounds to it keeps two significant digits:
        a coverage of 0.0023 read "0.00", as if the knowledge base knew
        nothing of the profile, beside pillar scores drawn from that 0.23 %.

        >>> describe("coverage").format(0.0023), describe("coverage").format(0.0), describe("coverage").format(0.4567)
        ('0.0023', '0.00', '0.46')
        >>> describe("nutrients").format(0.0142), describe("nutrients").format(-0.3), describe("nutrients").format(3e-9)
        ('0.014', '-0.30', 'under 0.000001')
        """
        try:
            v = float(value)
        except (TypeError, ValueError):
            return "–"
        if v != v:  # NaN
            return "–"
        text = f"{v:.{self.digits}f}"
        if v == 0 or not math.isfinite(v) or float(text) != 0:
            return text
        places = 1 - math.floor(math.log10(abs(v)))  # two significant digits
        if places > 6:
            return "under 0.000001" if v > 0 else "above -0.000001"
        return f"{v:.{places}f}"

    def format_change(self, before, after) -> str:
        """``after - before`` as the difference of the two values as
        :meth:`format` shows them, signed, so that a row of a table adds up:
        61.4 and 63.5 shown as 61 and 64 read "+3", not the "+2" of the
        exact 2.1 (an outside check, 2026-11-29).  Whether a change is beyond
        measurement variation is still judged on the exact values.

        >>> describe("immune_support").format_change(61.4, 63.5), describe("immune_support").format_change(70.2, 70.4)
        ('+3', '+0')
        >>> describe("nutrients").format_change(0.0142, 0.5), describe("nutrients").format_change(1.0, float("nan"))
        ('+0.486', '–')
        """
        shown = [self.format(before), self.format(after)]
        if "–" in shown:
            return "–"
        try:
            b, a = (float(text) for text in shown)
        except ValueError:  # "under 0.000001": the exact values
            b, a = float(before), float(after)
        places = max([self.digits] + [len(text.partition(".")[2]) for text in shown])
        change = round(a - b, places)
        return f"{change + 0.0:+.{places}f}"  # + 0.0: no "-0"

    def exact_change_note(self, before, after, smallest: float | None, beyond: bool | None) -> str:
        """What the exact values say where the rounded ones seem to contradict the verdict on a
        change (:meth:`format_change` against ``smallest``, the smallest real difference as
        :meth:`format` shows it), "" elsewhere: a coverage shown 0.97 -> 0.99, change +0.02,
        smallest real difference 0.02, was "yes, larger" without a word (an outside check).

        >>> describe("coverage").exact_change_note(0.9749, 0.9901, 0.0151, True)
        'by the exact values: +0.0152 against 0.0151'
        >>> describe("coverage").exact_change_note(0.90, 0.99, 0.02, True)
        ''
        """
        if beyond is None or smallest is None:
            return ""
        try:
            shown = abs(float(self.format_change(before, after)))
            limit = float(self.format(smallest))
            change = float(after) - float(before)
        except (TypeError, ValueError):
            return ""
        if (shown > limit) == bool(beyond):
            return ""
        for places in range(self.digits + 1, self.digits + 7):
            if (round(abs(change), places) > round(smallest, places)) == bool(beyond):
                break
        return f"by the exact values: {change:+.{places}f} against {smallest:.{places}f}"


#: The name the reports have used for a ScoreSpec.
ScoreInfo = ScoreSpec


def _pillar(key: str, label: str, question: str, feeds: str) -> ScoreInfo:
    return ScoreInfo(
        key=key,
        label=label,
        group="pillar",
        summary=question,
        meaning=f"{question} This score (0 to 100) adds up the microbes in the sample that published studies link to it: {feeds}",
        favourable="higher",
        caveats=PILLAR_CAVEAT,
        scale=(0.0, 100.0),
        digits=0,
    )


_REGISTRY: dict[str, ScoreInfo] = {}


def register(info: ScoreInfo) -> ScoreInfo:
    """Add or replace the description of a score column."""
    _REGISTRY[info.key] = info
    return info


for _info in (
    ScoreInfo(
        key="immune_support",
        label="Immune support",
        group="overall",
        summary="How many features linked to a well-supported immune system the microbiome shows, over all five ways.",
        meaning=(
            "A summary (0 to 100) of the five scores below: training, homeostasis, nutrients, barrier and defense. "
            "Higher means the profile shows more of the microbes and functions that studies link to a well-supported immune system."
        ),
        favourable="higher",
        caveats=PILLAR_CAVEAT,
        scale=(0.0, 100.0),
        digits=0,
    ),
    _pillar("training", "Training", "Does the microbiome teach the immune system friend from foe, with few pathobionts to mislead it?",
            "pathobionts and pathogens, which count against it, and, with a smaller weight (in the studies the weights were "
            "checked on they were not consistently higher in healthy people), Bifidobacterium, Treg-inducing Clostridia, "
            "Bacteroides fragilis and other beneficial microbes."),
    _pillar("homeostasis", "Homeostasis", "Is the immune response kept in balance, neither under- nor over-reacting?",
            "the published health indices (GMWI2, GMHI), butyrate producers against the microbes that many diseases share, "
            "fewer pro-inflammatory and disease-associated microbes, and, with a smaller weight, anti-inflammatory microbes "
            "and similarity to a healthy reference. Diversity is reported on its own, not counted here."),
    _pillar("nutrients", "Nutrients", "Does the microbiome make the compounds immune cells need?",
            "butyrate producers and the microbes that feed them (such as bifidobacteria), and, with a smaller weight (they were "
            "not consistently higher in healthy people), propionate producers and producers of B vitamins and vitamin K2."),
    _pillar("barrier", "Barrier", "Does the microbiome help keep the gut lining intact?",
            "butyrate producers (fuel for the cells of the gut lining), and, with a smaller weight (they were not consistently "
            "different in healthy people), strict anaerobes, Akkermansia, and fewer mucus degraders in excess, LPS-rich "
            "microbes, oxygen-tolerant bloomers and hydrogen-sulfide producers."),
    _pillar("defense", "Defense", "Does the microbiome crowd out and resist pathogens?",
            "few pathogens and pathobionts, no bloom of Enterobacteriaceae and no overgrowth of mouth microbes in stool (a few are "
            "normal), and, with a smaller weight, harmless strict anaerobes and microbes shown to keep pathogens out."),
    ScoreInfo(
        key="coverage",
        label="Coverage",
        group="quality",
        summary="Share of the profile that the knowledge base could say something about.",
        meaning=(
            "The fraction (0 to 1) of the sample's bacterial and archaeal abundance made of microbes the gutbalance "
            "knowledge base has published information on at species or genus level. The pillars also draw on facts "
            "known only for a microbe's family; the reach (kb_reach) measures the part they are computed from."
        ),
        favourable="higher",
        caveats="A low coverage means the scores describe only a small part of the microbiome and are less reliable.",
        scale=(0.0, 1.0),
        digits=2,
    ),
    ScoreInfo(
        key="kb_reach",
        label="Reached by the knowledge base",
        group="quality",
        summary="Share of the sample's bacteria and archaea that the immune-support scores rest on.",
        meaning=(
            "The fraction (0 to 1) of the sample's bacterial and archaeal abundance made of microbes for which the "
            "knowledge base holds a fact at least one of the immune-support scores reads (which microbes train the "
            "immune system, make butyrate, need an oxygen-free gut, are pathobionts, and the like), known for the "
            "microbe itself or for its genus or family. The five pillars and immune support rest on this part; "
            "below a floor measured on real stool (a tenth of its least reach) they are not scored. Each pillar "
            "reads its own facts and may rest on less of it: its confidence says how much. Unlike coverage, a fact "
            "known only for the family counts, so a profile of families is reached; a fact known only for an "
            "order, class or phylum does not."
        ),
        favourable="higher",
        caveats=(
            "A low reach means the immune-support scores describe only part of the microbiome; the confidences say "
            "how firm the knowledge about that part is. It describes the input, not health, and has no healthy "
            "reference values."
        ),
        scale=(0.0, 1.0),
        digits=2,
        reference=False,
    ),
    ScoreInfo(
        key="gmhi",
        label="Gut Microbiome Health Index (GMHI)",
        group="index",
        summary="Balance of 7 species more common in healthy people against 43 species more common in people with disease.",
        meaning=(
            "GMHI compares the 7 species that were more often found in healthy people with the 43 that were more often found in "
            "people with one of 12 diseases, across 4,347 stool metagenomes. Above 0: the 'healthy-associated' species weigh more; "
            "below 0: the 'disease-associated' ones do; 0: neither (or none of them were found)."
        ),
        favourable="higher",
        caveats=(
            "Defined on MetaPhlAn 2 species names; other profilers or newer names can miss some of the 50 species. "
            "It separates groups of people on average and is not a test for any disease."
        ),
        references=(GMHI_REF,),
    ),
    ScoreInfo(
        key="gmwi2",
        label="Gut Microbiome Wellness Index 2 (GMWI2)",
        group="index",
        summary="A published model of which microbes are present in healthy versus non-healthy people.",
        meaning=(
            "GMWI2 adds up published weights of 95 microbial groups (present or absent), learned from 8,069 stool metagenomes "
            "of healthy and non-healthy people. Above 0 looks more like the healthy group, below 0 more like the non-healthy group."
        ),
        favourable="higher",
        caveats=(
            "Defined on MetaPhlAn 3 profiles; other profilers can miss groups. It describes groups of people on average "
            "and is not a test for any disease."
        ),
        references=(GMWI2_REF,),
    ),
    ScoreInfo(
        key="richness",
        label="Species richness",
        group="diversity",
        summary="How many different species were found.",
        meaning="The number of species detected in the sample.",
        caveats=DIVERSITY_CAVEAT,
        digits=0,
    ),
    ScoreInfo(
        key="shannon",
        label="Shannon diversity",
        group="diversity",
        summary="How many species there are and how evenly they are shared out.",
        meaning="Shannon's index (natural log) over the species in the sample: it grows with more species and with more even shares.",
        caveats=DIVERSITY_CAVEAT,
        references=(SHANNON_REF,),
    ),
    ScoreInfo(
        key="simpson",
        label="Simpson diversity",
        group="diversity",
        summary="The chance that two microbes picked at random belong to different species.",
        meaning="Simpson's index, 1 - sum of squared species shares (0 to 1). Close to 1: no single species dominates.",
        caveats=DIVERSITY_CAVEAT,
        references=(SIMPSON_REF,),
        scale=(0.0, 1.0),
    ),
    ScoreInfo(
        key="inverse_simpson",
        label="Inverse Simpson diversity",
        group="diversity",
        summary="The number of equally common species that would give the same diversity.",
        meaning="1 / sum of squared species shares: an 'effective number' of dominant species.",
        caveats=DIVERSITY_CAVEAT,
        references=(SIMPSON_REF,),
        digits=1,
    ),
    ScoreInfo(
        key="evenness",
        label="Evenness",
        group="diversity",
        summary="How evenly the microbes are shared out among the species found.",
        meaning="Pielou's evenness, Shannon diversity divided by its maximum for this many species (0 to 1).",
        caveats=DIVERSITY_CAVEAT,
        references=(PIELOU_REF,),
        scale=(0.0, 1.0),
    ),
    ScoreInfo(
        key="chao1",
        label="Chao1 richness estimate",
        group="diversity",
        summary="How many species there probably are, including ones too rare to be seen.",
        meaning=(
            "Chao1 estimates the total number of species from the counts of species seen once and twice (only when "
            "the profile has observed read counts: not for relative abundances or a profiler's estimated reads, "
            "such as MetaPhlAn's, Bracken's or mOTUs')."
        ),
        caveats=DIVERSITY_CAVEAT,
        references=("Chao A (1984) Scand J Stat 11:265-270.",),
        digits=0,
    ),
    ScoreInfo(
        key="firmicutes_bacteroidetes_log2",
        label="Firmicutes / Bacteroidetes (log2)",
        group="ratio",
        summary="How much more Bacillota (Firmicutes) than Bacteroidota (Bacteroidetes) there is, on a doubling scale.",
        meaning=(
            "Base-2 logarithm of the ratio of the two largest gut phyla: 0 means equal amounts, +1 twice as much "
            "Bacillota, -1 twice as much Bacteroidota."
        ),
        caveats=(
            "The ratio varies a lot between healthy people and between methods; studies disagree on what it means "
            "(Magne F et al. 2020, Nutrients 12:1474, doi:10.3390/nu12051474)."
        ),
        references=("Gloor GB et al. (2017) Front Microbiol 8:2224. doi:10.3389/fmicb.2017.02224",),
    ),
    ScoreInfo(
        key="prevotella_bacteroides_log2",
        label="Prevotella / Bacteroides (log2)",
        group="ratio",
        summary="Whether the gut leans towards Prevotella or towards Bacteroides, on a doubling scale.",
        meaning=(
            "Base-2 logarithm of the ratio of Prevotella (and the genera split from it) to Bacteroides (and Phocaeicola). "
            "People tend to lean clearly one way or the other, often with diet; neither is better."
        ),
        caveats="Values near -16 or +16 mean one of the two was not detected at all.",
        references=("Gloor GB et al. (2017) Front Microbiol 8:2224. doi:10.3389/fmicb.2017.02224",),
    ),
    ScoreInfo(
        key="dysbiosis",
        label="Distance from a typical healthy gut",
        group="index",
        summary="How different the genus composition is from the median of healthy people (0 = same, 1 = nothing in common).",
        meaning=(
            "Bray-Curtis dissimilarity between this sample's genera and the median genus composition of healthy people's "
            "stool metagenomes (the 'dysbiosis score' idea of Lloyd-Price et al. 2019)."
        ),
        favourable="lower",
        caveats=(
            "Healthy people differ a lot from each other, so even healthy samples are far from the median; "
            "compare with the healthy reference, not with 0."
        ),
        references=(
            "Lloyd-Price J et al. (2019) Nature 569:655-662. doi:10.1038/s41586-019-1237-9",
            "Bray JR, Curtis JT (1957) Ecol Monogr 27:325-349. doi:10.2307/1942268",
        ),
        scale=(0.0, 1.0),
    ),
):
    register(_info)


_SHORT_LABELS = {
    "immune_support": "Immune support",
    "coverage": "Coverage",
    "kb_reach": "KB reach",
    "gmhi": "GMHI",
    "gmwi2": "GMWI2",
    "dysbiosis": "Distance from healthy",
    "richness": "Richness",
    "chao1": "Chao1",
    "shannon": "Shannon",
    "simpson": "Simpson",
    "inverse_simpson": "Inverse Simpson",
    "evenness": "Evenness",
    "firmicutes_bacteroidetes_log2": "F/B (log2)",
    "prevotella_bacteroides_log2": "P/B (log2)",
}
_CONFIDENCE_WHAT = {
    "training": "which microbes train the immune system (Treg inducers, beneficial commensals, probiotics) and which are "
                "pathobionts or pathogens",
    "homeostasis": "which microbes are anti- or pro-inflammatory, more common in healthy people or in disease, make "
                   "butyrate, or are pathobionts or pathogens",
    "nutrients": "which microbes make butyrate, propionate, B vitamins, vitamin K2 and coenzyme Q, and which are "
                 "pathobionts or pathogens (whose products earn no credit)",
    "barrier": "which microbes make butyrate, need an oxygen-free gut, tolerate oxygen, carry inflammatory LPS, reduce "
               "sulfate, graze on mucus, or are pathobionts or pathogens",
    "defense": "which microbes are pathogens, pathobionts, Enterobacterales or mouth microbes, and which need an "
               "oxygen-free gut or keep pathogens out",
}
for _name in PILLARS:
    _what = _CONFIDENCE_WHAT[_name]  # a new pillar needs its sentence here
    register(
        ScoreInfo(
            key=f"{_name}_confidence",
            label=f"{_name.capitalize()}: confidence",
            group="quality",
            summary=f"How much of the profile the {_name} score could draw on, and how firm that knowledge is.",
            meaning=(
                f"The share (0 to 1) of the microbes in the sample for which the knowledge base says {_what}, "
                "weighted by how specific and how strong that knowledge is: 1 for a species-level fact shown in "
                "experiments, less for a fact inherited from the genus or family, or resting on weaker evidence. "
                f"The {_name} score rests only on this part of the profile."
            ),
            favourable="higher",
            caveats=(
                "A low confidence says the score describes only part of the community, or rests on knowledge about "
                "relatives of the microbes found; read the score with that in mind. It says nothing about health."
            ),
            scale=(0.0, 1.0),
            digits=2,
            short_label=f"{_name.capitalize()} conf.",
        )
    )

register(
    ScoreInfo(
        key="placed",
        label="Placed in the lineage table",
        group="quality",
        summary="Share of the classified profile whose lineage reaches a named phylum.",
        meaning=(
            "The fraction (0 to 1) of the profile's classified abundance whose lineage, resolved against the "
            "bundled lineage table, reaches a named phylum. Scores built on phyla (the ratios) rest on this part."
        ),
        favourable="higher",
        caveats="It describes the input, not the microbiome, and has no healthy reference values.",
        scale=(0.0, 1.0),
        digits=2,
        reference=False,
    )
)
for _info in (
    ScoreInfo(
        key="diversity_rank",
        label="Rank of the diversity",
        group="quality",
        summary="The rank diversity was computed at: the finest rank the profile resolves, or the rank asked for the run.",
        meaning=(
            "The finest rank, from species up to phylum, at which at least half of the sample's classified abundance "
            "is named (species for MetaPhlAn, mOTUs and Bracken profiles, genus for a genus-level table); empty "
            "when it resolves none. A run with one diversity rank (analyze --diversity-rank genus) gives that rank, "
            "empty for a sample that does not resolve it."
        ),
    ),
    ScoreInfo(
        key="resolved_rank",
        label="Finest rank resolved",
        group="quality",
        summary="The finest rank the profile resolves, in a run that asked diversity at one rank.",
        meaning=(
            "Written only by a run with one diversity rank (analyze --diversity-rank): the rank diversity_rank "
            "would hold in a default run. It picks the healthy population the sample's percentiles are against; "
            "diversity at another rank than that population's gets no percentile."
        ),
    ),
    ScoreInfo(
        key="stool_like",
        label="Looks like stool",
        group="quality",
        summary="Whether the profile looks like a stool sample (gut core genera against body-site taxa).",
        meaning=(
            "False when little of the named genus abundance is in the healthy gut core and the taxa of another "
            "body site (mouth, skin, nose, vagina) or of sewage hold more; empty when no genus is named. Prevotella counts "
            "through its species: oral species to the mouth, P. copri to the gut. The scores were made for stool."
        ),
    ),
    ScoreInfo(
        key="missing",
        label="Why values are missing",
        group="quality",
        summary="For every score that is missing, why it cannot describe the sample.",
        meaning="Entries 'score: reason', separated by ' | '.",
    ),
    ScoreInfo(
        key="warnings",
        label="Warnings",
        group="quality",
        summary="What to keep in mind before trusting the row.",
        meaning="Warnings about the input (not stool, mostly unclassified, percentiles against another kind of input), separated by ' | '.",
    ),
):
    register(replace(_info, reference=False, text=True))

for _key, _short in _SHORT_LABELS.items():
    if _key in _REGISTRY:
        _REGISTRY[_key] = replace(_REGISTRY[_key], short_label=_short)


def _prettify(key: str) -> str:
    text = re.sub(r"[_\s]+", " ", key).strip()
    return text[:1].upper() + text[1:] if text else key


def describe(key: str) -> ScoreInfo:
    """The description of a score column; a generic one for unknown columns."""
    info = _REGISTRY.get(key)
    if info is not None:
        return info
    if key.endswith("_percentile") and key[: -len("_percentile")] in _REGISTRY:
        base = _REGISTRY[key[: -len("_percentile")]]
        return ScoreInfo(
            key=key,
            label=f"{base.label}: percentile",
            group="other",
            summary=f"Where the sample's {base.label} falls among the healthy reference population (0 to 100).",
            meaning=(
                f"The percentage of people in the healthy reference population whose {base.label} is below this "
                "sample's (ties count half): 50 is the middle of the healthy range."
            ),
            caveats="Healthy people vary widely; a percentile far from 50 is common and is not a finding on its own.",
            scale=(0.0, 100.0),
            digits=0,
            short_label=f"{base.short} pct.",
        )
    return ScoreInfo(
        key=key,
        label=_prettify(key),
        group="other",
        summary="A score computed by gutbalance.",
        meaning="A score computed by gutbalance. This report has no description of it yet; see the methods documentation.",
        known=False,
    )


def descriptive_columns() -> frozenset[str]:
    """Numeric columns that describe the input rather than score it: no reference distribution, no percentile."""
    return frozenset(k for k, spec in _REGISTRY.items() if not spec.reference and not spec.text)


def registered() -> dict[str, ScoreInfo]:
    """All described score columns (a copy)."""
    return dict(_REGISTRY)


def ordered(keys) -> list[ScoreInfo]:
    """Descriptions of ``keys`` in report order (by group, then registry order, then name)."""
    group_rank = {g: i for i, g in enumerate(GROUPS)}
    reg_rank = {k: i for i, k in enumerate(_REGISTRY)}
    infos = [describe(str(k)) for k in keys]
    return sorted(infos, key=lambda i: (group_rank.get(i.group, 99), reg_rank.get(i.key, 10_000), i.key))


#: How the diversity texts name what they count at each rank: (one, many).
RANK_WORDS: dict[str, tuple[str, str]] = {
    "domain": ("domain", "domains"),
    "phylum": ("phylum", "phyla"),
    "class": ("class", "classes"),
    "order": ("order", "orders"),
    "family": ("family", "families"),
    "genus": ("genus", "genera"),
    "species": ("species", "species"),
    "strain": ("strain", "strains"),
}
#: The words for a sample whose profile resolves no rank (its diversity is missing).
NO_RANK_WORDS = ("taxon", "taxa")


def _rank_words(ranks: tuple[str, ...]) -> tuple[str, str]:
    """(one, many) for one rank or several (``species or genus``, ``species or genera``)."""
    words = [RANK_WORDS.get(r, (r, r)) for r in ranks] or [NO_RANK_WORDS]
    return " or ".join(w[0] for w in words), " or ".join(w[1] for w in words)


_SPECIES_WORD = re.compile(r"\b(single )?([Ss])pecies( shares)?\b")


def _at_rank(text: str, one: str, many: str) -> str:
    # "squared species shares", "no single species" and the label's "Species
    # richness" are one of the taxa, every other "species" of the diversity
    # texts is many of them (one pass: the words put in are not read again)
    def words(m: re.Match[str]) -> str:
        if m.group(2) == "S":
            return one[:1].upper() + one[1:] + (m.group(3) or "")
        word = one if m.group(1) or m.group(3) else many
        return (m.group(1) or "") + word + (m.group(3) or "")
    return _SPECIES_WORD.sub(words, text)


def describe_at_rank(key: str, rank: str | tuple[str, ...] | None) -> ScoreInfo:
    """:func:`describe` of ``key``, a diversity score's texts naming the rank
    its number was computed at (``diversity_rank``): "Genus richness", "The
    number of genera detected in the sample", "Shannon diversity of genera".

    ``rank`` is one rank, the ranks of several samples shown together (a
    cohort page with samples at species and at genus rank says "species or
    genus"), ``""`` or ``()`` for a sample that resolves no rank ("taxa"),
    or None when the rank is not known (a scores table written before
    ``diversity_rank`` existed: the texts as registered, which count species).
    Other scores are returned as :func:`describe` gives them.

    >>> describe_at_rank("richness", "genus").label
    'Genus richness'
    >>> describe_at_rank("shannon", ("species", "genus")).label
    'Shannon diversity of species or genera'
    """
    info = describe(key)
    if rank is None or info.group != "diversity":
        return info
    one, many = _rank_words((rank,) if isinstance(rank, str) and rank else tuple(r for r in rank if r))
    label = (_at_rank(info.label, one, many) if _SPECIES_WORD.search(info.label)
             else f"{info.label} of {many}")
    return replace(info, label=label, summary=_at_rank(info.summary, one, many),
                   meaning=_at_rank(info.meaning, one, many))
