"""Kaiju summary tables (``kaiju2table``), as nf-core/taxprofiler writes them::

    file	percent	reads	taxon_id	taxon_name
    S1.kaiju.tsv	12.500000	1250	816	Bacteroides
    S1.kaiju.tsv	0.547283	154	10239	Viruses
    S1.kaiju.tsv	14.296884	4023	NA	cannot be assigned to a (non-viral) genus
    S1.kaiju.tsv	59.486836	16739	NA	unclassified

One row per taxon at the rank given to ``kaiju2table -r``, then rows that
name no taxon.  ``taxon_name`` is the name from ``names.dmp`` (``-n``), or
with ``-l``/``-p`` a ``;``-separated lineage ending at the row's taxon.  One
table may hold several input files (the ``file`` column), each a sample.

How a table becomes profiles:

* The rank is the one the table names in its ``cannot be assigned to a
  (non-viral) RANK`` row (or ``belong to a (non-viral) RANK with less than``
  for ``-m``/``-c``): the table says it nowhere else.  A table with neither
  row is refused (its rank cannot be told).
* A row's taxon is its name, the last entry of a lineage (``NA`` entries
  skipped), at the table's rank; a species keeps the genus its binomial
  names.  A lineage (``-p``: every node from NCBI's ``cellular organisms``
  down, ranks unsaid; ``-l``: the listed ranks, ``NA`` where missing) places
  the taxon under its names (:func:`..one_rank.path_lineage`: by position
  when there is one name per rank down to the table's, else the names the
  lineage table knows), so a taxon the lineage table does not know still
  hangs where Kaiju puts it.  ``Viruses`` (kaiju2table's one row for all
  viral reads without ``-e``) is the domain; with ``-e`` each virus is a row
  at whatever rank it has, so a lineage starting at ``Viruses`` is read
  without the table's rank: as the deepest taxon the lineage places.
* Abundance = ``reads`` over the reads of the sample's rows; counts =
  ``reads`` (reads counted by Kaiju).  The rows that name no taxon
  (``unclassified``, ``cannot be assigned ...``, ``belong to ... with less
  than ...``) are the unassigned share: reads Kaiju did not place at a taxon
  of the table's rank.
* ``percent`` is checked against ``reads``: a table whose rows add up to
  fewer reads than its percentages imply has lost rows (truncated) and is
  refused.
* A taxon written twice for one file (kaiju2table writes each once: a table
  pasted into itself) is refused, naming both lines; so are two ``file``
  entries that name one sample (``a/S1.kaiju.out``, ``b/S1.kaiju.out``).
* A table whose names are ``taxonid:28901`` (kaiju2table found no name for
  the id in ``names.dmp``) carries taxon ids only and is refused, naming
  Kaiju and saying what to give instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError
from ...taxonomy import standard_rank, taxon
from ..one_rank import TaxonSums, one_rank_lineage, path_lineage
from ..registry import Format, register
from ..source import Source, parse_number, sample_name_from_path

_HEADER = ("file", "percent", "reads", "taxon_id", "taxon_name")
_NOT_ASSIGNED = re.compile(r"^cannot be assigned to a \(non-viral\) (\S+)$", re.IGNORECASE)
_FILTERED = re.compile(r"^belong to a \(non-viral\) (\S+) with less than\b", re.IGNORECASE)
_ID_ONLY = re.compile(r"^taxonid:\d+$")
_KAIJU_SUFFIX = re.compile(r"[._-]kaiju$", re.IGNORECASE)
_OUT_SUFFIX = re.compile(r"\.out$", re.IGNORECASE)
#: kaiju2table prints percentages with six decimals: a percentage p may be off
#: by half of 1e-6, so the total it implies by that share of itself.
_PERCENT_ROUNDING = 5e-7


def sniff(source: Source) -> bool:
    """kaiju2table's header (``file percent reads taxon_id taxon_name``)."""
    lines = source.head_lines
    if not lines:
        return False
    first = next((ln for ln in lines if ln.strip()), "")
    return tuple(f.strip() for f in first.split("\t")) == _HEADER


def _sample(file_column: str) -> str:
    """The sample of a ``file`` entry: the name of the kaiju output it summarises
    (``S1.kaiju.tsv``, ``S1.kaiju.out`` -> ``S1``)."""
    name = sample_name_from_path(_OUT_SUFFIX.sub("", Path(file_column).name))
    return sample_name_from_path(_KAIJU_SUFFIX.sub("", name)) or name


def _name(raw: str) -> str:
    """The row's taxon: its name, or the last named entry of a lineage."""
    if ";" not in raw:
        return raw.strip()
    parts = [p.strip() for p in raw.split(";")]
    named = [p for p in parts if p and p != "NA"]
    return named[-1] if named else ""


def _lineage(rank: str, raw: str) -> Lineage:
    name = _name(raw)
    if name == "Viruses":
        return (taxon("domain", name),)
    if ";" not in raw:
        return one_rank_lineage(rank, name)
    path = raw.split(";")
    if next((p.strip() for p in path if p.strip() not in ("", "NA", "cellular organisms")), "") == "Viruses":
        # -e: a virus is a row at whatever rank it has, not at the table's
        return path_lineage(path, None, name) or (taxon("domain", "Viruses"),)
    return path_lineage(path, rank, name)


