"""The scores table: every index and pillar for every sample of a Cohort.

``score(cohort)`` is what ``gutbalance analyze`` writes to ``scores.tsv``;
``contributions(cohort)`` is what explains it in ``scores.json``.  The
table's layout as a file (column order, number and missing-value spelling)
is :mod:`gutbalance.scores_table`.

Structure: one function per family of scores, each taking the Cohort and
returning a DataFrame indexed like ``cohort.samples`` with its own columns;
:data:`SCORE_FAMILIES` lists them in column order and :func:`score` joins them.
Every family is vectorised over the sparse cohort.  A number that cannot
describe a sample is missing (NaN) and the ``missing`` column says why;
``warnings`` says what a reader should know before trusting a row (a sample
that does not look like stool, a mostly unclassified Kraken report).

Percentiles are not made here: they are relative to a reference population,
and :func:`gutbalance.reference.with_percentiles` adds them (with the warning
when a sample's kind of input has no population) to what :func:`score`
returns.  That keeps this module below :mod:`gutbalance.reference`, which
scores its reference people with :func:`score`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

import numpy as np
import orjson
import pandas as pd

from .cohort import Cohort
from .errors import FormatError
from .indices.diversity import alpha_diversity, chao1, observed_counts
from .indices.dysbiosis import dysbiosis
from .indices.dysbiosis import missing_reason as dysbiosis_missing
from .indices.gmhi import gmhi_contributions, gmhi_table
from .indices.gmwi2 import gmwi2_contributions, gmwi2_table
from .indices.ratios import log2_ratios
from .indices.resolution import NO_ABUNDANCE, check_asked_rank, empty_reasons, unresolved_reason
from .indices.resolution import diversity_rank as _diversity_rank  # score()'s keyword of that name hides it
from .indices.sample_type import depth_warnings, stool_like
from .json_text import RawJSON
from .pillars import EMPTY_REASON, PILLARS, PillarResult, component_labels, pillar_scores, shallow_profile_warnings
from .pillars.contribution_text import expanded
from .score_specs import descriptive_columns
from .scores_table import (
    INDEX_NAME,
    LEAD_COLUMNS,
    MISSING_COLUMN,
    REACH_COLUMN,
    RESOLVED_RANK_COLUMN,
    TRAIL_COLUMNS,
    WARNINGS_COLUMN,
)

#: Between the entries of the ``missing`` and ``warnings`` text (reasons contain ";").
SEPARATOR = " | "
#: A Kraken report with more unclassified reads than this gets a warning.
MAX_UNCLASSIFIED_KRAKEN = 0.5
#: A profile of another profiler with more of it unclassified than this
#: gets the same warning (MetaPhlAn's UNCLASSIFIED/UNKNOWN estimate, the
#: others' unassigned share): a river metagenome MetaPhlAn 4 left 95 %
#: UNCLASSIFIED was scored without a word (an outside check).  Higher than
#: Kraken's: MetaPhlAn's estimate of reads without markers is commonly half
#: of a stool run (median 48 % in the kefir study's MetaPhlAn 3 stool, 21 of
#: 44 above 0.5, 3 above 0.8), so 0.5 would warn about every other sample.
MAX_UNCLASSIFIED_OTHER = 0.8
#: The scores computed at each sample's ``diversity_rank`` (missing together
#: when the sample has none); their percentiles need a healthy population
#: whose diversity is at that rank (:mod:`gutbalance.reference.comparability`).
DIVERSITY_COLUMNS = ("richness", "shannon", "simpson", "inverse_simpson", "evenness", "chao1")


def parse_missing(text: object) -> dict[str, str]:
    """``{score: reason}`` from a ``missing`` cell of the scores table."""
    if not isinstance(text, str) or not text:
        return {}
    return dict(part.split(": ", 1) for part in text.split(SEPARATOR) if ": " in part)


def parse_warnings(text: object) -> list[str]:
    """The warnings of a ``warnings`` cell of the scores table."""
    return [w for w in text.split(SEPARATOR) if w] if isinstance(text, str) else []


def _suffix_columns(table: pd.DataFrame, suffix: str) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Split ``<score><suffix>`` reason columns off a family's table."""
    reasons = {c[: -len(suffix)]: table[c] for c in table.columns if c.endswith(suffix)}
    return table.drop(columns=[f"{k}{suffix}" for k in reasons]), reasons


