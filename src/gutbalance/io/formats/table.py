"""Generic CSV/TSV abundance tables.  What the cells mean once parsed
(labels as lineages, counts versus relative abundance, hierarchical or
exclusive rows) is decided for every feature table alike, in
:mod:`gutbalance.io.feature_table`.

What is accepted
----------------
*Wide* tables, one row per taxon and one column per sample (or transposed)::

    #OTU ID                          CD_1    CD_2
    k__Bacteria; p__Firmicutes; ...  84.0    14.0

*Long* tables, one row per (sample, taxon), with a sample column (``sample``,
``sample_id``, ``SampleID``, ``run``), a taxon column (``taxon``, ``lineage``,
``taxonomy``, ``clade_name``, ``species``, ``feature`` ...) and a value column
(``abundance``, ``relative_abundance``, ``percent`` ... and/or ``counts``,
``reads``).  This is what :func:`write` produces:
``sample,lineage,clade_abundance[,clade_counts][,counts_estimated_by][,profiler_database]``,
``counts_estimated_by`` naming, for a sample whose reads a profiler estimated (MetaPhlAn,
Bracken, mOTUs), the format whose estimates they were: its relative
abundances are written instead, and the reason Chao1 is missing is kept;
``profiler_database`` the database the sample's profile named
(``mpa_v31_CHOCOPhlAn_201901``), which its percentiles and their caveats
depend on.

Taxa are written as lineages the Greengenes (``k__A; p__B``), SILVA/GTDB
(``d__A;p__B``), MetaPhlAn (``k__A|p__B``) or plain (``Bacteria;Firmicutes``)
way, as binomial species names (``Bacteroides fragilis``), as names in a
column headed by its rank (``genus``), or as one column per rank (``Kingdom``,
``Phylum`` ... as phyloseq exports them).  Bare names whose rank nothing in
the file says (a samples x genera table headed ``SampleID, Lysinibacillus,
UCG-002, [Eubacterium]_coprostanoligenes_group``, as phyloseq or pandas write
a genus table) are read at the rank the user declares (``feature_rank``,
``--feature-rank genus``); without it they are refused, naming the option.  A
separate ``taxonomy``/``lineage``
column beside an id column (``#OTU ID``) is used for the lineage; each row is
then a feature (an OTU), each id once, and features of one lineage are summed
(a QIIME 1 OTU table has many OTUs per lineage).  A mothur ``.shared`` file
(``label``, ``Group``, ``numOtus``, then one column per OTU) is a samples x
OTUs table of reads, read with its consensus taxonomy beside it.  Rows named ``Unassigned``/``UNKNOWN``/``unclassified`` are the
unassigned share.

What spreadsheets do is tolerated: a UTF-8 BOM, CRLF line ends, quoted
fields, ``;`` as the separator, decimal commas (``0,5``) where the separator is
not a comma, empty cells (read as 0).  Thousands separators are never guessed:
when every comma-number looks like ``1,234`` among integers, the file is
refused as ambiguous.  Leading ``#`` lines are comments, except the last one
when it has as many fields as the data (``#OTU ID``).

How the layout is decided
-------------------------
1. The separator is the one of tab, comma and semicolon that splits the
   header and the first data lines into the same number (>= 2) of fields
   (quote-aware); ties go to the one giving more fields, then tab, comma,
   semicolon.
2. A header with a sample column, a taxon column and a value column is a long
   table.
3. Otherwise the table is wide.  A lineage/taxonomy column or rank columns
   mean taxa are rows.  Else the labels of the first column and the labels of
   the header are each scored by the share that look taxonomic (rank prefix,
   ``;``/``|`` lineage, binomial, ``Unassigned``, an id of the taxonomy given
   beside the table, an ASV sequence as DADA2's ``seqtab`` names its columns);
   taxa are on the axis that scores higher (rows on a tie), and a first
   header cell such as ``sample`` means samples are rows.  A first header
   cell such as ``feature`` or ``OTU ID`` means taxa are rows, unless none of
   that column's labels looks taxonomic while most of the header's do
   (MaAsLin2's ``features/filtered_data.tsv``: sample names under
   ``feature``, MetaPhlAn's ``s__`` names as the header).

taxpasta
--------
taxpasta (PyPI) standardises profiler outputs to a ``taxonomy_id``/``count``
table; names and lineages come back only with a separate taxonomy database
and relative abundances are recomputed from rounded counts, both of which
lose what this project needs (original lineage names, full precision).  It
also pins pandas against ours in pip's resolver.  It is therefore not a
dependency; none of the formats here (BIOM, QIIME 2, generic tables) is one
it reads better.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ...atomic import write_text_atomic
from ...cohort import Lineage, SampleProfile
from ...errors import FormatError, GutBalanceWarning, TaxonomyError
from ...taxonomy import RANK_INDEX, lineages_to_write, standard_rank
from ..feature_table import (
    has_rank_prefix,
    is_unassigned,
    label_lineage,
    looks_taxonomic,
    profiles_from_matrix,
    strip_rank_prefix,
    unassigned_count,
)
from ..registry import Format, counts_estimated_by, register, writes_counts
from ..source import MISSING_VALUE_HINT, Source, warn_duplicate_samples, warn_empty_cells
from ..taxonomy_file import FeatureTaxonomy

# --- reading text tables ----------------------------------------------------

#: The first three columns of mothur's ``.shared`` file (make.shared).
_MOTHUR_SHARED = ["label", "group", "numotus"]
_SAMPLE_HEADERS = {"sample", "sample_id", "sampleid", "sample_name", "samplename", "run", "sample id"}
_LINEAGE_HEADERS = {
    "taxonomy",
    "lineage",
    "taxon",
    "taxa",
    "consensus lineage",
    "consensuslineage",
    "taxon_name",
    "taxonomy_lineage",
    "clade_name",
    "clade",
    "classification",
    "organism",
}
_FEATURE_HEADERS = {"otu id", "otu_id", "otuid", "otu", "feature id", "feature_id", "featureid", "feature", "asv", "id"}
#: Value and count columns of clade totals (every rank of a sample, as
#: gutbalance writes long tables): the table is hierarchical by declaration.
_CLADE_HEADERS = {"clade_abundance", "clade_counts"}
_VALUE_HEADERS = {
    "clade_abundance",
    "abundance",
    "relative_abundance",
    "rel_abundance",
    "relative abundance",
    "value",
    "fraction",
    "proportion",
    "percent",
    "percentage",
}
_COUNT_HEADERS = {"clade_counts", "count", "counts", "reads", "read_count", "read_counts", "num_reads", "estimated_reads", "new_est_reads"}
#: Columns beside the samples that are not samples.
_ANNOTATION_HEADERS = {
    "confidence",
    "taxid",
    "tax_id",
    "taxonomy_id",
    "ncbi_tax_id",
    "ncbi_taxid",
    "clade_taxid",
    "rank",
    "taxonomy_level",
    "description",
    "name",
    "additional_species",
}
_DELIMITERS = ("\t", ",", ";")
_SCAN_LINES = 50


def _header_key(cell: str) -> str:
    return cell.strip().strip('"').lstrip("#").strip().lower()


#: Column names of sample metadata sheets (the labelled sets', MetAML's,
#: curatedMetagenomicData's, QIIME 2 sample metadata), compared by
#: :func:`_header_key` with ``.``, ``-`` and spaces as ``_``.
_METADATA_HEADERS = {
    "age", "sex", "gender", "bmi", "country", "diagnosis", "disease", "study", "study_group", "study_name",
    "subject", "subject_id", "subjectid", "participant", "patient", "phenotype", "bodysite", "body_site",
    "antibiotic", "antibiotics", "visit", "visit_num", "week_num", "date", "collection_date", "group", "treatment",
    # an SRA/CZ ID style sample sheet (naobservatory/illumina_pilot's metadata_complete.csv)
    "host", "host_organism", "sample_type", "collection_location", "notes",
}
#: What a metadata sheet given as a profile is told to do instead.
METADATA_HINT = "give it with --metadata FILE beside the profiles"


def _metadata_sheet(header: list[str], data: list[tuple[int, list[str]]]) -> list[str]:
    """The metadata column names of a table that is a sample metadata sheet,
    not a profile (two or more such names in the header and words in its
    first rows' cells beyond the first column); empty otherwise."""
    named = [h for h in header if re.sub(r"[.\- ]+", "_", _header_key(h)) in _METADATA_HEADERS]
    if len(named) < 2:
        return []
    words = any(cell and not _NUMBER.match(cell) and cell.lower() not in {"na", "nan"}
                for _, rec in data[:_SCAN_LINES] for cell in rec[1:])
    return named if words else []


#: A column header that is a prefixed lineage, as QIIME 2 heads its collapsed
#: taxa (``k__Bacteria;p__Firmicutes;...``, ``d__Bacteria;...``,
#: ``Unassigned;__;__``).
_PREFIXED_LINEAGE_HEADER = re.compile(r"^(?:[kd]__|Unassigned;)")


def _trailing_metadata(header: list[str]) -> int | None:
    """Where the sample metadata of a samples-as-rows table of taxa begins,
    or None: ``qiime taxa barplot``'s "Download CSV" (``level-7.csv``)
    writes the samples as rows under ``index``, a column per collapsed
    taxon, then the sample metadata given to the barplot (``body-site``,
    ``subject``, ``year`` ...).  Only that shape: a first column of sample
    names, lineage columns from the second on, and after the last of them
    only columns that are not lineages."""
    key = _header_key(header[0])
    if key != "index" and key not in _SAMPLE_HEADERS:
        return None
    # the unassigned column (UNKNOWN, Unassigned;__) is the profile's, wherever it stands
    lineage = [bool(_PREFIXED_LINEAGE_HEADER.match(h.strip())) or is_unassigned(h) for h in header]
    if len(header) < 3 or not lineage[1]:
        return None
    start = lineage.index(False, 1) if False in lineage[1:] else len(header)
    if start == len(header) or any(lineage[start:]):
        return None
    return start


def _split_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Records with the (1-based) line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    out = []
    start = 1
    try:
        for record in reader:
            out.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(f"unreadable table: {exc}", line=reader.line_num) from None
    return out


def _choose_delimiter(lines: list[str]) -> str | None:
    best: tuple[int, int, str] | None = None
    for rank, delim in enumerate(_DELIMITERS):
        try:
            widths = [len(next(csv.reader([ln], delimiter=delim, quotechar='"'))) for ln in lines]
        except (csv.Error, StopIteration):
            continue
        consistent = len(set(widths)) == 1 and widths[0] >= 2
        # a trailing empty field on some rows is what spreadsheets do
        ragged_by_one = bool(widths) and min(widths) >= 2 and max(widths) - min(widths) <= 1 and len(lines) > 1
        if not (consistent or ragged_by_one):
            continue
        score = (min(widths), -rank)
        if best is None or score > best[:2]:
            best = (score[0], score[1], delim)
    return None if best is None else best[2]


def _table_lines(text: str) -> tuple[list[str], int, list[str]]:
    """Lines from the header on, how many comment lines were skipped, and those lines."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and (lines[first].startswith("#") or not lines[first].strip()):
        first += 1
    comments = [i for i in range(first) if lines[i].strip()]
    if comments and first < len(lines):
        # '#OTU ID<TAB>S1<TAB>S2' is the header, '# Constructed from biom file' a comment
        delim = _choose_delimiter([lines[comments[-1]], *lines[first : first + 3]])
        if delim is not None:
            first = comments[-1]
    return lines[first:], first, lines[:first]


def _refuse_commented_header_of_other_width(skipped_lines: list[str], first_row: str, delim: str, path: Path) -> None:
    """Refuse a '#' header naming several columns when the rows have another width.

    ``_table_lines`` keeps the last '#' line as the header only when it splits
    like the rows; otherwise the first data row silently became the header
    (a per-sample OTU list whose lineage runs over one cell per rank read
    'Bacteria;' as a sample).  A comment names one thing at most, so a '#'
    line with two or more named fields is a header, and a mismatch is an error.
    """
    skipped = len(skipped_lines)
    comment_lines = [(i, ln) for i, ln in enumerate(skipped_lines) if ln.strip()]
    if not comment_lines:
        return
    index, comment = comment_lines[-1]
    named = [c for c in next(csv.reader([comment], delimiter=delim, quotechar='"')) if c.strip()]
    width = len(next(csv.reader([first_row], delimiter=delim, quotechar='"')))
    if len(named) >= 2 and len(named) != width:
        shown = ", ".join(c.strip() for c in named)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise FormatError(
            f"the header {shown!r} names {len(named)} fields but line {skipped + 1} has {width}: "
            "a lineage spread over one column per rank? Join it into one column (ranks separated by ';')",
            path=path,
            line=index + 1,
        )


def sniff(source: Source) -> bool:
    """Whether ``source`` splits into a table with a header and numbers (the generic fallback)."""
    lines = source.head_lines
    if not lines:
        return False
    body, _, _ = _table_lines("\n".join(lines))
    body = [ln for ln in body if ln.strip()][:_SCAN_LINES]
    if len(body) < 2 or body[0].lstrip().startswith(("{", "<", "@", ">")):
        return False
    delim = _choose_delimiter(body)
    if delim is None:
        return False
    numeric = 0
    for ln in body[1:]:
        for cell in next(csv.reader([ln], delimiter=delim, quotechar='"'))[1:]:
            cell = cell.strip()
            if cell and _NUMBER.match(cell.replace(",", ".") if delim != "," else cell):
                numeric += 1
    return numeric > 0


_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")
_THOUSANDS_LIKE = re.compile(r"^[1-9]\d{0,2},\d{3}$")
_INTEGER = re.compile(r"^[+-]?\d+$")


class _Numbers:
    """Turns cells into numbers with one decimal mark for the whole file."""

    def __init__(self, cells: list[str], delimiter: str, path: Path) -> None:
        self.comma = False
        if delimiter == ",":
            return
        with_comma = [c for c in cells if "," in c]
        if not with_comma:
            return
        if any("." in c for c in cells if c and c[0] in "+-.0123456789"):
            return  # '.' is the decimal mark; a ',' cell will be refused as not a number
        if all(_THOUSANDS_LIKE.match(c) for c in with_comma) and all(
            _INTEGER.match(c) for c in cells if c and "," not in c
        ):
            raise FormatError(
                f"{with_comma[0]!r} may be a decimal comma or a thousands separator; write plain numbers "
                "(no thousands separators)",
                path=path,
            )
        self.comma = True

    def convert(self, cell: str) -> float:
        text = cell.strip()
        if not text:
            return 0.0
        if self.comma and _DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        if not _NUMBER.match(text) and text.lower() not in {"nan", "na", "inf", "-inf", "infinity"}:
            raise ValueError(text)
        return float(text) if text.lower() != "na" else math.nan


def _check_value(value: float, cell: str, path: Path, line: int, field: str) -> float:
    if math.isnan(value):
        raise FormatError(f"{cell.strip()!r} is not a number (missing values are not allowed: {MISSING_VALUE_HINT})",
                          path=path, line=line, field=field)
    if math.isinf(value):
        raise FormatError("infinite abundance", path=path, line=line, field=field)
    if value < 0:
        raise FormatError(f"negative abundance {value:g}", path=path, line=line, field=field)
    return value


def _parse_cell(numbers: _Numbers, cell: str, path: Path, line: int, field: str) -> float:
    try:
        value = numbers.convert(cell)
    except ValueError:
        raise FormatError(f"{cell.strip()!r} is not a number", path=path, line=line, field=field) from None
    return _check_value(value, cell, path, line, field)


@dataclass
class _Labels:
    """Row (or column) labels and how to turn them into lineages."""

    texts: list[str]
    lines: list[int]
    field: str
    rank: str | None = None
    #: Feature ids beside the lineages (an OTU table's ``#OTU ID`` column next
    #: to its ``taxonomy``): each id once, and features of one lineage summed.
    ids: list[str] | None = None
    id_field: str = ""


def _resolve(
    labels: _Labels, path: Path, *, transposed: bool, taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
) -> list[Lineage | None]:
    if labels.rank is not None and feature_rank is not None and labels.rank != feature_rank:
        # The header is the file's own statement, as a lineage's prefixes are:
        # the declared rank is for names nothing in their file ranks.
        warnings.warn(
            f"{path}, field {labels.field!r}: the header names the rank of this column, so its names are read as "
            f"{labels.rank} names, not at the rank declared for bare names ({feature_rank})",
            GutBalanceWarning,
            stacklevel=2,
        )
    plain = labels.rank is None and feature_rank is None and any(
        (";" in t or "|" in t) and not has_rank_prefix(t) for t in labels.texts
    )
    seen: dict[str, int] = {}
    out: list[Lineage | None] = []
    unnamed: list[int] = []
    ids = labels.ids if labels.ids is not None else [None] * len(labels.texts)
    for text, line, feature in zip(labels.texts, labels.lines, ids, strict=True):
        key = text.strip().strip('"').strip()
        where_line = None if transposed else line
        where_field = key if transposed else labels.field
        if feature is not None:
            # OTUs of one lineage are summed (profiles_from_matrix); an id twice is an error
            feature = feature.strip().strip('"').strip()
            if feature in seen:
                raise FormatError(f"feature {feature!r} appears twice (also line {seen[feature]})",
                                  path=path, line=line, field=labels.id_field or "first column")
            seen[feature] = line
        if not key or key.upper() in ("NA", "NAN", "NONE", "NULL"):
            # A row without a taxon name (an OTU exported without its label):
            # its abundance is not assigned to any taxon; the rest is kept.
            unnamed.append(line)
            out.append(None)
            continue
        if feature is None and key in seen:
            raise FormatError(
                f"taxon {key!r} appears twice (also {'column' if transposed else 'line'} {seen[key]})",
                path=path,
                line=where_line,
                field=where_field,
            )
        if feature is None:
            seen[key] = line
        if taxonomy is not None and key in taxonomy.lineages:
            key = taxonomy.lineages[key]
        elif _SEQUENCE.match(key):
            # Given a taxonomy that does not name the sequence, it is most often the
            # taxonomy of another run (seqtab.nochim.csv beside an older taxa.csv).
            where = (f"the taxonomy given beside it ({', '.join(taxonomy.sources)}) does not name it: give this "
                     "table's own taxonomy" if taxonomy else "no taxonomy names it: read the table together with its taxonomy")
            raise FormatError(
                f"feature {key[:24]}... is an ASV sequence and {where} "
                "(DADA2's assignTaxonomy table written as CSV, a QIIME 2 taxonomy.qza "
                "or taxonomy.tsv), for example gutbalance analyze seqtab.csv taxa.csv",
                path=path,
                line=where_line,
                field=where_field if not transposed else None,
            )
        try:
            out.append(label_lineage(key, rank=labels.rank, declared=feature_rank, plain_lineages=plain))
        except TaxonomyError as exc:
            message = str(exc)
            if transposed and labels.rank is None and feature_rank is None:
                # The taxa are the header of a samples-as-rows table (a genus
                # table saved from R or pandas): there is no column to head.
                message += " (here the taxa are the column names of a table with samples as rows: no column to head)"
            raise FormatError(message, path=path, line=where_line, field=where_field) from None
    if unnamed:
        if len(unnamed) == len(out):
            raise FormatError("no row has a taxon name", path=path, field=labels.field or None)
        where = "columns" if transposed else "lines"
        shown = ", ".join(map(str, unnamed[:5])) + (", ..." if len(unnamed) > 5 else "")
        warnings.warn(
            f"{path}: {len(unnamed)} {'column' if transposed else 'row'}(s) without a taxon name ({where} {shown}) "
            "are counted as unassigned; the rest of the table is kept",
            GutBalanceWarning,
            stacklevel=2,
        )
    return out


def _rank_columns(header: list[str]) -> list[tuple[int, str]]:
    found = []
    for i, cell in enumerate(header):
        rank = standard_rank(_header_key(cell))
        if rank is not None:
            found.append((i, rank))
    return found if len(found) >= 2 else []


def _lineage_from_rank_columns(record: list[str], columns: list[tuple[int, str]]) -> str:
    parts = []
    for i, rank in sorted(columns, key=lambda c: RANK_INDEX[c[1]]):
        name = record[i].strip() if i < len(record) else ""
        if not name or name.upper() == "NA":
            # a rank the taxonomy leaves empty (kraken-biom's NCBI lineages: no class
            # between Cyanobacteria and Synechococcales, no genus for some phages): the
            # ranks below still name it; an epithet without its genus is left out when
            # the lineage is parsed
            continue
        name = strip_rank_prefix(name)
        parts.append(f"{'kpcofgst'[RANK_INDEX[rank]]}__{name}")
    return "|".join(parts) if parts else "Unassigned"


def _read_long(
    records: list[tuple[int, list[str]]],
    header: list[str],
    columns: dict[str, int],
    numbers: _Numbers,
    path: Path,
    taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
) -> list[SampleProfile]:
    s_col, t_col = columns["sample"], columns["taxon"]
    v_col, c_col = columns.get("value"), columns.get("counts")
    e_col = columns.get("estimated_by")
    estimated_by: dict[str, str] = {}
    d_col = columns.get("database")
    databases: dict[str, str] = {}
    rank = standard_rank(_header_key(header[t_col]))
    samples: dict[str, int] = {}
    taxa: dict[str, int] = {}
    taxa_lines: list[int] = []
    cells: dict[tuple[int, int], int] = {}
    rows, cols, vals, cnts = [], [], [], []
    for line, record in records:
        if len(record) != len(header):
            raise FormatError(f"expected {len(header)} fields like the header, found {len(record)}", path=path, line=line)
        sample = record[s_col].strip()
        name = record[t_col].strip()
        if not sample:
            raise FormatError("empty sample name", path=path, line=line, field=header[s_col])
        j = samples.setdefault(sample, len(samples))
        for column, said, what, again in ((d_col, databases, "to come from database", "from"),
                                          (e_col, estimated_by, "to have reads estimated by", "by")):
            if column is not None:
                value = record[column].strip()
                if said.setdefault(sample, value) != value:
                    raise FormatError(f"sample {sample!r} is said {what} {said[sample]!r} and {again} {value!r}",
                                      path=path, line=line, field=header[column])
        if name not in taxa:
            taxa[name] = len(taxa)
            taxa_lines.append(line)
        i = taxa[name]
        if (i, j) in cells:
            raise FormatError(
                f"sample {sample!r}, taxon {name!r} repeats line {cells[(i, j)]}", path=path, line=line, field=header[t_col]
            )
        cells[(i, j)] = line
        rows.append(i)
        cols.append(j)
        if v_col is not None:
            vals.append(_parse_cell(numbers, record[v_col], path, line, header[v_col]))
        if c_col is not None:
            cnts.append(_parse_cell(numbers, record[c_col], path, line, header[c_col]))
    if not taxa:
        raise FormatError("the table has a header but no rows", path=path)
    shape = (len(taxa), len(samples))
    labels = _Labels(list(taxa), taxa_lines, header[t_col].strip(), rank)
    lineages = _resolve(labels, path, transposed=False, taxonomy=taxonomy, feature_rank=feature_rank)
    counts = None if c_col is None else sp.csr_matrix((cnts, (rows, cols)), shape=shape)
    clades = any(_header_key(header[c]) in _CLADE_HEADERS for c in (v_col, c_col) if c is not None)
    if v_col is None:
        assert counts is not None  # a long table has a value column, a counts column or both
        return profiles_from_matrix(
            lineages, counts, list(samples), path=path, source_format="table", kind="counts", clades=clades
        )
    values = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    kind = "relative" if counts is not None else None
    profiles = profiles_from_matrix(
        lineages, values, list(samples), path=path, source_format="table", counts=counts, kind=kind, clades=clades
    )
    for profile in profiles:
        if profile.counts is None:  # estimates are never read as counts
            profile.counts_estimated_by = estimated_by.get(profile.sample, "")
        profile.database = databases.get(profile.sample, "")
    return profiles


def _long_columns(header: list[str]) -> dict[str, int] | None:
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in _SAMPLE_HEADERS and "sample" not in found:
            found["sample"] = i
        elif (key in _LINEAGE_HEADERS or key in {"feature", "feature_id", "species", "genus"}) and "taxon" not in found:
            found["taxon"] = i
        elif key in _VALUE_HEADERS and "value" not in found:
            found["value"] = i
        elif key in _COUNT_HEADERS and "counts" not in found:
            found["counts"] = i
        elif key == "counts_estimated_by" and "estimated_by" not in found:
            found["estimated_by"] = i
        elif key == "profiler_database" and "database" not in found:
            found["database"] = i
    if "sample" in found and "taxon" in found and ("value" in found or "counts" in found):
        return found
    return None


def read(
    source: Source, *, taxonomy: FeatureTaxonomy | None = None, feature_rank: str | None = None
) -> list[SampleProfile]:
    """Read a CSV/TSV table; ``taxonomy`` names features (ASV ids) by
    lineage; ``feature_rank`` is the standard rank of bare taxon names (a
    samples x genera table headed by genus names; a standard rank, checked
    by :func:`gutbalance.io.read_source`)."""
    path = source.path
    lines, skipped, skipped_lines = _table_lines(source.text)
    body = [ln for ln in lines if ln.strip()]
    if len(body) < 2:
        raise FormatError("a table needs a header and at least one row", path=path)
    delim = _choose_delimiter(body[:_SCAN_LINES])
    if delim is None:
        raise FormatError("cannot find the column separator (tab, comma or semicolon)", path=path, line=skipped + 1)
    _refuse_commented_header_of_other_width(skipped_lines, body[0], delim, path)
    try:
        records = _split_records("\n".join(lines), delim)
    except FormatError as exc:
        raise FormatError(exc.message, path=path, line=None if exc.line is None else exc.line + skipped) from None
    records = [(line + skipped, [c.strip() for c in rec]) for line, rec in records if any(c.strip() for c in rec)]
    (header_line, header), data = records[0], records[1:]
    header = [h.strip().strip('"') for h in header]
    if not data:
        raise FormatError("the table has a header but no rows", path=path)
    kind = None
    if [_header_key(h) for h in header[:3]] == _MOTHUR_SHARED:
        header, data = _mothur_shared(header, data, path, taxonomy)
        kind = "counts"  # a .shared file holds reads per OTU, whatever they add up to
    long_columns = _long_columns(header)
    value_cells: list[str]
    if long_columns is not None:
        idx = [long_columns[k] for k in ("value", "counts") if k in long_columns]
        value_cells = [rec[i] for _, rec in data for i in idx if i < len(rec)]
        numbers = _Numbers(value_cells, delim, path)
        return _read_long(data, header, long_columns, numbers, path, taxonomy, feature_rank)
    # Whether or not a taxonomy came with the batch: the barplot's columns are
    # lineages, which no taxonomy renames (an outside check: level-7.csv beside
    # a taxonomy .qza was refused at its 'barcode-sequence' column)
    if kind is None and (start := _trailing_metadata(header)) is not None:
        trailing = header[start:]
        warnings.warn(
            f"{path}: {'the column' if len(trailing) == 1 else f'the {len(trailing)} columns'} after the taxa "
            f"({', '.join(trailing[:6])}{', ...' if len(trailing) > 6 else ''}) "
            f"{'is' if len(trailing) == 1 else 'are'} sample metadata, as QIIME 2's taxa barplot CSV writes them, "
            "not taxa: left out of the profiles; give the file with --metadata FILE as well to use them",
            GutBalanceWarning,
            stacklevel=2,
        )
        header, data = header[:start], [(line, rec[:start]) for line, rec in data]
    if kind is None and taxonomy is None and (named := _metadata_sheet(header, data)):
        raise FormatError(f"a table of sample metadata (columns {', '.join(named[:6])}), not a profile: "
                          f"{METADATA_HINT}", path=path, line=header_line)
    return _read_wide(header_line, header, data, delim, path, taxonomy, feature_rank, kind=kind)


def _read_wide(
    header_line: int,
    header: list[str],
    data: list[tuple[int, list[str]]],
    delim: str,
    path: Path,
    taxonomy: FeatureTaxonomy | None = None,
    feature_rank: str | None = None,
    *,
    kind: str | None = None,
) -> list[SampleProfile]:
    """A wide table: one column per sample and a row per taxon, or transposed
    (``kind``: ``"counts"`` where the file's format says so, as mothur's does)."""
    _check_widths(data, len(header), path)
    layout = _wide_layout(header, header_line, path)
    _refuse_headerless(header, header_line, layout, taxonomy, path)
    values = _wide_values(data, header, layout.data_cols, delim, path)
    if _taxa_are_columns(layout, data, header, taxonomy, feature_rank=feature_rank, path=path):
        samples, repeated = _sample_rows(data, header, header_line, path)
        labels = _Labels([header[i] for i in layout.data_cols], layout.data_cols, "")
        lineages = _resolve(labels, path, transposed=True, taxonomy=taxonomy, feature_rank=feature_rank)
        values = values.T
    else:
        samples, repeated = _sample_columns(header, layout.data_cols, header_line, path)
        lineages = _resolve(_row_labels(layout, header, data), path, transposed=False, taxonomy=taxonomy,
                            feature_rank=feature_rank)
    if repeated:  # left out, each with its warning
        kept = [j for j, s in enumerate(samples) if s not in repeated]
        values, samples = values[:, kept], [samples[j] for j in kept]
    return profiles_from_matrix(lineages, values, samples, path=path, source_format="table", kind=kind)


def _mothur_shared(
    header: list[str], data: list[tuple[int, list[str]]], path: Path, taxonomy: FeatureTaxonomy | None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A mothur ``.shared`` file as a samples x OTUs table: its ``Group``
    column names the samples, ``label`` (the clustering cutoff) must be one,
    ``numOtus`` must count the OTU columns, and the OTU ids need the
    consensus taxonomy beside the file.  mothur 1.3x ends every line with a
    tab (SchlossLab's Baxter et al. 2016 files): that empty last header cell
    is no OTU."""
    if len(header) > 4 and header[-1] == "":
        for line, record in data:
            if len(record) != len(header) or record[-1] != "":
                raise FormatError(f"expected {len(header)} fields like the header (each line ending with a tab, "
                                  f"as mothur writes it), found {len(record)}", path=path, line=line)
        header = header[:-1]
        data = [(line, record[:-1]) for line, record in data]
    _check_widths(data, len(header), path)
    labels: dict[str, int] = {}
    for line, record in data:
        labels.setdefault(record[0], line)
        if len(labels) > 1:
            first = next(iter(labels))
            raise FormatError(
                f"OTUs at two cutoffs ({first!r} on line {labels[first]}, {record[0]!r} here): a .shared file "
                "holds one sample per row at one label; give one label (mothur make.shared label=... or get.label)",
                path=path, line=line, field=header[0],
            )
        if record[2] != str(len(header) - 3):
            raise FormatError(
                f"numOtus {record[2]!r}, but the header names {len(header) - 3} OTUs (cut or edited file?)",
                path=path, line=line, field=header[2],
            )
    otus = header[3:]
    if taxonomy is None or not any(otu in taxonomy.lineages for otu in otus):
        raise FormatError(
            f"a mothur .shared file names its OTUs by id ({otus[0]!r} ...), and no taxonomy naming them was given: "
            "read it together with its consensus taxonomy (classify.otu's .cons.taxonomy)",
            path=path, field=otus[0],
        )
    return ["sample", *otus], [(line, [record[1], *record[3:]]) for line, record in data]


def _check_widths(data: list[tuple[int, list[str]]], width: int, path: Path) -> None:
    """Every record as wide as the header (a trailing separator dropped)."""
    for line, record in data:
        if len(record) == width + 1 and record[-1] == "":
            record.pop()  # a trailing separator
        if len(record) != width:
            raise FormatError(f"expected {width} fields like the header, found {len(record)}", path=path, line=line)


@dataclass
class _WideLayout:
    """Which columns of a wide table hold what."""

    keys: list[str]
    rank_columns: list[tuple[int, str]]
    lineage_col: int | None
    data_cols: list[int]


def _wide_layout(header: list[str], header_line: int, path: Path) -> _WideLayout:
    """The label columns (first column, a lineage column, rank columns) and
    the value columns (the rest, less annotations such as ``confidence``)."""
    keys = [_header_key(h) for h in header]
    rank_columns = _rank_columns(header)
    lineage_col = next((i for i, k in enumerate(keys) if k in _LINEAGE_HEADERS and i > 0), None)
    if lineage_col is None and keys[0] in _LINEAGE_HEADERS:
        lineage_col = 0
    label_cols = {0} | ({lineage_col} if lineage_col is not None else set()) | {i for i, _ in rank_columns}
    data_cols = [i for i in range(len(header)) if i not in label_cols and keys[i] not in _ANNOTATION_HEADERS]
    if not data_cols:
        raise FormatError("no sample columns beside the taxon column(s)", path=path, line=header_line)
    return _WideLayout(keys, rank_columns, lineage_col, data_cols)


#: An amplicon sequence variant written out as its sequence (DADA2's
#: ``seqtab``: sequences as column names); IUPAC codes allowed.
_SEQUENCE = re.compile(r"^[ACGTUNRYKMSWBDHV]{50,}$", re.IGNORECASE)


def _refuse_headerless(
    header: list[str], header_line: int, layout: _WideLayout, taxonomy: FeatureTaxonomy | None, path: Path
) -> None:
    """Refuse a table whose first line is a row, not a header.

    A table written without its header (``Cutibacterium_acnes<TAB>0.46908``,
    a Bracken species table cut down to its names and fractions) would
    otherwise lose its first taxon to the header and be scored as a sample
    named after that taxon's abundance. The first line is taken for a row
    when every value column is headed by a number and either the first cell
    names a taxon or one of those numbers is not a whole number (whole
    numbers can be sample ids: ``#OTU ID<TAB>1001<TAB>1002``)."""
    if layout.lineage_col is not None or layout.rank_columns:
        return
    cells = [header[i] for i in layout.data_cols]
    if not all(_NUMBER.match(c) for c in cells):
        return
    if not (_is_feature(header[0], taxonomy) or any(not _INTEGER.match(c) for c in cells)):
        return
    raise FormatError(
        f"the first line ({header[0]!r}, {cells[0]!r}) is a row, not a header: the value "
        f"column{'s are' if len(cells) > 1 else ' is'} headed by a number, so the file has no header line and its "
        "first taxon would be lost; add a header line naming the taxon column and each sample "
        "(taxon<TAB>SAMPLE_NAME)",
        path=path, line=header_line, field=header[0] or "first column",
    )


def _is_feature(label: str, taxonomy: FeatureTaxonomy | None) -> bool:
    """Whether a label names a feature: a taxon, an id of the taxonomy given
    beside the table, or an ASV sequence."""
    key = label.strip().strip('"').strip()
    return looks_taxonomic(key) or bool(_SEQUENCE.match(key)) or (taxonomy is not None and key in taxonomy.lineages)


def _taxa_are_columns(
    layout: _WideLayout, data: list[tuple[int, list[str]]], header: list[str], taxonomy: FeatureTaxonomy | None = None,
    *, feature_rank: str | None = None, path: Path | None = None,
) -> bool:
    """Whether samples are rows (see "How the layout is decided")."""
    if layout.lineage_col is not None or layout.rank_columns:
        return False
    first = layout.keys[0]
    if first in _SAMPLE_HEADERS:
        return True
    if standard_rank(first) is not None:
        return False
    row_score = np.mean([_is_feature(rec[0], taxonomy) for _, rec in data])
    col_score = np.mean([_is_feature(header[i], taxonomy) for i in layout.data_cols])
    if first in _FEATURE_HEADERS:
        # MaAsLin2's features/filtered_data.tsv heads its column of sample
        # names 'feature' above MetaPhlAn's s__ names as the header: a column
        # headed as the taxa's that holds no taxon, beside a header of taxa,
        # holds the samples.
        return bool(row_score == 0 and col_score > 0.5)
    if feature_rank is not None and row_score == col_score and max(row_score, col_score) < 1:
        # Bare names on both axes (R's write.csv leaves the first header cell
        # empty): sample names would be read as taxa of the declared rank.
        raise FormatError(
            f"cannot tell whether the taxa are the rows or the columns (first header cell {header[0]!r}): head the "
            f"first column 'sample' when samples are the rows, or '{feature_rank}' when taxa are",
            path=path, field=header[0] or "first column",
        )
    return bool(col_score > row_score)


def _wide_values(
    data: list[tuple[int, list[str]]], header: list[str], data_cols: list[int], delim: str, path: Path
) -> np.ndarray:
    """The value cells as numbers, rows x value columns.

    An empty cell is 0, with one warning for the file
    (:func:`~gutbalance.io.source.warn_empty_cells`).
    """
    cells = [rec[i] for _, rec in data for i in data_cols]
    numbers = _Numbers(cells, delim, path)
    values = np.zeros((len(data), len(data_cols)))
    empty = 0
    first: tuple[int, str] | None = None
    for r, (line, record) in enumerate(data):
        for c, i in enumerate(data_cols):
            cell = record[i]
            if cell.strip():
                values[r, c] = _parse_cell(numbers, cell, path, line, header[i])
            else:
                empty += 1
                first = first or (line, header[i])
    if first is not None:
        warn_empty_cells(path, first, empty)
    return values


def _sample_rows(
    data: list[tuple[int, list[str]]], header: list[str], header_line: int, path: Path
) -> tuple[list[str], set[str]]:
    """Sample names down the first column, each named, and the names repeated
    (left out, with a warning each, as a repeated sample column is)."""
    samples = [rec[0].strip() for _, rec in data]
    sample_field = header[0] or "first column"
    for (line, _), name in zip(data, samples, strict=True):
        if not name:
            raise FormatError("empty sample name", path=path, line=line, field=sample_field)
    return samples, warn_duplicate_samples(samples, path, header_line, what="row")


def _sample_columns(header: list[str], data_cols: list[int], header_line: int, path: Path) -> tuple[list[str], set[str]]:
    """Sample names along the header, each named, and the names repeated
    (left out, with a warning each: :func:`~gutbalance.io.source.warn_duplicate_samples`)."""
    samples = [header[i].strip() for i in data_cols]
    if any(not s for s in samples):
        raise FormatError("a sample column has no name", path=path, line=header_line)
    return samples, warn_duplicate_samples(samples, path, header_line)


def _row_labels(layout: _WideLayout, header: list[str], data: list[tuple[int, list[str]]]) -> _Labels:
    """The taxon of each row: from rank columns, a lineage column or the first column."""
    lines = [line for line, _ in data]
    if layout.rank_columns and layout.lineage_col is None:
        texts = [_lineage_from_rank_columns(rec, layout.rank_columns) for _, rec in data]
        return _Labels(texts, lines, "+".join(header[i] for i, _ in layout.rank_columns))
    col = 0 if layout.lineage_col is None else layout.lineage_col
    ids = [rec[0] for _, rec in data] if col != 0 else None  # an OTU id column beside the taxonomy
    return _Labels([rec[col] for _, rec in data], lines, header[col] or "first column", standard_rank(layout.keys[col]),
                   ids=ids, id_field=header[0] or "first column")


# --- writing -----------------------------------------------------------------


def long_rows(cohort) -> list[list[str]]:
    """``sample, lineage, clade_abundance[, clade_counts]`` rows: every clade
    of every sample (the header says the values are clade totals, so the
    reader takes them as given) and an ``UNKNOWN`` row for the unassigned
    share, values at full precision; and ``counts_estimated_by`` on every
    row when a sample's reads were a profiler's estimates (the format's name,
    "" for the other samples), whose relative abundances are written instead;
    ``profiler_database`` on every row when a sample's profile named its
    database ("" for the other samples)."""
    X = cohort.X.tocsr()
    counts = cohort.counts.tocsr() if writes_counts(cohort) else None  # never a profiler's estimates
    lineage = lineages_to_write(cohort.taxa["lineage"])
    header = ["sample", "lineage", "clade_abundance"] + (["clade_counts"] if counts is not None else [])
    estimated = counts_estimated_by(cohort)
    carry = bool((estimated != "").any())
    if carry:
        header.append("counts_estimated_by")
    databases = (cohort.samples["database"].fillna("").astype(str).to_numpy() if "database" in cohort.samples
                 else np.full(cohort.n_samples, "", dtype=object))
    named = bool((databases != "").any())
    if named:
        header.append("profiler_database")
    out = [header]
    unassigned = cohort.samples["unassigned"].to_numpy(dtype=float)
    for i, sample in enumerate(cohort.sample_names):
        tail = ([str(estimated[i])] if carry else []) + ([str(databases[i])] if named else [])
        if unassigned[i] > 0:
            row = [sample, "UNKNOWN", repr(float(unassigned[i]))]
            if counts is not None:
                row.append(repr(unassigned_count(cohort, counts, i, unassigned[i])))
            out.append(row + tail)
        start, end = X.indptr[i], X.indptr[i + 1]
        for j, v in zip(X.indices[start:end], X.data[start:end], strict=True):
            if v <= 0:
                continue
            row = [sample, lineage[j], repr(float(v))]
            if counts is not None:
                row.append(repr(float(counts[i, j])))
            out.append(row + tail)
    return out


def write(cohort, path: Path) -> None:
    """Write the cohort as a long CSV table (:func:`long_rows`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(long_rows(cohort))
    write_text_atomic(buffer.getvalue(), Path(path))


register(
    Format(
        "table",
        "a CSV/TSV abundance table (taxa x samples, samples x taxa or long)",
        sniff,
        read,
        write,
        extensions=(".csv",),
        priority=1,
        takes_taxonomy=True,
        takes_feature_rank=True,
    )
)
