"""Reference populations: per-score distributions, percentiles, and building
one from a labelled cohort.

A :class:`Reference` stores, for every score column that
:func:`gutbalance.scores.score` produced when it was built, the sorted values
of one score per profile of a reference population (or, for large published
populations, 101 quantiles).  The profiles are single sequencing runs, as a
user's sample is: an average of several runs of one person is smoother
(richer, more diverse) than any single run, so against averages a typical
single run lands far below the middle.  A population also records its
*kind* (profiler family and rank, :mod:`.comparability`); a sample of another
kind gets no percentile.  A sample's percentile is the share of the
reference population with a lower score, counting ties as half
(``scipy.stats.percentileofscore(kind="mean")``): 50 means "in the middle of
the reference people", it says nothing about good or bad on its own.

When the reference people were sequenced more than once (the Zeller et al.
2014 controls were sequenced in several runs each), the reference also stores
the *technical variation* of every score (see :mod:`.variation`), which the
timeline uses to tell real changes from measurement noise.

The shipped reference is derived by ``scripts/build_healthy_reference.py``;
re-run that script whenever the columns of the scores table change, so every
score has a distribution.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._version import __version__
from ..atomic import write_text_atomic
from ..cohort import Cohort
from ..errors import DataError, FormatError
from ..indices.resolution import diversity_rank
from ..scores import (
    DESCRIPTIVE_COLUMNS,
    DIVERSITY_COLUMNS,
    SEPARATOR,
    TRAIL_COLUMNS,
    WARNINGS_COLUMN,
    parse_warnings,
    score,
)
from ..scores_table import PERCENTILE_SUFFIX
from .comparability import (
    UNKNOWN,
    UNNAMED_CAVEAT,
    against_text,
    describe,
    describe_plural,
    diversity_rank_note,
    kind_ranks,
    not_comparable_notes,
    sample_kinds,
    version_caveat,
)
from .variation import TechnicalVariation, technical_variation

FORMAT_NAME = "gutbalance-reference"
FORMAT_VERSION = 1
#: Quantile levels stored for large populations (0, 1, ..., 100 %).
QUANTILE_LEVELS = np.linspace(0.0, 1.0, 101)
#: The quantiles reports draw of a distribution, by name and cumulative level: the box (p25-p75),
#: the median and the whiskers (p5-p95).
SUMMARY_QUANTILES = (("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95))


@dataclass(frozen=True)
class Distribution:
    """One score's values in a reference population.

    ``kind`` is ``"values"`` (every person's value, sorted) or
    ``"quantiles"`` (``values`` at the cumulative ``levels``, for large
    populations).  ``n`` is the number of people either way.
    """

    values: np.ndarray
    n: int
    kind: str = "values"
    levels: np.ndarray | None = None

    @classmethod
    def from_values(cls, values, *, as_quantiles: bool = False) -> Distribution:
        """A distribution of the finite ``values`` (NaN and infinities dropped), sorted.

        With ``as_quantiles`` only the 101 percentiles are kept (for large
        populations).  Raises :class:`DataError` when no value is finite.
        """
        arr = np.asarray(values, dtype=float)
        arr = np.sort(arr[np.isfinite(arr)])
        if not len(arr):
            raise DataError("a reference distribution needs at least one finite value")
        if as_quantiles:
            return cls(np.quantile(arr, QUANTILE_LEVELS), n=len(arr), kind="quantiles", levels=QUANTILE_LEVELS.copy())
        return cls(arr, n=len(arr))

    def percentile(self, x) -> np.ndarray:
        """Percent of the reference below ``x`` (ties count half); NaN stays NaN."""
        x = np.asarray(x, dtype=float)
        out = np.full(x.shape, np.nan)
        ok = np.isfinite(x)
        if self.kind == "values":
            below = np.searchsorted(self.values, x[ok], side="left")
            upto = np.searchsorted(self.values, x[ok], side="right")
            out[ok] = 100.0 * (below + upto) / (2.0 * self.n)
        else:
            # Duplicate quantile values (many zeros, say) would make the
            # interpolation ill-defined: give each distinct value the middle of
            # its run of levels, which is the "ties count half" rule again.
            uniq, inverse = np.unique(self.values, return_inverse=True)
            levels = np.asarray(self.levels, dtype=float)
            mid = np.array([levels[inverse == k].mean() for k in range(len(uniq))])
            out[ok] = 100.0 * np.interp(x[ok], uniq, mid, left=0.0, right=1.0)
        return out

    def quantile(self, q: float) -> float:
        """The value at cumulative level ``q`` (0-1), interpolated linearly between the stored values."""
        if self.kind == "values":
            return float(np.quantile(self.values, q))
        return float(np.interp(q, np.asarray(self.levels, dtype=float), self.values))

    @cached_property
    def summary(self) -> dict[str, float]:
        """p5, p25, p50, p75, p95 (:data:`SUMMARY_QUANTILES`), computed once: every page of a cohort draws them."""
        return {k: self.quantile(q) for k, q in SUMMARY_QUANTILES}

    def to_json(self) -> dict[str, Any]:
        """The JSON form (values rounded to 12 significant digits) :meth:`from_json` reads back."""
        out: dict[str, Any] = {"kind": self.kind, "n": self.n, "values": [_round(v) for v in self.values]}
        if self.levels is not None:
            out["levels"] = [_round(v) for v in self.levels]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Distribution:
        """A Distribution from its JSON form.

        ValueError when ``kind`` is unknown or the quantile levels do not match the values.
        """
        kind = data.get("kind", "values")
        values = np.asarray(data["values"], dtype=float)
        levels = None if data.get("levels") is None else np.asarray(data["levels"], dtype=float)
        if kind not in ("values", "quantiles") or (kind == "quantiles" and (levels is None or len(levels) != len(values))):
            raise ValueError(f"bad distribution kind {kind!r}")
        return cls(values, n=int(data.get("n", len(values))), kind=kind, levels=levels)


@dataclass
class Population:
    """A group of people and the distributions of their scores."""

    name: str
    label: str
    description: str
    source: str
    n_people: int
    distributions: dict[str, Distribution]
    #: Is this population chosen as healthy?  (Context populations mix
    #: healthy and non-healthy people and are shown, not used for percentiles.)
    healthy: bool = True
    characteristics: dict[str, Any] = field(default_factory=dict)
    #: ``{"profiler": ..., "rank": ...}`` of the profiles, or None (any kind).
    kind: dict[str, str] | None = None
    #: Run-to-run variation of every score within this population's people
    #: (for an extra population; the primary's is ``Reference.variation``).
    variation: dict[str, TechnicalVariation] = field(default_factory=dict)

    @property
    def n_profiles(self) -> int:
        """Number of profiles behind the distributions (``characteristics["n_profiles"]``, else one per person)."""
        return int(self.characteristics.get("n_profiles", self.n_people))

    @property
    def against(self) -> str:
        """What a percentile is measured against, e.g. "539 healthy MetaPhlAn runs (species level)"."""
        return against_text(self.n_profiles, self.kind, healthy=self.healthy)

    def to_json(self) -> dict[str, Any]:
        """The JSON form of the population, its distributions and technical variation."""
        out = {
            "label": self.label,
            "kind": self.kind,
            "description": self.description,
            "source": self.source,
            "n_people": self.n_people,
            "healthy": self.healthy,
            "characteristics": self.characteristics,
            "distributions": {k: d.to_json() for k, d in self.distributions.items()},
        }
        if self.variation:
            out["technical_variation"] = {k: v.to_json() for k, v in self.variation.items()}
        return out

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> Population:
        """A Population named ``name`` from its JSON form."""
        return cls(
            name=name,
            label=data.get("label", name),
            description=data.get("description", ""),
            source=data.get("source", ""),
            n_people=int(data.get("n_people", 0)),
            healthy=bool(data.get("healthy", True)),
            characteristics=dict(data.get("characteristics", {})),
            distributions={k: Distribution.from_json(v) for k, v in data.get("distributions", {}).items()},
            kind=dict(data["kind"]) if data.get("kind") else None,
            variation={k: TechnicalVariation.from_json(v) for k, v in data.get("technical_variation", {}).items()},
        )


@dataclass
class Reference:
    """A reference population for percentiles, plus optional context
    populations and the technical variation of every score.

    ``primary`` gives the percentiles; ``populations`` are further healthy
    populations of other kinds of input (profiler family and rank): a sample
    gets its percentiles from the population of its own kind
    (:meth:`for_kind`), the primary being one of them.  ``context``
    populations (for example the 5,026 GMHI-webtool metagenomes, healthy and
    non-healthy mixed) are drawn in reports for orientation only.
    """

    name: str
    description: str
    primary: Population
    context: dict[str, Population] = field(default_factory=dict)
    variation: dict[str, TechnicalVariation] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    populations: dict[str, Population] = field(default_factory=dict)

    @property
    def scores(self) -> list[str]:
        """The scores the primary population has a distribution for."""
        return list(self.primary.distributions)

    @property
    def healthy_populations(self) -> list[Population]:
        """The primary and every further population percentiles may use."""
        return [self.primary, *self.populations.values()]

    def population_for(self, kind: Mapping[str, str] | None) -> Population | None:
        """The population of this kind of input, or None.  A reference whose
        primary has no kind (built before kinds were recorded) serves every kind."""
        if not self.primary.kind:
            return self.primary
        if not kind:
            return None
        # profiles that name no profiler find only a population of such profiles: one a lab
        # built from its own tables (the shipped reference has none), with a caveat (unnamed_caveat)
        want = (kind.get("profiler") or UNKNOWN, kind.get("rank"))
        for pop in self.healthy_populations:
            if pop.kind and (pop.kind.get("profiler") or UNKNOWN, pop.kind.get("rank")) == want:
                return pop
        return None

    def for_kind(self, kind: Mapping[str, str] | None) -> Reference:
        """This reference seen from a sample of ``kind``: its population is
        the primary (with its technical variation); unchanged when no
        population is of that kind."""
        pop = self.population_for(kind)
        if pop is None or pop is self.primary:
            return self
        others = {k: p for k, p in self.populations.items() if p is not pop}
        others[self.primary.name] = self.primary
        return replace(self, primary=pop, populations=others, variation=pop.variation)

    def kinds_text(self) -> str:
        """The kinds of input (profiler, rank) of the healthy populations, in words, joined by "; "."""
        return "; ".join(describe(p.kind) for p in self.healthy_populations)

    def distribution(self, score: str) -> Distribution | None:
        """The primary population's distribution of ``score``, or None when it has none."""
        return self.primary.distributions.get(score)

    def percentiles(self, scores: pd.DataFrame) -> pd.DataFrame:
        """``<score>_percentile`` for every score column this reference knows."""
        cols = {}
        for name in scores.columns:
            dist = self.primary.distributions.get(str(name))
            if dist is None or not _is_score(scores[name]):
                continue
            cols[f"{name}{PERCENTILE_SUFFIX}"] = dist.percentile(scores[name].to_numpy(dtype=float))
        return pd.DataFrame(cols, index=scores.index)

    # --- persistence -----------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The reference file's JSON form (``format`` and ``version`` first)."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "provenance": self.provenance,
            "primary": {"name": self.primary.name, **self.primary.to_json()},
            "populations": {k: p.to_json() for k, p in self.populations.items()},
            "context": {k: p.to_json() for k, p in self.context.items()},
            "technical_variation": {k: v.to_json() for k, v in self.variation.items()},
        }

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the reference as JSON to ``path`` atomically; return the path written."""
        text = json.dumps(self.to_json(), indent=1, sort_keys=False, allow_nan=False)
        return write_text_atomic(text + "\n", Path(path))

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, path: str | None = None) -> Reference:
        """A Reference from the JSON form of a reference file.

        Raises :class:`FormatError` (with ``path``) when the data is not a
        reference file, is of a newer format version, or is broken.
        """
        if data.get("format") != FORMAT_NAME:
            raise FormatError(f"not a {FORMAT_NAME} file", path=path)
        if int(data.get("version", 0)) > FORMAT_VERSION:
            raise FormatError(f"reference format version {data.get('version')} is newer than this gutbalance reads", path=path)
        try:
            primary_data = dict(data["primary"])
            primary = Population.from_json(primary_data.pop("name", "primary"), primary_data)
            context = {k: Population.from_json(k, v) for k, v in data.get("context", {}).items()}
            populations = {k: Population.from_json(k, v) for k, v in data.get("populations", {}).items()}
            variation = {k: TechnicalVariation.from_json(v) for k, v in data.get("technical_variation", {}).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"broken reference file: {exc}", path=path) from None
        return cls(
            name=str(data.get("name", "")),
            description=str(data.get("description", "")),
            primary=primary,
            context=context,
            variation=variation,
            provenance=dict(data.get("provenance", {})),
            populations=populations,
        )

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Reference:
        """Read a reference file; :class:`FormatError` naming the file (and line, for broken JSON) when it cannot."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise FormatError(f"cannot read reference: {exc.strerror or exc}", path=path) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"not JSON ({exc.msg})", path=path, line=exc.lineno) from None
        if not isinstance(data, dict):
            raise FormatError(f"not a {FORMAT_NAME} file", path=path)
        return cls.from_json(data, path=str(path))