def diversity_scores(cohort: Cohort, rank: pd.Series | None = None, *, asked: str = "auto") -> pd.DataFrame:
    """richness, shannon, simpson, inverse_simpson, evenness at each sample's
    ``diversity_rank`` (:mod:`gutbalance.indices.resolution`; ``asked``: the
    rank asked for the whole run, ``auto`` for each sample's finest); and chao1,
    missing with a reason for a sample without read counts (see
    :func:`gutbalance.indices.chao1`).  The columns are the same for every
    cohort, so a sample's row never depends on what else was read with it."""
    rank = _diversity_rank(cohort, asked) if rank is None else rank
    empty = empty_reasons(cohort)
    table = alpha_diversity(cohort, rank=rank)
    table["chao1"] = chao1(cohort, rank=rank)
    _, why_not = observed_counts(cohort)
    table["chao1_missing"] = np.array(
        [reason if r else "" for reason, r in zip(why_not, rank, strict=True)], dtype=object
    )
    table["diversity_rank"] = rank
    table["diversity_missing"] = [
        "" if r else f"{unresolved_reason(asked, empty=e)} (see docs/indices.md, diversity_rank)"
        for r, e in zip(rank, empty, strict=True)
    ]
    single = (table["richness"] == 1).to_numpy()
    table["evenness_missing"] = np.where(
        single, "one taxon only: evenness (Shannon / ln richness) is 0 / 0", ""
    ).astype(object)
    return table


def published_index_scores(
    cohort: Cohort, rank: pd.Series | None = None, *, gmwi2: pd.DataFrame | None = None
) -> pd.DataFrame:
    """gmhi (Gupta et al. 2020) and gmwi2 (Chang, Gupta et al. 2024), missing
    with a reason where they cannot describe the sample; ``gmwi2`` is the
    cohort's :func:`~gutbalance.indices.gmwi2_table` at ``rank`` when the
    caller has it already (computed here otherwise)."""
    rank = _diversity_rank(cohort) if rank is None else rank
    gmhi = gmhi_table(cohort, resolved_rank=rank)
    if gmwi2 is None:
        gmwi2 = gmwi2_table(cohort, resolved_rank=rank)
    return pd.DataFrame(
        {"gmhi": gmhi["gmhi"], "gmwi2": gmwi2["gmwi2"],
         "gmhi_missing": gmhi["gmhi_missing"], "gmwi2_missing": gmwi2["gmwi2_missing"]}
    )


def ratio_scores(cohort: Cohort, rank: pd.Series | None = None) -> pd.DataFrame:
    """firmicutes_bacteroidetes_log2 and prevotella_bacteroides_log2."""
    return log2_ratios(cohort, reasons=True)


def dysbiosis_scores(cohort: Cohort, rank: pd.Series | None = None) -> pd.DataFrame:
    """dysbiosis: Bray-Curtis dissimilarity from the healthy reference (missing, with
    ``dysbiosis_missing``, for a sample with no classified genus)."""
    score = dysbiosis(cohort)
    return pd.concat([score, dysbiosis_missing(score)], axis=1)


#: The families of published indices and statistics, in column order.  Each
#: takes the cohort and each sample's ``diversity_rank``.
SCORE_FAMILIES: list[Callable[..., pd.DataFrame]] = [
    diversity_scores,
    published_index_scores,
    ratio_scores,
    dysbiosis_scores,
]

#: Columns of the scores table that describe the input rather than score it
#: (no reference distribution, no percentile): ``reference=False`` in their
#: :class:`~gutbalance.score_specs.ScoreSpec`.
DESCRIPTIVE_COLUMNS = descriptive_columns()


def sample_warnings(cohort: Cohort) -> tuple[pd.Series, list[list[str]]]:
    """``stool_like`` and the warnings about the input itself, per sample."""
    stool = stool_like(cohort)
    texts = [
        [w for w in found if w]
        for found in zip(stool["stool_warning"], depth_warnings(cohort), shallow_profile_warnings(cohort), strict=True)
    ]
    samples = cohort.samples
    if "source_format" in samples:
        unassigned = samples["unassigned"].to_numpy(dtype=float)
        kraken = (samples["source_format"].astype(str) == "kraken").to_numpy()
        limit = np.where(kraken, MAX_UNCLASSIFIED_KRAKEN, MAX_UNCLASSIFIED_OTHER)
        for i in np.flatnonzero(unassigned > limit):
            what = "of the reads are unclassified" if kraken[i] else "of the profile is unclassified by its profiler"
            texts[i].append(
                f"{unassigned[i]:.0%} {what}: the scores describe only the classified "
                f"{1 - unassigned[i]:.0%}, which may not be the community"
            )
    return stool["stool_like"], texts


def _no_percentiles(percentiles: bool) -> None:
    if percentiles:
        raise TypeError(
            "scores carry no percentiles: add them with gutbalance.reference.with_percentiles(scores, cohort) "
            "(the percentiles= keyword is kept only so that percentiles=False still works)"
        )


