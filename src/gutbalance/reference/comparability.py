"""Which reference a sample can be compared with: the same kind of input.

Richness, Shannon, GMHI, GMWI2 and the pillars all depend on what the
profiler can name and at which rank: mOTUs 3 names about a third more
species in a stool metagenome than MetaPhlAn 3, a Kraken report places reads
in a much larger database, and a genus-level 16S table counts genera.  A
percentile against a reference of another kind measures the profilers, not
the person.  So a percentile is given only against a healthy population of the sample's
*kind* (profiler family and ``diversity_rank``); the shipped reference holds
one population per kind it covers (mOTUs and MetaPhlAn, species level).  A
sample of a kind no population covers gets no percentile, and its warnings
say why.

MetaPhlAn 2, 3 and 4 count as one family.  They share the method (clade-
specific marker genes, relative abundances of the same species names for the
common gut species) and the GMHI/GMWI2 models were trained on MetaPhlAn 2
and are applied to all three.  The databases differ in how many species they
can name (mpa_v30 and vOct22 name more than mpa_v20), so richness of a
MetaPhlAn 4 sample against the MetaPhlAn 2 population reads somewhat high;
splitting the family would leave MetaPhlAn 3/4 users, the majority, with no
percentile at all until a healthy population of their database exists.

The rank of a sample's kind is its own resolution, the finest rank it
resolves (:func:`gutbalance.indices.resolution.diversity_rank` with
``auto``), whatever rank the run asked diversity at: ``analyze
--diversity-rank genus`` changes only the diversity columns, so a MetaPhlAn
species-level sample run so keeps its pillar, GMHI, GMWI2 and other
percentiles, exactly those of a default run.  In such a run the scores table
carries that rank in ``resolved_rank`` (``diversity_rank`` is then the rank
asked; :func:`kind_ranks`).  The diversity columns
(:data:`gutbalance.scores.DIVERSITY_COLUMNS`) are ranked only when the
sample's ``diversity_rank`` is the rank the population's diversity was
computed at (the rank of its kind); otherwise their percentiles are missing
and the warnings say why (:func:`diversity_rank_note`): genus richness
against a species richness distribution compares two ranks, not two people.

Profiler families are read from what the file says: the format
(``metaphlan``, ``kraken``, ``bracken``, ``motus``, ``sylph``, ``ganon``,
``kaiju``, ``kmcp``, ``mg-tk``, ``protal``, ``singlem``: :data:`_FAMILY_BY_FORMAT`) and,
for CAMI and tables, the database line (``motus``, ``mpa_v``).  A BIOM or CSV table that does not name its profiler
is of unknown kind: it is compared only with a population of such profiles at its rank (none in the shipped
reference; one a lab built with ``gutbalance reference build`` from its own tables), and its warnings then say
that such profiles compare like with like only when one pipeline made both (:data:`UNNAMED_CAVEAT`).

A results folder may lack the profiles (``analyze --reports none``, then
``gutbalance report DIR``; ``cohort.h5ad`` deleted), yet its pages must place
each sample against the population ``analyze`` placed it against.  So the
family is also read back from what the run saved about that sample alone
(:func:`saved_profiler`): the population its percentiles are against
(``percentiles_against`` in ``scores.json``), the note of a sample no
population covers (its ``warnings``), or the one healthy population of the
shipped reference that gives its saved ``*_percentile`` values.  The pages
get it in :data:`PROFILER_COLUMN`; a sample whose family none of these tells
gets no percentile, and the page says why.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..clade_nesting import WRITTEN_FROM, written_from_another_profiler
from ..scores import DIVERSITY_COLUMNS, parse_warnings
from ..scores_table import PERCENTILE_SUFFIX, RESOLVED_RANK_COLUMN

UNKNOWN = "unknown"
#: A sample of :data:`UNKNOWN` profiler in words: its file (a plain CSV or TSV
#: table, a BIOM table without a profiler in its metadata) does not say which
#: profiler made it, and none is guessed.  Outputs written before 2026-11-28
#: said "an unnamed profiler" (:data:`_UNNAMED_BEFORE`, still read back).
UNNAMED_PROFILER = "a profile whose file does not name its profiler"
#: :data:`UNNAMED_PROFILER` of several samples.
UNNAMED_PROFILERS = "profiles whose files do not name their profiler"
_UNNAMED_BEFORE = "an unnamed profiler"
#: The warning of a sample of :data:`UNKNOWN` profiler given percentiles against a population
#: of such profiles (a reference a lab built from its own tables): nothing checks that one
#: pipeline made both.
UNNAMED_CAVEAT = ("percentiles against profiles whose files, like this sample's, do not name their profiler: "
                  "they compare like with like only if one pipeline (profiler, database, settings) made both")
#: The column of the scores frame given to the pages (never of a saved table) with each
#: sample's profiler family as its run saved it (:func:`saved_profiler`; "" untold): the
#: kind of a sample whose profiles are not at hand.
PROFILER_COLUMN = "profiler"
#: A format that names its profiler (:mod:`gutbalance.io.formats`) -> the family.
#: Kraken 2, KrakenUniq and Bracken are one family (one database and k-mer
#: classification; Bracken re-estimates Kraken's reads); the others are each
#: their own method and database (sylph-tax's GTDB genomes, ganon's and KMCP's
#: reference genomes, Kaiju's proteins, MG-TK's, protal's and SingleM's marker genes).
_FAMILY_BY_FORMAT = {
    "metaphlan": "MetaPhlAn", "metaphlan-merged": "MetaPhlAn",
    "kraken": "Kraken", "kraken-mpa": "Kraken", "krakenuniq": "Kraken", "bracken": "Kraken",
    "motus": "mOTUs", "sylph": "sylph", "ganon": "ganon", "kaiju": "Kaiju", "kmcp": "KMCP",
    "mg-tk": "MG-TK", "protal": "protal", "singlem": "SingleM",
}
_FAMILY_BY_DATABASE = [
    (re.compile(r"motus", re.IGNORECASE), "mOTUs"),
    (re.compile(r"mpa_v|metaphlan|chocophlan", re.IGNORECASE), "MetaPhlAn"),
    (re.compile(r"kraken|bracken", re.IGNORECASE), "Kraken"),
]


def profiler_family(source_format: str, database: str) -> str:
    """The profiler family of one input ('MetaPhlAn', 'mOTUs', 'Kraken', 'sylph', ... or 'unknown').

    A MetaPhlAn-style file gutbalance wrote from another profiler's profile
    says which (``written_by_gutbalance_from_kraken``: Kraken; "mixed", or a
    format that names no profiler: unknown), whatever format read it.
    """
    if written_from_another_profiler(database):
        return _FAMILY_BY_FORMAT.get(str(database).removeprefix(WRITTEN_FROM).lower(), UNKNOWN)
    family = _FAMILY_BY_FORMAT.get(str(source_format or "").lower())
    if family:
        return family
    for pattern, name in _FAMILY_BY_DATABASE:
        if pattern.search(str(database or "")):
            return name
    return UNKNOWN


_METAPHLAN_VERSION = [
    (re.compile(r"mpa_v2|metaphlan ?2", re.IGNORECASE), "MetaPhlAn 2"),
    (re.compile(r"mpa_v3|metaphlan ?3", re.IGNORECASE), "MetaPhlAn 3"),
    (re.compile(r"mpa_v(jan21|oct22|jun23|4)|metaphlan ?4", re.IGNORECASE), "MetaPhlAn 4"),
]


def metaphlan_version(database: str) -> str:
    """'MetaPhlAn 2', '3' or '4' from a database line or profiler name ("" when it does not say)."""
    for pattern, name in _METAPHLAN_VERSION:
        if pattern.search(str(database or "")):
            return name
    return ""


def version_caveat(database: str, population_profiler: str) -> str:
    """A warning when a MetaPhlAn sample's version is not the population's
    (they count as one family, see the module docstring); "" otherwise."""
    mine, theirs = metaphlan_version(database), metaphlan_version(population_profiler)
    if not mine or not theirs or mine == theirs:
        return ""
    return (f"percentiles against {theirs} profiles, this sample is {mine}: the databases name "
            "different species, so read its percentiles as a rough guide")


def sample_kinds(samples: pd.DataFrame, rank: pd.Series) -> pd.DataFrame:
    """``profiler`` and ``rank`` of every sample (index like ``samples``)."""
    fmt = samples["source_format"] if "source_format" in samples else pd.Series("", index=samples.index)
    db = samples["database"] if "database" in samples else pd.Series("", index=samples.index)
    families = [profiler_family(f, d) for f, d in zip(fmt.fillna("").astype(str), db.fillna("").astype(str), strict=True)]
    return pd.DataFrame({"profiler": families, "rank": rank.reindex(samples.index).fillna("").astype(str)},
                        index=samples.index)


def kind_ranks(scores: pd.DataFrame) -> pd.Series:
    """The rank of each sample's kind of input: the finest rank it resolves,
    ``resolved_rank`` of a run with a fixed diversity rank, else its
    ``diversity_rank`` (the same rank in a default run); "" where none."""
    column = RESOLVED_RANK_COLUMN if RESOLVED_RANK_COLUMN in scores.columns else "diversity_rank"
    if column not in scores.columns:
        return pd.Series("", index=scores.index, dtype=object)
    return scores[column].fillna("").astype(str)


def diversity_rank_note(rank: str, kind: dict | None) -> str:
    """Why a sample whose diversity is at ``rank`` gets no diversity
    percentiles against a population of ``kind`` ("" when it gets them: the
    same rank, no diversity at all, or a population without a recorded kind)."""
    population_rank = str((kind or {}).get("rank") or "")
    if not rank or not population_rank or rank == population_rank:
        return ""
    return (f"diversity at {rank} rank; the healthy population's diversity is at {population_rank} rank: "
            f"no percentile for {', '.join(DIVERSITY_COLUMNS)}")


def describe(kind: dict | None) -> str:
    """A kind (``{"profiler", "rank"}``) in words, e.g. "metaphlan, species-level",
    or "a profile whose file does not name its profiler, genus-level" (:data:`UNNAMED_PROFILER`)."""
    if not kind:
        return "unknown kind"
    profiler = kind.get("profiler") or UNKNOWN
    rank = kind.get("rank") or "no"
    return f"{profiler if profiler != UNKNOWN else UNNAMED_PROFILER}, {rank}-level"


def describe_plural(kind: dict | None) -> str:
    """:func:`describe` of several samples of one kind, e.g. "profiles whose files do not
    name their profiler, species-level" (:data:`UNNAMED_PROFILERS`)."""
    return describe(kind).replace(UNNAMED_PROFILER, UNNAMED_PROFILERS)


