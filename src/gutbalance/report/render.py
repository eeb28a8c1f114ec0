"""Turning scores into HTML pages: per sample, per subject over time, and the cohort.

Pages are rendered by Jinja2 with autoescaping on (every name from an input
file is text, never markup), embed their CSS and SVG charts, and load
nothing from anywhere: a page saved on a laptop works offline.  The cohort
page's table sorts with a small script (``static/sortable.js``), embedded
inline in standalone files; the web app passes ``script_url`` instead so its
Content-Security-Policy can forbid inline scripts.  Without the script the
table still reads in sample order.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .._version import __version__
from ..cohort import Cohort, feature_id
from ..errors import TaxonomyError
from ..knowledge import TRAITS, trait_calls
from ..pillars import COMPONENTS, NEUTRAL_LABEL, component_traits, reach_floor
from ..reference.age import AGE_SOURCES
from ..reference.comparability import UNKNOWN, profiler_family
from ..reference.comparability import describe as describe_kind
from ..reference.core import PERCENTILE_SUFFIX, Reference
from ..reference.sample import Composition, SampleStatistics, ScorePosition, sample_statistics
from ..reference.statistics import REFERENCES as STATISTICS_REFERENCES
from ..reference.statistics import CohortStatistics, GroupComparison, diversity_ranks, percentile_of
from ..reference.timeline import Timeline
from ..score_specs import GROUPS, ScoreInfo, describe, describe_at_rank, ordered
from ..scores import DIVERSITY_COLUMNS, parse_missing, parse_warnings
from ..scores_table import REACH_COLUMN
from ..taxonomy import RANKS, parse_lineage
from ..taxonomy.placement import resolve_lineage
from . import charts
from .trait_words import TraitCalls, own_traits
from .validity import has_tested_scores, validity_view

DISCLAIMER = (
    "This report explains what was found in a stool sample's microbiome and how it compares with other people. "
    "It is not a diagnosis and not medical advice: the scores describe microbes, not your health. "
    "Talk to a health professional about any health question."
)

Contributions = Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]]

_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/[^\s\"<>]+)$", re.IGNORECASE)
_PMID = re.compile(r"^(?:pmid:\s*)(\d{1,9})$", re.IGNORECASE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, *, max_length: int = 80) -> str:
    """A file name for a sample or subject: letters, digits, ``._-`` only.

    Names that had to be changed (or are too long, or reserved on Windows)
    get a short hash of the original, so two different names never share a
    file.  Never empty, never starts with a dot, never contains a separator.
    """
    text = str(name)
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-") or "sample"
    changed = base != text or len(base) > max_length or base.split(".")[0].upper() in _WINDOWS_RESERVED
    if changed:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        base = f"{base[: max_length - 11]}-{digest}"
    return base


def source_link(source: str) -> str | None:
    """A URL for a DOI or PMID citation, else None (plain text)."""
    text = str(source or "").strip()
    m = _DOI.match(text)
    if m:
        return "https://doi.org/" + m.group(1)
    m = _PMID.match(text)
    if m:
        return "https://pubmed.ncbi.nlm.nih.gov/" + m.group(1) + "/"
    return None


def static_dir() -> Path:
    """Folder of the static files the pages can load (the web app serves it)."""
    return Path(str(resources.files("gutbalance.report").joinpath("static")))


def _script_text() -> str:
    return (static_dir() / "sortable.js").read_text(encoding="utf-8")


_env: Environment | None = None


def environment() -> Environment:
    """The Jinja environment of every page (autoescaped; the number formats of :mod:`.charts` as filters), made once."""
    global _env
    if _env is None:
        env = Environment(
            loader=PackageLoader("gutbalance.report", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html", "svg"), default_for_string=True, default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(charts.FILTERS)
        env.filters["source_link"] = source_link
        env.globals["DISCLAIMER"] = DISCLAIMER
        env.globals["version"] = __version__
        env.globals["safe_filename"] = safe_filename
        _env = env
    return _env


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def score_columns(scores: pd.DataFrame) -> list[str]:
    """Numeric score columns, without percentile columns, in report order."""
    cols = [
        str(c) for c in scores.columns
        if pd.api.types.is_numeric_dtype(scores[c]) and not pd.api.types.is_bool_dtype(scores[c])
        and not str(c).endswith(PERCENTILE_SUFFIX) and not describe(str(c)).text
    ]
    return [i.key for i in ordered(cols)]


def percentile_sentence(p: float | None) -> str:
    """A percentile against the healthy reference in words."""
    if p is None or not _finite(p):
        return "No healthy reference values for this score."
    p = float(p)
    if p <= 0.0:
        return "Percentile 0: lower than every person of the healthy reference."
    if p >= 100.0:
        return "Percentile 100: higher than every person of the healthy reference."
    k = min(max(int(round(p)), 1), 99)
    return f"Percentile {k}: about {k} in 100 people of the healthy reference have a lower value."


# --- per-sample cards -------------------------------------------------------------


@dataclass
class ScoreCard:
    """One score of one sample as the sample page shows it: value, percentile, charts and the taxa behind it."""

    info: ScoreInfo
    value: float
    value_text: str
    percentile: float | None
    percentile_text: str
    chart: Markup
    reference: dict[str, float] | None
    context: dict[str, float] | None
    context_label: str
    positive: list[dict[str, Any]] = field(default_factory=list)
    negative: list[dict[str, Any]] = field(default_factory=list)
    contributions_chart: Markup | None = None
    note: str = ""
    #: What the contribution bars of this score add up to, said under them
    #: (a pillar's penalties count from full marks; only the largest are listed).
    contributions_note: str = ""
    #: The heading of the contributions table's number column.
    effect_heading: str = "Effect on the score"


_RANK_NAMES = {"k": "kingdom", "d": "domain", "p": "phylum", "c": "class", "o": "order", "f": "family", "g": "genus", "s": "species", "t": "strain"}
GMHI_SOURCE = "doi:10.1038/s41467-020-18476-8"
GMWI2_SOURCE = "doi:10.1038/s41467-024-51651-9"
#: Duvallet C et al. (2017) Nat Commun 8:1784, the shared response to disease.
SHARED_RESPONSE_SOURCE = "doi:10.1038/s41467-017-01973-8"
#: Lloyd-Price J et al. (2019) Nature 569:655, the dysbiosis score (Bray-Curtis
#: from healthy people), and Chang D et al. (2023) Bioinformatics 39:btad061,
#: the healthy genus medians it is measured from (gutbalance.indices.dysbiosis).
DYSBIOSIS_SOURCES = ("doi:10.1038/s41586-019-1237-9", "doi:10.1093/bioinformatics/btad061")
#: What the whole-community entries of a pillar rest on (they name no taxon
#: whose knowledge-base rows could be cited).
COMMUNITY_SOURCES = {
    "homeostasis.gmhi": (GMHI_SOURCE,),
    "homeostasis.gmwi2": (GMWI2_SOURCE,),
    "homeostasis.shared_response": (SHARED_RESPONSE_SOURCE,),
    "homeostasis.reference_similarity": DYSBIOSIS_SOURCES,
    # the midpoint of the three balances (pillars.components.NEUTRAL_AT_HALF)
    "homeostasis.neutral": (SHARED_RESPONSE_SOURCE, GMHI_SOURCE, GMWI2_SOURCE),
}

def entry_sources(item: Mapping[str, Any], calls: TraitCalls) -> list[str]:
    """The citations behind one contribution entry: its own ``source`` when
    it has one (GMHI, GMWI2, older files); else, for each component it acts
    through, the sources of the knowledge-base calls of the taxon on the
    traits that component reads (:func:`gutbalance.pillars.component_traits`)
    whose value is not 0, i.e. the facts that gave it its effect; for a
    whole-community entry, the publication the component rests on."""
    own = str(item.get("source", "") or "")
    if own:
        return [own]
    taxon = str(item.get("id", "") or "")
    reads = component_traits()
    known = calls.get(taxon, {})
    found: list[str] = []
    for part in item.get("parts", []) or []:
        if not isinstance(part, Mapping):
            continue
        component = str(part.get("component", ""))
        if not taxon:
            found.extend(COMMUNITY_SOURCES.get(component, ()))
            continue
        for trait in sorted(reads.get(component, ())):
            call = known.get(trait)
            if call is not None and call.value == call.value and call.value != 0:  # NaN and 0 gave no effect
                found.extend(call.sources)
    return list(dict.fromkeys(found))


def listed_trait_calls(contributions: Mapping[str, Any], cohort: Cohort | None, sample: str | None = None) -> TraitCalls:
    """The knowledge base's calls for every taxon a sample's contribution
    lists name, resolved on the cohort's lineages as scoring resolved them.

    The lists name each taxon by its feature id (``s__Sorangium
    cellulosum``), not its column key, which for a taxon the lineage table
    does not fix holds its parents
    (``o__Myxococcales|f__Polyangiaceae|g__Sorangium|s__Sorangium
    cellulosum``): the calls are those of the column of that id that
    ``sample`` holds (a sample holds one column of each id), keyed by the id.

    Without the cohort (``gutbalance report`` of a folder without
    ``cohort.h5ad``) each taxon's lineage is rebuilt from its id alone
    (:func:`lineages_of_ids`): for a taxon the lineage table knows or its
    name places, that is the lineage scoring used, so the calls and the
    Source cells are those of the page ``analyze`` rendered; for one whose
    parents came from its input, the id keeps only its name, and the calls
    are what the knowledge base says of that name."""
    ids = {
        str(e.get("id", ""))
        for value in contributions.values() if isinstance(value, (list, tuple))
        for e in value if isinstance(e, Mapping) and e.get("id")
    }
    if not ids:
        return {}
    if cohort is None:
        return trait_calls(lineages_of_ids(sorted(ids)), list(TRAITS))
    columns: np.ndarray
    if sample is not None and sample in cohort.samples.index:
        # Only the sample's own columns: one page, not the whole cohort's taxa.
        row = cohort.X[cohort.samples.index.get_loc(sample)]
        columns = row.indices[row.data > 0]
    else:
        columns = np.arange(cohort.n_taxa)
    keys = cohort.taxa.index[columns]
    chosen = [column for column, key in zip(columns.tolist(), keys, strict=True) if feature_id(key) in ids]
    if not chosen:
        return {}
    calls = trait_calls(cohort.taxa.iloc[chosen], list(TRAITS))
    return {feature_id(key): found for key, found in calls.items()}


def lineages_of_ids(ids: Sequence[str]) -> pd.DataFrame:
    """A taxa table (index: id; one column per rank) for contribution ids
    without their cohort: ``s__Bacteroides fragilis`` or, for a taxon the
    lineage table does not know, the column key from its nearest known
    ancestor (``f__Lachnospiraceae|g__Zzfoo``), each resolved on the shipped
    lineage table as reading a profile resolves it
    (:func:`gutbalance.taxonomy.placement.resolve_lineage`).

    >>> lineages_of_ids(["s__Bacteroides fragilis"]).loc["s__Bacteroides fragilis", "family"]
    'Bacteroidaceae'
    """
    rows, kept = [], []
    for key in ids:
        try:
            lineage = resolve_lineage(parse_lineage(key))
        except TaxonomyError:
            # an id a saved file garbled ("g__", "|") names no taxon: left out
            # like a taxon the profiles do not hold, never failing every page
            continue
        ranks = dict.fromkeys(RANKS, "")
        for node in lineage:
            ranks[node.rank] = node.name
        rows.append(ranks)
        kept.append(key)
    return pd.DataFrame(rows, index=pd.Index(kept, name="taxon"), columns=list(RANKS))


def display_taxon(taxon: str) -> str:
    """``s__Faecalibacterium prausnitzii`` -> ``Faecalibacterium prausnitzii``;
    higher ranks keep their rank in words (``Bacteroidaceae (family)``)."""
    text = str(taxon)
    m = re.match(r"^([kdpcofgst])__(.+)$", text)
    if not m:
        return text
    rank, name = m.group(1), m.group(2).replace("_", " ")
    return name if rank in ("s", "t") else f"{name} ({_RANK_NAMES[rank]})"


def normalise_contributions(value: Any) -> tuple[list[Mapping[str, Any]], str]:
    """Contribution entries of one score as ``[{"taxon", "effect", "trait",
    "source"}]`` plus a note, from any of the shapes ``scores.json`` holds:

    - a list of ``{"taxon", "effect", "trait", "source"}`` (pillars);
    - GMHI's ``{"markers": [{"taxon", "group": "MH"|"MN", "abundance"}]}``:
      effect = +abundance for health-prevalent (MH), -abundance for
      health-scarce (MN) species;
    - GMWI2's ``{"taxa": [{"taxon", "coefficient"}], "note": ...}``:
      effect = the published coefficient of each clade present.
    """
    note = ""
    entries: list[Mapping[str, Any]] = []
    if isinstance(value, Mapping):
        note = str(value.get("note", "") or "")
        if isinstance(value.get("markers"), list):
            for m in value["markers"]:
                if not isinstance(m, Mapping):
                    continue
                healthy = str(m.get("group", "")).upper() == "MH"
                entries.append({
                    "taxon": m.get("taxon", ""),
                    "effect": (1 if healthy else -1) * float(m.get("abundance", 0) or 0),
                    "trait": "more often found in healthy people (GMHI)" if healthy
                    else "more often found in people with disease (GMHI)",
                    "source": GMHI_SOURCE,
                })
        elif isinstance(value.get("taxa"), list):
            for t in value["taxa"]:
                if not isinstance(t, Mapping):
                    continue
                entries.append({
                    "taxon": t.get("taxon", ""),
                    "effect": t.get("coefficient", t.get("effect", 0)),
                    "trait": "present; published GMWI2 weight",
                    "source": GMWI2_SOURCE,
                })
        elif isinstance(value.get("contributions"), list):
            entries = list(value["contributions"])
    elif isinstance(value, (list, tuple)):
        entries = [e for e in value if isinstance(e, Mapping)]
    return entries, note


def _contributions(items: Any, limit: int = 8, calls: TraitCalls | None = None) -> tuple[list[dict], list[dict], str]:
    entries, note = normalise_contributions(items)
    rows: list[dict[str, Any]] = []
    for item in entries:
        try:
            effect = float(item.get("effect", 0.0))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(effect) or effect == 0:
            continue
        parts = [p for p in item.get("parts", []) or [] if isinstance(p, Mapping)]
        trait = str(item.get("trait", "") or "")
        if item.get("taxon") == "Whole community" and parts and all(
                str(p.get("component", "")).endswith(".neutral")
                # results saved before 2026-11-30 list the shared response's half as its own entry
                or str(p.get("component", "")) == "homeostasis.shared_response" for p in parts):
            # a constant, not something this community did (an outside check)
            trait = NEUTRAL_HALF
            parts = [{**p, "trait": NEUTRAL_HALF} for p in parts]
        rows.append(
            {
                "taxon": display_taxon(item.get("taxon", "")),
                "effect": effect,
                "trait": trait,
                "source": str(item.get("source", "") or ""),
                "entry": item,
                "parts": parts,
            }
        )
    pos = sorted((r for r in rows if r["effect"] > 0), key=lambda r: -r["effect"])[:limit]
    neg = sorted((r for r in rows if r["effect"] < 0), key=lambda r: r["effect"])[:limit]
    for r in pos + neg:  # only the listed entries are looked up
        entry = r.pop("entry")
        r["sources"] = entry_sources(entry, calls or {})
        _name_own_traits(r, str(entry.get("id", "") or ""), calls or {})
    return pos, neg, note


def _name_own_traits(row: dict[str, Any], taxon: str, calls: TraitCalls) -> None:
    """Give each part of a listed taxon's effect the taxon's own traits that
    made it (``"own"``: :func:`~gutbalance.report.trait_words.own_traits`),
    and the row's ``trait`` text with them: "component: own traits", parts
    joined with their points when there are several."""
    parts = []
    for part in row["parts"]:
        try:
            effect = float(part.get("effect", 0.0))
        except (TypeError, ValueError):
            effect = 0.0
        own = own_traits(taxon, str(part.get("component", "")), effect, calls) if taxon else ""
        parts.append({**part, "own": own})
    row["parts"] = parts
    if not parts:
        return

    def said(part: Mapping[str, Any]) -> str:
        label = str(part.get("trait", "") or "")
        return f"{label}: {part['own']}" if part["own"] and label else (label or part["own"])

    if len(parts) == 1:
        row["trait"] = said(parts[0])
    else:
        row["trait"] = "; ".join(f"{said(p)} ({float(p.get('effect', 0.0) or 0.0):+.1f})" for p in parts)


#: Said under every pillar's bars (and in their chart's description): why the
#: bars do not add up to the score (an outside check found the reason only in
#: the chart's hidden description).
CONTRIBUTIONS_NOTE = (
    "The bars do not add up to the score: a penalty counts from full marks (a community without the harmful trait "
    "scores them all) and each lowering bar is what its microbe costs from there; the balances (the shared response "
    "to disease, GMHI, GMWI2) start from their neutral midpoint, the same for every sample that has them; and only "
    "the largest effects are listed.")
#: The number column of GMHI's table: a marker's share of the sample, not points.
GMHI_HEADING = "Share of the sample (+ marker of health, − marker of disease)"
GMHI_BARS = ("each bar is the marker species' share of the sample, to the right for a species more often found in "
             "healthy people, to the left for one more often found in people with disease; GMHI compares the two "
             "groups' richness and diversity, so a bar is not an effect in points.")
#: The trait of the balances' neutral midpoint (listed once for the whole community).
NEUTRAL_HALF = NEUTRAL_LABEL


def _largest(n: int, noun: str) -> str:
    """How many of the largest are shown: "No effect", "The largest effect",
    "The 3 largest effects" (the list is cut to the largest, so a count of
    all would be false)."""
    if n == 0:
        return f"No {noun}"
    return f"The largest {noun}" if n == 1 else f"The {n} largest {noun}s"


def _bar_label(row: dict[str, Any]) -> tuple[str, str]:
    """``(taxon, detail)`` for one bar, the detail drawn on two lines: the
    taxon's own traits that made its largest part (what it is), how many more
    parts it acts through, then the score's part it counts in (cut first when
    the lines are full; the tooltip and the table keep it whole)."""
    parts = row.get("parts") or []
    more = f" (and {len(parts) - 1} more)" if len(parts) > 1 else ""
    if not parts:
        trait = str(row.get("trait", ""))
        return str(row["taxon"]), f"{trait}{more}" if trait else ""
    own, label = str(parts[0].get("own", "") or ""), str(parts[0].get("trait", "") or "")
    if own:
        return str(row["taxon"]), f"{own}{more} — {label}" if label else f"{own}{more}"
    return str(row["taxon"]), f"{label}{more}" if label else ""


#: A pillar whose confidence is below this gets a note on its card: a reader
#: read training 81 with confidence 0.02 as "enough beneficial microbes"
#: (an outside check, 2026-11-30).  A judgement: a tenth of the sample.
LOW_CONFIDENCE = 0.1


def _confidence_of(row: Any, key: str) -> float | None:
    """A pillar's ``<key>_confidence`` in ``row``, when it has a number."""
    try:
        value = float(row.get(f"{key}_confidence"))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def low_confidence_note(label: str, confidence: float, *, penalties: bool = True) -> str:
    """The card's note for a pillar of low confidence; ``penalties``: whether
    the pillar counts harmful microbes against the sample (nutrients does not:
    its low score may only mean little is known; an outside review)."""
    start = (f"Read with care: the knowledge {label} reads covers little of this sample (confidence "
             f"{confidence:.2f} of 1), so ")
    if penalties:
        return start + ("the score says more about what was not found (the harmful microbes it counts against, which "
                        "start it from full marks) than about microbes known to help.")
    return start + "a low score may mean only that little of the sample is known to help here, not that it does not."


