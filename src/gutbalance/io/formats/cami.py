"""The CAMI / BioBoxes taxonomic profiling format (as written by mOTUs 3,
MetaPhlAn ``--CAMI_format_output`` and the CAMI challenge tools)::

    # Taxonomic Profiling Output
    @SampleID: S1
    @Version:0.9.3
    @Ranks:superkingdom|phylum|class|order|family|genus|species|strain
    @TaxonomyID: Jan 08 2019
    @@TAXID	RANK	TAXPATH	TAXPATHSN	PERCENTAGE
    2	superkingdom	2	Bacteria	99.9
    1239	phylum	2|1239	Bacteria|Firmicutes	83.6
    ...

Every row is one taxon at one rank with its percentage of the sample; the
percentages of one rank add up to at most 100.  ``TAXPATH`` and
``TAXPATHSN`` give the taxids and names from the top rank down to the row's
own rank, one ``|``-separated entry per rank of ``@Ranks`` (empty where the
taxonomy has no taxon at that rank).  Extra columns such as
``_CAMI_genomeID`` are allowed and ignored.  A file may hold several
samples, each starting at its own ``@SampleID`` header.

How a profile is built:

* The lineage of a row comes from ``TAXPATHSN`` aligned with ``@Ranks``:
  superkingdom is the domain, phylum..strain are themselves, ranks outside the
  standard ones are skipped, and so are empty entries.  A row whose own
  name is empty (MetaPhlAn 4 writes ``Bacteria|...|Bacteroidales|`` for
  the family its taxonomy does not give *Phocaeicola*) is carried by the
  rows below it, which must add up to its percentage.  Names are kept as
  written (mOTUs' ``Firmicutes bacterium CAG:110 [meta_mOTU_v3_12345]``,
  ``unassigned``); normalising them is the taxonomy module's job.
* Abundance = percentage / 100.  Rows repeating a lineage under another taxid are
  summed; a row repeating another's taxid, rank and lineage is refused (a line written twice).
* Unassigned = 100 % minus the sum at the top rank present (superkingdom in
  every real profile), floored at 0.
* ``@SampleID: unnamed sample`` (mOTUs' default), ``Metaphlan_Analysis``
  (MetaPhlAn's) or an empty one takes the
  file's name (``ERR478958.profile`` -> ``ERR478958``); several unnamed
  samples in one file are numbered ``<file>_1``, ``<file>_2``...
* The database is the ``@TaxonomyID`` plus the profiler's version, read from
  ``@__program__``, from MetaPhlAn's first comment line (``#mpa_vJan21_...``)
  or from mOTUs' ``# ... motus version ...`` comment line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..._version import __version__
from ...atomic import write_text_atomic
from ...cohort import SampleProfile
from ...errors import FormatError
from ...taxonomy import RANK_INDEX, RANK_PREFIX, RANKS, Taxon, normalize_name, standard_rank, taxon
from ..registry import Format, register
from ..source import Source, motus_version, parse_number, sample_name_from_path

DEFAULT_RANKS = ("superkingdom", "phylum", "class", "order", "family", "genus", "species", "strain")
_REQUIRED = ("TAXID", "RANK", "TAXPATH", "TAXPATHSN", "PERCENTAGE")
# mOTUs' default, and MetaPhlAn's (its --CAMI_format_output keeps it)
_UNNAMED = {"", "unnamed sample", "unnamed_sample", "sample", "metaphlan_analysis"}
_MPA_DATABASE = re.compile(r"#\s*mpa_v\w+\s*$")
_CAMI_RANK_OUT = {"domain": "superkingdom"}
# Percentages are rounded by profilers; a single row may not exceed 100 % by more.
# A clade is the sum of the rows below it, which MetaPhlAn rounds to 5 decimals
# each: its 0.profile.tsv of the CAMI gut sample (mpa_vJan21) adds up to
# 100.00003 % under Bacteria, which gutbalance then writes (convert to
# .profile) and must read back.  A thousandth of a point covers the rounding
# of a hundred rows and nothing a real excess would be.
_PERCENT_SLACK = 1e-3
# MetaPhlAn writes 5 decimals; the rows under a nameless row add up to it
# within that rounding (summing many 5-decimal values drifts a little more).
_NAMELESS_SLACK = 1e-3


def _header_columns(line: str) -> list[str]:
    return [c.strip().upper() for c in line[2:].split("\t")]


def sniff(source: Source) -> bool:
    """A ``@@TAXID ... PERCENTAGE`` column header after ``@`` header lines."""
    lines = source.head_lines
    if not lines:
        return False
    seen_header_line = False
    for ln in lines:
        if not ln.strip() or ln.startswith("#"):
            continue
        if ln.startswith("@@"):
            columns = _header_columns(ln)
            return seen_header_line and all(c in columns for c in ("TAXID", "RANK", "TAXPATH", "PERCENTAGE"))
        if ln.startswith("@"):
            key = ln[1:].split(":", 1)[0].strip().lower()
            seen_header_line = seen_header_line or key in {"sampleid", "ranks", "version", "taxonomyid"}
            continue
        return False  # a data line before the column header
    return False


#: The line the writer puts in the block of a sample with nothing classified
#: (a block without rows is otherwise read as a cut file when it is the last).
NOTHING_CLASSIFIED = "# nothing classified in this sample"


@dataclass
class _Block:
    """One sample of a CAMI file while it is being read."""

    line: int
    #: the block says it holds no row on purpose (:data:`NOTHING_CLASSIFIED`)
    empty_said: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    columns: dict[str, int] | None = None
    ncols: int = 0
    ranks: tuple[str, ...] = DEFAULT_RANKS
    standard: tuple[str | None, ...] = ()
    #: rows by their TAXPATHSN: [lineage, fraction, taxid]; equal paths (under two taxids) are summed
    taxa: dict[str, list] = field(default_factory=dict)
    #: the line of each (TAXID, RANK, TAXPATHSN) read so far: a second one is a repeated line
    row_lines: dict[tuple[str, str, str], int] = field(default_factory=dict)
    rank_totals: dict[int, float] = field(default_factory=dict)
    rows: int = 0
    #: percentages of the rows under each TAXPATHSN prefix, one rank down
    below: dict[str, float] = field(default_factory=dict)
    #: rows without a name at their own rank: (TAXPATHSN, rank, percentage, line)
    nameless: list[tuple[str, str, float, int]] = field(default_factory=list)


def _standard_ranks(ranks: tuple[str, ...]) -> tuple[str | None, ...]:
    """The standard rank of each ``@Ranks`` entry; a rank that maps onto one
    already taken (``kingdom`` after ``superkingdom``) maps to nothing."""
    out: list[str | None] = []
    taken: set[str] = set()
    for r in ranks:
        std = standard_rank(r)
        if std is not None and std in taken:
            std = None
        if std is not None:
            taken.add(std)
        out.append(std)
    return tuple(out)


def _number(token: str, path: Path, lineno: int) -> float:
    return parse_number(
        token, path=path, line=lineno, field="PERCENTAGE", what="percentage", maximum=100.0 + _PERCENT_SLACK
    )


def _start_columns(block: _Block, line: str, path: Path, lineno: int) -> None:
    columns = _header_columns(line)
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise FormatError(f"the column header lacks {', '.join(missing)}", path=path, line=lineno)
    if len(set(columns)) != len(columns):
        raise FormatError("the column header repeats a column", path=path, line=lineno)
    block.columns = {c: columns.index(c) for c in _REQUIRED}
    block.ncols = len(columns)
    ranks_text = block.headers.get("ranks", "").strip()
    if ranks_text:
        ranks = tuple(r.strip().lower() for r in ranks_text.split("|"))
        if any(not r for r in ranks) or len(set(ranks)) != len(ranks):
            raise FormatError(f"@Ranks {ranks_text!r} has an empty or repeated rank", path=path, field="@Ranks")
        block.ranks = ranks
    block.standard = _standard_ranks(block.ranks)


def _add_row(block: _Block, line: str, path: Path, lineno: int) -> None:
    assert block.columns is not None
    fields = line.split("\t")
    if len(fields) != block.ncols:
        raise FormatError(
            f"expected {block.ncols} tab-separated columns like the @@TAXID header, found {len(fields)}"
            " (truncated file?)",
            path=path,
            line=lineno,
        )
    col = block.columns
    value = _number(fields[col["PERCENTAGE"]], path, lineno)
    rank = fields[col["RANK"]].strip().lower()
    if rank not in block.ranks:
        raise FormatError(f"rank {rank!r} is not in @Ranks", path=path, line=lineno, field="RANK")
    position = block.ranks.index(rank)
    names = fields[col["TAXPATHSN"]].split("|")
    if len(names) != position + 1:
        raise FormatError(
            f"{len(names)} names for a {rank} row; @Ranks puts {rank} at level {position + 1}",
            path=path,
            line=lineno,
            field="TAXPATHSN",
        )
    # The same taxon twice (taxid, rank and path) is a line written twice, not two taxa:
    # summing it changed the scores silently (mOTUs ERR479131 with its E. coli row
    # repeated: immune_support 53.85 -> 50.07).  One path under two taxids is still summed.
    row_key = (fields[col["TAXID"]].strip(), rank, fields[col["TAXPATHSN"]])
    if (first := block.row_lines.setdefault(row_key, lineno)) != lineno:
        raise FormatError(f"the taxon {names[-1].strip()!r} repeats line {first}", path=path, line=lineno,
                          field="TAXPATHSN")
    block.rows += 1
    parent_key = "|".join(names[:position])
    block.below[parent_key] = block.below.get(parent_key, 0.0) + value
    if block.standard[position] is None:
        return  # a rank outside the standard ones: its share is in the ranks above and below
    leaf = names[position].strip()
    if not normalize_name(leaf):
        # MetaPhlAn's --CAMI_format_output writes a row for a rank its
        # taxonomy leaves empty on this path (Phocaeicola has no family in
        # mpa_vJan21: "Bacteroidales|" then "Bacteroidales||Phocaeicola");
        # the rows below carry its share, which _check_nameless confirms
        block.nameless.append(("|".join(names), rank, value, lineno))
        return
    block.rank_totals[position] = block.rank_totals.get(position, 0.0) + value
    if value <= 0:
        return
    key = fields[col["TAXPATHSN"]]
    entry = block.taxa.get(key)
    if entry is None:
        lineage, merge_key = _lineage(block.standard[: position + 1], key)
        block.taxa[key] = [lineage, value / 100.0, fields[col["TAXID"]].strip(), merge_key]
    else:
        entry[1] += value / 100.0


@lru_cache(maxsize=1 << 16)
def _lineage(standard: tuple[str | None, ...], taxpathsn: str) -> tuple[tuple[Taxon, ...], str]:
    """The lineage of a TAXPATHSN whose entries sit at the ``standard`` ranks,
    and a string that is equal for equal lineages (strings keep their hash;
    tuples of taxa hash slowly).  Cached: the same paths recur in every sample
    of a study."""
    lineage = tuple(
        taxon(std, name.strip())
        for std, name in zip(standard, taxpathsn.split("|"), strict=True)
        if std is not None and normalize_name(name)
    )
    return lineage, "\t".join(f"{t.rank}:{t.original}" for t in lineage)


def _check_nameless(block: _Block, path: Path) -> None:
    """A row without a name is read only through the rows one rank below
    it, so they must hold its percentage (to the profiler's rounding);
    otherwise its share would vanish without a word."""
    for key, rank, value, lineno in block.nameless:
        carried = block.below.get(key, 0.0)
        if abs(carried - value) > _NAMELESS_SLACK * max(1.0, value):
            raise FormatError(
                f"the {rank} row has no name, and the rows below it hold {carried:g} % of its {value:g} %",
                path=path,
                line=lineno,
                field="TAXPATHSN",
            )


def _program(headers: dict[str, str], comments: list[str]) -> str:
    if headers.get("__program__"):
        return headers["__program__"].strip()
    # MetaPhlAn's --CAMI_format_output starts with its database as its own
    # profiles do ("#mpa_vJan21_CHOCOPhlAnSGB_202103"): it names the profiler
    # for the percentiles, which an unnamed CAMI file does not get
    database = next((c.lstrip("#").split()[0] for c in comments if _MPA_DATABASE.match(c)), "")
    return database or motus_version(comments)


def read(source: Source) -> list[SampleProfile]:
    """Read every sample of a CAMI profile."""
    path = source.path
    blocks: list[_Block] = []
    comments: list[str] = []
    current: _Block | None = None
    for lineno, ln in enumerate(source.lines(), start=1):
        if not ln.strip():
            continue
        if ln.startswith("#"):
            if ln.strip() == NOTHING_CLASSIFIED and current is not None and current.columns is not None:
                current.empty_said = True
            comments.append(ln)
            continue
        if ln.startswith("@@"):
            if current is None or current.columns is not None:
                raise FormatError("a @@TAXID column header without its @SampleID header lines", path=path, line=lineno)
            _start_columns(current, ln, path, lineno)
            continue
        if ln.startswith("@"):
            key, sep, value = ln[1:].partition(":")
            key = key.strip().lower()
            if not sep or not key:
                raise FormatError(f"header line {ln.strip()!r} is not @Key:value", path=path, line=lineno)
            # a header after data, or a second @SampleID, opens the next sample
            if current is None or current.columns is not None or (key == "sampleid" and "sampleid" in current.headers):
                current = _Block(lineno)
                blocks.append(current)
            if key in current.headers:
                raise FormatError(f"@{key} given twice for one sample", path=path, line=lineno)
            current.headers[key] = value.strip()
            continue
        if current is None or current.columns is None:
            raise FormatError("a data row before the @@TAXID column header", path=path, line=lineno)
        _add_row(current, ln, path, lineno)
    if not blocks:
        raise FormatError("no @SampleID header: empty or truncated CAMI profile", path=path)
    for block in blocks:
        if block.columns is None:
            raise FormatError("a sample without its @@TAXID header and rows (truncated file?)", path=path, line=block.line)
        # a sample with nothing classified has no row: so written by us (the line that says so), or
        # followed by the next sample; the last block without rows and without that line is a cut file
        if block.rows == 0 and not block.empty_said and block is blocks[-1]:
            raise FormatError("a sample without rows (truncated file?)", path=path, line=block.line)
        _check_nameless(block, path)
    return _profiles(blocks, path, comments)


def _profiles(blocks: list[_Block], path: Path, comments: list[str]) -> list[SampleProfile]:
    stem = sample_name_from_path(path)
    unnamed = sum(1 for b in blocks if b.headers.get("sampleid", "").strip().lower() in _UNNAMED)
    out: list[SampleProfile] = []
    seen: dict[str, int] = {}
    counter = 0
    for block in blocks:
        name = block.headers.get("sampleid", "").strip()
        if name.lower() in _UNNAMED:
            counter += 1
            name = stem if unnamed == 1 else f"{stem}_{counter}"
        if name in seen:
            raise FormatError(f"sample {name!r} repeats the one on line {seen[name]}", path=path, line=block.line)
        seen[name] = block.line
        top = min(block.rank_totals) if block.rank_totals else None
        classified = block.rank_totals[top] / 100.0 if top is not None else 0.0
        program = _program(block.headers, comments)
        database = "; ".join(p for p in (block.headers.get("taxonomyid", ""), program) if p)
        # different spellings of one path (spaces) may still give one lineage: sum them
        merged: dict[str, list] = {}
        for lineage, value, taxid, merge_key in block.taxa.values():
            if merge_key in merged:
                merged[merge_key][1] += value
            else:
                merged[merge_key] = [lineage, value, taxid]
        rows = list(merged.values())
        out.append(
            SampleProfile(
                sample=name,
                lineages=[r[0] for r in rows],
                abundance=[r[1] for r in rows],
                unassigned=max(0.0, 1.0 - classified),
                source_file=str(path),
                source_format="cami",
                database=database,
                taxids=[r[2] for r in rows],
            )
        )
    return out


# --- writing ------------------------------------------------------------------


def _clean(text: str, what: str) -> str:
    if any(ch in text for ch in "|\t\n\r"):
        raise FormatError(f"{what} {text!r} holds a '|', tab or line break, which CAMI cannot carry")
    return text


def profile_lines(cohort) -> list[str]:
    """Every sample of a Cohort as one CAMI profile (one block per sample)."""
    taxa = cohort.taxa
    names = taxa[list(RANKS)].to_numpy(dtype=object)
    taxid_of = {tid: str(t) if isinstance(t, str) else "" for tid, t in zip(taxa.index, taxa["taxid"], strict=True)}
    depth = taxa["rank"].map(RANK_INDEX).to_numpy()
    parent_of = dict(zip(taxa.index, taxa["parent"], strict=True)) if "parent" in taxa else {}
    rank_of = dict(zip(taxa.index, taxa["rank"], strict=True))

    def ids_by_rank(key: str) -> dict[str, str]:
        # up the cohort's own parent keys: a column keyed by its lineage
        # ("p__Chloroflexota|c__Chloroflexia|o__Herpetosiphonales") is not
        # found by "o__<name>", which left its own and its descendants'
        # TAXPATH ids empty
        found: dict[str, str] = {}
        while key in rank_of:
            found.setdefault(rank_of[key], taxid_of.get(key, ""))
            key = parent_of.get(key) or ""
        return found

    out = ["# Taxonomic Profiling Output", f"# written by gutbalance {__version__}"]
    for i, sample in enumerate(cohort.sample_names):
        database = str(cohort.samples["database"].iloc[i] or "") or "unknown"
        out += [
            f"@SampleID:{_clean(sample, 'sample name')}",
            "@Version:0.9.1",
            "@Ranks:" + "|".join(DEFAULT_RANKS),
            f"@TaxonomyID:{_clean(database, 'database')}",
            f"@__program__:gutbalance {__version__}",
            "@@" + "\t".join(_REQUIRED),
        ]
        start, end = cohort.X.indptr[i], cohort.X.indptr[i + 1]
        cols, vals = cohort.X.indices[start:end], cohort.X.data[start:end]
        if not (vals > 0).any():
            out.append(NOTHING_CLASSIFIED)
        for k in np.lexsort((-vals, depth[cols])):
            c, value = cols[k], vals[k]
            if value <= 0:
                continue
            level = int(depth[c])
            path_names, path_ids = [], []
            on_path = ids_by_rank(taxa.index[c])
            for r in range(level + 1):
                name = names[c, r] if isinstance(names[c, r], str) else ""
                path_names.append(_clean(name, "taxon name"))
                by_name = taxid_of.get(f"{RANK_PREFIX[RANKS[r]]}__{name}", "") if name else ""
                path_ids.append(on_path.get(RANKS[r]) or by_name)
            rank = RANKS[level]
            out.append(
                "\t".join(
                    [
                        _clean(taxid_of.get(taxa.index[c], ""), "taxid"),
                        _CAMI_RANK_OUT.get(rank, rank),
                        "|".join(_clean(t, "taxid") for t in path_ids),
                        "|".join(path_names),
                        repr(100.0 * float(value)),
                    ]
                )
            )
        out.append("")
    return out


def write(cohort, path: Path) -> None:
    """Write a Cohort as one CAMI profile file with a block per sample."""
    write_text_atomic("\n".join(profile_lines(cohort)) + "\n", Path(path))


register(
    Format(
        "cami",
        "a CAMI/BioBoxes taxonomic profile (mOTUs 3, MetaPhlAn --CAMI_format_output)",
        sniff,
        read,
        write,
        extensions=(".profile",),
        priority=30,
        ends_with_newline=True,
    )
)