def against_text(n_profiles: int, kind: dict | None, *, healthy: bool = True) -> str:
    """What a percentile is measured against, e.g. "539 healthy MetaPhlAn runs (species level)"
    (:attr:`gutbalance.reference.core.Population.against`; :func:`kind_from_against` reads it back)."""
    kind = kind or {}
    profiler = kind.get("profiler") or "reference"
    rank = f" ({kind['rank']} level)" if kind.get("rank") else ""
    healthy_ = "healthy " if healthy else ""
    if profiler == UNKNOWN:  # not "251 healthy unknown runs"
        return f"{n_profiles} {healthy_}{UNNAMED_PROFILERS}{rank}"
    return f"{n_profiles} {healthy_}{profiler} runs{rank}"


_AGAINST = re.compile(r"^\d+ (?:healthy )?(?P<profiler>.+) runs(?: \((?P<rank>[^()]+) level\))?$")
_AGAINST_UNNAMED = re.compile(rf"^\d+ (?:healthy )?{UNNAMED_PROFILERS}(?: \((?P<rank>[^()]+) level\))?$")
_KIND_OF_SAMPLE = re.compile(r", this sample is (?P<profiler>.+), (?P<rank>[^,]+)-level$")
_THIS_VERSION = re.compile(r"^percentiles against MetaPhlAn \d profiles, this sample is MetaPhlAn \d")