def score_card(
    position: ScorePosition,
    *,
    sample: str,
    contributions: Any = None,
    missing: str = "",
    not_comparable: str = "",
    calls: TraitCalls | None = None,
    rank: str | None = None,
    confidence: float | None = None,
) -> ScoreCard:
    """One score of one sample, as computed in ``position``: value, place against the reference, taxa.

    ``confidence``: a pillar's ``<pillar>_confidence``; below
    :data:`LOW_CONFIDENCE` the card says so beside the score.

    ``missing`` is why the value is missing (shown instead of a number);
    ``not_comparable`` why the sample has no percentile against this reference;
    ``calls`` the knowledge base's calls for the listed taxa, which the
    contributions table cites (:func:`listed_trait_calls`); ``rank`` the
    rank its diversity was computed at (:func:`diversity_rank_of`), which a
    diversity card's label and texts name.
    """
    info = describe_at_rank(position.key, rank)
    value, percentile, ref_summary = position.value, position.percentile, position.reference
    desc_parts = [f"{info.label} of sample {sample}: {info.format(value)}."]
    if ref_summary:
        desc_parts.append(
            f"Healthy reference: middle half between {info.format(ref_summary['p25'])} and {info.format(ref_summary['p75'])}, "
            f"median {info.format(ref_summary['p50'])}."
        )
    if percentile is not None:
        desc_parts.append(percentile_sentence(percentile))
    chart = charts.position_chart(
        float(value) if _finite(value) else float("nan"),
        title=f"{info.label}: {info.format(value)}",
        desc=" ".join(desc_parts),
        reference=ref_summary,
        context=position.context,
        scale=info.scale,
        digits=info.digits,
        bar=info.scale is not None and info.group in ("overall", "pillar"),
        missing=missing,
    )
    pos, neg, note = _contributions(contributions, calls=calls)
    if confidence is not None and confidence < LOW_CONFIDENCE and _finite(value):
        penalties = any(c.pillar == position.key and c.kind == "penalty" for c in COMPONENTS)
        note = " ".join(filter(None, [low_confidence_note(info.label, confidence, penalties=penalties), note]))
    contrib_chart = None
    in_points = info.group in ("overall", "pillar")
    if pos or neg:
        if in_points:
            # One bar per taxon (or community property), named with the trait
            # through which it acts; lengths are points of the 0-100 score.
            items = [(_bar_label(r), r["effect"]) for r in pos] + [(_bar_label(r), r["effect"]) for r in reversed(neg)]
            contrib_chart = charts.hbar_chart(
                items,
                title=f"What raised and lowered {info.label}, in points",
                desc=(
                    f"{_largest(len(pos), 'effect')} that raise{'s' if len(pos) == 1 else ''} and "
                    f"{_largest(len(neg), 'effect')} that lower{'s' if len(neg) == 1 else ''} {info.label} for sample "
                    f"{sample}, of microbes or community properties; each bar is "
                    "its effect in points of the 0-100 score (right raises, left lowers), with the microbe's own "
                    "trait that made it and the part of the score it counts in. "
                    f"{CONTRIBUTIONS_NOTE} The table below lists them with their sources."
                ),
                digits=1,
                unit=" pts",
                width=560,
                label_chars=46,
            )
        else:
            items = [(r["taxon"], r["effect"]) for r in pos] + [(r["taxon"], r["effect"]) for r in reversed(neg)]
            contrib_chart = charts.hbar_chart(
                items,
                title=f"Microbes behind {info.label}",
                desc=(
                    f"{_largest(len(pos), 'microbe')} that raise{'s' if len(pos) == 1 else ''} and "
                    f"{_largest(len(neg), 'microbe')} that lower{'s' if len(neg) == 1 else ''} {info.label} for sample "
                    f"{sample}; "
                    + (GMHI_BARS if position.key == "gmhi" else "bars to the right raise the score, to the left lower it.")
                    + " The table below lists them with their sources."
                ),
                digits=None,
                width=400,
                label_chars=28,
            )
    if not _finite(value) and missing:
        percentile_text = f"Missing: {missing}."
    elif not_comparable and position.has_reference:
        percentile_text = f"No percentile: {not_comparable}."
    elif position.has_reference:
        percentile_text = percentile_sentence(percentile)
    else:
        percentile_text = "No healthy reference values for this score."
    return ScoreCard(
        info=info,
        value=float(value) if _finite(value) else float("nan"),
        value_text=info.format(value) if _finite(value) or not missing else "missing",
        percentile=percentile,
        percentile_text=percentile_text,
        chart=chart,
        reference=ref_summary,
        context=position.context,
        context_label=position.context_label,
        positive=pos,
        negative=neg,
        contributions_chart=contrib_chart,
        note=note,
        contributions_note=CONTRIBUTIONS_NOTE if contrib_chart is not None and in_points else "",
        effect_heading=GMHI_HEADING if position.key == "gmhi" else "Effect on the score",
    )


