"""Kraken 2 reports, Bracken reports and Bracken abundance tables.

Kraken 2 report (``kraken2 --report S1.kreport``), one tab-separated row per
taxon, depth-first, children indented by two spaces per level::

     20.00	2000	2000	U	0	unclassified
     80.00	8000	10	R	1	root
     79.90	7990	0	R1	131567	  cellular organisms
     79.90	7990	40	D	2	    Bacteria
     ...

Columns: percent of all reads in the clade, reads in the clade, reads assigned
to the taxon itself, rank code, NCBI taxid, indented name.  With
``--report-minimizer-data`` two columns (minimizers, distinct minimizers) come
between the taxon reads and the rank code.  Rank codes are U (unclassified),
R (root), D, K, P, C, O, F, G, S, or one of those followed by a number for a
taxon that many levels below the last coded rank (``G1`` a subgenus, ``S1`` a
strain); Kraken 1 writes ``-`` for every rank outside the standard ones.

How a report becomes a profile:

* The lineage of a row is rebuilt from the indentation: its standard-rank
  ancestors plus itself.  D is the domain, P..S are the standard ranks, S1 is
  the strain; K (kingdom), R/R1 (root, "cellular organisms") and every other
  numbered code are not standard ranks, so they are left out of lineages, but
  their reads are still inside the clade reads of their standard ancestors.
  S2 and deeper are folded into their S1 strain the same way.  An NCBI
  domain written with an R code (Viruses as R1, the "acellular root" of the
  NCBI taxonomy since 2025; Bacteria, Archaea and Eukaryota as R2 by a Kraken 2
  that does not know the rank "domain") is the domain it is, so one run reads
  the same whichever taxonomy its database was built on.
* Abundance = clade reads / total reads, total = reads of the top-level rows
  (``unclassified`` + ``root``); counts = clade reads.
* Unassigned = every read outside a domain clade: the unclassified reads and
  the reads Kraken could only place at root or "cellular organisms".
* Rows with zero clade reads (``--report-zero-counts``) are dropped.

Bracken's own report (``S1_bracken_species.kreport``) has the same six
columns (no ``unclassified`` row, every read re-estimated at one level) and is
read by the same reader.  Bracken rounds each row's reads down to an integer,
so a clade may differ from the sum of its rows by less than one read per child;
the consistency check allows that.  Bracken before its 2019-06-10 fix (e.g.
``sample_data/sample_output_bracken.report`` of its repository, 2016) wrote
species rows re-estimated but the rows above them with Kraken's reads, so a
genus may hold more reads than its species: such a report is refused, naming
the row, and its abundance table (``bracken -o``) is read instead.

Bracken table (``bracken -o S1.bracken``)::

    name	taxonomy_id	taxonomy_lvl	kraken_assigned_reads	added_reads	new_est_reads	fraction_total_reads
    Bacteroides vulgatus	821	S	1200	310	1510	0.15100

It names taxa at one level only, so each lineage is that one rank.  Abundance
is ``new_est_reads`` over their sum (the printed fraction has five decimals,
too few for a rare species); counts are ``new_est_reads``.  The writer
prints the fraction as a plain decimal with every digit the float needs.

Writers: :func:`write_report` writes one six-column report per sample and
:func:`write_table` one species-level Bracken table per sample.  Both hold
reads, as whole numbers, and say nothing else about them, so both write only
reads a sample has: a Kraken report only reads counted (``cohort.counts``,
not a profiler's estimates such as MetaPhlAn's, which need not be
proportional to the profiler's abundances), a Bracken table reads counted or
Bracken's own estimates (a ``.bracken`` table converted again).  For any
other sample (relative abundances, another profiler's estimates) they refuse,
naming the samples and why: reads made up from abundances would be whole
numbers no reader (Kraken's tools, gutbalance) could tell from reads, with a
read depth (and from a Kraken report a Chao1) from nothing sequenced; as
fractions (what gutbalance wrote before 2026-11-27: a Bracken table of a
relative profile scaled to 1,000,000 reads) they are files Kraken and Bracken
never write.  A read count that is not a whole number (a table that says it
holds counts but holds 12.5) is refused too, naming the sample and the taxon,
rather than rounded: rounding would change the profile without saying so.
Write such a profile as ``.profile`` (CAMI), ``.biom``, ``.csv`` or MetaPhlAn
instead.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...atomic import write_text_atomic
from ...cohort import Lineage, SampleProfile
from ...errors import FormatError, GutBalanceWarning
from ...taxonomy import RANK_INDEX, RANK_PREFIX, RANKS, Taxon, normalize_name, taxon
from ..registry import Format, counts_estimated_by, observed_count_samples, register
from ..source import Source, parse_number, safe_file_names, sample_name_from_path

_RANK_CODE = re.compile(r"^(?:([URDKPCOFGS])(\d{0,3})|-)$")
_CODE_RANK = {"D": "domain", "P": "phylum", "C": "class", "O": "order", "F": "family", "G": "genus", "S": "species"}
_RANK_CODE_OUT = {rank: code for code, rank in _CODE_RANK.items()} | {"strain": "S1"}
_BRACKEN_COLUMNS = (
    "name",
    "taxonomy_id",
    "taxonomy_lvl",
    "kraken_assigned_reads",
    "added_reads",
    "new_est_reads",
    "fraction_total_reads",
)
# Bracken names its report after the input: S1.kreport -> S1_bracken_species.kreport
_BRACKEN_REPORT_SUFFIX = re.compile(r"_bracken_[A-Za-z0-9]+(?=\.[^.]*$|$)")
_INTEGER = re.compile(r"^\d+$")


def _sample_name(path: Path) -> str:
    return sample_name_from_path(_BRACKEN_REPORT_SUFFIX.sub("", Path(path).name))


# The NCBI domains by taxid.  NCBI renamed the rank "superkingdom" to "domain"
# and gave Viruses the new rank "acellular root" (2025); Kraken 2 codes a rank
# it does not know by its depth below root, so reports built on that taxonomy
# write Viruses as R1 (every Kraken 2 release) and, before Kraken 2 knew
# "domain", Bacteria, Archaea and Eukaryota as R2 under "cellular organisms".
_NCBI_DOMAINS = {"2": "Bacteria", "2157": "Archaea", "2759": "Eukaryota", "10239": "Viruses"}


def _standard_rank(code: str) -> str | None:
    """The standard rank of a Kraken rank code, or None if it has none."""
    if code == "S1":
        return "strain"
    return _CODE_RANK.get(code)


def _row_rank(code: str, taxid: str, name: str, parent_lineage: tuple[Taxon, ...]) -> str | None:
    """The standard rank of a report row: its code's, or "domain" for an NCBI
    domain (taxid and name both) that a newer taxonomy made an R-coded row."""
    if code.startswith("R") and not parent_lineage and _NCBI_DOMAINS.get(taxid) == name:
        return "domain"
    return _standard_rank(code)


def _number(token: str, path: Path, lineno: int, field: str) -> float:
    return parse_number(token, path=path, line=lineno, field=field)


# --- Kraken report: sniffing ------------------------------------------------


def _looks_like_report_row(fields: list[str]) -> bool:
    if len(fields) not in (6, 8):
        return False
    numeric = fields[:3] if len(fields) == 6 else fields[:5]
    code, taxid, name = fields[-3].strip(), fields[-2].strip(), fields[-1]
    try:
        values = [float(f) for f in numeric]
    except ValueError:
        return False
    if any(math.isnan(v) or v < 0 for v in values):
        return False
    return bool(_RANK_CODE.match(code)) and bool(_INTEGER.match(taxid)) and bool(name.strip())


def sniff_report(source: Source) -> bool:
    """A Kraken (1 or 2) or Bracken report: 6 or 8 columns, rank codes,
    integer taxids, the first row at the top level (unclassified or root).

    The first row must be flawless and most of the first 50 rows well formed;
    a report with a few broken rows is still recognised, so that the reader
    can say which line and field is wrong.
    """
    lines = source.head_lines
    if not lines:
        return False
    rows = [ln.split("\t") for ln in lines if ln.strip()][:50]
    if not rows:
        return False
    first = rows[0]
    if not _looks_like_report_row(first) or first[-1].startswith(" ") or first[-3].strip() not in {"U", "R", "-"}:
        return False
    good = sum(1 for r in rows if len(r) == len(first) and _looks_like_report_row(r))
    return good * 2 >= len(rows)


# --- Kraken report: reading -------------------------------------------------


@dataclass
class _Row:
    lineno: int
    parent: int | None
    code: str
    clade: float
    own: float
    taxid: str
    name: str
    lineage: tuple[Taxon, ...]
    children: float = 0.0
    n_children: int = 0


def _report_fields(source: Source):
    """(line number, tab-separated fields) of each non-empty line of a report."""
    for lineno, ln in enumerate(source.lines(), start=1):
        if ln.strip():
            yield lineno, ln.split("\t")


def _report_rows(source: Source, fields_of=_report_fields) -> list[_Row]:
    path = source.path
    rows: list[_Row] = []
    stack: list[int] = []  # row index of the current ancestor at each depth
    width = None
    first_line = 0
    top_rows: dict[str, int] = {}  # the line of each top-level row, by taxid ("unclassified" for U)
    for lineno, fields in fields_of(source):
        if width is None:
            if len(fields) not in (6, 8):
                raise FormatError(
                    f"expected 6 tab-separated columns (8 with --report-minimizer-data), found {len(fields)}",
                    path=path,
                    line=lineno,
                )
            width, first_line = len(fields), lineno
        elif len(fields) != width:
            raise FormatError(
                f"expected {width} columns like line {first_line}, found {len(fields)} (truncated or edited file?)",
                path=path,
                line=lineno,
            )
        _number(fields[0], path, lineno, "percent")
        clade = _number(fields[1], path, lineno, "clade_reads")
        own = _number(fields[2], path, lineno, "taxon_reads")
        if width == 8:
            _number(fields[3], path, lineno, "minimizers")
            _number(fields[4], path, lineno, "distinct_minimizers")
        code = fields[-3].strip()
        if not _RANK_CODE.match(code):
            raise FormatError(f"{code!r} is not a Kraken rank code", path=path, line=lineno, field="rank")
        taxid = fields[-2].strip()
        if not _INTEGER.match(taxid):
            raise FormatError(f"taxid {taxid!r} is not a whole number", path=path, line=lineno, field="taxid")
        if own > clade * (1 + 1e-12):
            raise FormatError(
                f"taxon reads {own:g} exceed its clade reads {clade:g}", path=path, line=lineno, field="taxon_reads"
            )
        raw_name = fields[-1].rstrip()
        name = raw_name.lstrip(" ")
        indent = len(raw_name) - len(name)
        if not name:
            raise FormatError("the taxon has no name", path=path, line=lineno, field="name")
        if indent % 2:
            raise FormatError(
                f"indentation of {indent} spaces is not a whole number of levels (2 spaces each)",
                path=path,
                line=lineno,
                field="name",
            )
        depth = indent // 2
        if depth == 0:
            # Two reports written into one file (cat a.report b.report) repeat
            # the top rows; read as one sample they doubled its reads or mixed
            # two samples without a word (an outside check)
            key = "unclassified" if code == "U" else taxid
            if key in top_rows:
                raise FormatError(
                    f"a second top-level {name!r} row (the first is line {top_rows[key]}): two reports in one "
                    "file? give each report as a file of its own", path=path, line=lineno, field="name")
            top_rows[key] = lineno
        if depth and not stack:
            raise FormatError(
                "the first row is indented; a report starts at the top level", path=path, line=lineno, field="name"
            )
        if depth > len(stack):
            previous = len(stack) - 1
            raise FormatError(
                f"indentation jumps from level {previous} to level {depth}; a row can only be one level "
                "below the row above it",
                path=path,
                line=lineno,
                field="name",
            )
        del stack[depth:]
        parent = stack[-1] if stack else None
        if parent is not None and rows[parent].code == "U":
            raise FormatError("rows indented under 'unclassified'", path=path, line=lineno, field="name")
        if code == "U" and depth != 0:
            raise FormatError("the unclassified row must be at the top level", path=path, line=lineno, field="rank")
        parent_lineage = rows[parent].lineage if parent is not None else ()
        rank = _row_rank(code, taxid, name, parent_lineage)
        lineage = parent_lineage
        if rank is not None:
            if not normalize_name(name):
                raise FormatError(f"taxon name {name!r} is empty once normalised", path=path, line=lineno, field="name")
            if parent_lineage and RANK_INDEX[rank] <= RANK_INDEX[parent_lineage[-1].rank]:
                raise FormatError(
                    f"rank code {code} ({rank}) below a {parent_lineage[-1].rank} ({parent_lineage[-1].name})",
                    path=path,
                    line=lineno,
                    field="rank",
                )
            lineage = (*parent_lineage, taxon(rank, name))
        rows.append(_Row(lineno, parent, code, clade, own, "" if taxid == "0" else taxid, name, lineage))
        if parent is not None:
            rows[parent].children += clade
            rows[parent].n_children += 1
        stack.append(len(rows) - 1)
    if not rows:
        raise FormatError("no report rows: empty or truncated Kraken report", path=path)
    _check_sums(rows, path)
    return rows


def _check_sums(rows: list[_Row], path: Path) -> None:
    """Each clade holds its own reads plus its children's.

    Bracken's report rounds every row down to whole reads, so a clade may
    differ from the sum of its rows by up to one read per child.  A leaf row
    may hold more reads than its own (Bracken at genus level keeps the genus
    reads but not the species rows beneath); an inner row may not: that is a
    report cut short or filtered.
    """
    for row in rows:
        slack = row.n_children + 1 + 1e-9 * row.clade
        deficit = row.clade - row.own - row.children
        if deficit < -slack:
            raise FormatError(
                f"{row.name!r}: its rows below hold {row.children + row.own:g} reads, more than its clade "
                f"reads {row.clade:g}",
                path=path,
                line=row.lineno,
                field="clade_reads",
            )
        if row.n_children and deficit > slack:
            raise FormatError(
                f"{row.name!r}: clade reads {row.clade:g} but only {row.own + row.children:g} are in the "
                "rows below it: truncated or filtered report, or a report of a Bracken older than its "
                "2019-06-10 fix, which left Kraken's reads in the rows above the estimation level (read "
                "that Bracken's abundance table, bracken -o, instead)",
                path=path,
                line=row.lineno,
                field="clade_reads",
            )


def read_report(source: Source, *, _fields_of=_report_fields, _format: str = "kraken") -> list[SampleProfile]:
    """Read a Kraken 2 (or Kraken 1, Bracken) report into one sample profile."""
    path = source.path
    rows = _report_rows(source, _fields_of)
    total = sum(r.clade for r in rows if r.parent is None)
    if total <= 0:
        raise FormatError("the report holds no reads", path=path)
    lineages, abundance, counts, taxids = [], [], [], []
    in_domains = 0.0
    for row in rows:
        parent_lineage = rows[row.parent].lineage if row.parent is not None else ()
        if not row.lineage or len(row.lineage) == len(parent_lineage):
            continue  # not a standard rank
        if not parent_lineage:
            in_domains += row.clade
        if row.clade <= 0:
            continue
        lineages.append(row.lineage)
        abundance.append(row.clade / total)
        counts.append(row.clade)
        taxids.append(row.taxid)
    return [
        SampleProfile(
            sample=_sample_name(path),
            lineages=lineages,
            abundance=abundance,
            unassigned=max(0.0, (total - in_domains) / total),
            counts=counts,
            source_file=str(path),
            source_format=_format,
            database=_database_of(source) if _format == "krakenuniq" else "",
            taxids=taxids,
        )
    ]


# --- KrakenUniq report ----------------------------------------------------------------
#
# KrakenUniq (Breitwieser et al. 2018, doi:10.1186/s13059-018-1568-0) writes
# Kraken's report with a header, three columns of k-mer statistics and the
# NCBI rank spelt out::
#
#     # KrakenUniq v1.0.2 DATE:... DB:./krakenuniq ...
#     # CL:krakenuniq --db krakenuniq --report-file S1.krakenuniq.report.txt ...
#     %	reads	taxReads	kmers	dup	cov	taxID	rank	taxName
#     3.418	15525	15525	5226988	1.17	NA	0	no rank	unclassified
#     96.58	438670	0	44598440	1.86	0.1568	1	no rank	root
#
# Its rows are translated into Kraken 2's six columns (the rank word into
# Kraken's code: superkingdom D ... species S, any other rank numbered below
# the row above it as Kraken 2 does: a strain under a species S1, a substrain
# S2, a subgenus G1) and read by the Kraken reader, with its checks.  ``cov`` is NA
# where KrakenUniq has no k-mer count of the taxon; the k-mer columns are not read.

_KRAKENUNIQ_HEADER = ["%", "reads", "taxreads", "kmers", "dup", "cov", "taxid", "rank", "taxname"]
_KRAKENUNIQ_CODE = {
    "superkingdom": "D", "domain": "D", "kingdom": "K", "phylum": "P", "class": "C", "order": "O",
    "family": "F", "genus": "G", "species": "S",
}


def _krakenuniq_header(lines: list[str]) -> int | None:
    """The index of KrakenUniq's column header after its ``#`` lines, or None."""
    for i, ln in enumerate(lines):
        if not ln.strip() or ln.startswith("#"):
            continue
        cells = [c.strip().lower() for c in ln.split("\t")]
        return i if cells == _KRAKENUNIQ_HEADER else None
    return None


