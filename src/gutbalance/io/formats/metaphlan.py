"""MetaPhlAn 2, 3 and 4 profiles, single-sample and merged.

Single-sample output (``metaphlan ... -o S1.txt``)::

    #mpa_v30_CHOCOPhlAn_201901
    #/path/metaphlan S1.fastq ...
    #SampleID	Metaphlan_Analysis
    #clade_name	NCBI_tax_id	relative_abundance	additional_species
    UNKNOWN	-1	47.50812
    k__Bacteria	2	28.81
    k__Bacteria|p__Bacteroidetes	2|976	20.38

MetaPhlAn 2 writes two columns (clade, percent) and often no header;
MetaPhlAn 4 adds ``t__SGB`` rows and writes ``UNCLASSIFIED`` for the unknown
fraction; ``-t rel_ab_w_read_stats`` adds coverage and estimated read columns.

sylph-tax (``sylph-tax taxprof``, the taxonomy step of sylph; Shaw & Yu
2024, doi:10.1038/s41587-024-02412-y) writes the same layout with GTDB
names: ``#SampleID`` and the path of the reads, a ``clade_name`` header
without its ``#``, ``relative_abundance`` (read here, as MetaPhlAn's),
``sequence_abundance`` and ``ANI``/``Coverage`` columns that hold ``NA``
above the genomes, and ``|t__GCF_...`` genome rows under the species.  Its
sample is named by the profile's file (every sample of a run may share a
read file name such as ``anonymous_reads_1.fq``), and its database is
``sylph-tax`` (GTDB; no reference population of sylph, so no percentiles).

Merged tables (``merge_metaphlan_tables.py``) have one column per sample::

    #mpa_v30_CHOCOPhlAn_201901
    clade_name	NCBI_tax_id	S1	S2
    k__Bacteria	2	100.0	99.2

Values are percentages of the sample; ``UNKNOWN`` is the share of reads
MetaPhlAn could not assign (``--unknown_estimation``).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from ...atomic import write_text_atomic
from ...clade_nesting import (
    COUNTED_DOMAINS,
    LOST_ROWS_TOLERANCE,
    NESTING_TOLERANCE,
    WRITTEN_FROM,
    leaf_name,
    lost_rows_warnings,
    nesting_warnings,
    written_from_another_profiler,
)
from ...cohort import LINEAGES, TOTAL_TOLERANCE, Lineage, SampleProfile, total_warnings
from ...errors import FormatError, GutBalanceError, GutBalanceWarning, TaxonomyError
from ...taxonomy import RANK_INDEX, RANK_PREFIX, lineages_to_write, parse_lineage
from ..limits import InputLimits
from ..registry import Format, register
from ..source import (
    HEAD_BYTES,
    Source,
    compression_of,
    parse_number,
    safe_file_names,
    sample_name_from_path,
    warn_duplicate_samples,
    warn_empty_cells,
)

_UNKNOWN = {"UNKNOWN", "UNCLASSIFIED", "unclassified", "UNASSIGNED"}
_SINGLE_HEADERS = {"clade_name", "#clade_name"}
_TAXID_HEADERS = {"ncbi_tax_id", "clade_taxid", "taxid", "tax_id"}
_VALUE_HEADERS = {"relative_abundance", "rel_abundance"}
_DEFAULT_SAMPLE_IDS = {"", "metaphlan_analysis", "metaphlan2_analysis", "metaphlan_analysis_1"}


#: A clade without its domain (``s__Halobacterium_hubeiense``): what gutbalance
#: writes for a taxon whose input gave no lineage and the lineage table cannot
#: place (an mOTUs or Bracken species name), so its own tables read back.
_ROOTLESS_CLADE = re.compile(r"^[pcofgst]__\S")


def _is_clade(token: str) -> bool:
    return token.startswith(("k__", "d__")) or token in _UNKNOWN


def _clade_column(data: list[str]) -> bool:
    """Rows under a MetaPhlAn header: clades, some perhaps rootless
    (``s__Nostoc_punctiforme``, as gutbalance writes a taxon no lineage
    places), at least one from the root."""
    first = [ln.split("\t", 1)[0] for ln in data[:20]]
    return all(_is_clade(c) or _ROOTLESS_CLADE.match(c) for c in first) and any(_is_clade(c) for c in first)


def _data_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.strip() and not ln.startswith("#")]


def _header_line(lines: list[str]) -> tuple[int, list[str]] | None:
    """Where the column header of a MetaPhlAn file is, and its fields
    (without their '#').

    Besides ``#clade_name ...`` / ``clade_name ...`` / ``ID ...``, two
    variants seen in the wild: the ``#SampleID`` and ``#clade_name`` lines run
    together on one line (biobakery test files), and a merged table whose
    header starts with ``#SampleID`` (``#SampleID  S1  S2``)."""
    for i, ln in enumerate(lines):
        if ln.startswith(("#clade_name", "clade_name", "ID\t")):
            return i, [f.strip().lstrip("#") for f in ln.split("\t")]
        if ln.startswith("#SampleID") and "clade_name" in ln:
            at = ln.index("clade_name")
            return i, [f.strip().lstrip("#") for f in ln[at:].split("\t")]
    for i, ln in enumerate(lines):
        if ln.startswith("#SampleID"):
            fields = [f.strip() for f in ln.split("\t")]
            data = _data_lines(lines[i + 1 : i + 40])
            # A merged table: one column per sample, as many as the data rows have.
            if len(fields) >= 3 and data and all(len(d.split("\t")) == len(fields) for d in data[:20]):
                return i, ["ID", *fields[1:]]
            return None
    return _other_merged_header(lines)


def _other_merged_header(lines: list[str]) -> tuple[int, list[str]] | None:
    """A merged table headed by another word than MetaPhlAn's own.

    bioBakery workflows write their merged MetaPhlAn tables (e.g. the
    ``metaphlan_taxonomic_profiles.tsv`` of the HMP2 tutorial) with ``Sample``
    over the clade column, other pipelines ``taxonomy`` or nothing.  The first
    uncommented line is a header when it is not a clade itself and the rows
    below it are MetaPhlAn clades (``k__A|p__B``, never ``k__A; p__B``, which
    is a generic table's lineage) with as many columns."""
    data_at = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    if len(data_at) < 2:
        return None
    i = data_at[0]
    fields = [f.strip() for f in lines[i].split("\t")]
    if len(fields) < 2 or _is_clade(fields[0]):
        return None
    rows = [lines[k].split("\t") for k in data_at[1:21]]
    clades = [r[0].strip() for r in rows]
    if not (
        all(len(r) == len(fields) for r in rows)
        and all(_is_clade(c) and ";" not in c for c in clades)
        and any("|" in c for c in clades)
    ):
        return None
    # MetaPhlAn writes percentages; a table of read counts under clade names
    # (a kreport2mpa table, say) is a generic table, read by its own rules.
    try:
        values = [float(v) for r in rows for v in r[1:]]
    except ValueError:
        return None
    if all(0.0 <= v <= 100.0 for v in values):
        return i, ["ID", *fields[1:]]
    return None