def _composition_view(composition: Composition | None, sample: str) -> dict[str, Any] | None:
    """The composition section: the computed shares and their two charts."""
    if composition is None:
        return None
    items = composition.phyla
    genera = composition.genera
    return {
        "unassigned": composition.unassigned,
        "phyla": items,
        "phyla_chart": charts.composition_bar(
            items,
            title=f"Phyla in sample {sample}",
            desc="Share of the whole sample for each phylum: "
            + "; ".join(f"{n} {charts.share_text(v)}" for n, v in items) + ".",
        ),
        "genera": genera,
        "genera_chart": charts.hbar_chart(
            [(n, 100 * v) for n, v in genera],
            title=f"Most abundant genera in sample {sample}",
            desc="Percent of the whole sample for the most abundant named genera: "
            + "; ".join(f"{n} {100 * v:.1f} %" for n, v in genera) + ".",
            digits=1,
            unit=" %",
            width=640,
        ),
        "species_total": composition.species_total,
        "species_unclassified": composition.species_unclassified,
        "n_species": composition.n_species,
    }


def _metadata_rows(cohort: Cohort | None, sample: str) -> list[tuple[str, str]]:
    if cohort is None or sample not in cohort.samples.index:
        return []
    row = cohort.samples.loc[sample]
    out = []
    for col, v in row.items():
        if col in ("unassigned", "placed_again"):  # the second is for the MetaPhlAn writer, not a reader
            continue
        if v is None or (isinstance(v, float) and not math.isfinite(v)) or str(v) == "":
            continue
        if col == "source_file":
            v = Path(str(v)).name  # the file's name, not where it sat on someone's disk
        out.append((str(col), str(v)))
    return out


