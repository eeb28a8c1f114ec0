"""The data tables shipped with gutbalance and the citation each carries.

Every number gutbalance takes from the literature lives in a tab-separated
table: the knowledge base (``knowledge/data``), the pillar constants
(``pillars/data/parameters.tsv``), the published indices (``indices/data``)
and the simulation parameters (``simulate/data``). They are all read here,
by :func:`read_data_table`, the same way:

- ``#`` lines are the table's header comment (what it is, where it comes
  from); blank lines are skipped; the first other line names the columns;
  fields are tab-separated (``csv`` quoting rules);
- every value is kept as the text in the file, so the caller converts
  numbers exactly as it always did;
- with :class:`Citations`, each row's evidence level, source and host are
  checked, and two columns are added in the one vocabulary below:
  ``evidence_level`` and ``host``;
- anything wrong raises :class:`~gutbalance.errors.DataTableError` naming
  the file, the line (as an editor counts it) and the column.

Evidence levels (:data:`EVIDENCE_LEVELS`), one vocabulary for every table;
the spellings older tables use are read as (:data:`LEGACY_EVIDENCE`):

==================  ==========================================================  =====================================
level               meaning                                                     older spellings (tables)
==================  ==========================================================  =====================================
experiment          measured: culture, animal or human experiment, assay        ``measured`` (simulate)
genome_analysis     from sequence: gene content, metagenomic surveys
review_consensus    stated by a review, consensus or curated compilation
model_prediction    machine prediction or phylogenetic imputation
fitted_model        a parameter fitted to data by a model (host: mouse)         ``fitted-model (mouse)``,
                                                                                ``fitted (mouse time series)`` (simulate)
derived             computed from cited values (normalisation, unit change)    ``derived`` (simulate)
reported            a value (or ordering) taken from the cited source           ``sourced`` (status column: pillar
                                                                                parameters, evidence weights)
assumed             a judgement; the note says why; needs no source             ``assumed`` (status column, simulate)
==================  ==========================================================  =====================================

Hosts (:data:`HOSTS`): where the evidence comes from.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from .errors import DataTableError

#: The evidence levels of every cited table, with what each means.
EVIDENCE_LEVELS: dict[str, str] = {
    "experiment": "measured: culture, gnotobiotic, animal or human experiment, biochemical assay",
    "genome_analysis": "from sequence: gene content of genomes, metagenomic surveys and associations",
    "review_consensus": "stated by a review or consensus statement, or a curated compilation of literature",
    "model_prediction": "machine prediction or phylogenetic imputation",
    "fitted_model": "a parameter fitted to data by a model (a published fit, or gutbalance's fit of public data)",
    "derived": "computed from cited values (a normalisation or a unit conversion)",
    "reported": "a value, or an ordering, taken from the cited source as it reports it",
    "assumed": "a judgement, with the reason in the note; needs no source",
}
#: Older spellings of the levels, with the host they imply ("" = none).
LEGACY_EVIDENCE: dict[str, tuple[str, str]] = {
    "sourced": ("reported", ""),
    "measured": ("experiment", ""),
    "fitted-model (mouse)": ("fitted_model", "mouse"),
    "fitted (mouse time series)": ("fitted_model", "mouse"),
}
#: Where the evidence of a row comes from.  ``human``: people (cohorts, trials,
#: human samples); ``mouse``/``other_animal``: animal experiments, gnotobiotic
#: included; ``in_vitro``: cultures, cell lines, biochemistry; ``in_silico``:
#: genome analysis or prediction; ``mixed``: a review pooling several;
#: ``environment``: communities outside any host (sewage, water, soil).
HOSTS: tuple[str, ...] = ("human", "mouse", "other_animal", "in_vitro", "in_silico", "mixed", "environment")
#: A source identifier: a DOI or a PubMed id.
SOURCE_PATTERN = re.compile(r"^(doi:10\.\d{4,9}/\S+|pmid:\d+)$")
#: A DOI or PubMed id anywhere in a text (a header comment).
CITES_PATTERN = re.compile(r"(doi:10\.\d{4,9}/\S+|pmid:\d+)")


@dataclass(frozen=True)
class Citations:
    """How the rows of one table cite their evidence.

    Parameters
    ----------
    evidence
        The column holding each row's evidence level (or an older spelling).
    source
        The column holding each row's source.
    host
        The column holding the host of the evidence; a table that has it
        fills it on every row. Tables without it take the host an older
        evidence spelling implies, else ``""``.
    levels
        The levels this table may use (all by default).
    identifier
        The source is a ``doi:``/``pmid:`` identifier; otherwise a
        citation in words, which must not be empty.
    assumed_unsourced
        An ``assumed`` row may leave the source empty.
    bibliography
        When given, every source must be one of these identifiers.
    """

    evidence: str = "evidence"
    source: str = "source"
    host: str | None = "host"
    levels: tuple[str, ...] = tuple(EVIDENCE_LEVELS)
    identifier: bool = True
    assumed_unsourced: bool = True
    bibliography: frozenset[str] | None = None

    def columns(self) -> tuple[str, ...]:
        """The columns every table with these citations must have."""
        return (self.evidence, self.source)


@dataclass(frozen=True)
class DataTable:
    """One table as read: the header comment, the column names and the rows
    (text as in the file, plus ``line``, and ``evidence_level`` and ``host``
    when the table is cited)."""

    path: str
    header: str
    columns: tuple[str, ...]
    rows: list[dict[str, str | int]] = field(repr=False)

    def frame(self, *, lines: bool = False) -> pd.DataFrame:
        """The rows as a DataFrame of text (with the ``line`` column if ``lines``)."""
        columns = [*self.columns, *(c for c in ("evidence_level", "host") if self.rows and c in self.rows[0]
                                    and c not in self.columns)]
        if lines:
            columns.append("line")
        return pd.DataFrame.from_records(self.rows, columns=columns)

    def error(self, message: str, *, line: int | None = None, column: str | None = None) -> DataTableError:
        """A :class:`DataTableError` about this table."""
        return DataTableError(message, path=self.path, line=line, column=column)


def packaged(package: str, name: str) -> Traversable:
    """The table ``name`` in the ``data`` folder of ``package`` (``gutbalance.pillars``)."""
    return resources.files(package).joinpath("data", name)


def read_data_table(
    source: Traversable | str | Path,
    *,
    text: str | None = None,
    name: str | None = None,
    required: Sequence[str] = (),
    citations: Citations | None = None,
    header_cites: bool = False,
) -> DataTable:
    """Read one data table and check its citations.

    Parameters
    ----------
    source
        The file (a path or a packaged resource, :func:`packaged`).
    text
        The table's text, when it is already read (``source`` then only names it).
    name
        The name errors give (default: the file name).
    required
        Columns the table must have (besides those of ``citations``).
    citations
        How each row cites its evidence; None for a table cited in its header.
    header_cites
        The header comment must name a ``doi:`` or ``pmid:`` source.

    Raises
    ------
    DataTableError
        A missing file or column, a row with more fields than columns, or a
        citation that breaks the rules, with the file, line and column.
    """
    if isinstance(source, str):
        source = Path(source)
    origin = name or source.name
    if text is None:
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataTableError("no such table (missing from the installation?)", path=origin) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataTableError(f"cannot read the table: {exc}", path=origin) from None
    comments: list[str] = []
    numbered: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif line.strip():
            numbered.append((number, line))
    header = "\n".join(comments)
    if header_cites and not CITES_PATTERN.search(header):
        raise DataTableError("the header comment cites no doi: or pmid: source", path=origin, line=1)
    if not numbered:
        return DataTable(origin, header, (), [])
    reader = csv.reader((line for _, line in numbered), delimiter="\t")
    columns = tuple(next(reader))
    wanted = [*required, *(citations.columns() if citations else ())]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DataTableError(f"no column {', '.join(map(repr, missing))} (columns: {', '.join(columns)})",
                             path=origin, line=numbered[0][0])
    rows: list[dict[str, str | int]] = []
    for fields in reader:
        number = numbered[reader.line_num - 1][0]
        if len(fields) > len(columns):
            raise DataTableError(f"{len(fields)} fields but {len(columns)} columns", path=origin, line=number)
        row: dict[str, str | int] = dict(zip(columns, fields, strict=False))
        for column in columns[len(fields):]:
            row[column] = ""
        if citations is not None:
            row["evidence_level"], row["host"] = check_citation(row, citations, path=origin, line=number,
                                                               has_host=citations.host in columns)
        row["line"] = number
        rows.append(row)
    return DataTable(origin, header, columns, rows)


def evidence_level(spelling: str) -> tuple[str, str]:
    """``(level, implied host)`` of an evidence spelling, older ones included;
    ``("", "")`` for a spelling that is not one."""
    spelling = spelling.strip()
    if spelling in EVIDENCE_LEVELS:
        return spelling, ""
    return LEGACY_EVIDENCE.get(spelling, ("", ""))


def check_citation(
    row: Mapping[str, object], citations: Citations, *, path: str, line: int, has_host: bool = False
) -> tuple[str, str]:
    """Check one row's evidence, source and host; ``(evidence level, host)``.

    ``has_host``: the table has the host column, so the row must fill it.
    """

    def fail(message: str, column: str) -> DataTableError:
        return DataTableError(message, path=path, line=line, column=column)

    spelling = str(row.get(citations.evidence) or "").strip()
    level, host = evidence_level(spelling)
    if not level:
        raise fail(f"unknown evidence level {spelling!r}; use one of {', '.join(citations.levels)}",
                   citations.evidence)
    if level not in citations.levels:
        raise fail(f"evidence level {spelling!r} is not one this table uses ({', '.join(citations.levels)})",
                   citations.evidence)
    source = str(row.get(citations.source) or "").strip()
    kind = "a doi: or pmid: source" if citations.identifier else "a citation"
    if not source:
        if not (level == "assumed" and citations.assumed_unsourced):
            raise fail(f"no source: a row of evidence {spelling!r} needs {kind}", citations.source)
    elif citations.identifier:
        if not SOURCE_PATTERN.match(source):
            raise fail(f"source {source!r} is not doi:10.xxxx/... or pmid:NNNN", citations.source)
        if citations.bibliography is not None and source not in citations.bibliography:
            raise fail(f"source {source} is not in the bibliography", citations.source)
    if citations.host is not None and has_host:
        given = str(row.get(citations.host) or "").strip()
        if not given:
            raise fail("no host: this table names the host of the evidence on every row", citations.host)
        if given not in HOSTS:
            raise fail(f"unknown host {given!r}; use one of {', '.join(HOSTS)}", citations.host)
        host = given
    return level, host


def levels_of(spellings: Iterable[str]) -> tuple[str, ...]:
    """The levels a table's spellings (old or new) map to, in vocabulary order."""
    wanted = {evidence_level(s)[0] for s in spellings}
    return tuple(level for level in EVIDENCE_LEVELS if level in wanted)
