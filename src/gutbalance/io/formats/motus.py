"""mOTUs 3 profiles in the profiler's own layout (``motus profile`` without
``-C``, and ``motus merge`` tables)::

    # git tag version 3.0.3 |  motus version 3.0.3 | ... | calc_motu 3.0.3 -k mOTU -C no_CAMI -g 3 -c -p | taxonomy: ...
    # call: python .../motus profile -p -c -f R1.fastq.gz -r R2.fastq.gz -n S1 -o S1.out
    #consensus_taxonomy	NCBI_tax_id	S1
    Leptospira alexanderi [ref_mOTU_v3_00001]	100053	0
    Ruminococcus bromii [ref_mOTU_v3_00853]	40518	20
    Clostridium species incertae sedis [ext_mOTU_v3_26233]	NA	1
    unassigned	NA	17

(the mOTUs 3 test profiles of taxpasta, taxprofiler/taxpasta
``tests/data/motus/``).  ``-C precision|parenthesis|recall`` writes the CAMI
format instead (:mod:`.cami`).

How a profile is built:

* The last ``#`` line heads the columns: the taxon, ``NCBI_tax_id`` when
  ``-p`` was given, then one column per sample (``motus merge`` writes several).
* The rank of the rows is the ``-k`` of the ``calc_motu`` comment: ``mOTU``
  (the default) is a species-level cluster; ``kingdom`` is the domain; the
  other levels are themselves.  Without the comment, ``mOTU``.
* A name loses its ``[ref_mOTU_v3_00853]`` cluster id (a species keeps the
  genus its binomial names, as ``s__Genus_species`` does in other formats); ``X species incertae
  sedis`` (mOTUs' name for a cluster below X that has no species) becomes the
  placeholder ``X unclassified``; ``unassigned`` (``-1`` in mOTUs 2) is the
  unassigned share.  Clusters with the same name are summed; a row repeating
  another's whole name (its cluster id too) is refused (a line written twice).
* Values are read counts when ``calc_motu`` was given ``-c``, else relative
  abundances (each sample adds up to 1 with the unassigned row); without the
  comment, decided from the totals as for any feature table.
* The database is the ``motus version`` and ``taxonomy:`` parts of the
  comment, which is what makes the profile an mOTUs one for the reference
  (:mod:`gutbalance.reference.comparability`).
"""

from __future__ import annotations

import re

import numpy as np

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError
from ..feature_table import profiles_from_matrix
from ..one_rank import one_rank_lineage
from ..registry import Format, register
from ..source import Source, motus_version, parse_number

_HEADER = "#consensus_taxonomy"
_CLUSTER_ID = re.compile(r"\s*\[(?:ref|meta|ext)_mOTU_v\d+_\d+\]\s*$")
_INCERTAE = re.compile(r"^(.+?) species incertae sedis$", re.IGNORECASE)
_LEVEL = re.compile(r"\bcalc_motu\b.*?\s-k\s+(\S+)")
_RANK_OF_LEVEL = {"motu": "species", "kingdom": "domain", "phylum": "phylum", "class": "class", "order": "order",
                  "family": "family", "genus": "genus"}
_UNASSIGNED = {"unassigned", "-1"}


def _header_index(lines: list[str]) -> int:
    """Line index of the column header (the last leading ``#`` line), or -1."""
    last = -1
    for i, ln in enumerate(lines):
        if not ln.startswith("#"):
            break
        last = i
    return last if last >= 0 and lines[last].split("\t", 1)[0].strip() == _HEADER else -1


def sniff(source: Source) -> bool:
    """A ``#consensus_taxonomy`` header after the comments, and a first row
    whose name carries an mOTU cluster id or is ``unassigned``."""
    lines = source.head_lines
    if not lines:
        return False
    k = _header_index(lines)
    if k < 0 or len(lines[k].split("\t")) < 2:
        return False
    rows = [ln for ln in lines[k + 1:] if ln.strip()]
    if not rows:
        return True
    first = rows[0].split("\t", 1)[0].strip()
    return bool(_CLUSTER_ID.search(first)) or first.lower() in _UNASSIGNED


def _name(raw: str) -> str:
    name = _CLUSTER_ID.sub("", raw).strip()
    incertae = _INCERTAE.match(name)
    return f"{incertae.group(1)} unclassified" if incertae else name


def read(source: Source) -> list[SampleProfile]:
    """Read an mOTUs profile (one sample, or a ``motus merge`` table)."""
    path = source.path
    lines = source.all_lines
    k = _header_index(lines)
    if k < 0:
        raise FormatError(f"no {_HEADER} header line after the comments", path=path)
    comments = lines[:k]
    columns = [c.strip() for c in lines[k].split("\t")]
    first_sample = 2 if len(columns) > 2 and columns[1].lower() == "ncbi_tax_id" else 1
    samples = columns[first_sample:]
    if not samples:
        raise FormatError("the header names no sample column", path=path, line=k + 1)
    if len(set(samples)) != len(samples):
        raise FormatError("the header names a sample twice", path=path, line=k + 1)
    level = next((m.group(1) for c in comments if (m := _LEVEL.search(c))), "mOTU")
    rank = _RANK_OF_LEVEL.get(level.lower())
    if rank is None:
        raise FormatError(f"calc_motu -k {level!r} is not a level gutbalance knows (mOTU, kingdom, phylum, class, "
                          "order, family, genus)", path=path, line=1)
    flags = next((c for c in comments if "calc_motu" in c), "")
    kind = None
    if flags:
        kind = "counts" if re.search(r"\bcalc_motu\b[^|]*\s-c\b", flags) else "fraction"
    lineages: list[Lineage | None] = []
    values: list[list[float]] = []
    first_line: dict[str, int] = {}
    for lineno, ln in enumerate(lines[k + 1:], start=k + 2):
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.rstrip("\r\n").split("\t")
        if len(fields) != len(columns):
            raise FormatError(f"expected {len(columns)} tab-separated columns, found {len(fields)}", path=path,
                              line=lineno)
        raw = fields[0].strip()
        if not raw:
            raise FormatError("empty taxon name", path=path, line=lineno, field=columns[0])
        # two clusters of one name are summed, but one cluster twice (its id too) is a line written twice
        if (first := first_line.setdefault(raw, lineno)) != lineno:
            raise FormatError(f"the taxon {raw!r} repeats line {first}", path=path, line=lineno, field=columns[0])
        lineages.append(None if raw.lower() in _UNASSIGNED else one_rank_lineage(rank, _name(raw)))
        row = [parse_number(v, path=path, line=lineno, field=samples[j], what="abundance")
               for j, v in enumerate(fields[first_sample:])]
        if any(v < 0 for v in row):
            raise FormatError(f"negative value for {raw!r}", path=path, line=lineno)
        values.append(row)
    if not lineages:
        raise FormatError("no taxon rows under the header", path=path, line=k + 1)
    database = motus_version(comments) or "mOTUs"
    return profiles_from_matrix(lineages, np.array(values, dtype=np.float64), samples, path=path,
                                source_format="motus", kind=kind, database=database)


register(
    Format(
        "motus",
        "an mOTUs profile in its own layout (motus profile without -C; motus merge)",
        sniff,
        read,
        None,
        priority=30,
        # -c: insert counts scaled by marker-gene length
        estimated_counts=(
            "mOTUs counts are insert counts scaled by marker-gene length (-y insert.scaled_counts) and an mOTU is "
            "reported only when several marker genes are seen (-g) (Milanese et al. 2019, "
            "doi:10.1038/s41467-019-08844-4): Chao1 needs observed singletons and doubletons"
        ),
        ends_with_newline=True,
    )
)