def _page_common(reference: Reference | None, script_url: str | None = None) -> dict[str, Any]:
    return {
        "reference": reference,
        "generated": _dt.date.today().isoformat(),
        "script_url": script_url,
        "groups": GROUPS,
    }


@charts.numbered_page
def render_sample_report(
    sample: str,
    scores: pd.DataFrame,
    *,
    cohort: Cohort | None = None,
    contributions: Contributions | None = None,
    reference: Reference | None = None,
    timeline_href: str | None = None,
    cohort_href: str | None = "../report.html",
    statistics: SampleStatistics | None = None,
    sources_note: str = "",
    read_warnings: Sequence[str] = (),
    age: float | None = None,
) -> str:
    """The HTML report of one sample (a complete, self-contained page).

    ``age`` is the sample's age in years (None: not known; only used when
    ``statistics`` is not given, which carries its own): outside the ages of
    the healthy population the page says so under "Read with care"
    (:func:`gutbalance.reference.age.age_note`); the percentiles stay as they are.

    ``read_warnings`` are what reading the sample's file warned of (the
    warnings ``analyze`` lists in ``problems.tsv``, each led by the file's
    name); the page lists them first, reworded for its reader
    (:func:`read_warning_text`).

    ``sources_note`` says, under Methods, where the Source cells of a page
    rendered without its profiles come from (:func:`listed_trait_calls`).

    Rendering only: percentiles, reference quantiles, the healthy population
    of the sample's kind and the composition come computed in ``statistics``
    (:func:`gutbalance.reference.sample.sample_statistics`); without it they
    are computed here from ``scores``, ``cohort`` and ``reference`` first.
    """
    if statistics is None:
        statistics = sample_statistics(sample, scores, keys=score_columns(scores), cohort=cohort, reference=reference,
                                       age=age)
    row = scores.loc[sample]
    contrib = (contributions or {}).get(sample, {}) or {}
    missing = parse_missing(row.get("missing", ""))
    sample_warnings = [w for w in parse_warnings(row.get("warnings", "")) if not w.startswith("percentiles not comparable")]
    not_comparable = statistics.not_comparable
    if not_comparable:
        sample_warnings.append(not_comparable[0].upper() + not_comparable[1:])
    calls = listed_trait_calls(contrib, cohort, sample)
    rank = diversity_rank_of(scores, sample)
    cards = [
        score_card(position, sample=sample, contributions=contrib.get(position.key),
                   missing=missing.get(position.key, ""), calls=calls, rank=rank,
                   confidence=_confidence_of(row, position.key),
                   not_comparable=(statistics.diversity_not_comparable
                                   if position.key in DIVERSITY_COLUMNS and not not_comparable
                                   and statistics.diversity_not_comparable else not_comparable))
        for position in statistics.positions
    ]
    sections = []
    for group, label in GROUPS.items():
        members = [c for c in cards if c.info.group == group]
        if members:
            note = _diversity_rank_note(row.get("diversity_rank", ""), missing) if group == "diversity" else ""
            sections.append({"group": group, "label": label, "cards": members, "note": note})
    pillars_present = any(c.info.group in ("overall", "pillar") for c in cards)
    references = sorted({r for c in cards for r in c.info.references})
    return environment().get_template("sample.html").render(
        profiler_note=statistics.profiler_note,
        age_note=statistics.age_note,
        age_sources=AGE_SOURCES,
        sample_warnings=sample_warnings,
        sample=sample,
        sections=sections,
        pillars_present=pillars_present,
        composition=_composition_view(statistics.composition, sample),
        metadata_rows=_metadata_rows(cohort, sample),
        timeline_href=timeline_href,
        cohort_href=cohort_href,
        score_references=references,
        not_comparable=not_comparable,
        diversity_rank=rank,
        sources_note=sources_note,
        validity=validity_view() if has_tested_scores(row.to_dict()) else None,
        read_warnings=[read_warning_text(w, sample=sample) for w in read_warnings],
        reach=reach_sentence({str(k): v for k, v in row.items()}),
        **_page_common(statistics.reference),
    )