def _is_score(column: pd.Series) -> bool:
    """A numeric score column (flags such as ``stool_like`` are not scores)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _round(value: float) -> float:
    """12 significant digits: exact enough for percentiles, half the file size."""
    v = float(value)
    if not math.isfinite(v):
        raise DataError("reference values must be finite")
    return float(f"{v:.12g}")


# --- the shipped reference -----------------------------------------------------

DEFAULT_REFERENCE = "healthy_reference.json"
_cache: dict[str, Reference] = {}


def default_reference_path() -> Path:
    """The healthy reference shipped with the package (see docs/reports.md)."""
    return Path(str(resources.files("gutbalance.reference").joinpath("data", DEFAULT_REFERENCE)))


def load_reference(path: str | PathLike[str] | None = None) -> Reference:
    """Load a reference file, or the shipped healthy reference when ``path`` is None."""
    key = str(path) if path is not None else ""
    if key not in _cache:
        _cache[key] = Reference.load(path if path is not None else default_reference_path())
    return _cache[key]


def percentiles(scores: pd.DataFrame, reference: Reference | str | PathLike[str] | None = None) -> pd.DataFrame:
    """Percentiles of every score against a reference population.

    Parameters
    ----------
    scores
        The scores table (index ``sample``), as :func:`gutbalance.scores.score` returns it.
    reference
        A :class:`Reference`, a path to a reference file, or None for the
        shipped healthy reference.

    Returns
    -------
    DataFrame
        Same index; one ``<score>_percentile`` column (0-100) for each score
        the reference has a distribution for.  Scores the reference does not
        know get no column; missing values stay NaN.
    """
    ref = reference if isinstance(reference, Reference) else load_reference(reference)
    return ref.percentiles(scores)


def comparable_percentiles(
    scores: pd.DataFrame,
    cohort_or_samples: Cohort | pd.DataFrame,
    rank: pd.Series,
    reference: Reference | str | PathLike[str] | None = None,
    *,
    diversity_rank: pd.Series | None = None,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Percentiles of every sample against the healthy population of its own
    kind of input (profiler family and ``rank``, the finest rank the sample
    resolves: :func:`.comparability.kind_ranks`).

    ``diversity_rank``: the rank each sample's diversity columns
    (:data:`gutbalance.scores.DIVERSITY_COLUMNS`) were computed at (None: at
    ``rank``, as in a default run); where it is not the rank of the
    population's kind, those percentiles are NaN and the note says why.

    Returns the percentile table (all NaN for a sample of a kind no
    population covers), one note per sample for its warnings (why it has no
    percentile, a caveat such as a MetaPhlAn version other than the
    population's, why its diversity has none, or "", several joined by
    " | ", see :mod:`.comparability`) and what each sample was compared
    with (:attr:`Population.against`, "" when nothing).  A sample's row
    depends on its own kind and ranks alone.
    """
    ref = reference if isinstance(reference, Reference) else load_reference(reference)
    samples = cohort_or_samples.samples if isinstance(cohort_or_samples, Cohort) else cohort_or_samples
    kinds = sample_kinds(samples.reindex(scores.index), rank.reindex(scores.index))
    at = (rank if diversity_rank is None else diversity_rank).reindex(scores.index).fillna("").astype(str)
    known = {k for pop in ref.healthy_populations for k in pop.distributions}
    scored = [c for c in scores.columns if str(c) in known and _is_score(scores[c])]
    columns = [f"{c}{PERCENTILE_SUFFIX}" for c in scored]
    table = pd.DataFrame(np.nan, index=scores.index, columns=columns, dtype=float)
    notes = [""] * len(scores)
    against = [""] * len(scores)
    for group, rows in kinds.groupby(["profiler", "rank"], sort=False).indices.items():
        profiler, rank_name = cast("tuple[str, str]", group)  # the two text columns of sample_kinds
        kind = {"profiler": str(profiler), "rank": str(rank_name)}
        pop = ref.population_for(kind)
        if pop is None:
            note = not_comparable_notes(kinds.iloc[rows[:1]], ref, f"reference ({ref.primary.label})")[0]
            for i in rows:
                notes[i] = note
            continue
        ranked = ref.for_kind(kind).percentiles(scores.iloc[rows])
        for col in ranked.columns:
            if col in table.columns:
                table.iloc[rows, int(table.columns.get_indexer(pd.Index([col]))[0])] = ranked[col].to_numpy(dtype=float)
        databases = samples["database"].reindex(scores.index) if "database" in samples else None
        diversity = table.columns.get_indexer(pd.Index([f"{c}{PERCENTILE_SUFFIX}" for c in DIVERSITY_COLUMNS]))
        diversity = diversity[diversity >= 0]
        for i in rows:
            against[i] = pop.against
            said = []
            if databases is not None and str(profiler) == "MetaPhlAn":
                said.append(version_caveat(str(databases.iat[i] or ""), str(pop.characteristics.get("profiler", ""))))
            if str(profiler) == UNKNOWN:
                said.append(UNNAMED_CAVEAT)
            # diversity at another rank than the population's is not ranked against it
            other_rank = diversity_rank_note(str(at.iat[i]), pop.kind)
            if other_rank:
                table.iloc[i, diversity] = np.nan
                said.append(other_rank)
            notes[i] = SEPARATOR.join(n for n in said if n)
    # A sample with no score at all (an empty column of a merged table) has
    # nothing a percentile could rank: its own warning says why, and "percentiles
    # not comparable ... no-level" beside it only sent the reader looking for a
    # profiler problem (a left-alone item of 2026-11-29)
    if scored:
        for i in np.flatnonzero(scores[scored].apply(pd.to_numeric, errors="coerce").isna().all(axis=1).to_numpy()):
            notes[int(i)] = ""
            against[int(i)] = ""
    return table, notes, against