def kind_from_against(text: str) -> dict[str, str] | None:
    """The kind of the population :func:`against_text` wrote ``text`` for (None: a
    population without a kind, or not such a text).

    >>> kind_from_against("539 healthy MetaPhlAn runs (species level)")
    {'profiler': 'MetaPhlAn', 'rank': 'species'}
    """
    if match := _AGAINST_UNNAMED.match(str(text or "")):
        return {"profiler": UNKNOWN, "rank": match["rank"] or ""}
    match = _AGAINST.match(str(text or ""))  # also "... unknown runs ...", as written before 2026-11-28
    if match is None or match["profiler"] == "reference":
        return None
    return {"profiler": match["profiler"], "rank": match["rank"] or ""}


def saved_profiler(warnings: str, percentiles_against: str | None = None,
                   saved_percentiles: pd.Series | None = None, values: pd.Series | None = None,
                   rank: str = "", shipped=None) -> str:
    """One sample's profiler family from what its run saved ("" when none of it tells).

    In order: ``percentiles_against`` (its entry in ``scores.json``: the population
    it was compared with), its ``warnings`` (the note of a sample no population
    covers, which names its kind, or the MetaPhlAn version caveat), and the one
    healthy population of ``shipped`` (the reference ``analyze`` used) at the
    sample's ``rank`` whose percentiles of ``values`` are the
    ``saved_percentiles`` (``<score>_percentile`` -> value; those saved in
    ``scores.tsv``).  Everything comes from the sample's own row and entry.
    """
    kind = kind_from_against(percentiles_against or "")
    if kind:
        return kind["profiler"]
    for note in parse_warnings(warnings):
        if note.startswith("percentiles not comparable") and (match := _KIND_OF_SAMPLE.search(note)):
            return UNKNOWN if match["profiler"] in (UNNAMED_PROFILER, _UNNAMED_BEFORE) else match["profiler"]
        if _THIS_VERSION.match(note):
            return "MetaPhlAn"
    if shipped is None or saved_percentiles is None or values is None:
        return ""
    row = pd.concat([values.drop(saved_percentiles.index, errors="ignore"), saved_percentiles]).to_frame().T
    return str(_profilers_by_percentiles(row, list(saved_percentiles.index), [rank], shipped)[0])