def _header_fields(lines: list[str]) -> list[str] | None:
    """The column header of a MetaPhlAn file (see :func:`_header_line`)."""
    found = _header_line(lines)
    return None if found is None else found[1]


def _sample_id(lines: list[str]) -> str:
    """The sample name of a ``#SampleID`` line, unless MetaPhlAn's default
    or the path of a read file (sylph-tax writes one)."""
    for ln in lines:
        if ln.startswith("#SampleID"):
            parts = ln.split("\t")
            name = parts[1].split("#clade_name", 1)[0].strip() if len(parts) > 1 else ""
            if name.lower() not in _DEFAULT_SAMPLE_IDS and not name.startswith("#") and "/" not in name:
                return name
    return ""


def _is_sylph(header: list[str] | None) -> bool:
    """sylph-tax's columns after the clade and its relative abundance."""
    low = [h.strip().lower() for h in header or []]
    return "sequence_abundance" in low and any(h.startswith("ani") for h in low)


def sniff_single(source: Source) -> bool:
    """Whether ``source`` is a single-sample MetaPhlAn profile (a ``relative_abundance``
    header, or MetaPhlAn 2's two headerless columns of clades)."""
    lines = source.head_lines
    if not lines:
        return False
    found = _header_line(lines)
    header = None if found is None else found[1]
    # the rows below the header (sylph-tax writes it without its '#', so it
    # would be taken for a row)
    data = _data_lines(lines[found[0] + 1 : 60] if found is not None else lines[:60])
    if not data:
        return False
    if header is not None:
        if header[0] != "clade_name" or _is_sylph(header):
            return False  # "ID" starts a MetaPhlAn 2 merged table; sylph-tax is its own format
        if not any(h.lower() in _VALUE_HEADERS for h in header[1:]):
            return False
        # MetaPhlAn's header: a profile that found nothing ("UNKNOWN 100") is still one.
        return _clade_column(data)
    elif len(data[0].split("\t")) != 2:
        return False
    if any(";" in ln.split("\t", 1)[0] for ln in data[:20]):
        return False  # Greengenes/SILVA lineages ("k__A; p__B"): a generic table
    if data[0].startswith("d__"):
        return False  # MetaPhlAn starts at k__; d__ with reads is Kraken's MetaPhlAn style (kraken_mpa.py)
    return all(_is_clade(ln.split("\t", 1)[0]) for ln in data[:20]) and any(
        "|" in ln.split("\t", 1)[0] or ln.startswith("k__") for ln in data[:20]
    )


def sniff_sylph(source: Source) -> bool:
    """A sylph-tax profile: MetaPhlAn's layout under sylph-tax's header."""
    lines = source.head_lines
    if not lines:
        return False
    found = _header_line(lines)
    if found is None or found[1][0] != "clade_name" or not _is_sylph(found[1]):
        return False
    if not any(h.lower() in _VALUE_HEADERS for h in found[1][1:]):
        return False
    data = _data_lines(lines[found[0] + 1 : 60])
    return bool(data) and _clade_column(data)


def sniff_merged(source: Source) -> bool:
    """Whether ``source`` is a merged MetaPhlAn table (a clade column, then one column per sample)."""
    lines = source.head_lines
    if not lines:
        return False
    found = _header_line(lines)
    if found is None or len(found[1]) < 2:
        return False
    header_index, header = found
    rest = [h.lower() for h in header[1:]]
    if any(h in _VALUE_HEADERS for h in rest):
        return False  # a single-sample file
    data = _data_lines(lines[header_index + 1 :])
    if header[0] == "ID" and lines and any(ln.startswith("#SampleID") for ln in lines):
        # "#SampleID S1 S2": the data rows must be clades (not a generic table).
        return bool(data) and all(_is_clade(ln.split("\t", 1)[0]) for ln in data[:20])
    if not data:
        return False
    return _clade_column(data)


def _database(lines: list[str]) -> str:
    for ln in lines:
        if ln.startswith(("#mpa_", "#" + WRITTEN_FROM)) or ln.startswith("#v") and "CHOCOPhlAn" in ln:
            return ln[1:].strip()
    return ""


def _number(token: str, path: Path, lineno: int, field: str) -> float:
    return parse_number(token, path=path, line=lineno, field=field, what="abundance")


def _lineage(token: str, path: Path, lineno: int):
    try:
        return parse_lineage(token)
    except TaxonomyError as exc:
        raise FormatError(str(exc), path=path, line=lineno, field="clade_name") from None


def _check_complete(source: Source, *, merged: bool) -> list[str]:
    """MetaPhlAn ends every file with a newline; one that stops mid-line may
    have been cut short (an interrupted copy or download).

    A last line with fewer fields than the line before was cut: refused.  A
    last line with all its fields is read in a merged table, with a warning
    that says what cannot be told: merged tables are assembled and re-saved
    by people (DIABIMMUNE's public ``metaphlan2_counts.tsv`` has CRLF and no
    final newline), and their last field is a number.  A single profile is
    MetaPhlAn's own output, whose last field (``additional_species``) is free
    text, so a copy cut inside it keeps every field while the rows after it
    are gone: still refused, saying how to read a whole file."""
    text = source.text
    lines = source.all_lines
    if text and not text.endswith(("\n", "\r")):
        fields = [len(ln.split("\t")) for ln in lines if ln.strip()]
        whole = len(fields) >= 2 and fields[-1] == fields[-2]
        if whole and merged:
            warnings.warn(
                f"{source.path}, line {len(lines)}: the table does not end with a newline; its last line has all "
                f"{fields[-1]} fields and was read, but if the file was cut short inside that line's last number, "
                "that clade's abundance is wrong and any rows after it are missing",
                GutBalanceWarning,
                stacklevel=3,
            )
            return lines
        message = "the file ends mid-line (no final newline): it looks truncated"
        if whole:
            message += (
                f"; its last line has all {fields[-1]} fields of the line before, so if the file is whole, "
                "end it with a newline (`echo >> FILE`) and read it again"
            )
        elif len(fields) >= 2:
            message += f"; its last line has {fields[-1]} fields, the line before {fields[-2]}"
        raise FormatError(message, path=source.path, line=len(lines))
    return lines


def read_single(source: Source) -> list[SampleProfile]:
    """One single-sample MetaPhlAn profile.

    The hot path of batch runs: whole-column operations; line-by-line checks
    run only to name the line of a problem.
    """
    return _read_single(source, "metaphlan")