def with_percentiles(
    scores: pd.DataFrame, cohort: Cohort | pd.DataFrame, *, reference: Reference | str | PathLike[str] | None = None
) -> pd.DataFrame:
    """The scores table with a ``<score>_percentile`` column per score,
    against the healthy population of each sample's kind of input.

    Parameters
    ----------
    scores
        :func:`gutbalance.scores.score` of ``cohort``.
    cohort
        The Cohort that was scored (or its ``samples`` table): which profiler
        and database made each sample decides its population.
    reference
        A :class:`Reference`, a path to a reference file, or None for the
        shipped healthy reference.

    Returns
    -------
    DataFrame
        The percentile columns follow the numbers, before the text columns
        (the layout of ``scores.tsv``); a sample of a kind no population
        covers gets NaN percentiles and a warning saying why, and a MetaPhlAn
        sample of another version than the population's a caveat.
    """
    return with_percentiles_explained(scores, {}, cohort, reference=reference)[0]


def with_percentiles_explained(
    scores: pd.DataFrame,
    contributions: Mapping[str, dict],
    cohort: Cohort | pd.DataFrame,
    *,
    reference: Reference | str | PathLike[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """:func:`with_percentiles`, and the same for the explanations of
    :func:`gutbalance.scores.score_with_contributions`: each sample's entry
    gets ``percentiles_against`` (the population it is compared with, ""
    when none) after its ``warnings``, which gain the same note as the table.
    Returns new objects; ``scores`` and ``contributions`` are unchanged.
    """
    done = [c for c in scores.columns if str(c).endswith(PERCENTILE_SUFFIX)]
    if done:
        raise DataError(f"the scores already have percentiles ({', '.join(map(str, done[:3]))})")
    text = [c for c in TRAIL_COLUMNS if c in scores.columns]
    numbers = scores.drop(columns=text)
    ranked, notes, against = comparable_percentiles(numbers, cohort, kind_ranks(scores), reference,
                                                    diversity_rank=scores["diversity_rank"])
    table = pd.concat([numbers, ranked, scores[text]], axis=1)
    table[WARNINGS_COLUMN] = [
        f"{w}{SEPARATOR}{note}" if w and note else (w or note)
        for w, note in zip(scores[WARNINGS_COLUMN], notes, strict=True)
    ]
    explained: dict[str, dict] = dict(contributions)
    for sample, note, population in zip(scores.index, notes, against, strict=True):
        entry = contributions.get(sample)
        if entry is None:
            continue
        out: dict = {}
        for key, value in entry.items():
            if key == "warnings":
                out[key] = [*value, *parse_warnings(note)] if note else value
                # the healthy population its percentiles are against ("" = none of its kind)
                out["percentiles_against"] = population
            else:
                out[key] = value
        explained[sample] = out
    return table, explained


def cohort_kind(cohort: Cohort) -> dict[str, str] | None:
    """The kind (profiler family, diversity rank) shared by every sample of a
    cohort, or None when they differ."""
    kinds = sample_kinds(cohort.samples, diversity_rank(cohort)).drop_duplicates()
    if len(kinds) != 1:
        return None
    profiler, rank = kinds.iloc[0]
    return {"profiler": str(profiler), "rank": str(rank)}


# --- building a reference ---------------------------------------------------------


def merge_repeated_samples(cohort: Cohort, subjects: pd.Series) -> Cohort:
    """One profile per subject: the mean of that subject's profiles.

    Used when a person was sequenced in several runs: the mean of the runs'
    relative abundances stands for the whole sample (runs weighted equally,
    since relative profiles do not say how many reads each run had).
    """
    subjects = subjects.reindex(cohort.samples.index)
    if subjects.isna().any() or (subjects.astype(str) == "").any():
        missing = subjects.index[subjects.isna() | (subjects.astype(str) == "")][:5]
        raise DataError(f"no subject for samples: {', '.join(map(str, missing))}")
    labels = subjects.astype(str).to_numpy()
    order = pd.unique(labels)
    pos = {s: i for i, s in enumerate(order)}
    rows = np.array([pos[s] for s in labels])
    counts = np.bincount(rows, minlength=len(order)).astype(float)
    averaging = sp.csr_matrix((1.0 / counts[rows], (rows, np.arange(len(labels)))), shape=(len(order), len(labels)))
    X = averaging @ cohort.X
    unassigned = averaging @ cohort.samples["unassigned"].to_numpy(dtype=float)
    samples = pd.DataFrame({"unassigned": unassigned, "n_runs": counts.astype(int)}, index=pd.Index(order, name="sample"))
    return Cohort(X, samples=samples, taxa=cohort.taxa)


def _scores_only(table: pd.DataFrame) -> pd.DataFrame:
    """The score columns: those that describe the input (``placed``) get no distribution."""
    return table.drop(columns=[c for c in table.columns if c in DESCRIPTIVE_COLUMNS])


def build_reference(
    cohort: Cohort,
    *,
    name: str,
    description: str,
    source: str,
    subjects: pd.Series | None = None,
    label: str | None = None,
    characteristics: Mapping[str, Any] | None = None,
    score_function=None,
    repeats: str = "runs",
) -> Reference:
    """Build a reference from the cohort of reference people.

    Parameters
    ----------
    cohort
        Only the reference people's samples (select them first, for example
        with ``--group diagnosis=control``).
    name, description, source
        What the population is and where the data come from (shown in reports).
    subjects
        Subject of every sample, when people were sequenced more than once:
        every run stays one profile of the distributions (a user's sample is
        one run too), and the spread between a person's runs gives the
        technical variation of every score.  The cohort must be one kind of
        input (:func:`cohort_kind`); the reference records it.
    score_function
        The scoring function (default :func:`gutbalance.scores.score`).
    repeats
        What a person's several profiles are: ``runs`` (sequencing runs of
        one sample: technical variation) or ``samples`` (stool samples of
        other days: their own variation too); see :func:`technical_variation`.
    """
    if score_function is None:
        score_function = score
    if cohort.n_samples < 2:
        raise DataError("a reference population needs at least 2 samples")
    kind = cohort_kind(cohort)
    if kind is None:
        kinds = sample_kinds(cohort.samples, diversity_rank(cohort)).value_counts()
        counted = cast("Iterable[tuple[tuple[str, str], int]]", kinds.items())  # (profiler, rank) -> samples
        listed = " and ".join(f"{describe_plural({'profiler': p, 'rank': r})} ({n})" for (p, r), n in counted)
        raise DataError(
            "a reference must be one kind of input (one profiler family at one rank), "
            f"so its percentiles compare like with like; these samples are {listed}: build one reference "
            "per kind, from that kind's files"
        )
    # Every run is one profile of the distribution, as a user's sample is one run.
    table = _scores_only(score_function(cohort))
    variation: dict[str, TechnicalVariation] = {}
    if subjects is not None:
        variation = technical_variation(table, subjects.reindex(table.index), repeats=repeats)
    distributions = {}
    for col in table.columns:
        if str(col).endswith(PERCENTILE_SUFFIX):
            continue
        if _is_score(table[col]) and table[col].notna().any():
            distributions[str(col)] = Distribution.from_values(table[col].to_numpy(dtype=float))
    n_people = int(subjects.reindex(table.index).nunique()) if subjects is not None else cohort.n_samples
    population = Population(
        name=name,
        label=label or name,
        description=description,
        source=source,
        n_people=n_people,
        distributions=distributions,
        healthy=True,
        characteristics={"n_profiles": cohort.n_samples, **dict(characteristics or {})},
        kind=kind,
    )
    return Reference(
        name=name,
        description=description,
        primary=population,
        variation=variation,
        provenance={"gutbalance": __version__, "score_columns": [str(c) for c in table.columns]},
    )