def _profilers_by_percentiles(scores: pd.DataFrame, percentile_columns: list[str], ranks, shipped) -> np.ndarray:
    """For each row of ``scores``: the profiler of the one healthy population of
    ``shipped`` at the row's rank (``ranks``, in row order) whose percentiles of
    the row's scores are all its non-missing ``percentile_columns``; "" where
    no population or several profilers' do, or the row saved no percentile.
    Column by column over all rows at once (a distribution's percentiles are
    element-wise, so each row's answer is the one it gets alone)."""
    n = len(scores)
    saved = np.column_stack([pd.to_numeric(scores[c], errors="coerce").to_numpy(dtype=float)
                             for c in percentile_columns]) if percentile_columns else np.empty((n, 0))
    given = ~np.isnan(saved)
    rank = np.array([str(r) for r in ranks], dtype=object)
    matches: dict[str, np.ndarray] = {}
    for pop in shipped.healthy_populations:
        if not pop.kind:
            continue
        same = given.any(axis=1) & (rank == str(pop.kind.get("rank") or ""))
        for k, column in enumerate(percentile_columns):
            name = str(column).removesuffix(PERCENTILE_SUFFIX)
            dist = pop.distributions.get(name)
            if dist is None or name not in scores.columns:
                same &= ~given[:, k]
                continue
            values = pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype=float)
            close = np.isclose(dist.percentile(values), saved[:, k], rtol=0, atol=1e-9)
            same &= close | ~given[:, k]
        profiler = str(pop.kind.get("profiler") or "")
        matches[profiler] = matches.get(profiler, np.zeros(n, dtype=bool)) | same
    out = np.full(n, "", dtype=object)
    if matches:
        names = np.array(list(matches), dtype=object)
        table = np.column_stack(list(matches.values()))
        one = table.sum(axis=1) == 1
        out[one] = names[table[one].argmax(axis=1)]
    return out


