"""Headerless profiles of one GTDB lineage and one fraction per row, as MG-TK
and protal write them (the benchmark files of 4less/benchpro_rust,
``data/test_data/profiles/predictions/{MG-TK,protal}/``)::

    d__Bacteria;p__Firmicutes_A;...;g__Clostridium;s__Clostridium butyricum	0.0394
    d__Bacteria;p__Firmicutes_A;...;g__Butyrivibrio;s__?	0.0013

(MG-TK: the lineage ``;``-separated, then the fraction) and::

    RS_GCF_000225345.1	d__Bacteria|p__Bacillota_A|...|s__Roseburia hominis	0.0847

(protal: the genome, the lineage ``|``-separated, then the fraction).

How a profile is built:

* The lineage is read with rank prefixes (``d__`` .. ``s__``); MG-TK's
  ``s__?`` (a species it cannot name) becomes the placeholder
  ``Clostridium unclassified`` under its genus, as mOTUs' ``species incertae
  sedis`` does (:mod:`.motus`).  Rows naming one lineage (protal: several genomes of one
  species) are summed; a lineage written twice in an MG-TK file, or a genome
  twice in a protal file, is refused naming both lines.
* Each row is a leaf, so clades are the sums of the rows beneath them;
  abundance = fraction (the rows add up to 1).  The files carry no reads and
  no unassigned share.
* The format is told by its shape (no header, every row a prefixed lineage
  and a number, with or without a genome before it; MG-TK's lineage
  ``;``-separated, which tells it from Kraken's ``--use-mpa-style`` and
  MetaPhlAn 2's headerless ``|`` rows); the files name neither
  tool, so the sample is the file name and the format ``mg-tk`` or
  ``protal`` by that shape.
"""

from __future__ import annotations

import re

import numpy as np

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError, TaxonomyError
from ...taxonomy import parse_lineage
from ..feature_table import profiles_from_matrix
from ..registry import Format, register
from ..source import Source, is_number, parse_number, sample_name_from_path

_PREFIXED = re.compile(r"^[dk]__[^\t]*(?:[;|][a-z]__[^\t;|]*)+$")


def _unknown_as_placeholder(text: str) -> str:
    """``g__Clostridium;s__?`` -> ``g__Clostridium;s__Clostridium unclassified``:
    MG-TK's ``?`` (a taxon it cannot name) as the placeholder mOTUs' ``species
    incertae sedis`` becomes, a leaf of its own, not a share of the parent."""
    separator = "|" if "|" in text else ";"
    parts = text.split(separator)
    for i, part in enumerate(parts):
        prefix, _, name = part.strip().partition("__")
        if name.strip() == "?" and i > 0:
            parent = parts[i - 1].strip().partition("__")[2].removesuffix(" unclassified")
            parts[i] = f"{prefix}__{parent} unclassified"
    return separator.join(parts)


def _shape(fields: list[str], *, number: bool = True) -> int | None:
    """2 (MG-TK: lineage, fraction), 3 (protal: genome, lineage, fraction) or
    None; with ``number=False`` whatever the fraction column holds."""
    if (len(fields) == 2 and _PREFIXED.match(fields[0].strip()) and "|" not in fields[0]
            and (not number or is_number(fields[1]))):
        return 2  # ";"-separated: Kraken's and MetaPhlAn's headerless rows are "|"-separated
    if (len(fields) == 3 and fields[0].strip() and not _PREFIXED.match(fields[0].strip())
            and _PREFIXED.match(fields[1].strip()) and (not number or is_number(fields[2]))):
        return 3
    return None


def _rows(source: Source) -> list[list[str]]:
    return [ln.rstrip("\r\n").split("\t") for ln in (source.head_lines or []) if ln.strip()][:50]


def _sniffer(width: int):
    def sniff(source: Source) -> bool:
        """The first row of the shape, and most of the first 50 rows; the
        first row's fraction may be no number (when other rows follow), so
        that the reader refuses it naming the line and field, rather than the
        file being "not a recognised profile format" or a table whose header
        is that row."""
        rows = _rows(source)
        if not rows or _shape(rows[0], number=False) != width:
            return False
        if _shape(rows[0]) != width and len(rows) < 2:
            return False
        return sum(1 for r in rows if _shape(r) == width) * 2 >= len(rows)

    return sniff


def _reader(width: int, name: str):
    def read(source: Source) -> list[SampleProfile]:
        path = source.path
        lineages: list[Lineage] = []
        values: list[float] = []
        # MG-TK writes each lineage once, protal each genome once (its genomes
        # of one species are summed): a row again is a file pasted into itself,
        # refused as the ganon, Kaiju and KMCP readers refuse theirs.
        first_line: dict[str, int] = {}
        for lineno, ln in enumerate(source.all_lines, start=1):
            if not ln.strip():
                continue
            fields = ln.rstrip("\r\n").split("\t")
            if len(fields) != width:
                what = "lineage, fraction" if width == 2 else "genome, lineage, fraction"
                raise FormatError(f"expected {width} tab-separated columns ({what}), found {len(fields)}",
                                  path=path, line=lineno)
            text = fields[-2].strip()
            key = text if width == 2 else fields[0].strip()
            if key in first_line:
                what, field = ("lineage", "lineage") if width == 2 else ("genome", "genome")
                raise FormatError(f"{what} {key!r} appears twice (first on line {first_line[key]}): {name} writes "
                                  f"each {what} once, so its share would be counted twice (a file pasted into itself?)",
                                  path=path, line=lineno, field=field)
            first_line[key] = lineno
            try:
                lineage = parse_lineage(_unknown_as_placeholder(text))
            except TaxonomyError as exc:
                raise FormatError(str(exc), path=path, line=lineno, field="lineage") from None
            lineages.append(lineage)
            values.append(parse_number(fields[-1], path=path, line=lineno, field="fraction", what="fraction",
                                       maximum=1.0 + 1e-6))
        if not lineages:
            raise FormatError("no rows: empty profile", path=path)
        matrix = np.array(values, dtype=np.float64).reshape(-1, 1)
        sample = sample_name_from_path(path)
        return profiles_from_matrix(lineages, matrix, [sample], path=path, source_format=name, kind="fraction",
                                    database=name)

    return read


register(Format("mg-tk", "an MG-TK profile (GTDB lineage; fraction, no header)", _sniffer(2),
                _reader(2, "mg-tk"), None, priority=30, ends_with_newline=True))
register(Format("protal", "a protal profile (genome; GTDB lineage; fraction, no header)", _sniffer(3),
                _reader(3, "protal"), None, priority=30, ends_with_newline=True))