def sniff_krakenuniq(source: Source) -> bool:
    """KrakenUniq's report: its nine-column header after its ``#`` lines."""
    lines = source.head_lines
    return lines is not None and _krakenuniq_header(lines) is not None


def _database_of(source: Source) -> str:
    """``KrakenUniq v1.0.2; DB:./krakenuniq`` from its first comment line."""
    for ln in (source.head_lines or [])[:3]:
        if ln.startswith("# KrakenUniq"):
            words = ln[1:].split()
            return "; ".join(w for w in (" ".join(words[:2]), *[w for w in words if w.startswith("DB:")]) if w)
    return "KrakenUniq"


def _krakenuniq_fields(source: Source):
    """Each KrakenUniq row as Kraken 2's six fields, with its line number."""
    path = source.path
    started = False
    codes: list[str] = []  # the code of the current row at each depth
    for lineno, ln in enumerate(source.lines(), start=1):
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.split("\t")
        if not started:
            started = True  # the column header (sniffed)
            continue
        if len(fields) != len(_KRAKENUNIQ_HEADER):
            raise FormatError(
                f"expected {len(_KRAKENUNIQ_HEADER)} tab-separated columns like the header, found {len(fields)} "
                "(truncated or edited file?)",
                path=path, line=lineno,
            )
        for col, name in ((3, "kmers"), (4, "dup")):
            _number(fields[col], path, lineno, name)
        raw_name, taxid, word = fields[8].rstrip(), fields[6].strip(), fields[7].strip().lower()
        depth = (len(raw_name) - len(raw_name.lstrip(" "))) // 2
        del codes[depth:]
        if taxid == "0" and depth == 0:
            code = "U"
        elif taxid == "1" and depth == 0:
            code = "R"
        elif word in _KRAKENUNIQ_CODE:
            code = _KRAKENUNIQ_CODE[word]
        else:
            # a rank between standard ones is numbered below the one above,
            # as Kraken 2 numbers them (G1 a subgenus, S1 a strain, S2 a substrain)
            above = codes[-1] if codes else "R"
            code = f"{above[0]}{int(above[1:] or 0) + 1}"
        codes.append(code)
        yield lineno, [fields[0], fields[1], fields[2], code, taxid, raw_name]