def saved_profilers(scores: pd.DataFrame, contributions=None, shipped=None) -> pd.Series:
    """:func:`saved_profiler` of every sample of a saved scores table (read with
    its ``*_percentile`` columns), ``contributions`` its ``scores.json`` entries
    and ``shipped`` the reference ``analyze`` compared it with; "" where untold.
    The notes are read sample by sample, the saved percentiles for all samples
    at once."""
    entries = contributions or {}
    notes = scores["warnings"] if "warnings" in scores.columns else pd.Series("", index=scores.index)
    out = np.array([
        saved_profiler(str(note or ""), str((entries.get(sample) or {}).get("percentiles_against", "") or ""))
        for sample, note in zip(scores.index, notes, strict=True)
    ], dtype=object).reshape(len(scores))
    percentile_columns = [c for c in scores.columns if str(c).endswith(PERCENTILE_SUFFIX)]
    untold = out == ""
    if shipped is not None and percentile_columns and untold.any():
        rest = scores.loc[untold]
        out[untold] = _profilers_by_percentiles(rest, percentile_columns, kind_ranks(rest), shipped)
    return pd.Series(out, index=scores.index, dtype=object)


def not_comparable_notes(kinds: pd.DataFrame, reference, reference_label: str) -> list[str]:
    """One note per sample: "" when a population of ``reference`` (a
    :class:`~gutbalance.reference.core.Reference`, or the kind dict of a
    single population) is of its kind, else why not.  A reference without a
    kind (built before gutbalance recorded kinds) is compared with everything."""
    if reference is None or isinstance(reference, dict):
        reference_kinds = [reference] if reference else []
    else:
        reference_kinds = [p.kind for p in reference.healthy_populations] if reference.primary.kind else []
    if not reference_kinds:
        return [""] * len(kinds)
    wanted = {(k.get("profiler") or UNKNOWN, k.get("rank")) for k in reference_kinds if k}
    if any((k or {}).get("profiler", UNKNOWN) in ("", UNKNOWN) for k in reference_kinds):
        # not "is a profile whose file does not name its profiler, genus-level profiles"
        have = " or ".join(describe_plural(k) if (k or {}).get("profiler", UNKNOWN) in ("", UNKNOWN)
                           else f"{describe(k)} profiles" for k in reference_kinds)
    else:
        have = " or ".join(describe(k) for k in reference_kinds) + " profiles"
    notes = []
    for profiler, rank in kinds.itertuples(index=False):
        if (profiler or UNKNOWN, rank) in wanted:
            notes.append("")
        else:
            notes.append(
                f"percentiles not comparable: the {reference_label} is {have}, "
                f"this sample is {describe({'profiler': profiler, 'rank': rank})}"
            )
    return notes