def read_sylph(source: Source) -> list[SampleProfile]:
    """One sylph-tax profile (MetaPhlAn's layout; see the module docstring):
    its own format, so that it is never taken for MetaPhlAn when percentiles
    are drawn."""
    return _read_single(source, "sylph")


def _read_single(source: Source, source_format: str) -> list[SampleProfile]:
    path = source.path
    lines = _check_complete(source, merged=False)
    header = _header_fields(lines)
    columns = _single_columns(header)
    database = _database(lines[:10]) or ("sylph-tax" if _is_sylph(header) else "")
    sample = _sample_id(lines[:10]) or sample_name_from_path(path)
    line_of, rows = _data_rows(lines, header is not None, columns.value + 1, path)
    all_values = _abundances(rows, line_of, columns.value, path)
    clades = [r[0].strip() for r in rows]
    is_unknown = [c in _UNKNOWN for c in clades]
    unknown = float(all_values[is_unknown].sum()) if any(is_unknown) else 0.0
    keep = [k for k, u in enumerate(is_unknown) if not u]
    lineages = _single_lineages(clades, keep, line_of, path)
    values = (all_values[keep] / 100.0).tolist()
    taxids = []
    if columns.taxid is not None:
        # Raw "2|1239|186801" strings: the cohort keeps the last taxid of new taxa only.
        taxids = [rows[k][columns.taxid] if len(rows[k]) > columns.taxid else "" for k in keep]
    reads = []
    if columns.reads is not None:
        reads = [_number(rows[k][columns.reads], path, line_of[k], "estimated_number_of_reads_from_the_clade")
                 for k in keep]
    if not lineages:
        raise _nothing_assigned(sample, unknown, path)
    return [
        SampleProfile(
            sample=sample,
            lineages=lineages,
            abundance=values,
            unassigned=unknown / 100.0,
            counts=reads if columns.reads is not None else None,
            source_file=str(path),
            source_format=source_format,
            database=database,
            taxids=taxids or None,
        )
    ]


@dataclass(frozen=True)
class _SingleColumns:
    """Where a single-sample profile keeps its values (MetaPhlAn 2 files
    without a header: clade, percent)."""

    value: int = 1
    taxid: int | None = None
    reads: int | None = None


def _single_columns(header: list[str] | None) -> _SingleColumns:
    """The abundance, taxid and read-estimate columns named by the header."""
    if header is None:
        return _SingleColumns()
    low = [h.lower() for h in header]
    return _SingleColumns(
        value=next(i for i, h in enumerate(low) if h in _VALUE_HEADERS),
        taxid=next((i for i, h in enumerate(low) if h in _TAXID_HEADERS), None),
        reads=next((i for i, h in enumerate(low) if h.startswith("estimated_number_of_reads")), None),
    )


def _data_rows(lines: list[str], has_header: bool, min_fields: int, path: Path) -> tuple[list[int], list[list[str]]]:
    """The (1-based) line of each data row and its fields, every row at least ``min_fields`` wide."""
    line_of = [i for i, ln in enumerate(lines, start=1) if ln and ln[0] != "#" and not ln.isspace()]
    if has_header and line_of and lines[line_of[0] - 1].startswith("clade_name"):
        line_of = line_of[1:]  # the header written without its '#'
    rows = [lines[i - 1].split("\t") for i in line_of]
    if min(map(len, rows), default=min_fields) < min_fields:
        k = next(k for k, fields in enumerate(rows) if len(fields) < min_fields)
        raise FormatError(
            f"expected at least {min_fields} tab-separated columns, found {len(rows[k])} (truncated file?)",
            path=path,
            line=line_of[k],
        )
    return line_of, rows