def read_krakenuniq(source: Source) -> list[SampleProfile]:
    """Read a KrakenUniq report into one sample profile (see above)."""
    profiles = read_report(source, _fields_of=_krakenuniq_fields, _format="krakenuniq")
    for profile in profiles:  # nf-core/taxprofiler names them <sample>.krakenuniq.report.txt
        profile.sample = re.sub(r"\.krakenuniq$", "", profile.sample) or profile.sample
    return profiles


# --- Bracken table ------------------------------------------------------------


def sniff_table(source: Source) -> bool:
    """A Bracken abundance table: its exact seven-column header."""
    lines = source.head_lines
    if not lines:
        return False
    header = [h.strip() for h in lines[0].split("\t")]
    return tuple(header) == _BRACKEN_COLUMNS


def _level_rank(code: str, path: Path, lineno: int) -> str:
    rank = _standard_rank(code)
    if rank is None:
        raise FormatError(
            f"taxonomy level {code!r} is not a standard rank (D, P, C, O, F, G, S or S1)",
            path=path,
            line=lineno,
            field="taxonomy_lvl",
        )
    return rank


def read_table(source: Source) -> list[SampleProfile]:
    """Read a Bracken ``.bracken`` table into one sample profile."""
    path = source.path
    lines = source.lines()
    header_line = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if header_line is None:
        raise FormatError("the file is empty", path=path)
    header = [h.strip() for h in lines[header_line].split("\t")]
    if tuple(header) != _BRACKEN_COLUMNS:
        raise FormatError(
            f"expected the Bracken header {' '.join(_BRACKEN_COLUMNS)}", path=path, line=header_line + 1
        )
    lineages: list[Lineage] = []
    reads: list[float] = []
    taxids: list[str] = []
    level: tuple[str, int] | None = None
    seen: dict[str, int] = {}
    every_est = 0.0
    largest: tuple[float, float, int] | None = None  # (new_est_reads, fraction_total_reads, line)
    for lineno, ln in enumerate(lines[header_line + 1 :], start=header_line + 2):
        if not ln.strip():
            continue
        fields = ln.split("\t")
        if len(fields) != len(_BRACKEN_COLUMNS):
            raise FormatError(
                f"expected {len(_BRACKEN_COLUMNS)} tab-separated columns, found {len(fields)} (truncated file?)",
                path=path,
                line=lineno,
            )
        name = fields[0].strip()
        if not normalize_name(name):
            raise FormatError(f"taxon name {name!r} is empty", path=path, line=lineno, field="name")
        taxid = fields[1].strip()
        if taxid and not _INTEGER.match(taxid):
            raise FormatError(f"taxid {taxid!r} is not a whole number", path=path, line=lineno, field="taxonomy_id")
        code = fields[2].strip()
        if level is None:
            level = (code, lineno)
        elif code != level[0]:
            raise FormatError(
                f"taxonomy level {code!r} differs from {level[0]!r} on line {level[1]}; a Bracken table holds one level",
                path=path,
                line=lineno,
                field="taxonomy_lvl",
            )
        rank = _level_rank(code, path, lineno)
        # A taxon listed twice is a line written twice: summing it changed the scores silently.
        if (first := seen.setdefault(taxid or name, lineno)) != lineno:
            raise FormatError(f"the taxon {name!r} repeats line {first}", path=path, line=lineno,
                              field="taxonomy_id" if taxid else "name")
        for col in (3, 4):
            _number(fields[col], path, lineno, _BRACKEN_COLUMNS[col])
        new_est = _number(fields[5], path, lineno, "new_est_reads")
        fraction = _number(fields[6], path, lineno, "fraction_total_reads")
        every_est += new_est
        if largest is None or fraction > largest[1]:
            largest = (new_est, fraction, lineno)
        if new_est <= 0:
            continue
        lineages.append((taxon(rank, name),))
        reads.append(new_est)
        taxids.append(taxid)
    total = sum(reads)
    if not lineages or total <= 0:
        raise FormatError("no taxa with reads: empty or truncated Bracken table", path=path)
    _warn_if_rows_missing(every_est, largest, path)
    return [
        SampleProfile(
            sample=_sample_name(path),
            lineages=lineages,
            abundance=[r / total for r in reads],
            unassigned=0.0,
            counts=reads,
            source_file=str(path),
            source_format="bracken",
            database="",
            taxids=taxids,
        )
    ]