def read(source: Source) -> list[SampleProfile]:
    """Read a kaiju2table summary (one or several samples)."""
    path = source.path
    rows: list[tuple[int, str, float, float, str, str]] = []  # line, sample, percent, reads, taxid, name
    rank_words: dict[str, int] = {}
    first_line: dict[tuple[str, str, str], int] = {}  # (file, taxon_id, taxon_name) -> line
    sample_of: dict[str, tuple[str, int]] = {}  # sample -> (file, line)
    header_seen = False
    for lineno, ln in enumerate(source.all_lines, start=1):
        if not ln.strip():
            continue
        fields = ln.rstrip("\r\n").split("\t")
        if not header_seen:
            header_seen = True
            continue
        if len(fields) != len(_HEADER):
            raise FormatError(f"expected {len(_HEADER)} tab-separated columns ({', '.join(_HEADER)}), "
                              f"found {len(fields)}", path=path, line=lineno)
        file_column, taxid, raw_name = fields[0].strip(), fields[3].strip(), fields[4].strip()
        if not file_column:
            raise FormatError("empty file name", path=path, line=lineno, field="file")
        percent = parse_number(fields[1], path=path, line=lineno, field="percent", what="percentage",
                               maximum=100.0 * (1 + 1e-6))
        reads = parse_number(fields[2], path=path, line=lineno, field="reads", what="read count")
        if reads != round(reads):
            raise FormatError(f"read count {reads:g} is not a whole number", path=path, line=lineno, field="reads")
        if not raw_name:
            raise FormatError("empty taxon name", path=path, line=lineno, field="taxon_name")
        if taxid != "NA" and not taxid.isdigit():
            raise FormatError(f"taxon id {taxid!r} is neither a whole number nor NA", path=path, line=lineno,
                              field="taxon_id")
        for pattern in (_NOT_ASSIGNED, _FILTERED):
            if (m := pattern.match(raw_name)) is not None:
                rank_words.setdefault(m.group(1).lower(), lineno)
        key = (file_column, taxid, raw_name)
        if key in first_line:
            raise FormatError(f"{raw_name!r} (taxon_id {taxid}) appears twice (first on line {first_line[key]}) for "
                              f"{file_column!r}: kaiju2table writes each taxon once per file", path=path,
                              line=lineno, field="taxon_name")
        first_line[key] = lineno
        sample = _sample(file_column)
        other, other_line = sample_of.setdefault(sample, (file_column, lineno))
        if other != file_column:
            raise FormatError(f"{file_column!r} and {other!r} (line {other_line}) are both sample {sample!r}: "
                              "name the Kaiju outputs apart", path=path, line=lineno, field="file")
        rows.append((lineno, sample, percent, reads, taxid, raw_name))
    if not rows:
        raise FormatError("no rows under the kaiju2table header", path=path, line=1)
    named = [r for r in rows if r[4] != "NA"]
    ids_only = [r for r in named if _ID_ONLY.match(r[5])]
    if ids_only:
        raise FormatError(
            f"this Kaiju table (kaiju2table) gives taxon ids without names ({ids_only[0][5]!r}, {len(ids_only)} of "
            f"its {len(named)} taxon rows): gutbalance reads taxon names, not NCBI ids. Run kaiju2table again with "
            "-t nodes.dmp -n names.dmp of the Kaiju database (add -l superkingdom,phylum,class,order,family,genus,"
            "species for lineages)", path=path, line=ids_only[0][0], field="taxon_name")
    if len(rank_words) > 1:
        raise FormatError(f"the table names two ranks ({', '.join(sorted(rank_words))}); kaiju2table writes one "
                          "rank per table (-r)", path=path, line=max(rank_words.values()), field="taxon_name")
    rank_word = next(iter(rank_words), None)
    rank = standard_rank(rank_word) if rank_word else None
    if named and rank is None:
        raise FormatError(
            "this Kaiju table (kaiju2table) does not say its rank (-r): it has no 'cannot be assigned to a "
            "(non-viral) RANK' row" if rank_word is None else
            f"this Kaiju table (kaiju2table) is at rank {rank_word!r}, not a standard rank (phylum .. species)",
            path=path, line=rank_words.get(rank_word or "", 1), field="taxon_name")
    by_sample: dict[str, list[tuple[int, float, float, str, str]]] = {}
    for lineno, sample, percent, reads, taxid, raw_name in rows:
        by_sample.setdefault(sample, []).append((lineno, percent, reads, taxid, raw_name))
    out = []
    for sample, sample_rows in by_sample.items():
        total = sum(r[2] for r in sample_rows)
        if total <= 0:
            raise FormatError(f"sample {sample!r} has no reads", path=path, line=sample_rows[0][0], field="reads")
        # the row with the most reads has the most precise percentage: the total it implies
        biggest = max(sample_rows, key=lambda r: r[2])
        implied = biggest[2] / (biggest[1] / 100.0) if biggest[1] > 0 else total
        slack = implied * _PERCENT_ROUNDING / biggest[1] + 1 if biggest[1] > 0 else 0.0
        if total < implied - slack:
            raise FormatError(
                f"sample {sample!r}: its rows hold {total:g} reads but their percentages say {implied:.0f} "
                "(rows lost: truncated or filtered table?)", path=path, line=sample_rows[-1][0], field="percent")
        found = TaxonSums()
        unassigned = 0.0
        for lineno, _percent, reads, taxid, raw_name in sample_rows:
            name = _name(raw_name)
            if taxid == "NA" or rank is None:
                unassigned += reads
                continue
            if not name:
                raise FormatError(f"lineage {raw_name!r} names no taxon", path=path, line=lineno,
                                  field="taxon_name")
            if reads <= 0:
                continue
            found.add(_lineage(rank, raw_name), reads, taxid)
        out.append(SampleProfile(sample=sample, lineages=found.lineages, abundance=[v / total for v in found.values],
                                 unassigned=unassigned / total, counts=found.values, source_file=str(path),
                                 source_format="kaiju", database="Kaiju", taxids=found.taxids))
    return out


register(
    Format(
        "kaiju",
        "a Kaiju summary table (kaiju2table)",
        sniff,
        read,
        None,
        priority=30,
        ends_with_newline=True,
    )
)