def _abundances(rows: list[list[str]], line_of: list[int], value_col: int, path: Path) -> np.ndarray:
    """The abundance column as numbers (percent); the first bad cell raises with its line."""
    try:
        all_values = np.array([r[value_col] for r in rows], dtype=float)
    except ValueError:
        for lineno, fields in zip(line_of, rows, strict=True):
            _number(fields[value_col], path, lineno, "relative_abundance")
        raise
    bad = ~np.isfinite(all_values) | (all_values < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        _number(rows[k][value_col], path, line_of[k], "relative_abundance")  # raises with the reason
    return all_values


def _single_lineages(clades: list[str], keep: list[int], line_of: list[int], path: Path) -> list[Lineage]:
    """The lineage of each kept clade, each clade once and a MetaPhlAn clade name."""
    kept = [clades[k] for k in keep]
    if len(set(kept)) != len(kept):
        first: dict[str, int] = {}
        for k in keep:
            if clades[k] in first:
                raise FormatError(
                    f"clade {clades[k]!r} repeats line {first[clades[k]]}",
                    path=path,
                    line=line_of[k],
                    field="clade_name",
                )
            first[clades[k]] = line_of[k]
    lineages = []
    for k in keep:
        clade = clades[k]
        # rootless clades as in merged tables: gutbalance writes a taxon no
        # lineage places as "s__Nostoc_punctiforme" (a Bracken table's species
        # the lineage table lacks), and must read its own profile back
        if not clade.startswith(("k__", "d__")) and not _ROOTLESS_CLADE.match(clade):
            raise FormatError(
                f"{clade!r} is not a MetaPhlAn clade name", path=path, line=line_of[k], field="clade_name"
            )
        try:
            lineages.append(parse_lineage(clade))
        except TaxonomyError as exc:
            raise FormatError(str(exc), path=path, line=line_of[k], field="clade_name") from None
    return lineages


def _nothing_assigned(sample: str, unknown: float, path: Path) -> FormatError:
    """The error for a profile without clade rows."""
    if unknown > 0:
        return FormatError(
            f"MetaPhlAn found nothing it could assign in sample {sample!r} (UNKNOWN {unknown:g} %): "
            "no profile to score (too few reads, or not a microbial sample?)",
            path=path,
        )
    return FormatError("no clade rows: empty or truncated MetaPhlAn profile", path=path)


def read_merged(source: Source) -> list[SampleProfile]:
    """A merged MetaPhlAn table: one profile per sample column."""
    path = source.path
    lines = _check_complete(source, merged=True)
    database = _database(lines[:5])
    header_index, header = _merged_header(lines, path)
    first_value = 2 if len(header) > 2 and header[1].lower() in _TAXID_HEADERS else 1
    samples, repeated = _merged_samples(header[first_value:], header_index + 1, path)
    rows = _merged_rows(lines, header_index, header, first_value, samples, path)
    if not rows.lineages:
        raise FormatError("no clade rows: empty or truncated merged table", path=path)
    out = []
    for j, sample in enumerate(samples):
        if sample in repeated:
            continue
        keep = [i for i, v in enumerate(rows.columns[j]) if v > 0]
        out.append(
            SampleProfile(
                sample=sample,
                lineages=[rows.lineages[i] for i in keep],
                abundance=[rows.columns[j][i] for i in keep],
                unassigned=rows.unknown[j] / 100.0,
                source_file=str(path),
                source_format="metaphlan-merged",
                database=database,
                taxids=[rows.taxids[i] for i in keep] if first_value == 2 else None,
            )
        )
    return out


def _merged_header(lines: list[str], path: Path) -> tuple[int, list[str]]:
    """Where the column header of a merged table is, and its fields."""
    found = _header_line(lines)
    if found is None:
        raise FormatError("no column header (clade_name, ID or #SampleID)", path=path)
    return found


def _merged_samples(samples: list[str], header_line: int, path: Path) -> tuple[list[str], set[str]]:
    """The sample columns, each named, and the names repeated (left out, with
    a warning each: :func:`~gutbalance.io.source.warn_duplicate_samples`)."""
    if not samples:
        raise FormatError("merged table has no sample columns", path=path, line=header_line)
    if any(not s for s in samples):
        raise FormatError("a sample column has no name", path=path, line=header_line)
    return samples, warn_duplicate_samples(samples, path, header_line)


@dataclass
class _MergedRows:
    """The clade rows of a merged table, by column."""

    lineages: list[Lineage] = field(default_factory=list)
    #: One list per sample: its fraction of each clade, in row order.
    columns: list[list[float]] = field(default_factory=list)
    #: Percent UNKNOWN per sample.
    unknown: list[float] = field(default_factory=list)
    taxids: list[str] = field(default_factory=list)


def _merged_rows(
    lines: list[str], header_index: int, header: list[str], first_value: int, samples: list[str], path: Path
) -> _MergedRows:
    """Every clade row below the header: lineages, values per sample, UNKNOWN and taxids.

    An empty value cell is 0, with one warning for the file, as the other
    tables read it: a merged table made by an outer join in pandas writes a
    clade one sample does not have as an empty cell (an outside check,
    2026-11-29: such a table was refused whole, its CSV copy was scored)."""
    rows = _MergedRows(columns=[[] for _ in samples], unknown=[0.0] * len(samples))
    seen: dict[str, int] = {}
    empty = 0
    first_empty: tuple[int, str] | None = None
    for lineno, ln in enumerate(lines[header_index + 1 :], start=header_index + 2):
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.split("\t")
        if len(fields) != len(header):
            raise FormatError(
                f"expected {len(header)} columns like the header, found {len(fields)}", path=path, line=lineno
            )
        clade = fields[0].strip()
        vals: list[float] = []
        for j, cell in enumerate(fields[first_value:]):
            if cell.strip():
                vals.append(_number(cell, path, lineno, samples[j]))
            else:
                vals.append(0.0)
                empty += 1
                first_empty = first_empty or (lineno, samples[j])
        if clade in _UNKNOWN:
            rows.unknown = [u + v for u, v in zip(rows.unknown, vals, strict=True)]
            continue
        if not (_is_clade(clade) or _ROOTLESS_CLADE.match(clade)):
            raise FormatError(f"{clade!r} is not a MetaPhlAn clade name", path=path, line=lineno, field=header[0])
        if clade in seen:
            raise FormatError(f"clade {clade!r} repeats line {seen[clade]}", path=path, line=lineno)
        seen[clade] = lineno
        rows.lineages.append(_lineage(clade, path, lineno))
        rows.taxids.append(fields[1].rsplit("|", 1)[-1].strip() if first_value == 2 else "")
        for j, v in enumerate(vals):
            rows.columns[j].append(v / 100.0)
    if first_empty is not None:
        warn_empty_cells(path, first_empty, empty)
    return rows


# --- the batch reader's fast path ---------------------------------------------
#
# Read file by file, a profile is walked line by line four times (this reader,
# validate_profile, place_profile, build_cohort), and that was most of the CPU
# time of a run of MetaPhlAn files.  scan() reads a batch of plain
# single-sample files at once: each file's bytes once, its rows cut into
# columns by a few calls on the whole content (no Python step per line), each
# clade text looked up in a per-process cache of what is derived from it
# (lineage, placement verdict, column key: cohort.LINEAGES), the checks of
# read_single, validate_profile and place_profile made on arrays over the
# batch; read_batch hands the rows to CohortBuilder.add_placed.
#
# Only a file this path reads exactly as the per-file path would is taken:
# uncompressed ASCII with "\n" line ends and no other control byte than tab,
# comment lines then data rows, the "#clade_name ... relative_abundance"
# header without read estimates (or MetaPhlAn 2's two headerless columns),
# every row as wide, every clade parseable, at most one UNKNOWN row, finite
# non-negative values, no clade twice, every parent and root reported where
# the lineage table puts it, within the input limits.  Any other file, or one
# with a problem, goes the per-file way, so its result and its error are the
# per-file path's (tests/io/test_metaphlan_batch.py compares the two).

#: Off switch, for the tests that compare this path with the per-file one.
BATCH_FAST = True
#: Files scanned together: their contents and cut columns are held at once.
BATCH_FILES = 512
#: Comment lines before the data at most (the sniffer looks at the first 60 lines).
_MAX_COMMENT_LINES = 40
#: Clade texts cached at most; past it the cache (and the lineage codes) start again.
_MAX_CLADES = 1 << 18
_UNKNOWN_ROW = -1
_NOT_FAST = -2
_NEW = -3
#: Clade text (ASCII bytes) -> its code in cohort.LINEAGES, or _UNKNOWN_ROW / _NOT_FAST.
_CLADES: dict[bytes, int] = {}
#: LINEAGES code -> the code of its lineage less the last taxon, as written
#: (-1 for a root, _NOT_FAST when that text is not a fast clade).
_PARENT_CODES: dict[int, int] = {}


@dataclass
class PlainProfile:
    """One file cut into columns (ASCII bytes), before any check across rows."""

    path: Path
    sample: str
    database: str
    clades: list[bytes]
    values: list[bytes]
    #: The raw taxid of each row, or None when the file has no taxid column.
    taxids: list[bytes] | None


@dataclass
class FastFile:
    """A file the fast path read: its row of ``Cohort.samples``, its
    validation warnings and where its rows are in the :class:`Scan`."""

    sample: str
    row: dict
    warnings: list[str]
    start: int
    end: int


@dataclass
class Scan:
    """A batch of files: per file its :class:`FastFile` or None (read it the
    per-file way), and the kept rows of all (LINEAGES codes, fractions)."""

    files: list[FastFile | None]
    codes: np.ndarray
    fractions: np.ndarray
    #: The raw taxid of every row cut, UNKNOWN rows included (b"" for none);
    #: ``taxid_rows`` gives each kept row's place in it.
    taxids: list[bytes]
    taxid_rows: np.ndarray
    #: Per entry of ``taxids``: not empty (None when all are).
    given: np.ndarray | None


def plain_bytes(path: Path, limits: InputLimits) -> bytes | None:
    """The content of an uncompressed file within ``limits`` (no line or
    sample cap), else None: the per-file path then reads it, and says why not."""
    if limits.max_lines is not None or (limits.max_samples is not None and limits.max_samples < 1):
        return None
    cap = min(limits.max_bytes, limits.max_expanded_bytes)
    if not os.path.isfile(path):
        return None  # a named pipe would block here for a writer, and this read would eat its content
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > cap:
                return None
            data = fh.read()
    except OSError:
        return None
    if len(data) > cap or compression_of(data[:8]) is not None:
        return None
    return data


def plain_profile(path: Path, data: bytes) -> PlainProfile | None:
    """``data`` cut into columns if it has the plain single-sample layout,
    else None.  Rows are not checked here beyond their number of columns."""
    if not data.endswith(b"\n") or not data.isascii():
        return None
    comments: list[bytes] = []
    pos = 0
    while data.startswith(b"#", pos):
        end = data.index(b"\n", pos)
        comments.append(data[pos:end])
        pos = end + 1
        if len(comments) > _MAX_COMMENT_LINES:
            return None
    if pos >= len(data) or pos > HEAD_BYTES // 2:
        return None
    lines = [c.decode("ascii") for c in comments]
    header = None
    for line in lines:
        if line.startswith("#clade_name"):
            header = [f.strip().lstrip("#") for f in line.split("\t")]
            break
        if line.startswith("#SampleID") and "clade_name" in line:
            return None  # the two header lines run together: the per-file reader's variant
    first_end = data.index(b"\n", pos)
    n_fields = data.count(b"\t", pos, first_end) + 1
    if header is None:
        # MetaPhlAn 2 without a column header: clade and percent; the sniffer
        # wants a k__ clade first and no '#SampleID' line wide enough to head a merged table.
        if n_fields != 2 or not data.startswith(b"k__", pos):
            return None
        if any(line.startswith("#SampleID") and line.count("\t") >= 2 for line in lines):
            return None
        value_at, taxid_at = 1, None
    else:
        if header[0] != "clade_name" or not any(h.lower() in _VALUE_HEADERS for h in header[1:]):
            return None
        columns = _single_columns(header)
        if columns.reads is not None:
            return None
        value_at, taxid_at = columns.value, columns.taxid
    if value_at >= n_fields:
        return None
    # Each line end becomes a cell of its own ("\t\n\t"), so every row has
    # exactly n_fields cells when every (n_fields + 1)th cell is a line end
    # and there are no others.
    block = data[pos:]
    marked = block.replace(b"\n", b"\t\n\t")
    n_rows = (len(marked) - len(block)) // 2
    cells = marked.split(b"\t")
    step = n_fields + 1
    if len(cells) != step * n_rows + 1 or cells[n_fields::step].count(b"\n") != n_rows:
        return None
    # No control byte but tab and "\n" anywhere: the per-file path would split
    # lines at the others or refuse the file as binary.
    n_tabs = len(cells) - 1 - 2 * n_rows + sum(c.count(b"\t") for c in comments)
    if np.count_nonzero(np.frombuffer(data, dtype=np.uint8) < 32) != n_tabs + n_rows + len(comments):
        return None
    if len(data) > HEAD_BYTES:
        # The sniffer sees the first HEAD_BYTES: the comments and the first
        # 20 rows must be whole in them.
        end = pos
        for _ in range(min(20, n_rows)):
            end = data.index(b"\n", end) + 1
        if end > HEAD_BYTES:
            return None
    if taxid_at is None:
        taxids = None
    elif taxid_at < n_fields:
        taxids = cells[taxid_at::step][:n_rows]
    else:
        taxids = [b""] * n_rows
    head = lines[:10]
    return PlainProfile(
        path=path,
        sample=_sample_id(head) or sample_name_from_path(path),
        database=_database(head),
        clades=cells[0::step][:n_rows],
        values=cells[value_at::step][:n_rows],
        taxids=taxids,
    )


def _clade_code(raw: bytes) -> int:
    """What a clade text is: a LINEAGES code, an UNKNOWN row, or not for the fast path."""
    text = raw.decode("ascii")
    if text in _UNKNOWN:
        return _UNKNOWN_ROW
    if text != text.strip() or not text.isprintable() or not text.startswith(("k__", "d__")) or ";" in text:
        return _NOT_FAST
    try:
        lineage = parse_lineage(text)
    except (GutBalanceError, ValueError, KeyError, IndexError):
        return _NOT_FAST
    return LINEAGES.code(lineage)


def start_batch() -> None:
    """Forget the cached clades when there are too many (between batches
    only: a batch holds their codes)."""
    if len(_CLADES) > _MAX_CLADES or len(LINEAGES) > _MAX_CLADES:
        _CLADES.clear()
        _PARENT_CODES.clear()
        LINEAGES.clear()


def _parent_code(text: bytes, code: int) -> int:
    """The code of the row a clade's parent must be: its text less the last
    ``|taxon`` (cached by the clade's code)."""
    found = _PARENT_CODES.get(code)
    if found is None:
        cut = text.rfind(b"|")
        if cut < 0:
            found = -1
        else:
            parent = text[:cut]
            found = _CLADES.get(parent)
            if found is None:
                found = _CLADES[parent] = _clade_code(parent)
            if found < 0:
                found = _NOT_FAST
        _PARENT_CODES[code] = found
    return found


def scan(paths: list[Path], limits: InputLimits) -> Scan:
    """Read ``paths`` the fast way where it applies (see above)."""
    plains: list[PlainProfile | None] = []
    for path in paths:
        data = plain_bytes(path, limits)
        plains.append(None if data is None else plain_profile(path, data))
    taken = [p for p in plains if p is not None]
    empty = np.zeros(0, dtype=np.int64)
    if not taken:
        return Scan([None] * len(paths), empty, np.zeros(0), [], empty, None)
    clades: list[bytes] = []
    values: list[bytes] = []
    taxids: list[bytes] = []
    lengths = np.empty(len(taken), dtype=np.int64)
    for f, one in enumerate(taken):
        clades += one.clades
        values += one.values
        taxids += one.taxids if one.taxids is not None else [b""] * len(one.clades)
        lengths[f] = len(one.clades)
    codes = np.fromiter(map(_CLADES.get, clades, repeat(_NEW)), dtype=np.int64, count=len(clades))
    new = np.flatnonzero(codes == _NEW)
    if len(new):
        for i in new.tolist():
            code = _CLADES.get(clades[i])
            if code is None:
                code = _CLADES[clades[i]] = _clade_code(clades[i])
            codes[i] = code
    n_files = len(taken)
    file_of = np.repeat(np.arange(n_files), lengths)
    bad = np.zeros(n_files, dtype=bool)
    percent = _numbers(values, lengths, bad)

    bad[file_of[codes == _NOT_FAST]] = True
    bad[file_of[~(np.isfinite(percent) & (percent >= 0))]] = True
    unknown_row = codes == _UNKNOWN_ROW
    bad |= np.bincount(file_of[unknown_row], minlength=n_files) > 1
    unknown = np.zeros(n_files)
    unknown[file_of[unknown_row]] = percent[unknown_row]
    # read_single sums the UNKNOWN rows with NumPy, from 0.0: "-0" becomes 0.0.
    unassigned = (0.0 + unknown) / 100.0
    bad |= unassigned > 1.0 + TOTAL_TOLERANCE

    kept = codes >= 0
    kcode, kfile = codes[kept], file_of[kept]
    fractions = percent[kept] / 100.0
    n_kept = np.bincount(kfile, minlength=n_files)
    bad |= n_kept == 0
    if limits.max_taxa is not None:
        bad |= n_kept > limits.max_taxa
    if not kept.any():
        return Scan([None] * len(paths), empty, np.zeros(0), [], empty, None)
    leaf, parent, root, ok, kind = LINEAGES.arrays()
    bad[kfile[~ok[kcode]]] = True
    # A clade twice in a file (read_single refuses it).
    twice = np.sort(kfile * len(LINEAGES) + kcode)
    bad[twice[1:][twice[1:] == twice[:-1]] // len(LINEAGES)] = True
    # Every parent and root reported in the same file (else place_profile
    # rebuilds the tree, and validate_profile sums another way).
    n_ids = len(LINEAGES.ids)
    reported = np.sort(kfile * n_ids + leaf[kcode])
    has_parent = parent[kcode] >= 0
    of_file = np.concatenate([kfile[has_parent], kfile])
    wanted = of_file * n_ids + np.concatenate([parent[kcode][has_parent], root[kcode]])
    at = np.minimum(np.searchsorted(reported, wanted), len(reported) - 1)
    bad[of_file[reported[at] != wanted]] = True

    # Each row's parent row as written (not only a row of the parent's id),
    # and each clade once: else a clade is written under two lineages
    # (MetaPhlAn 4; clade_nesting.written_twice), which the per-file path sets right.
    distinct, first_at, back = np.unique(kcode, return_index=True, return_inverse=True)
    kept_at = np.flatnonzero(kept)[first_at]
    written_parent = np.fromiter(
        (_parent_code(clades[i], c) for i, c in zip(kept_at.tolist(), distinct.tolist(), strict=True)),
        dtype=np.int64, count=len(distinct),
    )[back]
    bad[kfile[written_parent == _NOT_FAST]] = True
    n_codes = len(LINEAGES)
    rows_written = np.sort(kfile * n_codes + kcode)
    with_parent = written_parent >= 0
    wanted_rows = kfile[with_parent] * n_codes + written_parent[with_parent]
    at = np.minimum(np.searchsorted(rows_written, wanted_rows), len(rows_written) - 1)
    bad[kfile[with_parent][rows_written[at] != wanted_rows]] = True
    leaves_twice = np.sort(kfile * n_ids + leaf[kcode])
    bad[leaves_twice[1:][leaves_twice[1:] == leaves_twice[:-1]] // n_ids] = True

    nesting = _nesting_flags(kfile, kcode, fractions, leaf, parent, n_files)
    lost = _lost_rows_flags(kfile, kcode, nesting)

    # The sums of validate_profile (roots) and place_profile (roots, placed
    # phyla), added row after row as they add them.
    top = [0.0] * n_files
    placed = [0.0] * n_files
    kind_of_row = kind[kcode]
    for sums, k in ((top, 1), (placed, 2)):
        rows = np.flatnonzero(kind_of_row == k)
        for f, v in zip(kfile[rows].tolist(), fractions[rows].tolist(), strict=True):
            sums[f] += v

    starts = np.concatenate([[0], np.cumsum(n_kept)]).tolist()
    bad_list = bad.tolist()
    unassigned_list = unassigned.tolist()
    fast: list[FastFile | None] = []
    f = 0
    for plain in plains:
        if plain is None:
            fast.append(None)
            continue
        if bad_list[f]:
            fast.append(None)
        else:
            total = top[f]
            share = placed[f] / total if total > 0 else float("nan")
            where = str(plain.path)
            fast.append(
                FastFile(
                    sample=plain.sample,
                    row={
                        "sample": plain.sample,
                        "unassigned": unassigned_list[f],
                        "placed": share if share != share else min(1.0, share),
                        "source_file": where,
                        "source_format": "metaphlan",
                        "database": plain.database,
                    },
                    warnings=total_warnings(where, plain.sample, total, unassigned_list[f])
                    + (_lost_rows_warnings(where, plain.sample, nesting, starts[f], starts[f + 1], kcode,
                                           expects_species=bool(plain.database))
                       if f in lost and not written_from_another_profiler(plain.database) else [])
                    + (_nesting_warnings(where, plain.sample, nesting, starts[f], starts[f + 1], kcode)
                       if f in nesting.files else []),
                    start=starts[f],
                    end=starts[f + 1],
                )
            )
        f += 1
    given = np.fromiter(map(bool, taxids), dtype=bool, count=len(taxids)) if any(taxids) else None
    return Scan(fast, kcode, fractions, taxids, np.flatnonzero(kept), given)


@dataclass
class _Nesting:
    """Each kept row's parent row in the scan (-1: none), and the files
    with a clade or a clade's children above it (:mod:`gutbalance.clade_nesting`)."""

    parent_row: np.ndarray
    fractions: np.ndarray
    files: set[int]


def _nesting_flags(
    kfile: np.ndarray, kcode: np.ndarray, fractions: np.ndarray, leaf: np.ndarray, parent: np.ndarray, n_files: int
) -> _Nesting:
    """The whole batch's rows at once: a taken file holds each taxon once
    (else it is not taken), so a row's parent is the row of its file whose
    taxon is the parent's."""
    n_ids = len(LINEAGES.ids)
    key = kfile * n_ids + leaf[kcode]
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    parent_row = np.full(len(kcode), -1, dtype=np.int64)
    has_parent = np.flatnonzero(parent[kcode] >= 0)
    if len(has_parent) and len(ordered):
        wanted = kfile[has_parent] * n_ids + parent[kcode][has_parent]
        at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        found = ordered[at] == wanted
        parent_row[has_parent[found]] = order[at[found]]
    rows = np.flatnonzero(parent_row >= 0)
    parents = parent_row[rows]
    above = fractions[rows] > fractions[parents] + NESTING_TOLERANCE
    sums = np.bincount(parents, weights=fractions[rows], minlength=len(fractions))
    over = sums > fractions + NESTING_TOLERANCE
    files = set(kfile[rows[above]].tolist()) | set(kfile[over].tolist())
    return _Nesting(parent_row, fractions, files)


_SPECIES = RANK_INDEX["species"]


def _lost_rows_flags(kfile: np.ndarray, kcode: np.ndarray, nesting: _Nesting) -> set[int]:
    """The files :func:`lost_rows_warnings` may warn about, for the whole
    batch at once: those whose species rows fall short of their domain rows,
    and those without either (the per-file rule decides; a whole MetaPhlAn
    profile is none of these, so the batch pays for the damaged files only)."""
    if not len(kcode):
        return set()
    distinct, back = np.unique(kcode, return_inverse=True)
    facts = np.array(
        [(RANK_INDEX[lin[-1].rank] == _SPECIES, lin[0].name in COUNTED_DOMAINS and len(lin) == 1,
          lin[0].name in COUNTED_DOMAINS)
         for lin in (LINEAGES.lineages[c] for c in distinct.tolist())],
        dtype=bool,
    ).reshape(len(distinct), 3)[back]
    species, domain, bacterial = facts.T
    values = nesting.fractions
    n_files = int(kfile.max()) + 1
    top = np.bincount(kfile[domain], weights=values[domain], minlength=n_files)
    counted = np.bincount(kfile[species & bacterial], weights=values[species & bacterial], minlength=n_files)
    flagged = (top <= 0) | (counted <= 0) | (top - counted > 0.5 * LOST_ROWS_TOLERANCE * top)
    return set(np.flatnonzero(flagged).tolist())


def _lost_rows_warnings(
    where: str, sample: str, nesting: _Nesting, start: int, end: int, kcode: np.ndarray, *, expects_species: bool
) -> list[str]:
    """One flagged file's warning, made as the per-file path makes it."""
    local = nesting.parent_row[start:end]
    local = np.where(local >= 0, local - start, -1)
    values = nesting.fractions[start:end]

    def has_below() -> np.ndarray:
        # a taken file writes each clade once, under its parent row
        out = np.zeros(end - start, dtype=bool)
        out[local[(local >= 0) & (values > 0)]] = True
        return out

    return lost_rows_warnings(
        where, sample, values, local, has_below, lambda i: LINEAGES.lineages[int(kcode[start + i])],
        expects_species=expects_species,
    )


def _nesting_warnings(where: str, sample: str, nesting: _Nesting, start: int, end: int, kcode: np.ndarray) -> list[str]:
    """One flagged file's warnings, made as the per-file path makes them."""
    local = nesting.parent_row[start:end]
    local = np.where(local >= 0, local - start, -1)
    return nesting_warnings(
        where, sample, nesting.fractions[start:end], local, lambda i: leaf_name(LINEAGES.lineages[int(kcode[start + i])])
    )


def _numbers(values: list[bytes], lengths: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The value cells as numbers, parsed as read_single parses them (float's
    rules); a file with a cell that is no number is marked ``bad``."""
    try:
        return np.fromiter(map(float, values), dtype=float, count=len(values))
    except ValueError:
        pass
    out = np.full(len(values), np.nan)
    start = 0
    for f, n in enumerate(lengths.tolist()):
        try:
            out[start : start + n] = np.fromiter(map(float, values[start : start + n]), dtype=float, count=n)
        except ValueError:
            bad[f] = True
        start += n
    return out


# --- writing -----------------------------------------------------------------


def _order(cohort, row: np.ndarray, values: np.ndarray) -> np.ndarray:
    depth = cohort.taxa["rank"].map(RANK_INDEX).to_numpy()[row]
    return np.lexsort((-values, depth))


def _lineages_to_write(cohort, *, as_read: bool = False) -> np.ndarray:
    """Each taxon's lineage as written, so that reading it back gives the
    same lineage (:func:`gutbalance.taxonomy.lineage_to_write`).

    ``as_read``: in the names the input wrote (``p__Firmicutes``,
    ``s__Ruminococcus_gnavus``), not the current ones (``p__Bacillota``,
    ``s__Mediterraneibacter_gnavus``); for samples that were MetaPhlAn's,
    whose database line the file keeps.  Tools that match MetaPhlAn's own
    clade names (GMWI2's model, GMHI's species list) found none of the
    current names (an outside check: GMWI2 of a converted MetaPhlAn 3 file
    fell to its intercept).  A cohort with a taxon read under several
    spellings, which one name cannot give back, is written in current names
    whole: one taxon in current names beside old ones gave lineages that
    disagree (g__Absiella|s__Amedibacillus_dolichus; p__Bacillota beside
    p__Firmicutes over one c__Clostridia; an outside review).  So the names
    depend on the spellings of the run's other samples, as a taxon's one
    column in the cohort does."""
    taxa = cohort.taxa
    originals = taxa["original"].astype(str)
    if not as_read or originals.str.contains("; ", regex=False).any():
        return lineages_to_write(taxa["lineage"])
    written: dict[str, str | None] = {
        taxon: f"{RANK_PREFIX[rank]}__{original.replace(' ', '_')}"
        for taxon, rank, original in zip(taxa.index, taxa["rank"], originals, strict=True)
    }
    parent = dict(zip(taxa.index, taxa["parent"], strict=True))

    def chain(taxon: str, current: str) -> str:
        parts: list[str] = []
        while taxon:
            name = written.get(taxon)  # a parent not in the table: the current lineage
            if name is None:
                return current
            parts.append(name)
            taxon = parent[taxon]
        return "|".join(reversed(parts))

    out = lineages_to_write([chain(t, c) for t, c in zip(taxa.index, taxa["lineage"], strict=True)])
    # two taxa under one old name (a table's own duplicates the reader kept apart)
    # would be one clade written twice: those keep their current names
    repeated = pd.Series(out).duplicated(keep=False).to_numpy()
    if repeated.any():
        out[repeated] = lineages_to_write(taxa["lineage"].to_numpy()[repeated])
    return out


def _as_read(cohort, rows: list[int], origin: str) -> bool:
    """Whether samples ``rows`` can be written in the names their files used:
    all MetaPhlAn's (``origin``, their :func:`_origin`, is "") and none placed
    again, whose clades above the leaves are sums over the placed tree
    (MetaPhlAn 4's *Phocaeicola* species under the placed ``g__Bacteroides``
    gave that old name 61.0 % where its file said 13.8 %; an outside check)."""
    if origin:
        return False
    if "placed_again" not in cohort.samples:
        return True
    return not cohort.samples["placed_again"].iloc[rows].eq(True).any()


def _is_metaphlan_database(database: str) -> bool:
    return database.startswith("mpa_") or (database.startswith("v") and "CHOCOPhlAn" in database)


def _origin(cohort, rows: list[int]) -> str:
    """:data:`~gutbalance.clade_nesting.WRITTEN_FROM`'s marker for samples
    ``rows`` when any of them is not MetaPhlAn's (by its format or its
    database), naming their one format (``..._from_kraken``) or "mixed";
    "" when all are MetaPhlAn's.  Without it a converted Kraken report read
    back as MetaPhlAn's: compared with healthy MetaPhlAn runs (richness
    percentile 100 for 11,382 Kraken species) and called cut short (an
    outside check)."""
    samples = cohort.samples.iloc[rows]
    if "source_format" not in samples:
        return ""
    formats = samples["source_format"].fillna("").astype(str).tolist()
    databases = samples["database"].fillna("").astype(str).tolist() if "database" in samples else [""] * len(formats)
    # a marker read back keeps naming the profiler it came from (a second conversion
    # of a converted Kraken report is still Kraken's)
    named = [d.removeprefix(WRITTEN_FROM) if written_from_another_profiler(d) else f
             for f, d in zip(formats, databases, strict=True)]
    if all(n in ("metaphlan", "metaphlan-merged") or _is_metaphlan_database(d)
           for n, d in zip(named, databases, strict=True)):
        return ""
    kinds = set(named)
    return WRITTEN_FROM + (kinds.pop() if len(kinds) == 1 else "mixed")


def _merged_database(cohort) -> str:
    """The database line of a merged table: the samples' database when they
    all name the same one (``mpa_v30_CHOCOPhlAn_201901``), which the reader
    and the percentiles' version caveat rely on; the origin marker when some
    sample is not MetaPhlAn's (:func:`_origin`); else none known."""
    origin = _origin(cohort, list(range(cohort.n_samples)))
    if origin:
        return origin
    databases = {str(db or "") for db in cohort.samples["database"]} if "database" in cohort.samples else {""}
    if len(databases) == 1:
        (database,) = databases
        if _is_metaphlan_database(database):
            return database
    return "mpa_written_by_gutbalance"


def metaphlan_lines(cohort, i: int, lineages: dict[bool, np.ndarray] | None = None) -> list[str]:
    """One sample as a MetaPhlAn 3 profile (percentages, full precision);
    ``lineages``: :func:`_lineages_to_write` of the cohort by ``as_read``,
    filled as needed, when the caller writes several samples (once, not once
    per sample)."""
    sample = cohort.samples.iloc[i]
    origin = _origin(cohort, [i])
    db = origin or str(sample.get("database") or "") or "mpa_unknown_written_by_gutbalance"
    out = [
        f"#{db}",
        "#written by gutbalance",
        f"#SampleID\t{cohort.sample_names[i]}",
        "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species",
    ]
    unassigned = float(sample["unassigned"])
    if unassigned > 0:
        out.append(f"UNKNOWN\t-1\t{100.0 * unassigned!r}\t")
    start, end = cohort.X.indptr[i], cohort.X.indptr[i + 1]
    cols = cohort.X.indices[start:end]
    vals = cohort.X.data[start:end]
    as_read = _as_read(cohort, [i], origin)
    lineages = {} if lineages is None else lineages
    if as_read not in lineages:
        lineages[as_read] = _lineages_to_write(cohort, as_read=as_read)
    lineage = lineages[as_read]
    taxid = cohort.taxa["taxid"].to_numpy()
    for k in _order(cohort, cols, vals):
        if vals[k] > 0:
            out.append(f"{lineage[cols[k]]}\t{taxid[cols[k]] or ''}\t{100.0 * float(vals[k])!r}\t")
    return out


def metaphlan_merged_lines(cohort) -> list[str]:
    """All samples as one merged MetaPhlAn table."""
    X = cohort.X.tocsc()
    everyone = list(range(cohort.n_samples))
    lineage = _lineages_to_write(cohort, as_read=_as_read(cohort, everyone, _origin(cohort, everyone)))
    depth = cohort.taxa["rank"].map(RANK_INDEX).to_numpy()
    order = np.lexsort((cohort.taxa["lineage"].to_numpy(), depth))
    dense_unknown = 100.0 * cohort.samples["unassigned"].to_numpy(dtype=float)
    out = [f"#{_merged_database(cohort)}", "clade_name\t" + "\t".join(cohort.sample_names)]
    if (dense_unknown > 0).any():
        out.append("UNKNOWN\t" + "\t".join(repr(float(v)) for v in dense_unknown))
    for j in order:
        column = np.zeros(cohort.n_samples)
        start, end = X.indptr[j], X.indptr[j + 1]
        column[X.indices[start:end]] = X.data[start:end]
        if not column.any():
            continue
        out.append(lineage[j] + "\t" + "\t".join(repr(100.0 * float(v)) for v in column))
    return out


def write_single(cohort, path: Path) -> None:
    """Write one MetaPhlAn 3-style file per sample into the folder ``path``
    (or a single file when the cohort has one sample)."""
    path = Path(path)
    if cohort.n_samples == 1 and path.suffix:
        write_text_atomic("\n".join(metaphlan_lines(cohort, 0)) + "\n", path)
        return
    files = safe_file_names(list(cohort.sample_names), path)
    path.mkdir(parents=True, exist_ok=True)
    lineages: dict[bool, np.ndarray] = {}
    for i, name in enumerate(files):
        write_text_atomic("\n".join(metaphlan_lines(cohort, i, lineages)) + "\n", path / f"{name}_profile.txt")


def write_merged(cohort, path: Path) -> None:
    """Write all samples as one merged MetaPhlAn table."""
    write_text_atomic("\n".join(metaphlan_merged_lines(cohort)) + "\n", Path(path))


register(
    Format(
        "metaphlan",
        "a MetaPhlAn 2/3/4 single-sample profile",
        sniff_single,
        read_single,
        # No extensions: written only when asked by name (--to metaphlan), as a
        # folder of <sample>_profile.txt; .tsv and .txt write the merged table.
        write_single,
        priority=30,
        # -t rel_ab_w_read_stats: estimated_number_of_reads_from_the_clade
        estimated_counts=(
            "MetaPhlAn's estimated_number_of_reads_from_the_clade are estimated from marker-gene coverage, not "
            "reads counted, and a clade is reported only above a coverage threshold (Beghini et al. 2021, "
            "doi:10.7554/eLife.65088): Chao1 needs observed singletons and doubletons"
        ),
    )
)
register(
    Format(
        "sylph",
        "a sylph-tax profile (sylph-tax taxprof; MetaPhlAn's layout with GTDB names)",
        sniff_sylph,
        read_sylph,
        priority=30,
    )
)
register(
    Format(
        "metaphlan-merged",
        "a merged MetaPhlAn table (merge_metaphlan_tables.py)",
        sniff_merged,
        read_merged,
        write_merged,
        extensions=(".tsv", ".txt"),
        priority=30,
    )
)
