"""Kraken reports in MetaPhlAn style (``kraken2 --use-mpa-style``, KrakenTools'
``kreport2mpa.py``, Bracken's ``.mpa``) and KrakenTools' ``combine_mpa.py`` tables.

One row per clade, no header, the lineage joined by ``|`` with one-letter rank
prefixes, then the reads of the whole clade::

    d__Bacteria	25808392
    d__Bacteria|p__Proteobacteria	10903399
    d__Bacteria|p__Proteobacteria|c__Gammaproteobacteria	5950178
    ...
    d__Bacteria|...|g__Escherichia|s__Escherichia_coli	1449813

Older Bracken/KrakenTools write one underscore (``d_Bacteria|p_Proteobacteria``,
Bracken's own ``sample_data/sample_output_bracken.mpa``).  ``combine_mpa.py``
puts a ``#Classification  S1  S2`` header over one column of reads per sample.

How it becomes a profile, as for the six-column report (``kraken.py``):

* Ranks d (domain), p, c, o, f, g, s are kept; ``k__`` (Kraken's kingdom,
  e.g. ``k__Metazoa`` under ``d__Eukaryota``), ``x__`` (intermediate ranks
  of ``kreport2mpa.py --intermediate-ranks``) and ``r__`` (the root those
  files start every lineage with: ``r_root|x_cellular organisms|d_Bacteria``
  in Bracken's ``sample_output_bracken_with_intermediate.mpa``) are not
  standard ranks: left out of lineages, and a row ending in one is skipped
  (its reads are inside its parent's clade already, or, for the root, in the
  domain rows).
* Abundance = clade reads / the reads of the domain rows; counts = clade reads.
* The style leaves out the unclassified reads, so the profile is of the
  classified reads (unassigned 0), like a MetaPhlAn profile without UNKNOWN.

MetaPhlAn's own headerless two-column profiles (MetaPhlAn 2) start at ``k__``
and hold percentages with decimals; these start at ``d__``/``d_`` and hold
whole reads, which is how the two are told apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError
from ...taxonomy import taxon
from ..registry import Format, register
from ..source import Source, parse_number, sample_name_from_path

_PART = re.compile(r"^([a-z])__?(.*)$")
_RANK_OF = {"d": "domain", "p": "phylum", "c": "class", "o": "order", "f": "family", "g": "genus", "s": "species"}
_SKIPPED = {"k", "x", "r"}
_COMBINED_HEADER = "#Classification"


def _data_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.strip() and not ln.startswith("#")]


def _is_kraken_lineage(token: str) -> bool:
    if ";" in token:
        return False  # a QIIME/BIOM lineage ("d__Bacteria;p__..."): a generic table
    parts = token.split("|")
    # a lineage starts at its domain, or at the root above it (--intermediate-ranks)
    if not re.match(r"^(d__?[^_]|r__?root$)", parts[0]):
        return False
    for part in parts:
        m = _PART.match(part)
        if m is None or (m.group(1) not in _RANK_OF and m.group(1) not in _SKIPPED) or not m.group(2):
            return False
    return True


def sniff(source: Source) -> bool:
    """Rows of ``d__...|p__...`` lineages and whole read counts, with or
    without ``combine_mpa.py``'s ``#Classification`` header."""
    lines = source.head_lines
    if not lines:
        return False
    header = next((ln for ln in lines if ln.strip()), "")
    combined = header.startswith(_COMBINED_HEADER)
    if header.startswith("#") and not combined:
        return False  # another table's header (#OTU ID, #SampleID, #mpa_v30...)
    width = len(header.split("\t")) if combined else 2
    data = _data_lines(lines[1:] if combined else lines)[:40]
    if len(data) < 1:
        return False
    for ln in data:
        fields = ln.rstrip("\r\n").split("\t")
        if len(fields) != width or not _is_kraken_lineage(fields[0].strip()):
            return False
        # Reads are whole numbers; a fraction is a percentage (not this format).
        # A cell that is no number at all is left to the reader, which names its line.
        if any(_is_fraction(f.strip()) for f in fields[1:]):
            return False
    return True


def _is_fraction(token: str) -> bool:
    try:
        value = float(token)
    except ValueError:
        return False
    return value != int(value) if value == value and abs(value) != float("inf") else True


def _lineage(token: str, path: Path, lineno: int) -> Lineage | None:
    """The standard-rank lineage of a row, or None when the row ends in a rank
    that is not standard (its reads are in its parent's clade)."""
    out = []
    last_standard = True
    for part in token.split("|"):
        m = _PART.match(part)
        if m is None:
            raise FormatError(f"{part!r} is not a rank-prefixed name (d__, p__, ...)", path=path, line=lineno)
        code, name = m.group(1), m.group(2)
        if code in _SKIPPED:
            last_standard = False
            continue
        rank = _RANK_OF.get(code)
        if rank is None:
            raise FormatError(f"unknown rank prefix {code!r} in {part!r}", path=path, line=lineno)
        out.append(taxon(rank, name))
        last_standard = True
    return tuple(out) if last_standard else None


def read(source: Source) -> list[SampleProfile]:
    """One profile per read column."""
    path = source.path
    lines = source.all_lines
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise FormatError("the file is empty", path=path)
    combined = lines[first].startswith(_COMBINED_HEADER)
    if combined:
        names = [sample_name_from_path(n.strip()) for n in lines[first].split("\t")[1:]]
        if len(set(names)) != len(names) or not all(names):
            raise FormatError("sample columns must be named, each once", path=path, line=first + 1)
    else:
        names = [sample_name_from_path(path)]
    lineages: list[Lineage] = []
    reads: list[list[float]] = []
    seen: dict[str, int] = {}
    for lineno, ln in enumerate(lines, start=1):
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.rstrip("\r\n").split("\t")
        if len(fields) != len(names) + 1:
            raise FormatError(
                f"expected {len(names) + 1} tab-separated columns, found {len(fields)}", path=path, line=lineno
            )
        token = fields[0].strip()
        lineage = _lineage(token, path, lineno)
        if lineage is None:
            continue
        key = "|".join(t.id for t in lineage)
        if key in seen:
            raise FormatError(f"clade {token!r} repeats line {seen[key]}", path=path, line=lineno)
        seen[key] = lineno
        lineages.append(lineage)
        reads.append([parse_number(v, path=path, line=lineno, field=names[j], what="reads")
                      for j, v in enumerate(fields[1:])])
    out = []
    for j, name in enumerate(names):
        total = sum(r[j] for lin, r in zip(lineages, reads, strict=True) if len(lin) == 1)
        if total <= 0:
            raise FormatError(f"sample {name!r}: no reads in any domain row (d__...)", path=path)
        keep = [i for i, r in enumerate(reads) if r[j] > 0]
        out.append(
            SampleProfile(
                sample=name,
                lineages=[lineages[i] for i in keep],
                abundance=[reads[i][j] / total for i in keep],
                unassigned=0.0,
                counts=[reads[i][j] for i in keep],
                source_file=str(path),
                source_format="kraken-mpa",
                database="",
            )
        )
    return out


register(
    Format(
        "kraken-mpa",
        "a Kraken report in MetaPhlAn style (--use-mpa-style, kreport2mpa.py, Bracken .mpa; combine_mpa.py)",
        sniff,
        read,
        None,
        extensions=(".mpa",),
        priority=30,
        ends_with_newline=True,
    )
)
