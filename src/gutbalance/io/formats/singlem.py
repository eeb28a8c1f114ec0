"""SingleM taxonomic profiles (``singlem pipe -p``, ``singlem condense``;
Woodcroft et al., SingleM, GTDB taxonomy), as the SingleM microbial-fraction
paper keeps its human faecal runs (EisenRa/SingleM_microbial_fraction_paper,
``data/pipe/real_data/humans/pipe/*_pipe_profile.tsv.gz``)::

    sample	coverage	taxonomy
    KRGM_92_5gb_M_1	2.42	Root; d__Archaea
    KRGM_92_5gb_M_1	2.77	Root; d__Bacteria
    KRGM_92_5gb_M_1	13.03	Root; d__Bacteria; ...; f__Ruminococcaceae; g__Faecalibacterium
    KRGM_92_5gb_M_1	49.52	Root; d__Bacteria; ...; g__Faecalibacterium; s__Faecalibacterium prausnitzii_D

Three tab-separated columns under that header: the sample (one file may
hold several, ``singlem pipe`` run on several read sets), the coverage, and
the GTDB lineage from ``Root``, ``; ``-separated, ending at whatever rank
SingleM could assign.

How a profile is built:

* SingleM's coverage is *unfilled*: "a taxon's value excludes values
  assigned more specifically to its descendants. Filled coverage adds
  descendant values and is the basis for relative abundance" (SingleM's
  documentation, wwood/singlem ``docs/explanation/condense.md``).  So every
  row is a leaf of its own (the genus row is the coverage SingleM could place
  no deeper than the genus), a clade is its row plus every row beneath it,
  and abundance = filled coverage / the sample's total coverage.  The rows are
  never taken for clade totals, whatever their numbers (a profile of two rows
  whose domain row happens to exceed its phylum row is still two leaves).
* A row of ``Root`` alone (coverage SingleM placed in no domain) is the
  unassigned share.
* Coverage is not a read count: no counts are kept, so Chao1 is missing.
* A (sample, lineage) pair written twice is refused naming both lines:
  SingleM writes each once, so its coverage would be counted twice.
* SingleM's OTU tables (``singlem pipe --otu-table``: ``gene sample sequence
  num_hits coverage taxonomy``, one row per marker-gene window sequence) are
  not profiles: the same community is in them once per marker gene.  They are
  refused saying to give the profile of ``singlem pipe -p`` (``singlem
  condense`` makes one only from archive OTU tables, its ``reference/
  singlem-condense.md``).  So are ``singlem microbial_fraction``'s tables
  (``sample bacterial_archaeal_bases metagenome_size read_fraction ...`` and,
  per taxon, ``sample taxonomy base_contribution``): the share of the reads
  from bacteria and archaea, not a profile (before 2026-11-28 they were
  "'96.14%' is not a number" and "feature 'S1' appears twice").
"""

from __future__ import annotations

import numpy as np

from ...cohort import Lineage, SampleProfile
from ...errors import FormatError, TaxonomyError
from ...taxonomy import parse_lineage
from ..feature_table import profiles_from_matrix
from ..registry import Format, register
from ..source import Source, parse_number, tab_rows

PROFILE_HEADER = ("sample", "coverage", "taxonomy")
OTU_TABLE_HEADER = ("gene", "sample", "sequence", "num_hits", "coverage", "taxonomy")
#: ``singlem microbial_fraction`` (``read_fraction`` in earlier SingleM releases): the share of a
#: metagenome's bases from bacteria and archaea, and with
#: ``--output-per-taxon-read-fractions`` the bases each taxon accounts for.
FRACTION_HEADER_START = ("sample", "bacterial_archaeal_bases")
PER_TAXON_FRACTION_HEADER = ("sample", "taxonomy", "base_contribution")


def _header(source: Source) -> tuple[str, ...] | None:
    first = next((ln for ln in (source.head_lines or []) if ln.strip()), None)
    return None if first is None else tuple(f.strip() for f in first.rstrip("\r\n").split("\t"))