def _share_text(v: float) -> str:
    """A share in percent as a reader reads it: whole percents, a share
    under 1 % with two decimals (two digits under 0.1 %, "less than
    0.001 %" below that) and one just under 100 % with one (so that neither
    reads as none or all)."""
    if 0.0 < v < 0.000_01:
        return "less than 0.001 %"  # never in exponent notation (1e-05 %)
    if 0.0 < v < 0.01:
        return f"{100.0 * v:.2f} %" if v >= 0.001 else f"{100.0 * v:.2g} %"
    if 0.99 < v < 1.0:
        return f"{min(100.0 * v, 99.9):.1f} %"
    return f"{100.0 * v:.0f} %"


def reach_sentence(row: Mapping[str, Any]) -> str:
    """What the immune-support scores of a scores row (``{column: value}``)
    rest on, in words, from its ``kb_reach`` (docs/scoring.md, "Confidence and coverage"):
    "The immune-support scores rest on the 64 % of this sample's bacteria
    and archaea that the knowledge base describes ...".  Said as a share
    below the floor too (the pillars are then missing), and as not known,
    with the reason, where ``kb_reach`` is missing; "" for a row that has no
    such column (results written before it existed).

    >>> reach_sentence({"kb_reach": 0.6412})[:90]
    "The immune-support scores rest on the 64 % of this sample's bacteria and archaea that the "
    >>> reach_sentence({"kb_reach": 0.0032})[:79]
    "The knowledge base describes only 0.32 % of this sample's bacteria and archaea:"
    """
    if REACH_COLUMN not in row:
        return ""
    value = row.get(REACH_COLUMN)
    if not _finite(value):
        why = parse_missing(row.get("missing", "")).get(REACH_COLUMN, "it could not be computed")
        return f"How much of this sample the immune-support scores rest on is not known: {why}."
    v = float(cast(float, value))
    floor = reach_floor()
    if v < floor:
        return (f"The knowledge base describes only {_share_text(v)} of this sample's bacteria and archaea: too "
                f"little for the immune-support scores, which need at least {_share_text(floor)} (a tenth of the "
                "least of real stool), so they are not given.")
    said = "a fact at least one of the scores reads, known for the microbe itself, its genus or its family"
    if v >= 1.0:
        return (f"The immune-support scores rest on all of this sample's bacteria and archaea: the knowledge base "
                f"describes every one of them ({said}).")
    shown, rest = _share_text(v), _share_text(1.0 - v)
    if rest.startswith("less than") or v > 0.999:
        # "the 99.9 %" beside "the other 0.002 %" did not add up (an outside check)
        above = "99.99 %" if rest.startswith("less than") else "99.9 %"
        return (f"The immune-support scores rest on more than {above} of this sample's bacteria and archaea, the "
                f"part the knowledge base describes ({said}); of the rest, {rest}, it knows nothing the scores use.")
    if "." not in shown and "." not in rest:  # whole percents that add up to 100
        rest = f"{100 - int(shown.removesuffix(' %'))} %"
    elif v > 0.99:  # 99.5 % and 0.5 %, not 0.46 %
        rest = f"{100 - float(shown.removesuffix(' %')):.1f} %"
    return (f"The immune-support scores rest on the {shown} of this sample's bacteria and archaea that the "
            f"knowledge base describes ({said}); of the other {rest} it knows nothing the scores use.")


_LED_BY_FILE = re.compile(r"(?P<file>[^:\n]+?)(?P<at>(?:, line \d+)?(?:, field '[^'\n]*')?): (?P<text>.+)", re.DOTALL)