def mask_rows(percentiles: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The percentile table with every row that has a note set to NaN."""
    bad = np.array([bool(n) for n in notes], dtype=bool)
    if bad.any():
        percentiles = percentiles.copy()
        percentiles.loc[bad, :] = np.nan
    return percentiles


# --- one sample of a scores table -----------------------------------------------------


def sample_kind(cohort, scores: pd.DataFrame, sample: str,
                samples: pd.DataFrame | None = None) -> dict[str, str] | None:
    """Profiler family and rank (:func:`kind_ranks`) of ``sample``: the family from
    its profiles (``source_format`` and ``database`` of ``cohort.samples`` or
    ``samples``) when they are at hand, else from :data:`PROFILER_COLUMN` of
    ``scores`` (what its run saved); None when neither tells."""
    return sample_kinds_of(cohort, scores.loc[[sample]], samples)[0]


def sample_kinds_of(cohort, scores: pd.DataFrame,
                    samples: pd.DataFrame | None = None) -> list[dict[str, str] | None]:
    """:func:`sample_kind` of every sample of ``scores``, in its order, in one pass
    over the table (each from its own row and its own profiles alone)."""
    if "diversity_rank" not in scores:
        return [None] * len(scores)
    ranks = kind_ranks(scores)
    table = samples if samples is not None else (cohort.samples if cohort is not None else None)
    profiled = (scores.index.isin(table.index) if table is not None and "source_format" in table.columns
                else np.zeros(len(scores), dtype=bool))
    kinds = sample_kinds(table.reindex(scores.index), ranks) if table is not None and profiled.any() else None
    saved = scores.get(PROFILER_COLUMN)
    warnings = scores.get("warnings")
    out: list[dict[str, str] | None] = []
    for i in range(len(scores)):
        if kinds is not None and profiled[i]:
            out.append({"profiler": str(kinds["profiler"].iat[i]), "rank": str(kinds["rank"].iat[i])})
            continue
        name = str(saved.iat[i] or "") if saved is not None else ""
        if not name and warnings is not None:
            name = saved_profiler(str(warnings.iat[i] or ""))
        out.append({"profiler": name, "rank": str(ranks.iat[i])} if name else None)
    return out


def sample_reference(cohort, scores: pd.DataFrame, sample: str, reference,
                     *, samples: pd.DataFrame | None = None):
    """``reference`` with the healthy population of the sample's kind as its primary."""
    if reference is None:
        return None
    kind = sample_kind(cohort, scores, sample, samples)
    return reference.for_kind(kind) if kind is not None else reference


def comparability_note(
    cohort, scores: pd.DataFrame, sample: str, reference,
    *, samples: pd.DataFrame | None = None,
) -> str:
    """Why ``sample`` has no percentiles against ``reference`` ("" when it has):
    a sample of a profiler family or rank that no healthy population of the
    reference covers (:mod:`gutbalance.reference.comparability`), or whose kind
    is not known (:func:`sample_kind`: neither its profiles nor what its run
    saved tell its profiler)."""
    if reference is None or not reference.primary.kind:
        return ""
    return kind_note(sample_kind(cohort, scores, sample, samples), reference)


def kind_note(kind: dict[str, str] | None, reference) -> str:
    """:func:`comparability_note` of a sample of ``kind`` (None: not known)."""
    if reference is None or not reference.primary.kind:
        return ""
    if kind is not None:
        kinds = pd.DataFrame([kind], columns=["profiler", "rank"])
        return not_comparable_notes(kinds, reference, f"reference ({reference.primary.label})")[0]
    # the primary population is not the sample's just because nothing says which is
    return (f"percentiles not comparable: the reference ({reference.primary.label}) is "
            f"{' or '.join(describe(p.kind) for p in reference.healthy_populations)} profiles, and which profiler "
            "made this sample is not known (its profiles, cohort.h5ad, are not at hand and its saved results do "
            "not say)")


def sample_diversity_note(
    cohort, scores: pd.DataFrame, sample: str, reference,
    *, samples: pd.DataFrame | None = None,
) -> str:
    """Why ``sample``'s diversity columns have no percentiles against
    ``reference`` although its other scores have (:func:`diversity_rank_note`;
    "" when they have, or when the sample has none at all): ``reference`` as
    :func:`sample_reference` gives it, seen from the sample's kind."""
    if reference is None or not reference.primary.kind or "diversity_rank" not in scores:
        return ""
    if comparability_note(cohort, scores, sample, reference, samples=samples):
        return ""
    rank = str(scores["diversity_rank"].reindex([sample]).fillna("").iloc[0])
    # comparable, so its kind is known and ``reference`` is seen from it
    return diversity_rank_note(rank, reference.primary.kind)