def score(cohort: Cohort, *, percentiles: bool = False, diversity_rank: str = "auto") -> pd.DataFrame:
    """One row per sample (index ``sample``) with every score gutbalance computes.

    Columns: ``immune_support`` and the five pillars (0-100), the published
    indices (``gmhi``, ``gmwi2``), diversity, ratios, ``dysbiosis``, each
    pillar's ``<pillar>_confidence``, ``coverage`` and ``kb_reach`` (0-1:
    the share of the bacterial and archaeal abundance the pillars rest on,
    :func:`gutbalance.pillars.reached_taxa`), then the text
    columns (:data:`TRAIL_COLUMNS`).  The ``<score>_percentile`` columns of
    ``scores.tsv`` come from :func:`gutbalance.reference.with_percentiles`.
    ``percentiles`` is deprecated: ``False`` is what every call does, ``True``
    raises TypeError.  ``diversity_rank``: the rank of richness, Shannon,
    Simpson, evenness and Chao1, ``"auto"`` (each sample's finest resolved
    rank) or one rank for every sample (``"genus"``: a sample that does not
    resolve it has them missing, with the reason; docs/indices.md).
    """
    _no_percentiles(percentiles)
    return score_with_contributions(cohort, explain=False, diversity_rank=diversity_rank)[0]


def contributions(cohort: Cohort, *, diversity_rank: str = "auto") -> dict[str, dict]:
    """What each sample's scores are made of, for ``scores.json``.

    Returns
    -------
    ``{sample: {pillar: [taxa that raised (+) or lowered (-) it, for each of
    the five pillars], "gmhi": {"markers": [...]}, "gmwi2": {"calibrated", "database",
    "clades_matched", "note", "taxa": [...]}}}``; see
    :func:`gutbalance.indices.gmhi_contributions` and
    :func:`gutbalance.indices.gmwi2_contributions` for the list entries.
    """
    return score_with_contributions(cohort, diversity_rank=diversity_rank)[1]


