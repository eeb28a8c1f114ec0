"""Reading and validating the knowledge-base tables (``knowledge/data/*.tsv``).

A row is one fact: ``taxon x trait = value``, with its evidence level and the
published source it comes from.  A row without a DOI/PMID source, with an
unknown trait, rank or evidence level, or with a source missing from the
bibliography is refused with :class:`~gutbalance.errors.KnowledgeBaseError`
(a :class:`~gutbalance.errors.DataTableError`) naming the file, line and column.  Nothing is silently dropped.  The tables
are read, and their citations checked, by :mod:`gutbalance.citations`, as
every cited table of gutbalance is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from importlib import resources
from pathlib import Path
from typing import ParamSpec, TypeVar

import pandas as pd

from ..citations import SOURCE_PATTERN, Citations, DataTable, read_data_table
from ..errors import DataTableError, KnowledgeBaseError
from ..taxonomy import canonical_name
from .schema import EVIDENCE_WEIGHT, HOSTS, KB_RANKS, TRAITS

FACT_COLUMNS = ("taxon", "rank", "ncbi_taxid", "trait", "value", "qualifier", "evidence", "source", "note",
                "host", "strain_specific", "effect", "curation")
CURATION_LEVELS = ("high", "medium", "low")
REQUIRED_COLUMNS = ("taxon", "rank", "trait", "value", "evidence", "source")
#: Columns a table may leave out; a table that has them fills them on every row.
EVIDENCE_COLUMNS = ("host", "strain_specific")
BIBLIOGRAPHY_FILE = "sources.tsv"
WEIGHTS_FILE = "evidence_weights.tsv"
#: Files in knowledge/data that are not facts tables.
NOT_FACTS = {BIBLIOGRAPHY_FILE, WEIGHTS_FILE}
#: How the weights table cites its values: the ``status`` column ("sourced" =
#: reported, or assumed), a doi:/pmid: when sourced.
WEIGHT_CITATIONS = Citations(evidence="status", host=None, levels=("reported", "assumed"))


@dataclass(frozen=True)
class Source:
    """One bibliography entry: ``doi:...``/``pmid:...`` id, short label, full citation."""

    id: str
    short: str
    citation: str


@dataclass
class KnowledgeBase:
    """All facts (one DataFrame row each) and the bibliography they cite."""

    facts: pd.DataFrame
    sources: dict[str, Source]
    files: tuple[str, ...] = ()
    _index: dict[tuple[str, str], list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], list[int]] = {}
        for pos, (rank, taxon) in enumerate(zip(self.facts["rank"], self.facts["taxon"], strict=True)):
            index.setdefault((rank, taxon), []).append(pos)
        self._index = index

    def rows(self, rank: str, taxon: str) -> pd.DataFrame:
        """The facts keyed at exactly this rank and canonical name."""
        return self.facts.iloc[self._index.get((rank, taxon), [])]

    def has(self, rank: str, taxon: str) -> bool:
        """Whether any fact is keyed at exactly this rank and canonical name."""
        return (rank, taxon) in self._index

    def taxa(self) -> set[tuple[str, str]]:
        """Every ``(rank, canonical name)`` the facts are keyed on."""
        return set(self._index)

    def __len__(self) -> int:
        return len(self.facts)


P = ParamSpec("P")
R = TypeVar("R")


def _knowledge_errors(read: Callable[P, R]) -> Callable[P, R]:
    """``read`` raising a bad table's :class:`DataTableError` (from :mod:`gutbalance.citations`
    or the checks here) as the :class:`KnowledgeBaseError` it is, with the same file, line and column."""

    @wraps(read)
    def reading(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return read(*args, **kwargs)
        except KnowledgeBaseError:
            raise
        except DataTableError as exc:
            raise KnowledgeBaseError(exc.message, path=exc.path, line=exc.line, column=exc.column) from exc

    return reading


def _data_dir():
    return resources.files("gutbalance.knowledge").joinpath("data")


@_knowledge_errors
def read_bibliography(text: str, origin: str = BIBLIOGRAPHY_FILE) -> dict[str, Source]:
    """Parse the bibliography (``id``, ``short``, ``citation``)."""
    table = read_data_table(origin, text=text, required=("id", "citation"))
    out: dict[str, Source] = {}
    for rec in table.rows:
        sid = str(rec["id"]).strip()
        citation = str(rec["citation"]).strip()
        line = int(rec["line"])
        if not SOURCE_PATTERN.match(sid):
            raise table.error(f"source id {sid!r} is not doi:... or pmid:...", line=line, column="id")
        if not citation:
            raise table.error(f"{sid} has no citation", line=line, column="citation")
        if sid in out:
            raise table.error(f"{sid} is listed twice", line=line, column="id")
        out[sid] = Source(sid, str(rec.get("short") or "").strip(), citation)
    return out


@_knowledge_errors
def read_facts(text: str, origin: str, sources: dict[str, Source] | None = None) -> pd.DataFrame:
    """Parse and validate one facts table; raise on the first bad row.

    Raises
    ------
    KnowledgeBaseError
        The first bad row, with the file, line (as an editor counts it,
        comments included) and column.
    """
    citations = Citations(
        levels=tuple(EVIDENCE_WEIGHT), bibliography=None if sources is None else frozenset(sources)
    )
    table = read_data_table(origin, text=text, required=REQUIRED_COLUMNS, citations=citations)
    required = [c for c in EVIDENCE_COLUMNS if c in table.columns]
    records = [_validate(rec, table, required) for rec in table.rows]
    return pd.DataFrame.from_records(records, columns=[*FACT_COLUMNS, "file", "line"])


def _validate(rec: dict, table: DataTable, required: list[str] | tuple[str, ...] = ()) -> dict:
    lineno = int(rec["line"])

    def fail(message: str, column: str) -> DataTableError:
        return table.error(f"{rec.get('taxon')!r} {rec.get('trait')!r}: {message}", line=lineno, column=column)

    taxon = (rec.get("taxon") or "").strip()
    rank = (rec.get("rank") or "").strip()
    trait = (rec.get("trait") or "").strip()
    evidence = (rec.get("evidence") or "").strip()
    source = (rec.get("source") or "").strip()
    qualifier = (rec.get("qualifier") or "").strip()
    if not taxon:
        raise fail("no taxon", "taxon")
    if rank not in KB_RANKS:
        raise fail(f"unknown rank {rank!r}; use one of {', '.join(KB_RANKS)}", "rank")
    if trait not in TRAITS:
        raise fail(f"unknown trait {trait!r}; see gutbalance.knowledge.TRAITS", "trait")
    try:
        value = float(rec.get("value") or "")
    except ValueError:
        raise fail(f"value {rec.get('value')!r} is not a number", "value") from None
    if qualifier:
        allowed = TRAITS[trait].qualifiers
        for part in qualifier.split(";"):
            key = part.split("=", 1)[0].strip()
            if "=" not in part or key not in allowed:
                raise fail(f"qualifier {part!r} not allowed for {trait} (keys: {', '.join(allowed) or 'none'})",
                           "qualifier")
    # evidence, source and host were checked by the citations (gutbalance.citations)
    host = str(rec.get("host") or "").strip()
    strain_specific = str(rec.get("strain_specific") or "").strip()
    for column in required:
        if not str(rec.get(column) or "").strip():
            raise fail(f"no {column}: this table records the host of the evidence and whether it is strain-specific"
                       " on every row", column)
    if strain_specific not in {"", "yes", "no"}:
        raise fail(f"strain_specific {strain_specific!r} must be yes or no", "strain_specific")
    curation = str(rec.get("curation") or "").strip()
    if curation and curation not in CURATION_LEVELS:
        raise fail(f"curation {curation!r} must be one of {', '.join(CURATION_LEVELS)}", "curation")
    current = canonical_name(rank, taxon)
    if current != taxon:
        raise fail(f"taxon is not the canonical name; write {current!r} (synonyms live in taxonomy/data/synonyms.tsv)",
                   "taxon")
    return {
        "taxon": taxon,
        "rank": rank,
        "ncbi_taxid": (rec.get("ncbi_taxid") or "").strip(),
        "trait": trait,
        "value": value,
        "qualifier": qualifier,
        "evidence": evidence,
        "source": source,
        "note": (rec.get("note") or "").strip(),
        "host": host,
        "strain_specific": strain_specific,
        "effect": (rec.get("effect") or "").strip(),
        "curation": curation,
        "file": table.path,
        "line": lineno,
    }


def load_tables(paths: Iterable[Path | str], bibliography: Path | str) -> KnowledgeBase:
    """Load a knowledge base from explicit files (tests, extensions)."""
    sources = read_bibliography(Path(bibliography).read_text("utf-8"), str(bibliography))
    frames = []
    names = []
    for path in paths:
        p = Path(path)
        frames.append(read_facts(p.read_text("utf-8"), p.name, sources))
        names.append(p.name)
    return _assemble(frames, sources, tuple(names))


def _assemble(frames: list[pd.DataFrame], sources: dict[str, Source], names: tuple[str, ...]) -> KnowledgeBase:
    frames = [f for f in frames if len(f)]
    facts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*FACT_COLUMNS, "file", "line"])
    facts["value"] = facts["value"].astype(float)
    return KnowledgeBase(facts=facts, sources=sources, files=names)


@lru_cache(maxsize=1)
def load_knowledge() -> KnowledgeBase:
    """The knowledge base shipped with gutbalance (validated, cached).

    Raises
    ------
    KnowledgeBaseError
        If any shipped row is unsourced or malformed (a packaging bug).
    """
    data = _data_dir()
    sources = read_bibliography(data.joinpath(BIBLIOGRAPHY_FILE).read_text("utf-8"))
    frames = []
    names = []
    for entry in sorted(data.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".tsv") and entry.name not in NOT_FACTS:
            frames.append(read_facts(entry.read_text("utf-8"), entry.name, sources))
            names.append(entry.name)
    return _assemble(frames, sources, tuple(names))


@dataclass(frozen=True)
class EvidenceWeights:
    """The factors of a call's weight (``data/evidence_weights.tsv``)."""

    evidence: dict[str, float]
    rank: dict[str, float]
    host: dict[str, float]
    strain: dict[str, float]
    curation: dict[str, float]


