"""ganon reports (``ganon classify`` / ``ganon report``, the ``.tre`` file),
as nf-core/taxprofiler writes them::

    unclassified	-	-	unclassified	0	0	0	174530	27.61288
    root	1	1	root	0	0	457530	457530	72.38712
    superkingdom	2	1|2	Bacteria	0	0	447016	447016	69.95031
    phylum	1239	1|2|1239	Bacillota	0	0	47906	47906	6.32083
    species	1406	1|2|...|1406	Paenibacillus polymyxa	57	0	0	57	0.57576

Nine tab-separated columns, no header (ganon's ``docs/outputfiles.md``):
rank, target (taxid or assembly), lineage (the targets from the root down,
``|``-separated), name, reads unique to the target, shared reads assigned to
it, reads of its children, cumulative reads, cumulative percentage.  The
percentage is of all reads for ``--report-type reads``, ganon's estimated
taxonomic abundance (reads re-distributed and corrected by genome size) for
``--report-type abundance``, the default; the unclassified and root rows add
up to 100.

How a report becomes a profile:

* The lineage of a row is rebuilt from its ``lineage`` column: the names of
  the rows its targets name, kept where their rank is a standard one
  (superkingdom/domain, phylum .. species; ``assembly``, ``strain`` and
  ``subspecies`` are the strain).  Rows at other ranks (``root``,
  ``no rank``, ``species group``) are left out of lineages, as Kraken's
  ``R1`` and ``G1`` are, but their share stays in their ancestors' clades.
* Abundance = cumulative percentage / 100 (each row is a clade).  No read
  counts are kept: under ``--report-type abundance`` the percentage is not
  the reads' share, so the reads and the abundances would disagree.
* Unassigned = 100 % minus the domains' (superkingdom) percentages: the
  unclassified reads and those ganon could place only at the root.
* Rows with a cumulative percentage of 0 are dropped.

A file with the ganon layout but a column short (a hand-edited or truncated
report) is refused, naming the line.  Empty entries in ``lineage`` (a rank the
taxonomy has no taxon at, ``1|2157|2283796||||379546``) are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError
from ...taxonomy import RANK_INDEX, normalize_name, standard_rank, taxon
from ..registry import Format, register
from ..source import Source, is_number, parse_number, sample_name_from_path, tab_rows

_COLUMNS = ("rank", "target", "lineage", "name", "unique", "shared", "children", "cumulative", "cumulative_perc")
_LINEAGE = re.compile(r"^[^\s|]*(?:\|[^\s|]*)*[^\s|]$")
_GANON_SUFFIX = re.compile(r"[._-]ganon$", re.IGNORECASE)
_STRAIN_RANKS = {"assembly", "strain", "subspecies"}


def _rank(word: str) -> str | None:
    word = word.strip().lower()
    return "strain" if word in _STRAIN_RANKS else standard_rank(word)


def _looks_like_row(fields: list[str], *, numbers: bool = True) -> bool:
    """A ganon row; with ``numbers=False`` whatever its number columns hold."""
    if len(fields) != len(_COLUMNS):
        return False
    rank, target, lineage, name = (f.strip() for f in fields[:4])
    if not rank or not name or (numbers and not all(is_number(f) for f in fields[4:])):
        return False
    if rank == "unclassified":
        return target == "-" and lineage == "-"
    return bool(target) and bool(_LINEAGE.match(lineage)) and lineage.rsplit("|", 1)[-1] == target


def _first_row(source: Source) -> list[str] | None:
    lines = source.head_lines
    if not lines:
        return None
    first = next((ln for ln in lines if ln.strip()), None)
    return None if first is None else first.rstrip("\r\n").split("\t")


def _starts_unclassified(fields: list[str]) -> bool:
    """ganon's first row, ``unclassified - -``, whatever follows it."""
    return len(fields) >= 4 and [f.strip() for f in fields[:3]] == ["unclassified", "-", "-"]