#: Bracken writes ``fraction_total_reads`` to 5 decimals; whole tables of
#: Bracken 2.x hold 99.76-99.998 % of the reads their fractions imply (two
#: skin tables of 2,250-2,320 species and the Bracken repository's sample).
_BRACKEN_FRACTION_STEP = 5e-6
_BRACKEN_ROWS_HOLD = 0.98


def _warn_if_rows_missing(every_est: float, largest: tuple[float, float, int] | None, path: Path) -> None:
    """Each row's ``fraction_total_reads`` is its ``new_est_reads`` over the
    reads of the whole table, so the largest row tells that total (to the 5
    decimals Bracken writes).  Rows that hold less of it than a whole table
    does are missing: a file cut short (a table whose last line was cut
    inside its last number still parses) or rows removed by hand.  Read with a
    warning, as shares of the rows present, as the Kraken report is not: the
    report's clade counts are its own tree, which a cut leaves inconsistent."""
    if largest is None:
        return
    new_est, fraction, lineno = largest
    if new_est <= 0 or fraction <= 0:
        return
    implied = new_est / (fraction + _BRACKEN_FRACTION_STEP)  # the smallest total the rounding allows
    if every_est < _BRACKEN_ROWS_HOLD * implied:
        warnings.warn(
            f"{path}: the rows' new_est_reads add up to {every_est:.10g}, {100 * every_est / implied:.1f} % of "
            f"the at least {implied:.0f} reads that line {lineno}'s fraction_total_reads implies for the whole "
            "table: rows are missing (a file cut short, or rows removed). It is scored as written, as shares of "
            "the rows present",
            GutBalanceWarning,
            stacklevel=4,
        )