def _not_a_profile(header: tuple[str, ...] | None) -> str:
    """What a SingleM output other than the profile is, or ""."""
    if header == OTU_TABLE_HEADER:
        return ("this is a SingleM OTU table (one row per marker-gene sequence: the community once per marker gene), "
                "not a taxonomic profile")
    if header is not None and (header[:2] == FRACTION_HEADER_START or header == PER_TAXON_FRACTION_HEADER):
        return ("this is SingleM's microbial fraction (singlem microbial_fraction / read_fraction: the share of the "
                "metagenome's bases from bacteria and archaea" + (", and the bases each taxon accounts for"
                                                                   if header == PER_TAXON_FRACTION_HEADER else "")
                + "), not a taxonomic profile")
    return ""


def sniff(source: Source) -> bool:
    """SingleM's profile header ``sample coverage taxonomy``, or the header
    of another SingleM output (an OTU table, ``microbial_fraction``'s
    tables), recognised so that it is refused saying what it is."""
    header = _header(source)
    return header == PROFILE_HEADER or bool(_not_a_profile(header))


def read(source: Source) -> list[SampleProfile]:
    """Read one SingleM profile into one sample profile per ``sample`` value."""
    path = source.path
    lines = source.all_lines
    header_line = next(i for i, ln in enumerate(lines, start=1) if ln.strip())
    other = _not_a_profile(_header(source))
    if other:
        raise FormatError(
            f"{other}: give the profile `singlem pipe -p` wrote (`singlem condense -p` makes one only from archive "
            "OTU tables, `singlem pipe --archive-otu-table`)",
            path=path,
            line=header_line,
        )
    samples: dict[str, int] = {}
    lineage_row: dict[tuple[str, ...], int] = {}
    lineages: list[Lineage | None] = []
    cells: dict[tuple[int, int], tuple[float, int]] = {}  # (row, sample) -> (coverage, line)
    for lineno, fields in tab_rows(lines[header_line:], PROFILE_HEADER, path=path, start=header_line + 1):
        sample, taxonomy = fields[0].strip(), fields[2].strip()
        if not sample:
            raise FormatError("empty sample name", path=path, line=lineno, field="sample")
        coverage = parse_number(fields[1], path=path, line=lineno, field="coverage", what="coverage")
        parts = tuple(p.strip() for p in taxonomy.split(";"))
        if not parts or parts[0] != "Root":
            raise FormatError(f"lineage {taxonomy!r} does not start at Root, as SingleM writes every lineage",
                              path=path, line=lineno, field="taxonomy")
        row = lineage_row.get(parts)
        if row is None:
            if len(parts) == 1:
                lineage: Lineage | None = None  # coverage placed in no domain: the unassigned share
            else:
                try:
                    lineage = parse_lineage(taxonomy)
                except TaxonomyError as exc:
                    raise FormatError(str(exc), path=path, line=lineno, field="taxonomy") from None
            row = lineage_row[parts] = len(lineages)
            lineages.append(lineage)
        column = samples.setdefault(sample, len(samples))
        if (row, column) in cells:
            raise FormatError(f"sample {sample!r} has lineage {taxonomy!r} twice (first on line "
                              f"{cells[row, column][1]}): SingleM writes each once, so its coverage would be "
                              "counted twice", path=path, line=lineno, field="taxonomy")
        cells[row, column] = (coverage, lineno)
    if not cells:
        raise FormatError("no rows below the header: empty SingleM profile", path=path)
    coverage_matrix = np.zeros((len(lineages), len(samples)))
    for (row, column), (coverage, _) in cells.items():
        coverage_matrix[row, column] = coverage
    totals = coverage_matrix.sum(axis=0)
    for name, column in samples.items():
        if totals[column] <= 0:
            raise FormatError(f"sample {name!r} has no coverage: SingleM found no marker-gene reads to profile",
                              path=path, field="coverage")
    return profiles_from_matrix(lineages, coverage_matrix / totals, list(samples), path=path, source_format="singlem",
                                kind="fraction", database="singlem", exclusive=True)


register(
    Format(
        "singlem",
        "a SingleM taxonomic profile (singlem pipe -p / condense: sample, coverage, GTDB taxonomy)",
        sniff,
        read,
        None,
        priority=30,
        ends_with_newline=True,
    )
)
