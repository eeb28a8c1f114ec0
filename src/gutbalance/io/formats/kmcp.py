"""KMCP profiles (``kmcp profile``'s default output), as nf-core/taxprofiler
writes them::

    ref	percentage	coverage	score	chunksFrac	...	reads	ureads	hicureads	refsize	refname	taxid	rank	taxname	taxpath	taxpathsn
    GCF_000018945.1	11.608028	258.04	100.00	1.00	...	3257394	3060634	2930305	1884562		562	species	Escherichia coli	Bacteria;...;Escherichia;Escherichia coli	2;...;561;562

One row per reference genome: ``percentage`` is its relative abundance (the
rows add up to 100), ``taxid``, ``rank`` and ``taxname`` the taxon it
belongs to when ``kmcp profile`` was given the taxonomy (``-T/--taxid-map``
and ``-X/--taxdump``); without it they are empty or carry the reference's
own id.  ``taxpath`` is the taxon's lineage of names from the root down
(the ranks of ``--show-rank``, superkingdom to strain by default; a rank the
taxonomy lacks is left out, not left empty), ``;``-separated (``-S``), and
``taxpathsn`` the taxids of the same entries (KMCP's usage: "Complete
lineage" and "Corresponding TaxIds of taxa in the complete lineage").

How a profile is built:

* Each row's taxon is ``taxname`` at ``rank`` (species, genus, ...; a
  species keeps the genus its binomial names), under the names of its
  ``taxpath`` (:func:`..one_rank.path_lineage`: by position when the path
  has one entry per rank down to the row's, else the names the lineage
  table knows), so a taxon the lineage table does not know still hangs
  where the profile puts it.  Rows of one taxon (several references of one
  species) are summed.
* A row without a standard rank (``no rank``, empty; ``strain`` is read as
  the strain) is counted under the deepest taxon its ``taxpath`` places (its
  clade), or at the one rank the lineage table knows its name at, with a
  warning naming the rows; one that neither places is refused, naming the
  line.
* Abundance = ``percentage`` / 100.  No read counts are kept: KMCP's reads
  are re-assigned between references, so their share need not be the
  reference's percentage.
* A reference written twice (``kmcp profile`` writes each once: a file
  pasted into itself) is refused, naming both lines.
* A profile whose rows carry no ``taxname`` (ids only) is refused, naming
  KMCP and saying what to give instead: the profile made with the taxonomy,
  or KMCP's own MetaPhlAn (``-M``) or CAMI (``-C``) report, which gutbalance
  reads.

Rows may stop short of the header's last, empty columns (``rank``,
``taxname``, ``taxpath``, ``taxpathsn``), as some KMCP versions write them.
"""

from __future__ import annotations

import re
import warnings

from ...cohort import SampleProfile
from ...errors import FormatError, GutBalanceWarning
from ...taxonomy import standard_rank
from ..one_rank import TaxonSums, path_lineage
from ..registry import Format, register
from ..source import Source, parse_number, sample_name_from_path

_REQUIRED = ("ref", "percentage", "reads", "taxid", "rank", "taxname")
_KMCP_SUFFIX = re.compile(r"[._-](kmcp_profile|kmcp|k)$", re.IGNORECASE)
_REFUSE = ("gutbalance reads taxon names, not ids. Run kmcp profile with the taxonomy (-T taxid.map -X taxdump/) "
           "or give its MetaPhlAn (-M) or CAMI (-C) report, which gutbalance reads")


def _header(source: Source) -> list[str] | None:
    lines = source.head_lines
    if not lines:
        return None
    first = next((ln for ln in lines if ln.strip()), "")
    return [c.strip() for c in first.rstrip("\r\n").split("\t")]


def sniff(source: Source) -> bool:
    """KMCP's header: ``ref percentage coverage score chunksFrac ...`` with
    ``taxid``, ``rank`` and ``taxname`` among the columns."""
    header = _header(source) or []
    return header[:5] == ["ref", "percentage", "coverage", "score", "chunksFrac"] and all(c in header for c in _REQUIRED)