# --- writing ------------------------------------------------------------------


def _reads_text(value: float) -> str:
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _parents(cohort) -> np.ndarray:
    """Column of each taxon's nearest standard-rank ancestor (-1 for none).

    The cohort's own ``parent`` key comes first: a column whose name is
    shared under other parents is keyed by its lineage
    (``p__Chloroflexota|c__Chloroflexia|o__Herpetosiphonales``), so
    ``o__<name>`` does not find it, and its children used to be written at
    the root (a Kraken report converted to a Kraken report had its root
    raised by 60 % and 290 taxa outside their domain).  The lineage columns
    are the fallback for a parent the cohort does not hold."""
    taxa = cohort.taxa
    position = {tid: j for j, tid in enumerate(taxa.index)}
    names = taxa[list(RANKS)].to_numpy(dtype=object)
    out = np.full(len(taxa), -1, dtype=np.int64)
    parent_keys = taxa["parent"].to_numpy(dtype=object) if "parent" in taxa else np.full(len(taxa), "", dtype=object)
    for j, rank in enumerate(taxa["rank"].to_numpy()):
        known = position.get(parent_keys[j], -1) if isinstance(parent_keys[j], str) and parent_keys[j] else -1
        if known >= 0:
            out[j] = known
            continue
        for k in range(RANK_INDEX[rank] - 1, -1, -1):
            name = names[j, k]
            if isinstance(name, str) and name:
                out[j] = position.get(f"{RANK_PREFIX[RANKS[k]]}__{name}", -1)
                break
    return out