def read_warning_text(message: str, *, sample: str) -> str:
    """A warning from reading a file as a report's reader reads it: the file
    named in words, the sample's own name (the page's) left out, a capital
    and a full stop.

    >>> read_warning_text("S1.txt: sample 'S1': abundances add up to 97.00 % instead of 100 %", sample="S1")
    'In the file S1.txt: abundances add up to 97.00 % instead of 100 %.'
    >>> read_warning_text("genus.csv, line 4: 1 row(s) without a taxon name are counted as unassigned", sample="A")
    'In the file genus.csv, at line 4: 1 row(s) without a taxon name are counted as unassigned.'
    """
    found = _LED_BY_FILE.fullmatch(message.strip())
    where, text = (f"In the file {found['file']}{found['at'].replace(', line', ', at line')}: ", found["text"]) if found else ("", message.strip())
    own = f"sample {sample!r}: "
    if text.startswith(own):
        text = text[len(own):]
    text = text[:1].upper() + text[1:] if not where else text
    return where + text + ("" if text.endswith(".") else ".")


def diversity_rank_of(scores: pd.DataFrame, sample: str) -> str | None:
    """The rank ``sample``'s diversity was computed at (its ``diversity_rank``:
    the rank asked with ``analyze --diversity-rank``, else the finest rank it
    resolves); ``""`` when it resolves none (no diversity), None when the
    table does not say (written before ``diversity_rank`` existed)."""
    if "diversity_rank" not in scores.columns:
        return None
    value = scores.at[sample, "diversity_rank"]
    return value if isinstance(value, str) else ""


def _rank_counts(scores: pd.DataFrame, ranks: Sequence[str]) -> list[tuple[str, int]]:
    """How many samples have their diversity at each of ``ranks``."""
    column = scores["diversity_rank"]
    return [(r, int((column == r).sum())) for r in ranks]


def _diversity_rank_note(rank: object, missing: dict[str, str]) -> str:
    """The rank the diversity section's numbers are at (``analyze
    --diversity-rank``, or the sample's finest resolved rank), or why there
    is none: "Species richness" of a genus table counts genera."""
    if isinstance(rank, str) and rank:
        return (f"Computed at {rank} rank: richness counts the taxa named at {rank} rank in the sample, and "
                "Shannon, Simpson and evenness are over their shares (see docs/indices.md, diversity_rank).")
    why = missing.get("shannon") or missing.get("richness")
    return f"No diversity: {why}." if why else ""


def _kind_text(reference: Reference) -> str:
    if reference.populations:
        return reference.kinds_text()
    return describe_kind(reference.primary.kind)


#: How a timeline page of ``gutbalance report`` says to split a subject whose samples share a time.
SPLIT_SUBJECT_HINT = ("Name the arm with the person (<code>--subject-column person,arm</code>) to give each arm "
                      "its own timeline.")

#: How a timeline page of ``gutbalance report`` says to place samples that have no time.
UNTIMED_ORDER_HINT = "Name a metadata column of times or dates (<code>--time-column</code>) to place them in time."


@charts.numbered_page
def render_timeline_report(
    timeline: Timeline,
    *,
    reference: Reference | None = None,
    sample_href=None,
    cohort_href: str | None = "../report.html",
    ranks: tuple[str, ...] | None = None,
    missing: Mapping[str, str] | None = None,
    split_subject_hint: str = SPLIT_SUBJECT_HINT,
    untimed_order_hint: str = UNTIMED_ORDER_HINT,
    notes: Mapping[str, str] | None = None,
) -> str:
    """The HTML page of one subject's samples over time; ``ranks`` are the
    ranks its samples' diversity was computed at (:func:`diversity_ranks`
    of their scores), which the diversity charts name; ``missing`` says per
    score why its values are missing (:func:`missing_reason`), which a chart
    without any value says instead of drawing an empty plot.
    ``split_subject_hint`` (HTML) tells, where samples share a time, how to
    give each arm its own timeline: the command line's option by default, the
    web app's sample pages there; ``untimed_order_hint`` (HTML) likewise tells
    how to place samples none of which has a time.  ``notes`` says per sample
    what its row of the samples table should warn of (:func:`timeline_notes`:
    not stool, scores it has no value of and why)."""
    sample_href = sample_href or (lambda s: f"../samples/{safe_filename(s)}.html")
    # the variation that flagged the changes (the subject's kind of input),
    # not the cohort page's reference: band, caption and flags must agree
    variation = timeline.reference.variation if timeline.reference is not None else {}
    blocks = []
    for key in score_columns(timeline.scores):
        info = describe_at_rank(key, ranks)
        values = timeline.scores[key].astype(float).tolist()
        tv = variation.get(key)
        steps = timeline.changes[(timeline.changes["score"] == key)]
        consecutive = steps[~steps["overall"]]
        flags = [None] + [None if pd.isna(b) else bool(b) for b in consecutive["beyond_variation"].tolist()]
        desc = f"{info.label} of subject {timeline.subject} at {len(values)} time points: " + "; ".join(
            f"{charts.time_label(t, timeline.time_name)} {info.format(v)}" for t, v in zip(timeline.times, values)
        ) + "."
        if tv is not None and any(_finite(v) for v in values):  # no value, no band to speak of
            desc += (
                f" The shaded band is the first value plus or minus {info.format(tv.smallest_real_difference)}, "
                "the smallest real difference; squares mark changes larger than that."
            )
        chart = charts.timeline_chart(
            timeline.times, values, title=f"{info.label} over time", desc=desc,
            band=tv.smallest_real_difference if tv else None, scale=info.scale, digits=info.digits, flags=flags,
            time_name=timeline.time_name, missing=(missing or {}).get(key, ""),
        )
        blocks.append({"info": info, "chart": chart, "steps": steps.to_dict("records"), "variation": tv})
    return environment().get_template("timeline.html").render(
        timeline=timeline,
        blocks=blocks,
        sample_href=sample_href,
        cohort_href=cohort_href,
        min_abundance=timeline.min_abundance,
        variation=variation,
        split_subject_hint=Markup(split_subject_hint),
        untimed_order_hint=Markup(
            f"None of them has a value in the <code>{escape(timeline.untimed_column)}</code> column: fill it in to "
            "place them in time." if timeline.untimed_column and untimed_order_hint == UNTIMED_ORDER_HINT
            else untimed_order_hint),
        notes={k: v for k, v in (notes or {}).items() if v},
        variation_kind=describe_kind(timeline.reference.primary.kind) if timeline.reference is not None else "",
        **_page_common(reference),
    )


def timeline_notes(scores: pd.DataFrame, keys: Sequence[str]) -> dict[str, str]:
    """What a timeline's reader should know of each sample, from its row of
    ``scores``: that it does not look like stool (``stool_like``), and which of
    ``keys`` it has no value of while other samples have one (the gaps in the
    charts), and why (its ``missing`` cell).  A score no sample has is left to
    its chart, which says why.  "" where nothing needs saying.

    >>> timeline_notes(pd.DataFrame({"shannon": [2.0, None], "stool_like": [True, False],
    ...                              "missing": ["", "shannon: one taxon only"]}, index=["a", "b"]), ["shannon"])
    {'a': '', 'b': 'does not look like stool (its page says why); no Shannon diversity: one taxon only'}
    """
    notes: dict[str, str] = {}
    flagged = set(not_stool_samples(scores))
    keys = [k for k in keys if k in scores.columns
            and pd.to_numeric(scores[k], errors="coerce").map(_finite).astype(bool).any()]
    for sample, row in scores.iterrows():
        parts = ["does not look like stool (its page says why)"] if sample in flagged else []
        reasons = parse_missing(row.get("missing", ""))
        gone: dict[str, list[str]] = {}
        for key in keys:
            if not _finite(pd.to_numeric(row[key], errors="coerce")):
                gone.setdefault(reasons.get(key, "no reason recorded"), []).append(describe(key).label)
        parts += [f"no {', '.join(labels)}: {why}" for why, labels in gone.items()]
        notes[str(sample)] = "; ".join(parts)
    return notes