def read(source: Source) -> list[SampleProfile]:
    """Read one KMCP profile into one sample profile."""
    path = source.path
    lines = source.all_lines
    header = _header(source) or []
    col = {c: i for i, c in enumerate(header)}
    shortest = col["rank"]  # a row may leave out the empty taxonomy columns at its end
    rows = []
    first_line: dict[str, int] = {}
    for lineno, ln in enumerate(lines[1:], start=2):
        if not ln.strip():
            continue
        fields = ln.rstrip("\r\n").split("\t")
        if len(fields) > len(header) or len(fields) < shortest:
            raise FormatError(f"expected {len(header)} tab-separated columns like the header, found {len(fields)}",
                              path=path, line=lineno)
        short = len(header) - len(fields)
        fields += [""] * short
        try:
            percent = parse_number(fields[col["percentage"]], path=path, line=lineno, field="percentage",
                                   what="percentage", maximum=100.0 * (1 + 1e-6))
            for column in ("reads", "ureads", "hicureads", "refsize"):
                if column in col:
                    parse_number(fields[col[column]], path=path, line=lineno, field=column, what=column)
        except FormatError as error:
            if not short:
                raise
            # only the taxonomy columns at the end may be left out: a number
            # missing before them is a column left out in the middle
            raise FormatError(f"{error.message} (the row has {len(header) - short} of the header's {len(header)} "
                              "columns: one left out before the taxonomy columns, so the others are shifted?)",
                              path=path, line=lineno, field=error.field) from None
        ref = fields[col["ref"]].strip()
        if ref in first_line:
            raise FormatError(f"reference {ref!r} appears twice (first on line {first_line[ref]}): kmcp profile "
                              "writes each reference once", path=path, line=lineno, field="ref")
        first_line[ref] = lineno
        taxpath = fields[col["taxpath"]].split(";") if "taxpath" in col else []
        rows.append((lineno, percent, fields[col["taxid"]].strip(), fields[col["rank"]].strip(),
                     fields[col["taxname"]].strip(), taxpath))
    if not rows:
        raise FormatError("no reference rows under the KMCP header: empty profile", path=path, line=1)
    if not any(r[4] for r in rows):
        raise FormatError(f"this KMCP profile (kmcp profile) gives references and taxon ids without taxon names "
                          f"(taxname is empty; taxid {rows[0][2]!r}): {_REFUSE}", path=path, line=rows[0][0],
                          field="taxname")
    found = TaxonSums()
    rankless: list[str] = []
    for lineno, percent, taxid, rank_word, name, taxpath in rows:
        if not name:
            raise FormatError(f"the reference has no taxname: {_REFUSE}", path=path, line=lineno, field="taxname")
        rank = standard_rank(rank_word) if rank_word else None
        lineage = path_lineage(taxpath, rank, name)
        if not lineage:
            said = f"rank {rank_word!r} is not a standard rank" if rank_word else "no rank"
            raise FormatError(f"{name!r} has {said} and no taxpath that places it: the profile does not say where "
                              f"it belongs in the taxonomy. {_REFUSE}", path=path, line=lineno, field="rank")
        if rank is None:
            rankless.append(f"line {lineno} {name!r} ({rank_word or 'no rank'}) as {lineage[-1].id}")
        if percent <= 0:
            continue
        found.add(lineage, percent, taxid)
    if rankless:
        shown = "; ".join(rankless[:3]) + (" ..." if len(rankless) > 3 else "")
        warnings.warn(f"{path}: {len(rankless)} reference(s) of no standard rank counted as the deepest taxon their "
                      f"taxpath places, or at their name's rank in the lineage table: {shown}",
                      GutBalanceWarning, stacklevel=2)
    return [
        SampleProfile(
            sample=sample_name_from_path(_KMCP_SUFFIX.sub("", sample_name_from_path(path))),
            lineages=found.lineages,
            abundance=[v / 100.0 for v in found.values],
            unassigned=0.0,
            source_file=str(path),
            source_format="kmcp",
            database="KMCP",
            taxids=found.taxids,
        )
    ]


register(
    Format(
        "kmcp",
        "a KMCP profile (kmcp profile, default output)",
        sniff,
        read,
        None,
        priority=30,
        ends_with_newline=True,
    )
)