def sniff(source: Source) -> bool:
    """Nine columns, the first row the ``unclassified`` or ``root`` row, and
    most of the first 50 rows well formed; or a first row ``unclassified - -``
    (ganon's alone), whatever its width and numbers, so that a report a
    column short or with a cell that is no number is refused by the reader,
    naming the line and field, not read as another table (nor refused as
    "does not look like a ganon report").  The first row's numbers are not
    asked for either: a ``root`` row with a bad cell is the reader's to name."""
    first = _first_row(source)
    if first is None:
        return False
    if _starts_unclassified(first):
        return True
    if not _looks_like_row(first, numbers=False) or first[0].strip() not in {"unclassified", "root"}:
        return False
    rows = [ln.rstrip("\r\n").split("\t") for ln in (source.head_lines or []) if ln.strip()][:50]
    return sum(1 for r in rows if _looks_like_row(r)) * 2 >= len(rows)


def read(source: Source) -> list[SampleProfile]:
    """Read one ganon ``.tre`` report into one sample profile."""
    path = source.path
    rows: dict[str, tuple[int, str, str, list[str], float]] = {}  # target -> (line, rank, name, lineage, %)
    unclassified_line = 0
    for lineno, fields in tab_rows(source.all_lines, _COLUMNS, path=path):
        rank, target, lineage, name = (f.strip() for f in fields[:4])
        for column, value in zip(_COLUMNS[4:8], fields[4:8], strict=True):
            parse_number(value, path=path, line=lineno, field=column, what="read count")
        percent = parse_number(fields[8], path=path, line=lineno, field="cumulative_perc", what="percentage",
                               maximum=100.0 * (1 + 1e-6))
        if rank == "unclassified":
            if unclassified_line:
                raise FormatError(f"the unclassified row appears twice (first on line {unclassified_line})",
                                  path=path, line=lineno, field="rank")
            unclassified_line = lineno
            continue
        if not rank:
            raise FormatError("empty rank", path=path, line=lineno, field="rank")
        if not name:
            raise FormatError("the taxon has no name", path=path, line=lineno, field="name")
        path_ids = [t for t in lineage.split("|") if t]
        if not _LINEAGE.match(lineage) or path_ids[-1] != target:
            raise FormatError(f"lineage {lineage!r} does not end at the row's target {target!r}", path=path,
                              line=lineno, field="lineage")
        if target in rows:
            raise FormatError(f"target {target!r} appears twice (first on line {rows[target][0]})", path=path,
                              line=lineno, field="target")
        rows[target] = (lineno, rank, name, path_ids, percent)
    if not rows:
        raise FormatError("no taxon rows: empty or truncated ganon report", path=path)
    lineages: list[Lineage] = []
    abundance: list[float] = []
    taxids: list[str] = []
    in_domains = 0.0
    for target, (lineno, rank, name, path_ids, percent) in rows.items():
        own_rank = _rank(rank)
        if own_rank is None:
            continue
        lineage_taxa: list = []
        for ancestor in path_ids[:-1]:
            found = rows.get(ancestor)
            ancestor_rank = _rank(found[1]) if found else None
            if found is None or ancestor_rank is None:
                continue  # root, "no rank", or a target the report does not list
            if lineage_taxa and RANK_INDEX[ancestor_rank] <= RANK_INDEX[lineage_taxa[-1].rank]:
                continue  # a kingdom under its superkingdom: not a standard rank of its own
            lineage_taxa.append(taxon(ancestor_rank, found[2]))
        if lineage_taxa and RANK_INDEX[own_rank] <= RANK_INDEX[lineage_taxa[-1].rank]:
            continue
        if not normalize_name(name):
            raise FormatError(f"taxon name {name!r} is empty once normalised", path=path, line=lineno, field="name")
        if not lineage_taxa:
            in_domains += percent
        if percent <= 0:
            continue
        lineages.append((*lineage_taxa, taxon(own_rank, name)))
        abundance.append(percent / 100.0)
        taxids.append(target)
    return [
        SampleProfile(
            sample=sample_name_from_path(_GANON_SUFFIX.sub("", Path(path).name.removesuffix(".tre"))),
            lineages=lineages,
            abundance=abundance,
            unassigned=max(0.0, 1.0 - in_domains / 100.0),
            source_file=str(path),
            source_format="ganon",
            database="ganon",
            taxids=taxids,
        )
    ]


register(
    Format(
        "ganon",
        "a ganon report (ganon classify / ganon report .tre)",
        sniff,
        read,
        None,
        priority=30,
        ends_with_newline=True,
    )
)