def missing_reason(scores: pd.DataFrame, key: str) -> str:
    """Why ``key`` is missing for the samples of ``scores`` that have no value
    of it, from their ``missing`` cells (as each sample's own cell says it):
    one reason as it is, several each with its number of samples, "" when
    none is recorded."""
    if key not in scores.columns or "missing" not in scores.columns:
        return ""
    without = scores.loc[~pd.to_numeric(scores[key], errors="coerce").map(_finite).astype(bool), "missing"]
    reasons = pd.Series([parse_missing(cell).get(key, "") for cell in without], dtype=object)
    counts = reasons[reasons != ""].value_counts(sort=True)
    if len(counts) <= 1:
        return str(counts.index[0]) if len(counts) else ""
    return "; ".join(f"{reason} ({n} sample{'' if n == 1 else 's'})" for reason, n in counts.items())


def _distribution_card(info: ScoreInfo, values: pd.Series, statistics: CohortStatistics,
                       figures: Mapping[str, Mapping[str, str]] | None, samples: str = "all samples",
                       mixed: bool = False, missing: str = "") -> dict[str, Any]:
    """One score across the cohort: its chart, the cohort's and the reference's quantiles.

    ``mixed``: the samples' values are at several ranks (diversity of
    species and of genus tables): the box says so (``samples``), and the
    reference, whose diversity is at one rank, is not drawn beside it.
    ``missing``: why samples have no value (:func:`missing_reason`), which
    the chart says where it has nothing to draw."""
    summ = statistics.summaries.get(info.key)
    ref_summary = None if mixed else statistics.reference_summaries.get(info.key)
    n_with, n = int(values.notna().sum()), len(values)
    partial = ""
    if 0 < n_with < n:
        # "all samples" beside a box of 19 of 104 (an outside check): the box says whose values it holds,
        # and the card why the others have none
        samples = f"{n_with} of {n} samples" if samples == "all samples" else f"{samples} ({n_with} of {n})"
        partial = (f"{n - n_with} of {n} samples have no value"
                   + (f": {missing}" if missing else "") + ".")
    desc = f"{info.label} of {n_with} samples"
    if summ:
        desc += f": median {info.format(summ['p50'])}, middle half {info.format(summ['p25'])} to {info.format(summ['p75'])}"
    if ref_summary:
        desc += f"; healthy reference median {info.format(ref_summary['p50'])}"
    if not values.notna().any():
        desc += f" ({charts.nothing_to_draw(missing, what='no sample has a value').rstrip('.')})"
    chart = charts.distribution_chart(
        [(samples, values.tolist(), summ)], title=f"{info.label} across samples", desc=desc + ".",
        reference=ref_summary, scale=info.scale, digits=info.digits, missing=missing,
    )
    return {"info": info, "chart": chart, "summary": summ, "reference": ref_summary,
            "figures": (figures or {}).get(info.key), "missing": missing, "partial": partial,
            "who": "These samples" if not partial else f"These samples ({n_with} of {n})"}


def _n_values(values: Sequence[Any]) -> int:
    """How many of ``values`` are numbers (a missing score is NaN or None)."""
    return sum(1 for v in values if _finite(v))