def score_with_contributions(
    cohort: Cohort, *, percentiles: bool = False, explain: bool = True, raw_json: bool = False,
    diversity_rank: str = "auto",
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """:func:`score` and :func:`contributions` in one pass: the pillar
    scores and their contributing taxa come from the same computation.
    :func:`gutbalance.reference.with_percentiles_explained` adds the
    percentiles to both.  With ``raw_json`` each pillar's list of taxa stays
    the lean JSON text it is made as, and ``gmhi`` and ``gmwi2`` are JSON
    text too (each a :class:`~gutbalance.json_text.RawJSON`, which
    :func:`gutbalance.json_text.dumps` splices in: the batch pipeline's way
    to ``scores.json``); without it, every list is dictionaries, each
    entry's traits named (:func:`gutbalance.pillars.contribution_text.expanded`).
    ``diversity_rank`` as for :func:`score`."""
    _no_percentiles(percentiles)
    asked = diversity_rank
    check_asked_rank(asked)
    rank = _diversity_rank(cohort)
    # A fixed rank moves only the diversity columns; GMHI and GMWI2 keep
    # their own test of the sample's finest rank (species).
    at = rank if asked == "auto" else _diversity_rank(cohort, asked)
    # One GMWI2 table for the scores and the explanation (its clade counts and
    # calibration note), as both ask it of the same cohort at the same ranks.
    gmwi2 = gmwi2_table(cohort, resolved_rank=rank)
    families = [
        published_index_scores(cohort, rank, gmwi2=gmwi2) if family is published_index_scores
        else diversity_scores(cohort, at, asked=asked) if family is diversity_scores
        else family(cohort, rank)
        for family in SCORE_FAMILIES
    ]
    table = pd.concat(families, axis=1)
    table, reasons = _suffix_columns(table, "_missing")
    diversity_reason = reasons.pop("diversity", None)
    result = pillar_scores(
        cohort,
        shannon=table["shannon"].to_numpy(),
        dysbiosis=table["dysbiosis"].to_numpy(),
        contributions=explain,
        raw_json=raw_json,
    )
    table = pd.concat([result.scores, table], axis=1)
    table[REACH_COLUMN] = _kb_reach(result)
    missing = _missing(table, reasons, diversity_reason, result.missing)
    stool, warned = sample_warnings(cohort)
    order = LEAD_COLUMNS + [c for c in table.columns if c not in LEAD_COLUMNS + TRAIL_COLUMNS]
    text = pd.DataFrame({"diversity_rank": table["diversity_rank"]}, index=table.index)
    if asked != "auto":
        # diversity_rank is then the rank asked; the sample's own resolution
        # still picks its healthy population (reference.comparability).
        text[RESOLVED_RANK_COLUMN] = rank
    text["stool_like"] = stool
    table = table[order]
    if "placed" in cohort.samples:
        # Share of the classified abundance placed into a lineage (cohort.place_profile).
        table["placed"] = cohort.samples["placed"].to_numpy(dtype=float)
        empty = empty_reasons(cohort)
        for i in np.flatnonzero(table["placed"].isna().to_numpy()):
            missing[int(i)]["placed"] = (f"a share of nothing: {empty[i]}" if empty[i]
                                         else "the input gives no lineage to place its taxa in")
    # A sample with no abundance at all (an empty column) misses every score for
    # that one reason; the scores' own reasons ("no taxon placed at phylum rank")
    # would send the reader looking for a problem in taxa it does not have.
    for i in np.flatnonzero(empty_reasons(cohort) == NO_ABUNDANCE):
        missing[int(i)] = dict.fromkeys(missing[int(i)], NO_ABUNDANCE)
    text[MISSING_COLUMN] = [SEPARATOR.join(f"{k}: {v}" for k, v in m.items()) for m in missing]
    text[WARNINGS_COLUMN] = [SEPARATOR.join(w) for w in warned]
    table = table.join(text)
    table.index.name = INDEX_NAME
    if not explain:
        return table, {}
    return table, _explain(cohort, result.contributions, gmwi2=gmwi2, missing=missing, warnings=warned,
                           reach=table[REACH_COLUMN].to_numpy(dtype=float), raw=raw_json)


def _kb_reach(result: PillarResult) -> np.ndarray:
    """The ``kb_reach`` column: :attr:`PillarResult.reach` per sample (at most 1), missing
    (NaN) for a sample with nothing bacterial or archaeal, whose share of
    nothing is no number (its reason is the pillars', :data:`EMPTY_REASON`)."""
    if result.reach is None or result.missing is None:
        raise ValueError("pillar_scores gave no reach")
    # a share is at most 1: the sum over a normalised row can exceed it by an ulp
    reach = np.minimum(result.reach.to_numpy(dtype=float), 1.0)
    reach[result.missing.to_numpy(dtype=object) == EMPTY_REASON] = np.nan
    return reach


def _missing(
    table: pd.DataFrame, reasons: dict[str, pd.Series], diversity_reason: pd.Series | None,
    pillar_reason: pd.Series | None = None,
) -> list[dict]:
    """Per sample, ``{column: why it is missing}`` for every NaN score;
    ``pillar_reason`` is :attr:`PillarResult.missing` (why a sample's pillars
    are missing: nothing bacterial, or too little reached by the knowledge base)."""
    out: list[dict] = [{} for _ in range(len(table))]
    for column, why in reasons.items():
        for i in np.flatnonzero(why.to_numpy(dtype=object) != ""):
            out[i][column] = why.iat[int(i)]
    if diversity_reason is not None:
        for i in np.flatnonzero(diversity_reason.to_numpy(dtype=object) != ""):
            for column in DIVERSITY_COLUMNS:
                if column in table:
                    out[i][column] = diversity_reason.iat[int(i)]
    # kb_reach is missing only where the pillars are, for the same reason
    # (nothing bacterial or archaeal); a reach below the floor is a number.
    reach = [REACH_COLUMN] if REACH_COLUMN in table else []
    # a pillar's confidence is missing where the pillar has nothing to rest on
    confidence = [c for c in (f"{p}_confidence" for p in PILLARS) if c in table]
    # coverage is a number wherever there is something bacterial (0 when the knowledge base names none of it)
    coverage = ["coverage"] if "coverage" in table else []
    pillar_columns = ["immune_support", *PILLARS, *confidence, *coverage, *reach]
    pillars = table[pillar_columns].isna().to_numpy()
    because = (pillar_reason.to_numpy(dtype=object) if pillar_reason is not None
               else np.full(len(table), "", dtype=object))
    for i in np.flatnonzero(pillars.any(axis=1)):
        for column, gone in zip(pillar_columns, pillars[i], strict=True):
            if gone:
                out[i].setdefault(column, because[i] or EMPTY_REASON)
    return out


def _explain(
    cohort: Cohort, pillars: dict[str, dict], *, gmwi2: pd.DataFrame, missing: list[dict], warnings: list[list[str]],
    reach: np.ndarray, raw: bool = False,
) -> dict[str, dict]:
    """Each sample's ``scores.json`` entry; ``gmwi2`` is the cohort's
    :func:`~gutbalance.indices.gmwi2_table` that the scores were made with,
    ``reach`` the ``kb_reach`` column (NaN written ``null``, its reason under
    ``missing``)."""
    markers = gmhi_contributions(cohort, raw_json=raw)
    taxa = gmwi2_contributions(cohort, raw_json=raw)
    databases = cohort.samples["database"] if "database" in cohort.samples else pd.Series("", index=gmwi2.index)
    out: dict[str, dict] = {}
    for k, (sample, row) in enumerate(zip(cohort.sample_names, gmwi2.itertuples(index=False), strict=True)):
        about = {
            "calibrated": bool(row.gmwi2_calibrated),
            "database": str(databases.get(sample, "") or ""),
            "clades_matched": int(row.gmwi2_clades_matched),  # type: ignore[arg-type]  # itertuples rows are untyped
            "note": row.gmwi2_note,
        }
        found, clades = markers[sample], taxa[sample]
        out[sample] = {
            "missing": missing[k],
            "warnings": warnings[k],
            # what the pillar lists below rest on (the scores table's kb_reach)
            REACH_COLUMN: None if np.isnan(reach[k]) else float(reach[k]),
            **pillars.get(sample, {}),
            # as text (raw), each entry is the bytes orjson writes for the dictionaries
            "gmhi": (RawJSON(b'{"markers":' + found.text + b"}") if isinstance(found, RawJSON)
                     else {"markers": found}),
            "gmwi2": (RawJSON(orjson.dumps(about)[:-1] + b',"taxa":' + clades.text + b"}") if isinstance(clades, RawJSON)
                      else {**about, "taxa": clades}),
        }
    return out


# --- scores.json -----------------------------------------------------------

#: What ``scores.json`` says it is: its top-level ``"format"`` (docs/formats.md).
SCORES_JSON_FORMAT = "gutbalance scores.json 2"
#: The end of ``scores.json`` after its last sample.
SCORES_JSON_TAIL = b"\n}}\n"


def scores_json_head() -> bytes:
    """The start of ``scores.json``, up to its first sample::

        {"format": "gutbalance scores.json 2",
         "components": {component key: its plain-language name, ...},
         "samples": {sample: {...}, ...}}

    The samples sit under their own key, so no sample name can collide with
    the format or the legend; each contribution list names its components by
    key, and ``"components"`` names them once for the whole file."""
    return (b'{"format":' + orjson.dumps(SCORES_JSON_FORMAT) + b',"components":'
            + orjson.dumps(component_labels()) + b',"samples":{')


def scores_json_samples(document: Any, *, path: str | PathLike[str] | None = "scores.json") -> dict[str, Mapping[str, Any]]:
    """``{sample: its entry}`` of a parsed ``scores.json``, with every
    contribution list in the shape :func:`contributions` returns (each
    entry's ``trait`` and ``parts`` named; effects as written, to 1e-6 points).

    Reads this version's format (``"format"``, ``"components"``,
    ``"samples"``) and the files of earlier versions: the mapping
    ``{sample: {...}}`` itself (whose values are all mappings, so a string
    ``"format"`` tells the two apart), or that mapping under a
    ``"contributions"`` key.  A document of neither shape, or a list naming
    a component the legend does not, raises :class:`FormatError` naming
    ``path`` and the field.
    """
    if not isinstance(document, Mapping):
        raise FormatError("expected an object {sample: {score: [contributions]}}", path=path)
    if not isinstance(document.get("format"), str):
        if isinstance(document.get("contributions"), Mapping):
            document = document["contributions"]
        return {str(k): v for k, v in document.items() if isinstance(v, Mapping)}
    if document["format"] != SCORES_JSON_FORMAT:
        raise FormatError(f"unknown format {document['format']!r} (this version reads {SCORES_JSON_FORMAT!r})",
                          path=path, field="format")
    labels, samples = document.get("components"), document.get("samples")
    if not isinstance(labels, Mapping) or not isinstance(samples, Mapping):
        raise FormatError('expected "components" and "samples" objects', path=path,
                          field="components" if not isinstance(labels, Mapping) else "samples")
    out: dict[str, Mapping[str, Any]] = {}
    for sample, entry in samples.items():
        if not isinstance(entry, Mapping):
            continue
        full = dict(entry)
        for key in ("immune_support", *PILLARS):
            value = entry.get(key)
            if isinstance(value, list):
                try:
                    full[key] = expanded(value, labels)
                except KeyError as exc:
                    raise FormatError(f"component {exc.args[0]!r} is not in \"components\"", path=path,
                                      field=f"samples.{sample}.{key}") from None
        out[str(sample)] = full
    return out