def _whole(value: float) -> bool:
    """Whether ``value`` is a whole number of reads, up to the round-off of
    the float arithmetic that carried it (a sum, a share times a total: about
    1e-15 of the value; half a read in a million-read clade is not round-off)."""
    return abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))


def _fractional_read_error(cohort, i: int, what: str, value: float) -> FormatError:
    return FormatError(
        f"sample {cohort.sample_names[i]!r}: {what} holds {value!r} reads, not a whole number, though the input "
        "says it holds read counts; a Kraken report and a Bracken table hold whole reads, and rounding them "
        "here would change the profile unsaid. Write .profile (CAMI), .biom, .csv or MetaPhlAn instead, or "
        "give the reads as counted",
        field="reads",
    )


def _sample_reads(cohort, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Present columns, their abundances, their whole reads and the sample's total reads.

    Only for a sample whose reads the writers accept (:func:`_samples_without_reads`
    says which): the reads are the cohort's counts, each a whole number
    (a fractional one is refused, naming the sample and taxon: neither format
    holds fractions of reads, see the module docstring)."""
    start, end = cohort.X.indptr[i], cohort.X.indptr[i + 1]
    cols = cohort.X.indices[start:end]
    vals = cohort.X.data[start:end]
    keep = vals > 0
    cols, vals = cols[keep], vals[keep]
    if cohort.counts is None or not cohort.counted_samples()[i]:
        raise FormatError(f"sample {cohort.sample_names[i]!r} holds relative abundances, no reads to write")
    row = cohort.counts.getrow(i)
    lookup = dict(zip(row.indices.tolist(), row.data.tolist()))
    reads = np.array([lookup.get(int(c), 0.0) for c in cols], dtype=float)
    fractional = [k for k, value in enumerate(reads.tolist()) if not _whole(value)]
    if fractional:
        # the finest such taxon is named: its clades above are fractional because of it
        depth = cohort.taxa["rank"].map(RANK_INDEX).to_numpy()
        k = max(fractional, key=lambda k: depth[cols[k]])
        raise _fractional_read_error(cohort, i, f"taxon {cohort.taxa['name'].iat[int(cols[k])]!r}", float(reads[k]))
    reads = np.round(reads)
    if reads.sum() <= 0 or vals.sum() <= 0:
        raise FormatError(f"sample {cohort.sample_names[i]!r} has no reads to write")
    # reads per unit of abundance, taken over every present column
    return cols, vals, reads, float(reads.sum() / vals.sum())


def _samples_without_reads(cohort, *, estimates_of: str = "") -> np.ndarray:
    """Per sample: it has no reads either writer may write.  Reads counted
    are written (:func:`observed_count_samples`); so are the estimates of the
    format named ``estimates_of`` (Bracken's own, in a Bracken table)."""
    usable = observed_count_samples(cohort)
    if estimates_of and cohort.counts is not None:
        usable = usable | (cohort.counted_samples() & (counts_estimated_by(cohort) == estimates_of))
    return ~usable


def _refuse_samples_without_reads(cohort, path: Path, without: np.ndarray, what: str, holds: str) -> None:
    """The FormatError of a writer asked to write reads for samples that have
    none it may write, naming them and why (relative abundances, or whose
    estimates they hold)."""
    if not without.any():
        return
    names = [str(s) for s in np.asarray(cohort.sample_names)[without]]
    estimated = counts_estimated_by(cohort)[without]
    why = (f"its reads were estimated by {estimated[0]}" if estimated[0]
           else "it holds relative abundances, not read counts")
    raise FormatError(
        f"{what} holds {holds}, and {len(names)} of {cohort.n_samples} samples have none "
        f"({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}: {why}); reads made up from "
        "abundances would read back as reads (a read depth and, from a Kraken report, a Chao1 from nothing "
        "sequenced). Write .profile (CAMI), .biom, .csv or a MetaPhlAn table instead",
        path=path,
    )


def report_lines(cohort, i: int) -> list[str]:
    """One sample as a six-column Kraken 2 report.

    Clade reads of a parent are raised to the sum of its children where a
    profile's ranks do not nest exactly (CAMI profiles normalise each rank on
    its own), so the report stays a valid tree; the difference is the parent's
    own reads otherwise.
    """
    taxa = cohort.taxa
    parents = _parents(cohort)
    cols, _vals, reads, total = _sample_reads(cohort, i)
    present = {int(c): k for k, c in enumerate(cols)}
    depth_rank = taxa["rank"].map(RANK_INDEX).to_numpy()
    children: dict[int, list[int]] = {-1: []}
    for c in present:
        p = int(parents[c])
        children.setdefault(p if p in present else -1, []).append(c)
    clade = {c: float(reads[present[c]]) for c in present}
    for c in sorted(present, key=lambda c: -depth_rank[c]):
        below = sum(clade[k] for k in children.get(c, []))
        clade[c] = max(clade[c], below)
    root = sum(clade[c] for c in children[-1])
    unassigned = float(cohort.samples["unassigned"].iloc[i]) * total
    if not _whole(unassigned):
        raise _fractional_read_error(cohort, i, "its unassigned share", unassigned)
    unassigned = float(round(unassigned))  # whole reads come back whole, not 2010.0000000000005
    grand = root + unassigned
    names = taxa["name"].to_numpy()
    ranks = taxa["rank"].to_numpy()
    taxid = taxa["taxid"].to_numpy()

    def pct(v: float) -> str:
        return f"{100.0 * v / grand:.2f}" if grand > 0 else "0.00"

    out = []
    if unassigned > 0:
        out.append(f"{pct(unassigned)}\t{_reads_text(unassigned)}\t{_reads_text(unassigned)}\tU\t0\tunclassified")
    out.append(f"{pct(root)}\t{_reads_text(root)}\t0\tR\t1\troot")

    def visit(c: int, depth: int) -> None:
        kids = sorted(children.get(c, []), key=lambda k: (-clade[k], names[k]))
        own = max(0.0, clade[c] - sum(clade[k] for k in kids))
        tid = str(taxid[c]) if isinstance(taxid[c], str) and _INTEGER.match(str(taxid[c])) else "0"
        name = str(names[c])
        if "\t" in name or "\n" in name:
            raise FormatError(f"taxon name {name!r} holds a tab or line break")
        out.append(
            f"{pct(clade[c])}\t{_reads_text(clade[c])}\t{_reads_text(own)}\t{_RANK_CODE_OUT[ranks[c]]}\t{tid}\t"
            f"{'  ' * depth}{name}"
        )
        for k in kids:
            visit(k, depth + 1)

    for c in sorted(children[-1], key=lambda k: (-clade[k], names[k])):
        visit(c, 1)
    return out


def _fraction_text(value: float) -> str:
    """``fraction_total_reads`` as Bracken writes it, a plain decimal, but
    with every digit the float needs: Bracken's ``%0.5f`` prints 0.00000 for
    its rarer species (21 of 26 million reads in its own sample table), and
    Python's repr writes those as ``8.04e-07``, which is not how any Bracken
    table looks.  Readers (gutbalance's too) take the abundance from
    ``new_est_reads``; this column is for those who read the fraction."""
    return np.format_float_positional(value, unique=True, trim="0")


def table_lines(cohort, i: int) -> list[str]:
    """One sample's species as a Bracken table (``taxonomy_lvl`` S)."""
    taxa = cohort.taxa
    cols, _vals, reads, _total = _sample_reads(cohort, i)
    ranks = taxa["rank"].to_numpy()[cols]
    species = np.flatnonzero(ranks == "species")
    name = cohort.sample_names[i]
    if not len(species) or reads[species].sum() <= 0:
        raise FormatError(f"sample {name!r} has no species-level abundances; a Bracken table lists species")
    total = float(reads[species].sum())
    order = sorted(species, key=lambda k: -reads[k])
    names = taxa["name"].to_numpy()
    taxid = taxa["taxid"].to_numpy()
    out = ["\t".join(_BRACKEN_COLUMNS)]
    for k in order:
        c = cols[k]
        tid = str(taxid[c]) if isinstance(taxid[c], str) and _INTEGER.match(str(taxid[c])) else ""
        text = _reads_text(reads[k])
        out.append(f"{names[c]}\t{tid}\tS\t{text}\t0\t{text}\t{_fraction_text(float(reads[k]) / total)}")
    return out


def _write_per_sample(cohort, path: Path, lines_of, suffix: str) -> None:
    """One file when the cohort has one sample and ``path`` has a suffix,
    else a folder ``path`` with one file per sample."""
    path = Path(path)
    try:
        texts = {name: "\n".join(lines_of(cohort, i)) + "\n" for i, name in enumerate(cohort.sample_names)}
    except FormatError as exc:
        if exc.path is not None:
            raise
        raise FormatError(exc.message, path=path, line=exc.line, field=exc.field) from None
    if cohort.n_samples == 1 and path.suffix:
        write_text_atomic(next(iter(texts.values())), path)
        return
    files = safe_file_names(list(texts), path)
    path.mkdir(parents=True, exist_ok=True)
    for file, text in zip(files, texts.values(), strict=True):
        write_text_atomic(text, path / f"{file}{suffix}")


def write_report(cohort, path: Path) -> None:
    """Write Kraken 2 reports (six columns): one file, or a folder of ``<sample>.kreport``.

    Raises
    ------
    FormatError
        A sample has no counted reads (a relative profile, or a profiler's
        estimated reads): a Kraken report holds reads counted (see the module
        docstring)."""
    _refuse_samples_without_reads(cohort, path, _samples_without_reads(cohort), "a Kraken report", "reads counted")
    _write_per_sample(cohort, path, report_lines, ".kreport")
    _warn_taxid_zero(cohort, path)


def _warn_taxid_zero(cohort, path: Path) -> None:
    """Say which written taxa have no NCBI taxid: a Kraken report's column
    holds a number, and they get 0, Kraken's id of the unclassified reads,
    which tools that join on taxids (Bracken, KrakenTools) misread.  Read
    back here, 0 is "no taxid" (an outside check found 68 such rows, one an
    order of 46.8 % of the reads, written without a word)."""
    held = np.unique(cohort.X.indices[cohort.X.data > 0])
    taxid = cohort.taxa["taxid"].to_numpy()[held]
    without = [str(cohort.taxa["name"].iloc[c]) for c, t in zip(held, taxid, strict=True)
               if not (isinstance(t, str) and _INTEGER.match(t))]
    if without:
        warnings.warn(
            f"{path}: {len(without)} taxa have no NCBI taxid (e.g. {', '.join(sorted(without)[:3])}) and are written "
            "with taxid 0, Kraken's id of unclassified reads: tools that join on taxids (Bracken, KrakenTools) will "
            "misread those rows. The tree is the lineage table's, in which the input's taxa were placed "
            "(docs/formats.md, Harmonisation), so a Kraken report written from another Kraken report may group "
            "families differently",
            GutBalanceWarning,
            stacklevel=3,
        )


def write_table(cohort, path: Path) -> None:
    """Write species-level Bracken tables: one file, or a folder of ``<sample>.bracken``.

    Raises
    ------
    FormatError
        A sample has neither reads counted nor Bracken's own estimates (a
        relative profile, or another profiler's estimated reads), or a read
        count that is not a whole number (see the module docstring)."""
    without = _samples_without_reads(cohort, estimates_of="bracken")
    _refuse_samples_without_reads(cohort, path, without, "a Bracken table", "reads (counted, or Bracken's estimates)")
    _write_per_sample(cohort, path, table_lines, ".bracken")


register(
    Format(
        "kraken",
        "a Kraken 2 report (--report, 6 or 8 columns; also Kraken 1 and Bracken .kreport)",
        sniff_report,
        read_report,
        write_report,
        extensions=(".kreport", ".kreport2"),
        priority=30,
        ends_with_newline=True,
    )
)
register(
    Format(
        "krakenuniq",
        "a KrakenUniq report (--report-file: Kraken's columns with k-mer counts and NCBI rank names)",
        sniff_krakenuniq,
        read_krakenuniq,
        priority=30,
        ends_with_newline=True,
    )
)
register(
    Format(
        "bracken",
        "a Bracken abundance table (.bracken)",
        sniff_table,
        read_table,
        write_table,
        extensions=(".bracken",),
        priority=30,
        estimated_counts=(
            "Bracken's new_est_reads are reads re-estimated by redistributing Kraken's, and species under its read "
            "threshold (-t, 10 by default) are dropped (Lu et al. 2017, doi:10.7717/peerj-cs.104): Chao1 needs "
            "observed singletons and doubletons"
        ),
        ends_with_newline=True,
    )
)