def _comparison_block(comparison: GroupComparison, infos: Sequence[ScoreInfo], statistics: CohortStatistics,
                      mixed_ranks: bool = False, missing: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One grouping column: per score, the tests and a chart of every group (without
    the reference's box for a diversity score whose samples are at several ranks,
    whose groups are compared and drawn within each rank, or not at all: ``notes``
    says why, :func:`gutbalance.reference.statistics.compare_column`); ``missing``
    says per score why samples have no value (:func:`missing_reason`)."""
    col = comparison.column
    per_score = []
    notes = [{"info": info, "text": comparison.notes[info.key]} for info in infos if info.key in comparison.notes]
    for info in infos:
        rows = comparison.tests.get(info.key)
        if not rows:
            continue
        data = comparison.values[info.key]
        medians = comparison.medians[info.key]
        boxes = comparison.summaries[info.key]
        chart = charts.distribution_chart(
            [(lvl, v, boxes[lvl]) for lvl, v in data], title=f"{info.label} by {col}",
            desc=f"{info.label} per group of {col}: "
            # n: the values the median is of, not the group's size (an outside check: "n = 43" beside a
            # table of 5 with a GMHI)
            + "; ".join(f"{lvl} median {info.format(medians[lvl]) if _n_values(v) else '–'} (n = {_n_values(v)})"
                        for lvl, v in data) + ".",
            reference=None if mixed_ranks and info.group == "diversity" else statistics.reference_summaries.get(info.key),
            scale=info.scale, digits=info.digits,
            missing=(missing or {}).get(info.key, ""),
        )
        per_score.append({"info": info, "rows": rows, "chart": chart})
    return {"column": col, "scores": per_score, "counts": comparison.counts, "notes": notes, "unit": comparison.unit,
            "grouped_samples": comparison.grouped_samples}


#: The cohort page's tables of all samples, one a topic, so that each fits a
#: laptop's window (one table of 25 columns was 3,055 px wide and scrolled
#: sideways in its 960 px box): id, title, and the score groups it shows.
#: A group not named here goes to the last table.
SAMPLE_TABLES = (
    ("scores", "Scores", ("overall", "pillar", "index")),
    ("diversity", "Diversity and ratios", ("diversity", "ratio")),
    ("basis", "What the scores rest on", ("quality", "other")),
)


def _sample_tables(scores: pd.DataFrame, infos: Sequence[ScoreInfo], statistics: CohortStatistics, sample_href) -> list[dict]:
    """The tables of all samples (:data:`SAMPLE_TABLES`), each with its columns' infos
    and every sample's row of them; tables without a column are left out."""
    rows = _table_rows(scores, infos, statistics, sample_href)
    named = {g for _, _, groups in SAMPLE_TABLES for g in groups}
    tables = []
    for k, (table_id, title, groups) in enumerate(SAMPLE_TABLES):
        last = k == len(SAMPLE_TABLES) - 1
        columns = [j for j, info in enumerate(infos) if info.group in groups or (last and info.group not in named)]
        if not columns:
            continue
        tables.append({
            "id": table_id, "title": title, "infos": [infos[j] for j in columns], "diversity": "diversity" in groups,
            "rows": [{**row, "cells": [row["cells"][j] for j in columns]} for row in rows],
        })
    return tables


def _table_rows(scores: pd.DataFrame, infos: Sequence[ScoreInfo], statistics: CohortStatistics, sample_href) -> list[dict]:
    """The sortable table: every sample's value and percentile of every score, and the rank of its diversity."""
    rows = []
    for sample in scores.index:
        rank = diversity_rank_of(scores, str(sample))
        # a missing cell says why on hover, as the sample's page does (an outside check: a bare "–")
        why = parse_missing(scores.at[sample, "missing"]) if "missing" in scores.columns else {}
        cells = []
        for info in infos:
            v = scores.at[sample, info.key]
            p = percentile_of(statistics.percentiles, sample, info.key)
            cells.append({"value": float(cast(float, v)) if _finite(v) else None, "text": info.format(v),
                          "percentile": p if _finite(p) else None,
                          "why": "" if _finite(v) else str(why.get(info.key, ""))})
        rows.append({"sample": str(sample), "href": sample_href(str(sample)), "cells": cells, "rank": rank or ""})
    return rows


def _cohort_profiler_note(scores: pd.DataFrame, statistics: CohortStatistics) -> str | None:
    """Why some percentiles are missing or rough: samples of another kind of input than the reference."""
    reference, meta = statistics.reference, statistics.metadata
    profiler_note = None
    if reference is not None and meta is not None and "source_format" in meta.columns:
        ref_format = str(reference.primary.characteristics.get("source_format") or "")
        databases = meta["database"] if "database" in meta.columns else pd.Series("", index=meta.index)
        # By profiler family, as each sample's own note judges it: MetaPhlAn 3
        # profiles against a MetaPhlAn 2 population are one profiler (a version
        # difference has its own caveat in the warnings), not "a different profiler".
        families = sorted({
            family if (family := profiler_family(str(f), str(d or ""))) != UNKNOWN else str(f)
            for f, d in zip(meta["source_format"], databases, strict=True) if isinstance(f, str) and f
        })
        ref_family = (reference.primary.kind or {}).get("profiler") or profiler_family(ref_format, "")
        if ref_format and families and families != [ref_family]:
            profiler_note = (
                f"These profiles ({', '.join(families)}) were made with a different profiler from the healthy reference "
                f"({reference.primary.characteristics.get('profiler', ref_format)}); richness and the published indices "
                "shift between profilers, so read percentiles as a rough guide."
            )
    n_other = statistics.n_other_kind
    if n_other and reference is not None:
        profiler_note = (
            f"{n_other} of {len(scores)} samples are of another kind of input than the healthy reference "
            f"({reference.primary.label}: {_kind_text(reference)} profiles); their percentiles are not shown"
            + (", nor any of the reference's figures" if statistics.not_comparable else "")
            + ", because richness, the published indices and the pillars shift between profilers and ranks."
        )
    return profiler_note


def cohort_age_note(outside: int, n_samples: int, n_aged: int) -> str:
    """The cohort page's count of samples whose age is outside their healthy population's ages ("" for none).

    >>> cohort_age_note(1, 4, 3).split(" are ")[0], cohort_age_note(1, 5, 3).split(" are ")[0]
    ('1 of 4 samples (1 has no age)', '1 of 5 samples (2 have no age)')
    """
    if not outside:
        return ""
    missing = n_samples - n_aged
    unknown = f" ({missing} {'has' if missing == 1 else 'have'} no age)" if missing else ""
    return (f"{outside} of {n_samples} samples{unknown} are of people outside the ages of the healthy reference "
            "people they are compared with: their percentiles compare them with people of other ages, whose gut "
            "microbiome is expected to differ (each sample's page says how). The percentiles are not adjusted for age.")


@charts.numbered_page
def not_stool_samples(scores: pd.DataFrame) -> list[str]:
    """The samples ``analyze`` found not to look like stool (``stool_like``
    False), for the cohort page's notice: each sample page said so, the
    cohort page did not, and showed their percentiles against healthy stool
    without a word (an outside check, 2026-11-29).

    >>> not_stool_samples(pd.DataFrame({"stool_like": [True, False, None]}, index=["a", "b", "c"]))
    ['b']
    """
    if "stool_like" not in scores.columns:
        return []
    flags = scores["stool_like"].astype(str) == "False"  # bool, or text read back; NA is no verdict
    return [str(s) for s in scores.index[flags.to_numpy()]]


def render_cohort_report(
    scores: pd.DataFrame,
    statistics: CohortStatistics,
    *,
    timelines: Sequence[Timeline] = (),
    sample_href=None,
    subject_href=None,
    figures: Mapping[str, Mapping[str, str]] | None = None,
    script_url: str | None = None,
    age_note: str = "",
) -> str:
    """The cohort page: distributions, a sortable table, group comparisons.

    ``age_note`` says how many samples are outside the ages of their healthy
    population (:func:`cohort_age_note`; "" for none or no ages given).

    Rendering only: percentiles, quantiles and group tests come computed in
    ``statistics`` (:func:`gutbalance.reference.statistics.cohort_statistics`).
    """
    sample_href = sample_href or (lambda s: f"samples/{safe_filename(s)}.html")
    subject_href = subject_href or (lambda s: f"subjects/{safe_filename(s)}.html")
    # a diversity number counts the taxa of one rank: its label names the rank,
    # or the ranks when the samples' diversity is at several ("species or genus")
    ranks = diversity_ranks(scores)
    infos = [describe_at_rank(k, ranks) for k in statistics.keys]
    mixed = ranks is not None and len(ranks) > 1
    mixed_box = "mixed: " + "/".join(ranks or ())
    missing = {i.key: missing_reason(scores, i.key) for i in infos}  # once per score, not per chart
    return environment().get_template("cohort.html").render(
        profiler_note=_cohort_profiler_note(scores, statistics),
        age_note=age_note,
        not_stool=not_stool_samples(scores),
        age_sources=AGE_SOURCES,
        n_samples=len(scores),
        infos=infos,
        sample_tables=_sample_tables(scores, infos, statistics, sample_href),
        distributions=[_distribution_card(i, scores[i.key].astype(float), statistics, figures,
                                          samples=mixed_box if mixed and i.group == "diversity" else "all samples",
                                          mixed=mixed and i.group == "diversity",
                                          missing=missing[i.key])
                       for i in infos],
        rank_counts=_rank_counts(scores, ranks) if mixed and ranks else [],
        comparisons=[_comparison_block(c, infos, statistics, mixed, missing) for c in statistics.comparisons],
        timelines=[{"subject": t.subject, "href": subject_href(t.subject), "n": len(t.samples), "beyond": t.n_beyond}
                   for t in timelines],
        stats_references=STATISTICS_REFERENCES,
        inline_script=Markup(_script_text()) if script_url is None else None,
        not_comparable=statistics.not_comparable,
        **_page_common(statistics.reference, script_url),
    )
