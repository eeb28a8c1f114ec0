"""Reading and validating the knowledge-base tables (``knowledge/data/*.tsv``).

A row is one fact: ``taxon x trait = value``, with its evidence level and the
published source it comes from.  A row without a DOI/PMID source, with an
unknown trait, rank or evidence level, or with a source missing from the
bibliography is refused with :class:`~gutbalance.errors.KnowledgeBaseError`
naming the file and line.  Nothing is silently dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import KnowledgeBaseError
from ..taxonomy import canonical_name
from .schema import EVIDENCE_WEIGHT, HOSTS, KB_RANKS, TRAITS

FACT_COLUMNS = ("taxon", "rank", "ncbi_taxid", "trait", "value", "qualifier", "evidence", "source", "note",
                "host", "strain_specific", "effect", "curation")
CURATION_LEVELS = ("high", "medium", "low")
REQUIRED_COLUMNS = ("taxon", "rank", "trait", "value", "evidence", "source")
#: Columns a table may leave out; a table that has them fills them on every row.
EVIDENCE_COLUMNS = ("host", "strain_specific")
SOURCE_PATTERN = re.compile(r"^(doi:10\.\d{4,9}/\S+|pmid:\d+)$")
BIBLIOGRAPHY_FILE = "sources.tsv"
WEIGHTS_FILE = "evidence_weights.tsv"
#: Files in knowledge/data that are not facts tables.
NOT_FACTS = {BIBLIOGRAPHY_FILE, WEIGHTS_FILE}


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


def _data_dir():
    return resources.files("gutbalance.knowledge").joinpath("data")


def read_bibliography(text: str, origin: str = BIBLIOGRAPHY_FILE) -> dict[str, Source]:
    """Parse the bibliography (``id``, ``short``, ``citation``)."""
    out: dict[str, Source] = {}
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for lineno, rec in enumerate(csv.DictReader(lines, delimiter="\t"), start=2):
        sid = (rec.get("id") or "").strip()
        citation = (rec.get("citation") or "").strip()
        if not SOURCE_PATTERN.match(sid):
            raise KnowledgeBaseError(f"{origin}: line {lineno}: source id {sid!r} is not doi:... or pmid:...")
        if not citation:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: {sid} has no citation")
        if sid in out:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: {sid} is listed twice")
        out[sid] = Source(sid, (rec.get("short") or "").strip(), citation)
    return out


def read_facts(text: str, origin: str, sources: dict[str, Source] | None = None) -> pd.DataFrame:
    """Parse and validate one facts table; raise on the first bad row."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return pd.DataFrame(columns=[*FACT_COLUMNS, "file", "line"])
    header = lines[0].split("\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise KnowledgeBaseError(f"{origin}: header lacks column(s) {', '.join(missing)}")
    required = [c for c in EVIDENCE_COLUMNS if c in header]
    records = []
    # Line numbers count only the non-comment lines (header = 1): comments
    # carry provenance and move, so we report the data line and the row itself.
    for lineno, rec in enumerate(csv.DictReader(lines, delimiter="\t"), start=2):
        records.append(_validate(rec, origin, lineno, sources, required))
    return pd.DataFrame.from_records(records, columns=[*FACT_COLUMNS, "file", "line"])


def _validate(rec: dict, origin: str, lineno: int, sources: dict[str, Source] | None,
              required: list[str] | tuple[str, ...] = ()) -> dict:
    def fail(message: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"{origin}: data line {lineno} ({rec.get('taxon')!r} {rec.get('trait')!r}): {message}")

    taxon = (rec.get("taxon") or "").strip()
    rank = (rec.get("rank") or "").strip()
    trait = (rec.get("trait") or "").strip()
    evidence = (rec.get("evidence") or "").strip()
    source = (rec.get("source") or "").strip()
    qualifier = (rec.get("qualifier") or "").strip()
    if not taxon:
        raise fail("no taxon")
    if rank not in KB_RANKS:
        raise fail(f"unknown rank {rank!r}; use one of {', '.join(KB_RANKS)}")
    if trait not in TRAITS:
        raise fail(f"unknown trait {trait!r}; see gutbalance.knowledge.TRAITS")
    if evidence not in EVIDENCE_WEIGHT:
        raise fail(f"unknown evidence level {evidence!r}; use one of {', '.join(EVIDENCE_WEIGHT)}")
    if not source:
        raise fail("no source: every fact needs a doi: or pmid: source")
    if not SOURCE_PATTERN.match(source):
        raise fail(f"source {source!r} is not doi:10.xxxx/... or pmid:NNNN")
    if sources is not None and source not in sources:
        raise fail(f"source {source} is not in the bibliography ({BIBLIOGRAPHY_FILE})")
    try:
        value = float(rec.get("value") or "")
    except ValueError:
        raise fail(f"value {rec.get('value')!r} is not a number") from None
    if qualifier:
        allowed = TRAITS[trait].qualifiers
        for part in qualifier.split(";"):
            key = part.split("=", 1)[0].strip()
            if "=" not in part or key not in allowed:
                raise fail(f"qualifier {part!r} not allowed for {trait} (keys: {', '.join(allowed) or 'none'})")
    host = (rec.get("host") or "").strip()
    strain_specific = (rec.get("strain_specific") or "").strip()
    for column in required:
        if not (rec.get(column) or "").strip():
            raise fail(f"no {column}: this table records the host of the evidence and whether it is strain-specific"
                       " on every row")
    if host and host not in HOSTS:
        raise fail(f"unknown host {host!r}; use one of {', '.join(HOSTS)}")
    if strain_specific not in {"", "yes", "no"}:
        raise fail(f"strain_specific {strain_specific!r} must be yes or no")
    curation = (rec.get("curation") or "").strip()
    if curation and curation not in CURATION_LEVELS:
        raise fail(f"curation {curation!r} must be one of {', '.join(CURATION_LEVELS)}")
    current = canonical_name(rank, taxon)
    if current != taxon:
        raise fail(f"taxon is not the canonical name; write {current!r} (synonyms live in taxonomy/data/synonyms.tsv)")
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
        "file": origin,
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


def read_evidence_weights(text: str, origin: str = WEIGHTS_FILE) -> EvidenceWeights:
    """Parse the weights table; every factor level must be present, sourced or assumed."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table: dict[str, dict[str, float]] = {"evidence": {}, "rank": {}, "host": {}, "strain": {}, "curation": {}}
    for lineno, rec in enumerate(csv.DictReader(lines, delimiter="\t"), start=2):
        factor, level = (rec.get("factor") or "").strip(), (rec.get("level") or "").strip()
        status, source = (rec.get("status") or "").strip(), (rec.get("source") or "").strip()
        if factor not in table:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: unknown factor {factor!r}")
        if status not in {"sourced", "assumed"}:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: status must be sourced or assumed")
        if status == "sourced" and not SOURCE_PATTERN.match(source):
            raise KnowledgeBaseError(f"{origin}: line {lineno}: a sourced weight needs a doi: or pmid: source")
        try:
            weight = float(rec.get("weight") or "")
        except ValueError:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: weight is not a number") from None
        if not 0.0 <= weight <= 1.0:
            raise KnowledgeBaseError(f"{origin}: line {lineno}: weight {weight} outside 0..1")
        table[factor][level] = weight
    expected = {"evidence": set(EVIDENCE_WEIGHT), "rank": set(KB_RANKS), "host": set(HOSTS), "strain": {"yes", "no"},
                "curation": set(CURATION_LEVELS)}
    for factor, levels in expected.items():
        missing = levels - set(table[factor])
        if missing:
            raise KnowledgeBaseError(f"{origin}: no weight for {factor} {', '.join(sorted(missing))}")
    return EvidenceWeights(**table)


@lru_cache(maxsize=1)
def evidence_weights() -> EvidenceWeights:
    """The shipped evidence weights (validated, cached)."""
    return read_evidence_weights(_data_dir().joinpath(WEIGHTS_FILE).read_text("utf-8"))