@_knowledge_errors
def read_evidence_weights(text: str, origin: str = WEIGHTS_FILE) -> EvidenceWeights:
    """Parse the weights table; every factor level must be present, sourced or assumed."""
    data = read_data_table(origin, text=text, required=("factor", "level", "weight"), citations=WEIGHT_CITATIONS)
    table: dict[str, dict[str, float]] = {"evidence": {}, "rank": {}, "host": {}, "strain": {}, "curation": {}}
    for rec in data.rows:
        line = int(rec["line"])
        factor, level = str(rec["factor"]).strip(), str(rec["level"]).strip()
        if factor not in table:
            raise data.error(f"unknown factor {factor!r}", line=line, column="factor")
        try:
            weight = float(rec["weight"] or "")
        except ValueError:
            raise data.error("weight is not a number", line=line, column="weight") from None
        if not 0.0 <= weight <= 1.0:
            raise data.error(f"weight {weight} outside 0..1", line=line, column="weight")
        table[factor][level] = weight
    expected = {"evidence": set(EVIDENCE_WEIGHT), "rank": set(KB_RANKS), "host": set(HOSTS), "strain": {"yes", "no"},
                "curation": set(CURATION_LEVELS)}
    for factor, levels in expected.items():
        missing = levels - set(table[factor])
        if missing:
            raise data.error(f"no weight for {factor} {', '.join(sorted(missing))}", column="level")
    return EvidenceWeights(**table)


@lru_cache(maxsize=1)
def evidence_weights() -> EvidenceWeights:
    """The shipped evidence weights (validated, cached)."""
    return read_evidence_weights(_data_dir().joinpath(WEIGHTS_FILE).read_text("utf-8"))
